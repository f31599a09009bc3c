//! JSON answers.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};

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
