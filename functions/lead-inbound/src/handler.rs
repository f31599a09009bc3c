use app::auth::CredentialSource;
use app::ingest::{self, Outcome};
use app::ports::Route;
use app::{LeadStore, now_millis};
use http_api::{
    ApiError, InboundDeps, authenticate, body_within_limit, count_outcome, json, quarantined,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use models::Lead;
use serde_json::json as body;
use tracing::field;

/// Authenticates, validates and stores one lead; answers 200 only once it is durably stored.
pub async fn handle<S: LeadStore, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: Request,
) -> Response<Body> {
    let span = tracing::info_span!(
        "lead",
        request_id = %http_api::request_id(&request),
        lead_id = field::Empty,
        outcome = field::Empty,
    );
    http_api::respond(span, accept(deps, &request)).await
}

async fn accept<S: LeadStore, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    authenticate(&deps.credentials, request).await?;
    let body = body_within_limit(request)?;
    let received_at = now_millis();
    let lead = match Lead::parse(body) {
        Ok(lead) => lead,
        Err(invalid) => {
            return Err(quarantined(
                &deps.store,
                &deps.metrics,
                Route::Lead,
                body,
                invalid,
                received_at,
            )
            .await);
        }
    };
    let span = tracing::Span::current();
    span.record("lead_id", lead.lead_id.as_str());
    let raw = http_api::as_text(body)?;
    let outcome = ingest::lead(&deps.store, &lead, raw, received_at).await?;
    span.record("outcome", outcome.as_str());
    count_outcome(&deps.metrics, Route::Lead, outcome);
    if outcome == Outcome::Revision {
        tracing::warn!("lead redelivered with a different body; kept as a revision");
    }
    Ok(json(
        StatusCode::OK,
        &body!({"status": outcome.as_str(), "leadID": lead.lead_id}),
    ))
}

#[cfg(test)]
mod tests;
