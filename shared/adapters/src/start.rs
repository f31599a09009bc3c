//! Every function's start, once: the log subscriber, then the function's own init, and the line
//! Lambda's logs show when that init fails.

use std::fmt::Display;
use std::future::Future;

/// Sets up logging, then runs `init` (a function's own sequence, unchanged: what it reads, what
/// it warms up and what it waits for are its own). A failure is logged before it is returned,
/// as the line Lambda's logs show before it reports the failed init.
pub async fn start<D, E: Display>(init: impl Future<Output = Result<D, E>>) -> Result<D, E> {
    // `init` is a future not yet polled: nothing of it runs before the subscriber is set.
    crate::logging::init();
    init.await.inspect_err(|error| {
        tracing::error!(%error, "init failed; the function cannot start");
    })
}
