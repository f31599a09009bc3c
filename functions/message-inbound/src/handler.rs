use app::LeadStore;
use app::ports::CredentialSource;
use http_api::InboundDeps;
use lambda_http::{Body, Request, Response};
use models::InboundMessage;
use tracing::field;

/// Authenticates and stores one message; answers 200 only once it is durably stored. The lead
/// need not have arrived: the message waits under the lead's key and joins the conversation when
/// the lead comes.
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
    http_api::respond(
        span,
        http_api::inbound::accept::<InboundMessage, _, _>(deps, &request),
    )
    .await
}

#[cfg(test)]
mod tests;
