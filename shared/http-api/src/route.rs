//! One route's run: its work inside its span, its result (a success or an error) turned into its
//! answer, one log line.

use crate::error::ApiError;
use lambda_http::{Body, Response};
use std::future::Future;
use std::time::Instant;
use tracing::{Instrument, Span};

/// What a route's work gives when it succeeds: turned into its response by [`respond`], inside
/// the route's span, as an [`ApiError`] is.
pub trait Reply {
    fn into_response(self) -> Response<Body>;
}

impl Reply for Response<Body> {
    fn into_response(self) -> Response<Body> {
        self
    }
}

/// Runs a route's work inside its span, turns its result into its response, and logs the
/// outcome.
pub async fn respond<R: Reply>(
    span: Span,
    work: impl Future<Output = Result<R, ApiError>>,
) -> Response<Body> {
    let started = Instant::now();
    async {
        let response = work
            .await
            .map_or_else(ApiError::into_response, Reply::into_response);
        log_outcome(&response, started);
        response
    }
    .instrument(span)
    .await
}

/// One log line per request: status and latency (ids are on the enclosing span).
fn log_outcome(response: &Response<Body>, started: Instant) {
    let status = response.status().as_u16();
    // Microsecond resolution is plenty and keeps the log line short.
    let latency_ms = started.elapsed().as_micros() as f64 / 1000.0;
    if status >= 500 {
        tracing::error!(status, latency_ms, "request failed");
    } else if status >= 400 {
        tracing::warn!(status, latency_ms, "request refused");
    } else {
        tracing::info!(status, latency_ms, "request done");
    }
}
