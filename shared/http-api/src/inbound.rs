//! The inbound functions (lead-inbound, message-inbound: Thumbtack's deliveries, the route table's
//! `Deliver` routes), one handler and one Lambda loop for both: a request turned into one
//! `app::ingest::deliver` call, and what it came to turned into an answer. The decisions
//! (credentials, size, storage, quarantine, the refusal log) are all in `app::ingest`.

use crate::error::ApiError;
use crate::request::{panic_if_asked, path_segments, request_id};
use crate::response::json;
use crate::route::{Reply, respond};
use crate::routes::{self, Endpoint, Function};
use app::connections::WEBHOOK_SECRET_HEADER;
use app::deps::InboundDeps;
use app::ingest::{
    self, Accepted, Arrival, Delivery, IdKind, WebhookAccepted, WebhookDelivery, logged_paths,
};
use app::ports::{CredentialSource, RefusalLog, ReplyLedger, Route, WebhookRegistry};
use app::{LeadStore, now_millis};
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use models::FieldProblem;
use serde::Serialize;
use std::convert::Infallible;
use tracing::field::Empty;

/// An inbound function in Lambda: every request to [`handle`] (after the test seam).
pub async fn run<S: LeadStore + RefusalLog + WebhookRegistry + ReplyLedger, C: CredentialSource>(
    deps: InboundDeps<S, C>,
    function: Function,
) -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(|request| async {
        panic_if_asked(&request);
        Ok::<_, Infallible>(handle(&deps, function, request).await)
    }))
    .await
}

/// Serves `function`'s deliveries, as the route table gives them, each in its own span; 404 for
/// what is none of them (the gateway routes nothing else here).
pub async fn handle<
    S: LeadStore + RefusalLog + WebhookRegistry + ReplyLedger,
    C: CredentialSource,
>(
    deps: &InboundDeps<S, C>,
    function: Function,
    request: Request,
) -> Response<Body> {
    let request_id = request_id(&request);
    let route = match routes::endpoint(function, &request) {
        Some(Endpoint::Deliver(route)) if route != Route::V4Webhook => route,
        Some(Endpoint::DeliverWebhook) => {
            let span = tracing::info_span!(
                "v4_webhook",
                %request_id,
                business_id = Empty,
                event_type = Empty,
                lead_id = Empty,
                message_id = Empty,
                review_id = Empty,
                outcome = Empty,
            );
            return respond(span, accept_webhook(deps, &request)).await;
        }
        _ => {
            let span = tracing::info_span!("inbound_unknown_route", %request_id);
            return respond(span, async { Err::<Response<Body>, _>(ApiError::NotFound) }).await;
        }
    };
    let span = match route {
        Route::Lead => tracing::info_span!("lead", %request_id, lead_id = Empty, outcome = Empty),
        // 200 when the lead is stored, 202 while it is not: the price waits for it.
        Route::LeadUpdate => {
            tracing::info_span!("lead_update", %request_id, lead_id = Empty, outcome = Empty)
        }
        Route::Message => tracing::info_span!(
            "message",
            %request_id,
            lead_id = Empty,
            message_id = Empty,
            outcome = Empty,
        ),
        // The v4 webhook is `DeliverWebhook`'s (excluded above); its deliveries have one span
        // for every event type.
        Route::Review | Route::V4Webhook => tracing::info_span!(
            "review",
            %request_id,
            lead_id = Empty,
            review_id = Empty,
            outcome = Empty,
        ),
    };
    respond(span, accept(deps, route, &request)).await
}

/// Answers 200 only once the payload is durably stored (or was stored before); 400 once a refused
/// payload is kept in quarantine; 5xx when storage failed, so that Thumbtack sends it again.
async fn accept<S: LeadStore + RefusalLog, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    route: Route,
    request: &Request,
) -> Result<Stored, ApiError> {
    let delivery = delivery(request, now_millis());
    let accepted = ingest::deliver(deps, route, delivery).await?;
    Ok(Stored(accepted))
}

/// What the request brings to `app::ingest`: its credentials and its body, and when it came.
fn delivery(request: &Request, at_ms: u64) -> Delivery<'_> {
    Delivery {
        authorization: request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|value| value.as_bytes()),
        body: request.body().as_ref(),
        at_ms,
    }
}

/// A v4 webhook delivery: 200 once stored or kept, 401 for a wrong or missing secret or a
/// business without our webhook (the same answer), 400 once a refused body is in quarantine, 5xx
/// when storage failed, so that Thumbtack sends it again.
async fn accept_webhook<
    S: LeadStore + RefusalLog + WebhookRegistry + ReplyLedger,
    C: Send + Sync,
>(
    deps: &InboundDeps<S, C>,
    request: &Request,
) -> Result<Webhook, ApiError> {
    let parameters = request.path_parameters();
    // The route matched `/v4/webhooks/{businessID}` from its end: its last segment, where no
    // gateway gave the parameter.
    let segments = path_segments(request);
    let business_id = parameters
        .first("businessID")
        .or_else(|| segments.last().copied())
        .unwrap_or_default();
    tracing::Span::current().record("business_id", business_id);
    let delivery = WebhookDelivery {
        business_id,
        secret: request
            .headers()
            .get(WEBHOOK_SECRET_HEADER)
            .map(|value| value.as_bytes()),
        body: request.body().as_ref(),
        at_ms: now_millis(),
    };
    match ingest::deliver_webhook(deps, delivery).await {
        Ok(accepted) => Ok(Webhook(accepted)),
        // No Basic challenge, no hint: the secret is a header of Thumbtack's webhook.
        Err(ingest::NotTaken::Unauthorized(failure)) => Err(ApiError::WebhookUnauthorized(failure)),
        Err(error) => Err(error.into()),
    }
}

