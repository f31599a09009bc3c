//! Reading a request: its body within the limit, its path, its id.

use crate::error::ApiError;
use lambda_http::{Request, RequestExt};

pub use app::ingest::MAX_BODY_BYTES;

/// The body bytes, already base64-decoded by `lambda_http` when API Gateway set `isBase64Encoded`.
pub fn body_within_limit(request: &Request) -> Result<&[u8], ApiError> {
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            size: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(body)
}

/// The request's path split at `/`, as the client sent it and without the stage a REST API may
/// put in front: routes are matched from its end (`[.., "v1", "lead", "update"]`).
pub fn path_segments(request: &Request) -> Vec<&str> {
    let path = match request.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    path.trim_end_matches('/').split('/').collect()
}

/// API Gateway's request id (also in its access logs), or Lambda's when there is none.
pub fn request_id(request: &Request) -> String {
    use lambda_http::request::RequestContext;
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.request_id.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
    .unwrap_or_default()
}

/// Test seam, in debug builds only: with `LAMBDA_TEST_SEAMS=1` in the environment, a request
/// carrying an `x-test-panic` header panics, so a test can show that a panic fails only its own
/// invocation. Release builds compile it to nothing.
#[cfg(debug_assertions)]
pub fn panic_if_asked(request: &Request) {
    if std::env::var_os("LAMBDA_TEST_SEAMS").is_some()
        && request.headers().contains_key("x-test-panic")
    {
        panic!("panic requested through the test seam");
    }
}

#[cfg(not(debug_assertions))]
#[inline]
pub fn panic_if_asked(_request: &Request) {}
