//! Init's warm-up calls: one cheap call per client before the first request, so that the request
//! does not pay for the connection (TLS in AWS), the credentials and the endpoint. Bounded, and
//! never fatal: a failure is only logged, and the requests report their faults themselves.
//!
//! Only a function whose init waits for a round trip of its own (a secret's read) makes them,
//! beside that wait. Without one there is nothing to win: on a cold start the first event is
//! already waiting, and the request's own connection is ready before a warm-up's call is done
//! (hyper hands the request whichever is ready first), while the warm-up still costs a handshake
//! of CPU and, on the emulator, a call's work.
//!
//! Init does not wait for them ([`in_background`]): they go on while the runtime asks for the
//! first event.

use std::future::Future;
use std::time::Duration;

/// The longest a warm-up call may take before it is given up (and logged).
pub const WARM_UP_LIMIT: Duration = Duration::from_secs(2);

/// How a warm-up call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmUp {
    Done,
    Failed,
    TimedOut,
}

/// Starts `calls` and returns at once. A first request that comes before they are done never
/// waits for them: it finds no idle connection and opens its own, and the HTTP clients' pools
/// (hyper's) give it whichever connection is ready first, so it pays at most what it would have
/// paid without a warm-up.
pub fn in_background(calls: impl Future<Output = ()> + Send + 'static) {
    tokio::spawn(calls);
}

/// Runs `call` for at most [`WARM_UP_LIMIT`]; `what` names it in the log line of a failure.
pub(crate) async fn warm_up<T, E: std::error::Error>(
    what: &'static str,
    call: impl Future<Output = Result<T, E>>,
) -> WarmUp {
    match tokio::time::timeout(WARM_UP_LIMIT, call).await {
        Ok(Ok(_)) => WarmUp::Done,
        Ok(Err(error)) => {
            tracing::warn!(call = what, error = %app::error_chain(&error), "warm-up call failed");
            WarmUp::Failed
        }
        Err(_) => {
            tracing::warn!(call = what, "warm-up call timed out");
            WarmUp::TimedOut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_warm_up_call_that_never_answers_lets_init_go_on_at_the_limit() {
        let started = tokio::time::Instant::now();
        let never = std::future::pending::<Result<(), std::io::Error>>();
        assert_eq!(warm_up("test", never).await, WarmUp::TimedOut);
        assert_eq!(started.elapsed(), WARM_UP_LIMIT, "on the paused clock");
    }

    #[tokio::test]
    async fn a_failed_warm_up_call_is_reported_not_raised() {
        let refused = async { Err::<(), _>(std::io::Error::other("connection refused")) };
        assert_eq!(warm_up("test", refused).await, WarmUp::Failed);
        assert_eq!(
            warm_up("test", async { Ok::<_, std::io::Error>(()) }).await,
            WarmUp::Done
        );
    }
}
