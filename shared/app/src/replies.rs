//! Sending a pro's reply to Thumbtack: once, retried when that can help, and never lost.
//!
//! One queue delivery goes through: parse → claim in the ledger → send (a few quick tries) →
//! record the outcome. What happens to the queue message is the [`Disposition`]:
//!
//! | situation | ledger | queue message |
//! |---|---|---|
//! | sent (2xx) | `sent` | deleted |
//! | sent before (a redelivery) | unchanged | deleted, no second send |
//! | not a valid reply | – | parked in the DLQ, deleted |
//! | replyID taken by another reply | unchanged | parked, deleted |
//! | 4xx other than 408/429 | `failed`, with the status and Thumbtack's words | parked, deleted |
//! | 429/408/5xx/timeout, tries left | `sending`, last error kept | back to the queue after a backoff |
//! | the same, on the reply's last try (`max_attempts`) | `failed`, "gave up after N tries" | parked, deleted |
//! | another delivery holds the claim | unchanged | back to the queue until its lease ends, at least |
//! | no time for a try and its `sent` write | claim released | back to the queue at once |
//! | the claim was taken over (lease expired) | nothing written | back to the queue |
//! | the ledger cannot be written | unchanged | back to the queue |
//!
//! The one window for a second send: the process dies after Thumbtack accepted the message and
//! before `sent` is written (a DynamoDB round trip, milliseconds). The redelivery finds the reply
//! still `sending` and sends it again. Thumbtack's API has no idempotency key to close it.

use crate::metrics::Metrics;
use crate::ports::{
    Claim, Parked, ReplyClaim, ReplyLedger, ReplyQueue, SendError, Settled, StoreError, Thumbtack,
};
use crate::{error_chain as chain, now_millis};
use models::ReplyRequest;
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
    fn backoff(&self, attempt: u32) -> Duration {
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

/// The ports a reply delivery needs.
#[derive(Debug, Clone)]
pub struct ReplyDeps<L, T, Q> {
    pub ledger: L,
    pub thumbtack: T,
    pub queue: Q,
    pub policy: RetryPolicy,
    pub metrics: Metrics,
}

/// One queue message, whatever carried it (a Lambda SQS event, the local worker).
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub message_id: &'a str,
    pub receipt_handle: &'a str,
    pub body: &'a str,
    pub group_id: &'a str,
    /// 1 on the first delivery.
    pub receive_count: u32,
    /// When the partner enqueued it, unix milliseconds.
    pub sent_timestamp_ms: u64,
    /// FIFO queues number messages in order.
    pub sequence: Option<&'a str>,
}

/// What to do with the queue message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Handled for good (sent, sent before, or parked): delete it.
    Done,
    /// Not handled: leave it to the queue, which delivers it again.
    RetryLater,
}

/// Why a reply was given up, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Thumbtack refused it (a 4xx other than 408/429).
    Refused,
    /// Transient failures until the queue's last delivery.
    GaveUp,
    /// The queue message is not a valid reply.
    Invalid,
    /// Its replyID belongs to another reply.
    Conflict,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::GaveUp => "gave_up",
            FailureKind::Invalid => "invalid",
            FailureKind::Conflict => "conflict",
        }
    }
}

/// How a delivery ended, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        attempt: u32,
        status: u16,
        /// The successful HTTP call to Thumbtack.
        send_latency: Duration,
        /// From the lead's creation to this reply, when it is the lead's first reply sent.
        first_response: Option<Duration>,
    },
    AlreadySent,
    /// Moved to the DLQ without a ledger record (not a reply, or a replyID conflict).
    Parked {
        reason: String,
        kind: FailureKind,
    },
    /// Recorded as `failed` and moved to the DLQ.
    Failed {
        reason: String,
        kind: FailureKind,
    },
    Retrying {
        delay: Duration,
        error: String,
    },
    /// Another delivery holds the claim; back to the queue for `delay`.
    Busy {
        delay: Duration,
    },
    /// The ledger or the queue failed; back to the queue (for `delay`, when it could be set).
    StorageUnavailable {
        delay: Option<Duration>,
    },
    NoTimeLeft,
}

impl Outcome {
    pub fn disposition(&self) -> Disposition {
        match self {
            Outcome::Sent { .. }
            | Outcome::AlreadySent
            | Outcome::Parked { .. }
            | Outcome::Failed { .. } => Disposition::Done,
            Outcome::Retrying { .. }
            | Outcome::Busy { .. }
            | Outcome::StorageUnavailable { .. }
            | Outcome::NoTimeLeft => Disposition::RetryLater,
        }
    }

    /// How long the queue holds the message back before delivering it again, when we set it.
    pub fn redelivery_delay(&self) -> Option<Duration> {
        match self {
            Outcome::Retrying { delay, .. } | Outcome::Busy { delay } => Some(*delay),
            Outcome::StorageUnavailable { delay } => *delay,
            // Released at once: the next invocation can send it.
            Outcome::NoTimeLeft => Some(Duration::ZERO),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Sent { .. } => "sent",
            Outcome::AlreadySent => "already_sent",
            Outcome::Parked { .. } => "parked",
            Outcome::Failed { .. } => "failed",
            Outcome::Retrying { .. } => "retrying",
            Outcome::Busy { .. } => "busy",
            Outcome::StorageUnavailable { .. } => "storage_unavailable",
            Outcome::NoTimeLeft => "no_time_left",
        }
    }
}

