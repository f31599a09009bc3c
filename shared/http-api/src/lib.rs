//! What the API Gateway functions share: reading the request (credentials, body limit), and one
//! error type with one mapping to status codes and JSON bodies.
//!
//! 4xx bodies are written for the caller and name every offending field; 5xx are logged with their
//! cause chain and answered with an opaque message.

mod error;
mod quarantine;
mod request;
mod response;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::ApiError;
pub use quarantine::{count_outcome, quarantined};
pub use request::{
    MAX_BODY_BYTES, as_text, authenticate, body_within_limit, panic_if_asked, request_id,
};
pub use response::{json, respond};

/// What the inbound functions (leads, messages) need.
#[derive(Debug, Clone)]
pub struct InboundDeps<S, C> {
    pub store: S,
    pub credentials: C,
    pub metrics: app::metrics::Metrics,
}

/// What the read function needs.
#[derive(Debug, Clone)]
pub struct ReadDeps<S> {
    pub store: S,
}
