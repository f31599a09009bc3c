use app::LeadStore;
use app::deps::InboundDeps;
use app::ports::{CredentialSource, RefusalLog, ReplyLedger, WebhookRegistry};
use http_api::routes::Function;
use lambda_http::{Body, Request, Response};

/// Authenticates and stores a customer's message (`POST /v1/message`) or a review
/// (`POST /v1/review`); answers only once it is durably stored. Neither needs its lead to have
/// arrived: a message answers 202 then, waits under the lead's key and joins the conversation
/// when the lead comes. The handler is lead-inbound's too (`http_api::inbound`): the route table
/// says which routes are this function's.
pub async fn handle<
    S: LeadStore + RefusalLog + WebhookRegistry + ReplyLedger,
    C: CredentialSource,
>(
    deps: &InboundDeps<S, C>,
    request: Request,
) -> Response<Body> {
    http_api::inbound::handle(deps, Function::MessageInbound, request).await
}

#[cfg(test)]
mod refusal_tests;
#[cfg(test)]
mod review_tests;
#[cfg(test)]
mod tests;
