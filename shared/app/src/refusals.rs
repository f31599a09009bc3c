//! Refused deliveries leave a trace: [`note`] counts one in the [`RefusalLog`] without ever
//! changing the answer, and [`Throttle`] keeps a flood from running up the write bill.

use crate::ports::{Refusal, RefusalLog};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How long a refused request waits for its trace at most: a 401 answered late is still a 401,
/// and the trace is not worth more than a round trip to DynamoDB.
pub const NOTE_TIMEOUT: Duration = Duration::from_millis(250);

/// Counts `refusal` in `log`, best effort: a failure or a slow store is logged as a warning
/// (route and reason only) and the caller answers as it would have anyway.
pub async fn note<L: RefusalLog>(log: &L, refusal: &Refusal) {
    let route = refusal.route.as_str();
    let reason = refusal.reason.code();
    match tokio::time::timeout(NOTE_TIMEOUT, log.record(refusal)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(
            route,
            reason,
            error = %crate::error_chain(&error),
            "refusal not recorded"
        ),
        Err(_) => tracing::warn!(
            route,
            reason,
            timeout_ms = NOTE_TIMEOUT.as_millis() as u64,
            "refusal not recorded in time"
        ),
    }
}

/// At most `per_second` writes a second for each kind (route, reason) in this process; the
/// refusals over that are counted in the next write of their kind. A scanner or a client retrying
/// a wrong password in a loop then costs a few writes a second, whatever its rate. What is held
/// back when a flood stops is not written: under a flood the counts are a lower bound.
#[derive(Debug)]
pub struct Throttle {
    per_second: u32,
    windows: Mutex<HashMap<(&'static str, &'static str), Window>>,
}

#[derive(Debug, Default)]
struct Window {
    second: u64,
    written: u32,
    held: u64,
}

impl Throttle {
    /// Writes a second per kind by default: far above what a misconfigured partner sends, low
    /// enough that a flood costs cents.
    pub const DEFAULT_PER_SECOND: u32 = 5;

    pub fn new(per_second: u32) -> Self {
        Throttle {
            per_second,
            windows: Mutex::default(),
        }
    }

    /// How many refusals the write of `refusal` should count (itself and those held back
    /// before), or `None` when it is only held back. The clock is the refusal's own time.
    pub fn admit(&self, refusal: &Refusal) -> Option<u64> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = windows
            .entry((refusal.route.as_str(), refusal.reason.code()))
            .or_default();
        let second = refusal.at_ms / 1000;
        if window.second != second {
            window.second = second;
            window.written = 0;
        }
        if window.written < self.per_second {
            window.written += 1;
            Some(1 + std::mem::take(&mut window.held))
        } else {
            window.held += 1;
            None
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(Self::DEFAULT_PER_SECOND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{RefusalCount, RefusalReason, Route, StoreError};

    fn refusal(at_ms: u64, reason: RefusalReason) -> Refusal {
        Refusal {
            at_ms,
            route: Route::Lead,
            reason,
        }
    }

    #[test]
    fn a_flood_over_the_cap_is_held_back_and_counted_in_the_next_write_of_its_kind() {
        let throttle = Throttle::new(2);
        let wrong = RefusalReason::WrongCredentials;
        let admitted: Vec<Option<u64>> = (0..5)
            .map(|_| throttle.admit(&refusal(1_000, wrong)))
            .collect();
        assert_eq!(admitted, [Some(1), Some(1), None, None, None]);
        // Another kind in the same second has its own allowance.
        assert_eq!(
            throttle.admit(&refusal(1_000, RefusalReason::MissingCredentials)),
            Some(1)
        );
        // The next second: the three held back ride on the first write.
        assert_eq!(throttle.admit(&refusal(2_000, wrong)), Some(4));
        assert_eq!(throttle.admit(&refusal(2_000, wrong)), Some(1));
    }

    #[test]
    fn a_refusal_is_kept_fourteen_days_in_seconds_and_counted_in_its_utc_minute() {
        let at = refusal(1_795_771_805_118, RefusalReason::WrongCredentials);
        assert_eq!(at.minute(), "2026-11-27T09:30");
        assert_eq!(at.expires_at(), 1_795_771_805 + 14 * 86_400);
        assert_eq!(at.reason.status(), 401);
        assert!(at.reason.credentials_presented());
        assert!(!RefusalReason::MissingCredentials.credentials_presented());
        assert_eq!(
            RefusalReason::Invalid(models::InvalidKind::NotJson).status(),
            400
        );
        assert_eq!(RefusalReason::TooLargeToStore.status(), 413);
    }

    /// A log whose store never answers.
    #[derive(Debug)]
    struct Hanging;

    impl RefusalLog for Hanging {
        async fn record(&self, _: &Refusal) -> Result<(), StoreError> {
            std::future::pending().await
        }

        async fn refusals(&self, _: usize) -> Result<Vec<RefusalCount>, StoreError> {
            Ok(Vec::new())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_store_that_never_answers_holds_a_refused_request_no_longer_than_the_bound() {
        let started = tokio::time::Instant::now();
        note(&Hanging, &refusal(1_000, RefusalReason::WrongCredentials)).await;
        // The paused clock moves only by the timers that fired: exactly the bound.
        assert_eq!(started.elapsed(), NOTE_TIMEOUT);
    }
}
