use crate::error::ApiError;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use std::future::Future;
use std::time::Instant;
use tracing::{Instrument, Span};

/// Runs a route's work inside its span, turns an error into its response, and logs the outcome.
pub async fn respond(
    span: Span,
    work: impl Future<Output = Result<Response<Body>, ApiError>>,
) -> Response<Body> {
    let started = Instant::now();
    async {
        let response = work.await.unwrap_or_else(ApiError::into_response);
        log_outcome(&response, started);
        response
    }
    .instrument(span)
    .await
}

/// A JSON response. Serialising our own response types cannot fail; if it ever did, the answer
/// is a bare 500 rather than a panic.
pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let (status, body) = match serde_json::to_string(value) {
        Ok(body) => (status, body),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":"internal"}"#.to_owned(),
        ),
    };
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
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