/// Handles one delivery of a reply; never panics, never loses it: every path ends in a state the
/// ledger or the queue holds.
pub async fn deliver<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    deadline: Instant,
) -> Outcome {
    let reply = match ReplyRequest::parse(delivery.body.as_bytes()) {
        Ok(reply) => reply,
        Err(invalid) => {
            let reason = format!("not a valid reply: {}", invalid.paths().join(", "));
            return park(deps, delivery, reason, FailureKind::Invalid).await;
        }
    };
    tracing::Span::current().record("reply_id", reply.reply_id.as_str());
    tracing::Span::current().record("lead_id", reply.lead_id.as_str());

    let now = now_millis();
    let claim = ReplyClaim {
        reply: &reply,
        enqueued_at_ms: delivery.sent_timestamp_ms,
        sequence: delivery.sequence,
        now_ms: now,
        lease_until_ms: now.saturating_add(millis(deps.policy.lease)),
    };
    let attempt = match deps.ledger.claim(claim).await {
        Ok(Claim::Claimed { attempt }) => attempt,
        Ok(Claim::AlreadySent) => return Outcome::AlreadySent,
        Ok(Claim::Busy { lease_until_ms }) => {
            // Sooner would only find the claim still held (and use up a receive).
            let lease_left = Duration::from_millis(lease_until_ms.saturating_sub(now));
            let delay = deps
                .policy
                .redelivery_delay(delivery.receive_count, Some(lease_left));
            return retry_later(deps, delivery, delay, Outcome::Busy { delay }).await;
        }
        Ok(Claim::Conflict { reason }) => {
            return park(deps, delivery, reason, FailureKind::Conflict).await;
        }
        Err(error) => return storage_unavailable(deps, delivery, &error).await,
    };

    let mut last_error = None;
    let mut wait = Duration::ZERO;
    for try_number in 1..=deps.policy.quick_attempts {
        // Every try, the first included (a claim can be slow), must leave room for itself and
        // for recording its success before the invocation ends.
        if time_left(deadline) <= wait.saturating_add(deps.policy.try_budget()) {
            if try_number == 1 {
                return no_time_left(deps, delivery, &reply, attempt).await;
            }
            break;
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let call_started = Instant::now();
        match deps
            .thumbtack
            .send_message(&reply.business_id, &reply.lead_id, &reply.text)
            .await
        {
            Ok(accepted) => {
                let send_latency = call_started.elapsed();
                let now = now_millis();
                // Two items, independent of each other: one round trip instead of two.
                let ((), answered) = tokio::join!(
                    record_sent(deps, &reply, attempt, accepted.status, now, deadline),
                    deps.ledger.first_reply(&reply.lead_id, now)
                );
                let first_response = match answered {
                    Ok(created) => created.map(|seconds| {
                        Duration::from_millis(now.saturating_sub(seconds.saturating_mul(1000)))
                    }),
                    Err(error) => {
                        tracing::warn!(error = %chain(&error), "could not mark the lead as answered");
                        None
                    }
                };
                return Outcome::Sent {
                    attempt,
                    status: accepted.status,
                    send_latency,
                    first_response,
                };
            }
            Err(SendError::Permanent { status, excerpt }) => {
                let reason = format!("Thumbtack answered {status}: {excerpt}");
                let kind = FailureKind::Refused;
                let failure = (reason, Some(status), kind);
                return fail_and_park(deps, delivery, &reply, attempt, failure).await;
            }
            Err(SendError::Invalid { detail }) => {
                let failure = (detail, None, FailureKind::Invalid);
                return fail_and_park(deps, delivery, &reply, attempt, failure).await;
            }
            Err(SendError::Transient {
                status,
                retry_after,
                detail,
            }) => {
                tracing::warn!(try_number, status, "transient send failure");
                wait = retry_after
                    .unwrap_or_default()
                    .max(deps.policy.backoff(try_number));
                let long_retry_after = retry_after.is_some_and(|r| r > deps.policy.max_inline_wait);
                last_error = Some((detail, retry_after));
                if long_retry_after {
                    break;
                }
            }
        }
    }

    let (detail, retry_after) = last_error.unwrap_or_else(|| ("no attempt made".to_owned(), None));
    if attempt >= deps.policy.max_attempts {
        let reason = format!("gave up after {attempt} tries: {detail}");
        let failure = (reason, None, FailureKind::GaveUp);
        return fail_and_park(deps, delivery, &reply, attempt, failure).await;
    }
    match deps
        .ledger
        .mark_retrying(&reply, attempt, &detail, now_millis())
        .await
    {
        Ok(Settled::Recorded) => {}
        // Back to the queue all the same; the delivery that took over decides.
        Ok(Settled::Superseded) => {
            tracing::warn!(
                attempt,
                "another delivery took the reply over; retry not recorded"
            )
        }
        Err(error) => tracing::warn!(error = %chain(&error), "could not record the retry"),
    }
    let delay = deps.policy.redelivery_delay(attempt, retry_after);
    let outcome = Outcome::Retrying {
        delay,
        error: detail,
    };
    retry_later(deps, delivery, delay, outcome).await
}

/// Writes `sent`, trying again for as long as the invocation allows: once Thumbtack has the
/// message, a reply left `sending` would be sent again after its lease. If the ledger stays
/// unreachable, the message is acknowledged all the same (a second send is worse than a record
/// that lags) and the error is logged with the reply id.
async fn record_sent<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    reply: &ReplyRequest,
    attempt: u32,
    status: u16,
    now: u64,
    deadline: Instant,
) {
    let mut wait = deps.policy.backoff_base;
    loop {
        match deps.ledger.mark_sent(reply, attempt, status, now).await {
            Ok(Settled::Recorded) => return,
            Ok(Settled::Superseded) => {
                // Our lease ran out before Thumbtack answered: the delivery that took over owns
                // the record (and may send again: the documented window, widened by a slow send).
                tracing::warn!(
                    attempt,
                    "reply sent, but another delivery had taken it over"
                );
                return;
            }
            Err(error) if time_left(deadline) > wait.saturating_add(deps.policy.record_budget) => {
                tracing::warn!(error = %chain(&error), "could not record the send yet; trying again");
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2).min(deps.policy.backoff_cap);
            }
            Err(error) => {
                tracing::error!(error = %chain(&error), "reply sent but its state could not be recorded");
                return;
            }
        }
    }
}

