use app::LeadStore;
use app::ports::CredentialSource;
use http_api::InboundDeps;
use lambda_http::{Body, Request, Response};
use models::Lead;
use tracing::field;

/// Authenticates and stores one lead; answers 200 only once it is durably stored. A lead is
/// refused (400, kept in quarantine) only when its keys are missing or unusable; any other
/// problem is stored beside it as a warning.
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
    http_api::respond(
        span,
        http_api::inbound::accept::<Lead, _, _>(deps, &request),
    )
    .await
}

#[cfg(test)]
mod tests;
