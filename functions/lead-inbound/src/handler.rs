use app::LeadStore;
use app::deps::InboundDeps;
use app::ports::{CredentialSource, RefusalLog, ReplyLedger, WebhookRegistry};
use http_api::routes::Function;
use lambda_http::{Body, Request, Response};

/// Authenticates and stores a lead (`POST /v1/lead`), a lead's price update
/// (`PUT /v1/lead/update`) or a Thumbtack v4 webhook delivery (`POST /v4/webhooks/{businessID}`:
/// a lead, a message or a review, by its header secret); answers only once it is durably stored. A payload is refused (400,
/// kept in quarantine) only when its keys are missing or unusable; any other problem is stored
/// beside it as a warning. The handler is message-inbound's too (`http_api::inbound`): the route
/// table says which routes are this function's.
pub async fn handle<
    S: LeadStore + RefusalLog + WebhookRegistry + ReplyLedger,
    C: CredentialSource,
>(
    deps: &InboundDeps<S, C>,
    request: Request,
) -> Response<Body> {
    http_api::inbound::handle(deps, Function::LeadInbound, request).await
}

#[cfg(test)]
mod refusal_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod update_tests;
#[cfg(test)]
mod webhook_tests;
