//! One error type for every route, and its one mapping to a status and a body.

use crate::response::json;
use app::auth::AuthFailure;
use app::ingest::{NotTaken, logged_paths};
use app::ports::CredentialError;
use app::pull::PullError;
use app::{StoreError, error_chain as chain};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use models::Invalid;
use serde_json::json as body;

/// The realm Thumbtack's client sees in `WWW-Authenticate`.
const CHALLENGE: &str = r#"Basic realm="thumbtack-partner", charset="UTF-8""#;

/// Everything a route can answer other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not authenticated: {0}")]
    Unauthorized(AuthFailure),
    /// A v4 webhook delivery without the webhook's secret: 401 without a Basic challenge, the
    /// same whether the secret is wrong or missing or the business has no webhook of ours.
    #[error("not authenticated: {0}")]
    WebhookUnauthorized(AuthFailure),
    #[error("request body of {size} bytes is over the limit of {limit}")]
    PayloadTooLarge { size: usize, limit: usize },
    /// Under the body limit, but too large to store with its copied fields (kept in quarantine).
    #[error("request body too large to store")]
    TooLargeToStore,
    #[error("invalid request: {0}")]
    Invalid(Invalid),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// Something outside storage the route needs could not be reached (Thumbtack, a secret).
    #[error("a service the request needs is unavailable")]
    Unavailable(#[source] app::ports::BoxError),
}

impl From<NotTaken> for ApiError {
    fn from(error: NotTaken) -> Self {
        match error {
            NotTaken::Unauthorized(failure) => ApiError::Unauthorized(failure),
            NotTaken::TooLarge { size, limit } => ApiError::PayloadTooLarge { size, limit },
            NotTaken::TooLargeToStore => ApiError::TooLargeToStore,
            NotTaken::Invalid(invalid) => ApiError::Invalid(invalid),
            NotTaken::Store(error) => ApiError::Store(error),
            NotTaken::Credentials(error) => ApiError::Credentials(error),
        }
    }
}

impl From<PullError> for ApiError {
    fn from(error: PullError) -> Self {
        match error {
            PullError::Invalid(invalid) => ApiError::Invalid(invalid),
            PullError::Store(error) => ApiError::Store(error),
        }
    }
}

impl From<app::speed::stats::StatsError> for ApiError {
    fn from(error: app::speed::stats::StatsError) -> Self {
        match error {
            app::speed::stats::StatsError::Invalid(invalid) => ApiError::Invalid(invalid),
            app::speed::stats::StatsError::Store(error) => ApiError::Store(error),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) | ApiError::WebhookUnauthorized(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::PayloadTooLarge { .. } | ApiError::TooLargeToStore => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Store(error) if error.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Credentials(_) | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The response; 5xx are logged here with their cause chain, once.
    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        match self {
            ApiError::Unauthorized(failure) => {
                tracing::warn!(reason = %failure, "unauthenticated request");
                let mut response = json(
                    status,
                    &body!({"error": "unauthorized", "message": "valid HTTP basic credentials are required"}),
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(CHALLENGE),
                );
                response
            }
            ApiError::WebhookUnauthorized(failure) => {
                tracing::warn!(reason = %failure, "unauthenticated webhook delivery");
                json(status, &body!({"error": "unauthorized"}))
            }
            ApiError::PayloadTooLarge { size, limit } => {
                tracing::warn!(size, limit, "request body too large");
                json(
                    status,
                    &body!({
                        "error": "payload_too_large",
                        "message": format!("the request body must be at most {limit} bytes"),
                        "limitBytes": limit,
                    }),
                )
            }
            ApiError::TooLargeToStore => {
                tracing::warn!("request body too large to store; kept in quarantine");
                json(
                    status,
                    &body!({
                        "error": "payload_too_large",
                        "message": "the request body is too large to store; it was kept for an operator",
                    }),
                )
            }
            ApiError::Invalid(invalid) => {
                // Paths and rules only (reasons never quote the payload), and a bounded number.
                let problems = &invalid.problems;
                tracing::warn!(
                    kind = invalid.kind.code(),
                    problems = ?logged_paths(problems.listed()),
                    problem_count = problems.total(),
                    "invalid payload"
                );
                json(
                    status,
                    &body!({
                        "error": invalid.kind.code(),
                        "message": invalid.to_string(),
                        "fields": problems.listed(),
                        "fieldCount": problems.total(),
                    }),
                )
            }
            ApiError::NotFound => json(status, &body!({"error": "not_found"})),
            error @ (ApiError::Store(_) | ApiError::Credentials(_) | ApiError::Unavailable(_)) => {
                tracing::error!(error = %chain(&error), "request could not be served");
                json(
                    status,
                    &body!({"error": "unavailable", "message": "temporarily unable to handle the request; please retry"}),
                )
            }
        }
    }
}
