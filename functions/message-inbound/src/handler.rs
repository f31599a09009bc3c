use app::auth::CredentialSource;
use app::ingest::{self, Outcome};
use app::ports::Route;
use app::{LeadStore, now_millis};
use http_api::{
    ApiError, InboundDeps, as_text, authenticate, body_within_limit, count_outcome, json,
    quarantined,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use models::InboundMessage;
use serde_json::json as body;
use tracing::field;

/// Authenticates, validates and stores one message; answers 200 only once it is durably stored.
/// The lead need not have arrived: the message waits under the lead's key and joins the
/// conversation when the lead comes.
pub async fn handle<S: LeadStore, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: Request,
) -> Response<Body> {
    let span = tracing::info_span!(
        "message",
        request_id = %http_api::request_id(&request),
        lead_id = field::Empty,
        message_id = field::Empty,
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
    let message = match InboundMessage::parse(body) {
        Ok(message) => message,
        Err(invalid) => {
            return Err(quarantined(
                &deps.store,
                &deps.metrics,
                Route::Message,
                body,
                invalid,
                received_at,
            )
            .await);
        }
    };
    let span = tracing::Span::current();
    span.record("lead_id", message.lead_id.as_str());
    span.record("message_id", message.message.message_id.as_str());
    let raw = as_text(body)?;
    let outcome = ingest::message(&deps.store, &message, raw, received_at).await?;
    span.record("outcome", outcome.as_str());
    count_outcome(&deps.metrics, Route::Message, outcome);
    if outcome == Outcome::Revision {
        tracing::warn!("message redelivered with a different body; kept as a revision");
    }
    Ok(json(
        StatusCode::OK,
        &body!({
            "status": outcome.as_str(),
            "leadID": message.lead_id,
            "messageID": message.message.message_id,
        }),
    ))
}

#[cfg(test)]
mod tests;
