//! How hard to try a reply, and how long to wait: the numbers and their arithmetic.

use std::time::{Duration, Instant};

/// SQS's longest visibility timeout: no redelivery delay can be longer.
pub const MAX_REDELIVERY_DELAY: Duration = Duration::from_secs(12 * 3600);

/// What is left before `deadline`; zero once it has passed. Comparing what is left with what a
/// step needs, rather than adding durations to instants, cannot overflow whatever the durations
/// (a `Retry-After` of `u64::MAX` seconds once panicked the whole batch here). Read on tokio's
/// clock, which is the real one except in tests that pause it.
pub fn time_left(deadline: Instant) -> Duration {
    tokio::time::Instant::from_std(deadline).saturating_duration_since(tokio::time::Instant::now())
}

/// How hard to try, and how long to wait between tries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// HTTP tries within one delivery.
    pub quick_attempts: u32,
    /// Backoff between quick tries: full jitter over `base * 2^(try-1)`, capped.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A `Retry-After` up to this is waited in place; a longer one sends the message back to the
    /// queue for that long instead of holding the function.
    pub max_inline_wait: Duration,
    /// Delay before the queue redelivers a failed delivery: `base * 2^(delivery-1)`, capped.
    pub redelivery_base: Duration,
    pub redelivery_cap: Duration,
    /// Tries of one reply, as the ledger counts them (deliveries that claimed it): the one with
    /// this number is the last. Not the queue's receive count, which also counts the deliveries
    /// of a reply held back behind a failing one of its lead; the queue's `maxReceiveCount` is
    /// only a backstop, well above this.
    pub max_attempts: u32,
    /// How long a claim keeps other deliveries of the same reply from sending.
    pub lease: Duration,
    /// The longest one HTTP try can take (the client's timeout plus a margin).
    pub attempt_budget: Duration,
    /// The longest the `sent` write can take (the SDK's attempt timeout). No try starts unless
    /// it and this write can finish before the deadline: Lambda killing the invocation between
    /// Thumbtack's acceptance and the write would have the reply sent again.
    pub record_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            quick_attempts: 3,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(2),
            max_inline_wait: Duration::from_secs(3),
            redelivery_base: Duration::from_secs(30),
            redelivery_cap: Duration::from_secs(900),
            max_attempts: 5,
            lease: Duration::from_secs(120),
            attempt_budget: Duration::from_secs(12),
            record_budget: Duration::from_secs(3),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = exponential(self.backoff_base, attempt, self.backoff_cap);
        // Full jitter: concurrent senders that failed together do not retry together.
        ceiling.mul_f64(fastrand::f64())
    }

    /// What a try needs left before the deadline: the try itself and the `sent` write after it.
    pub fn try_budget(&self) -> Duration {
        self.attempt_budget.saturating_add(self.record_budget)
    }

    /// The visibility delay after try (or delivery) number `count` failed: the backoff, or
    /// `wait_at_least` when longer, at most [`MAX_REDELIVERY_DELAY`].
    pub fn redelivery_delay(&self, count: u32, wait_at_least: Option<Duration>) -> Duration {
        let backoff = exponential(self.redelivery_base, count, self.redelivery_cap);
        wait_at_least
            .map_or(backoff, |wait| wait.max(backoff))
            .min(MAX_REDELIVERY_DELAY)
    }
}

fn exponential(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
    base.saturating_mul(factor).min(cap)
}
