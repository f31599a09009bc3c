//! The inbound routes (`POST /v1/lead`, `POST /v1/message`): authenticate, bound the body, ingest,
//! answer. The decisions are in `app::ingest`; this is their HTTP face.

use crate::error::ApiError;
use crate::request::{authenticate, body_within_limit};
use crate::response::json;
use app::ingest::{self, Arrival, Payload, logged_paths};
use app::metrics::Metrics;
use app::ports::CredentialSource;
use app::{LeadStore, now_millis};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// What the inbound functions (leads, messages) need.
#[derive(Debug, Clone)]
pub struct InboundDeps<S, C> {
    pub store: S,
    pub credentials: C,
    pub metrics: Metrics,
}

/// Answers 200 only once the payload is durably stored (or was stored before); 400 once a refused
/// payload is kept in quarantine; 5xx when storage failed, so that Thumbtack sends it again.
pub async fn accept<P: Payload, S: LeadStore, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let route = P::ROUTE;
    authenticate(&deps.credentials, request)
        .await
        .inspect_err(|error| {
            if matches!(error, ApiError::Unauthorized(_)) {
                deps.metrics
                    .count("AuthFailures", Some(("Route", route.as_str())));
            }
        })?;
    let received_at = now_millis();
    let body = match body_within_limit(request) {
        Ok(body) => body,
        Err(ApiError::PayloadTooLarge { size, limit }) => {
            let body = request.body().as_ref();
            ingest::keep_too_large::<P, S>(&deps.store, &deps.metrics, body, limit, received_at)
                .await?;
            return Err(ApiError::PayloadTooLarge { size, limit });
        }
        Err(other) => return Err(other),
    };
    let ingested = ingest::ingest::<P, S>(&deps.store, &deps.metrics, body, received_at).await?;
    let ids = ingested.parsed.value.ids();
    let outcome = ingested.arrival;
    let span = tracing::Span::current();
    if let Some(lead_id) = ids.lead_id {
        span.record("lead_id", lead_id);
    }
    span.record(span_field(ids.id_name), ids.id);
    span.record("outcome", outcome.as_str());
    let warnings = &ingested.parsed.warnings;
    if !warnings.is_empty() {
        // Paths and rules only: the values are the customer's.
        tracing::warn!(
            warning_count = warnings.total(),
            warnings = ?logged_paths(warnings.listed()),
            "stored with warnings"
        );
    }
    if outcome == Arrival::Revision {
        tracing::warn!("redelivered with a different body; kept as a revision");
    }
    let mut answer = serde_json::json!({"status": outcome.as_str()});
    if let Some(lead_id) = ids.lead_id {
        answer["leadID"] = lead_id.into();
    }
    answer[ids.id_name] = ids.id.into();
    if let Some(known) = ingested.lead_known {
        answer["leadKnown"] = known.into();
    }
    if !warnings.is_empty() {
        answer["warnings"] = serde_json::json!(warnings.listed());
        answer["warningCount"] = warnings.total().into();
    }
    // Stored all the same; 202 says the lead it is about has not arrived (yet), as Thumbtack's
    // reference asks of messages for leads a partner does not know.
    let status = if ingested.lead_known == Some(false) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &answer))
}

/// The span field an id goes in: handlers declare `message_id`, `review_id`.
fn span_field(id_name: &str) -> &'static str {
    match id_name {
        "messageID" => "message_id",
        "reviewID" => "review_id",
        _ => "lead_id",
    }
}