/// Records the reply `failed` (reason, Thumbtack's status, kind) and parks its message. When
/// another delivery has taken the reply over, neither: the message goes back to the queue, and
/// its redelivery finds what that delivery decided.
async fn fail_and_park<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
    attempt: u32,
    (reason, status, kind): (String, Option<u16>, FailureKind),
) -> Outcome {
    match deps
        .ledger
        .mark_failed(reply, attempt, &reason, status, now_millis())
        .await
    {
        Ok(Settled::Recorded) => {}
        Ok(Settled::Superseded) => {
            tracing::warn!(
                attempt,
                "another delivery took the reply over; failure not recorded"
            );
            let delay = deps.policy.redelivery_delay(delivery.receive_count, None);
            return retry_later(deps, delivery, delay, Outcome::Busy { delay }).await;
        }
        Err(error) => return storage_unavailable(deps, delivery, &error).await,
    }
    match park(deps, delivery, reason, kind).await {
        Outcome::Parked { reason, kind } => Outcome::Failed { reason, kind },
        other => other,
    }
}

/// Not tried: too little of the invocation is left. The claim is released and the message goes
/// back to the queue at once, for an invocation with time to send it.
async fn no_time_left<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
    attempt: u32,
) -> Outcome {
    tracing::warn!(
        attempt,
        "no time left in this invocation to send and record the reply"
    );
    match deps.ledger.release(reply, attempt, now_millis()).await {
        Ok(Settled::Recorded) => {}
        Ok(Settled::Superseded) => {
            tracing::warn!(
                attempt,
                "another delivery took the reply over; nothing to release"
            )
        }
        // The claim then expires with its lease.
        Err(error) => tracing::warn!(error = %chain(&error), "could not release the claim"),
    }
    retry_later(deps, delivery, Duration::ZERO, Outcome::NoTimeLeft).await
}

async fn park<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reason: String,
    kind: FailureKind,
) -> Outcome {
    let parked = Parked {
        body: delivery.body,
        message_id: delivery.message_id,
        group_id: delivery.group_id,
        reason: &reason,
    };
    match deps.queue.park(parked).await {
        Ok(()) => Outcome::Parked { reason, kind },
        Err(error) => {
            // Not parked, so not acknowledged: the queue delivers it again (and its own redrive
            // policy moves it to the DLQ after maxReceiveCount).
            tracing::error!(error = %chain(&error), "could not park the message");
            Outcome::StorageUnavailable { delay: None }
        }
    }
}

async fn storage_unavailable<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    error: &StoreError,
) -> Outcome {
    tracing::error!(error = %chain(error), "reply ledger unavailable");
    let delay = deps.policy.redelivery_delay(delivery.receive_count, None);
    let outcome = Outcome::StorageUnavailable { delay: Some(delay) };
    retry_later(deps, delivery, delay, outcome).await
}

async fn retry_later<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    delay: Duration,
    outcome: Outcome,
) -> Outcome {
    if let Err(error) = deps.queue.retry_later(delivery.receipt_handle, delay).await {
        // The queue still redelivers after its visibility timeout; only the delay is lost.
        tracing::warn!(error = %chain(&error), "could not set the redelivery delay");
    }
    outcome
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
