//! The domain of the partner bundle, independent of AWS and of HTTP.
//!
//! Ports are traits with `impl Future + Send` methods and are injected as generic parameters, not
//! `dyn`: every function binary uses exactly one adapter per port, so generics cost nothing at run
//! time, need no boxing of futures and keep the concrete types visible in `main.rs`.

pub mod auth;
pub mod connections;
pub mod conversation;
pub mod deps;
pub mod digest;
pub mod events;
pub mod ingest;
pub mod metrics;
pub mod paging;
pub mod ports;
pub mod pull;
pub mod refusals;
pub mod replay;
pub mod replies;
pub mod speed;

#[cfg(feature = "testing")]
pub mod memory;

pub use ports::{LeadStore, StoreError};

/// Milliseconds since the Unix epoch, the resolution of our own timestamps (`receivedAt`).
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, millis)
}

/// A duration in whole milliseconds, as our timestamps count them (saturating).
pub fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `error: cause: cause`, the whole chain on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
