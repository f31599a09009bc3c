//! The inbound routes (`POST /v1/lead`, `POST /v1/message`, `PUT /v1/lead/update`,
//! `POST /v1/review`): authenticate, bound the body, ingest, answer, and leave a trace of a
//! refusal. The decisions are in `app::ingest`; this is their HTTP face.

use crate::error::ApiError;
use crate::request::{authenticate, body_within_limit};
use crate::response::json;
use app::auth::AuthFailure;
use app::deps::InboundDeps;
use app::ingest::{self, Arrival, Payload, logged_paths};
use app::ports::{CredentialSource, Refusal, RefusalLog, RefusalReason};
use app::{LeadStore, now_millis};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// Answers 200 only once the payload is durably stored (or was stored before); 400 once a refused
/// payload is kept in quarantine; 5xx when storage failed, so that Thumbtack sends it again. A
/// 401, 413 or 400 is counted in the refusal log (route and reason, never the body), best effort:
/// the answer is the same whether that write works or not.
pub async fn accept<P: Payload, S: LeadStore + RefusalLog, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let answer = take::<P, S, C>(deps, request).await;
    if let Err(error) = &answer
        && let Some(reason) = refusal_reason(error)
    {
        let refusal = Refusal {
            at_ms: now_millis(),
            route: P::ROUTE,
            reason,
        };
        app::refusals::note(&deps.store, &refusal).await;
    }
    answer
}

/// Why an answer is a refusal, or `None` for a fault (5xx: Thumbtack sends it again) or success.
fn refusal_reason(error: &ApiError) -> Option<RefusalReason> {
    Some(match error {
        ApiError::Unauthorized(AuthFailure::Missing) => RefusalReason::MissingCredentials,
        ApiError::Unauthorized(AuthFailure::NotBasic | AuthFailure::Malformed) => {
            RefusalReason::MalformedCredentials
        }
        ApiError::Unauthorized(AuthFailure::Mismatch) => RefusalReason::WrongCredentials,
        ApiError::PayloadTooLarge { .. } => RefusalReason::PayloadTooLarge,
        ApiError::TooLargeToStore => RefusalReason::TooLargeToStore,
        ApiError::Invalid(invalid) => RefusalReason::Invalid(invalid.kind),
        ApiError::NotFound | ApiError::Store(_) | ApiError::Credentials(_) => return None,
    })
}

async fn take<P: Payload, S: LeadStore, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let route = P::ROUTE;
    authenticate(&deps.credentials, request)
        .await
        .inspect_err(|error| {
            if matches!(error, ApiError::Unauthorized(_)) {
                deps.metrics
                    .count(app::metrics::Metric::AuthFailures, Some(("Route", route.as_str())));
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