/// A v4 webhook delivery that was taken, to be answered.
struct Webhook(WebhookAccepted);

impl Reply for Webhook {
    /// A stored fact as legacy answers it; a kept body with its event type and why it was kept.
    fn into_response(self) -> Response<Body> {
        match &self.0 {
            WebhookAccepted::Stored(accepted) => answer(accepted),
            WebhookAccepted::Replied {
                lead_id,
                message_id,
                reply_id,
                arrival,
            } => {
                let span = tracing::Span::current();
                span.record("lead_id", lead_id.as_str());
                span.record("message_id", message_id.as_str());
                span.record("outcome", arrival.as_str());
                tracing::info!(reply_id, "the pro's reply, typed in Thumbtack's app");
                json(
                    StatusCode::OK,
                    &serde_json::json!({
                        "leadID": lead_id,
                        "messageID": message_id,
                        "origin": "thumbtack-app",
                        "replyID": reply_id,
                        "status": arrival.as_str(),
                    }),
                )
            }
            WebhookAccepted::Kept { event_type, why } => {
                let span = tracing::Span::current();
                span.record("event_type", event_type.as_str());
                span.record("outcome", "kept");
                tracing::info!(reason = why.code(), "kept as sent, not read into a fact");
                json(
                    StatusCode::OK,
                    &serde_json::json!({"status": "kept", "eventType": event_type, "reason": why.code()}),
                )
            }
        }
    }
}

/// A delivery that was stored, to be answered.
struct Stored(Accepted);

impl Reply for Stored {
    /// Its ids, its outcome and what was wrong in its fields, noted on the request's span as
    /// well.
    fn into_response(self) -> Response<Body> {
        answer(&self.0)
    }
}

fn answer(accepted: &Accepted) -> Response<Body> {
    let outcome = accepted.arrival;
    let span = tracing::Span::current();
    if let Some(lead_id) = &accepted.lead_id {
        span.record("lead_id", lead_id);
    }
    span.record(span_field(accepted.kind), &accepted.id);
    span.record("outcome", outcome.as_str());
    let warnings = &accepted.warnings;
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
    let own = |kind: IdKind| (accepted.kind == kind).then_some(accepted.id.as_str());
    let answer = Answer {
        lead_id: own(IdKind::Lead).or(accepted.lead_id.as_deref()),
        lead_known: accepted.lead_known,
        message_id: own(IdKind::Message),
        review_id: own(IdKind::Review),
        status: outcome.as_str(),
        warning_count: (!warnings.is_empty()).then(|| warnings.total()),
        warnings: warnings.listed(),
    };
    // Stored all the same; 202 says the lead it is about has not arrived (yet), as Thumbtack's
    // reference asks of messages for leads a partner does not know.
    let status = if accepted.lead_known == Some(false) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    json(status, &answer)
}

/// The body of a 200 or 202. Its fields are in the order of their names, as the answers have
/// always had them (`{"leadID":"…","status":"stored"}`).
#[derive(Debug, Serialize)]
struct Answer<'a> {
    #[serde(rename = "leadID", skip_serializing_if = "Option::is_none")]
    lead_id: Option<&'a str>,
    #[serde(rename = "leadKnown", skip_serializing_if = "Option::is_none")]
    lead_known: Option<bool>,
    #[serde(rename = "messageID", skip_serializing_if = "Option::is_none")]
    message_id: Option<&'a str>,
    #[serde(rename = "reviewID", skip_serializing_if = "Option::is_none")]
    review_id: Option<&'a str>,
    status: &'static str,
    #[serde(rename = "warningCount", skip_serializing_if = "Option::is_none")]
    warning_count: Option<usize>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [FieldProblem],
}

/// The span field an id goes in: handlers declare `lead_id`, `message_id`, `review_id`.
fn span_field(kind: IdKind) -> &'static str {
    match kind {
        IdKind::Lead => "lead_id",
        IdKind::Message => "message_id",
        IdKind::Review => "review_id",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_is_written_byte_for_byte_as_the_answers_always_were() {
        let warnings = [FieldProblem {
            path: "request.title".into(),
            reason: "must not be empty".into(),
        }];
        let full = Answer {
            lead_id: Some("l-1"),
            lead_known: Some(false),
            message_id: Some("m-1"),
            review_id: None,
            status: "stored",
            warning_count: Some(1),
            warnings: &warnings,
        };
        // `json!` keeps its keys sorted: the order every answer had before it was typed.
        let before = json!({
            "leadID": "l-1",
            "leadKnown": false,
            "messageID": "m-1",
            "status": "stored",
            "warningCount": 1,
            "warnings": warnings,
        });
        assert_eq!(serde_json::to_string(&full).unwrap(), before.to_string());
        let bare = Answer {
            lead_id: None,
            lead_known: None,
            message_id: None,
            review_id: Some("r-1"),
            status: "duplicate",
            warning_count: None,
            warnings: &[],
        };
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"reviewID":"r-1","status":"duplicate"}"#
        );
    }
}
