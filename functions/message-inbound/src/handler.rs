use app::LeadStore;
use app::deps::InboundDeps;
use app::ports::{CredentialSource, RefusalLog};
use lambda_http::{Body, Request, Response};
use models::{InboundMessage, ReviewDelivery};
use tracing::field;

/// Authenticates and stores a customer's message (`POST /v1/message`) or a review
/// (`POST /v1/review`); answers only once it is durably stored. Neither needs its lead to have
/// arrived: a message answers 202 then, waits under the lead's key and joins the conversation
/// when the lead comes.
pub async fn handle<S: LeadStore + RefusalLog, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: Request,
) -> Response<Body> {
    let request_id = http_api::request_id(&request);
    if matches!(http_api::path_segments(&request)[..], [.., "review"]) {
        let span = tracing::info_span!(
            "review",
            %request_id,
            lead_id = field::Empty,
            review_id = field::Empty,
            outcome = field::Empty,
        );
        return http_api::respond(
            span,
            http_api::inbound::accept::<ReviewDelivery, _, _>(deps, &request),
        )
        .await;
    }
    let span = tracing::info_span!(
        "message",
        %request_id,
        lead_id = field::Empty,
        message_id = field::Empty,
        outcome = field::Empty,
    );
    http_api::respond(
        span,
        http_api::inbound::accept::<InboundMessage, _, _>(deps, &request),
    )
    .await
}

#[cfg(test)]
mod refusal_tests;
#[cfg(test)]
mod review_tests;
#[cfg(test)]
mod tests;
