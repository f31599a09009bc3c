//! The HTTP face of the API Gateway functions: the route table (`routes`), reading a request
//! (body limit, path, id), the inbound functions over `app::ingest`, and one error type with one
//! mapping to status codes and JSON bodies. Decisions live in `app`; this crate only speaks HTTP.
//!
//! 4xx bodies are written for the caller and name every offending field; 5xx are logged with their
//! cause chain and answered with an opaque message.

pub mod connections;
mod error;
pub mod inbound;
mod request;
mod response;
mod route;
pub mod routes;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::ApiError;
pub use request::{MAX_BODY_BYTES, body_within_limit, panic_if_asked, path_segments, request_id};
pub use response::json;
pub use route::{Reply, respond};
