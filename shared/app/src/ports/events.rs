//! The bus the partner's systems learn of stored facts from.

use std::future::Future;

use super::BoxError;

/// An event as it goes to the bus (`app::events` makes them from stored facts).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub detail_type: &'static str,
    /// When the fact was stored, unix milliseconds (the event's `time`).
    pub at_ms: u64,
    pub detail: serde_json::Value,
}

/// How the bus answered for one event of a put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    Taken,
    /// Not taken (throttled, an internal failure): the bus's code, to log and retry.
    Refused {
        code: String,
    },
}

/// The whole call failed: nothing is known to be taken.
#[derive(Debug, thiserror::Error)]
#[error("the event bus could not be reached")]
pub struct BusError(#[source] pub BoxError);

/// An event bus (EventBridge in AWS and in `make dev`).
pub trait EventBus: Send + Sync {
    /// At most this many events go in one [`EventBus::put`].
    const MAX_PER_PUT: usize = 10;

    /// Puts up to [`EventBus::MAX_PER_PUT`] events; the answer for each, in their order.
    fn put(&self, events: &[Event]) -> impl Future<Output = Result<Vec<Put>, BusError>> + Send;
}
