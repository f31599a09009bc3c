use app::LeadStore;
use app::deps::InboundDeps;
use app::ports::{CredentialSource, RefusalLog};
use lambda_http::{Body, Request, Response};
use models::{Lead, LeadUpdate};
use tracing::field;

/// Authenticates and stores a lead (`POST /v1/lead`) or a lead's price update
/// (`PUT /v1/lead/update`); answers only once it is durably stored. A payload is refused (400,
/// kept in quarantine) only when its keys are missing or unusable; any other problem is stored
/// beside it as a warning.
pub async fn handle<S: LeadStore + RefusalLog, C: CredentialSource>(
    deps: &InboundDeps<S, C>,
    request: Request,
) -> Response<Body> {
    let request_id = http_api::request_id(&request);
    if matches!(
        http_api::path_segments(&request)[..],
        [.., "lead", "update"]
    ) {
        // 200 when the lead is stored, 202 while it is not: the price waits for it.
        let span = tracing::info_span!(
            "lead_update",
            %request_id,
            lead_id = field::Empty,
            outcome = field::Empty,
        );
        return http_api::respond(
            span,
            http_api::inbound::accept::<LeadUpdate, _, _>(deps, &request),
        )
        .await;
    }
    let span = tracing::info_span!(
        "lead",
        %request_id,
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
mod refusal_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod update_tests;
