use crate::error::ApiError;
use app::ports::Route;
use app::{LeadStore, ingest};
use models::Invalid;

/// Keeps a refused (but authenticated) payload, then answers 400. If it cannot be kept, the
/// answer is 5xx instead, so Thumbtack sends it again rather than it being lost.
pub async fn quarantined<S: LeadStore>(
    store: &S,
    route: Route,
    body: &[u8],
    invalid: Invalid,
    received_at_ms: u64,
) -> ApiError {
    match ingest::quarantine(store, route, body, &invalid, received_at_ms).await {
        Ok(()) => ApiError::Invalid(invalid),
        Err(error) => ApiError::Store(error),
    }
}
