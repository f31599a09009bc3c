use crate::error::ApiError;
use app::ingest::Outcome;
use app::metrics::Metrics;
use app::ports::Route;
use app::{LeadStore, ingest};
use models::Invalid;

/// Keeps a refused (but authenticated) payload, then answers 400. If it cannot be kept, the
/// answer is 5xx instead, so Thumbtack sends it again rather than it being lost.
pub async fn quarantined<S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    route: Route,
    body: &[u8],
    invalid: Invalid,
    received_at_ms: u64,
) -> ApiError {
    match ingest::quarantine(store, route, body, &invalid, received_at_ms).await {
        Ok(()) => {
            metrics.count("Quarantined", Some(("Route", route.as_str())));
            ApiError::Invalid(invalid)
        }
        Err(error) => ApiError::Store(error),
    }
}

/// `LeadsReceived` / `MessagesReceived` for a first delivery, `Duplicates` and `Revisions` (by
/// route) for the others.
pub fn count_outcome(metrics: &Metrics, route: Route, outcome: Outcome) {
    let dimension = Some(("Route", route.as_str()));
    match (outcome, route) {
        (Outcome::Stored, Route::Lead) => metrics.count("LeadsReceived", None),
        (Outcome::Stored, Route::Message) => metrics.count("MessagesReceived", None),
        (Outcome::Duplicate, _) => metrics.count("Duplicates", dimension),
        (Outcome::Revision, _) => metrics.count("Revisions", dimension),
    }
}
