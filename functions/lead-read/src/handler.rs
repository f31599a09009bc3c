use app::{LeadStore, conversation};
use http_api::{ApiError, ReadDeps, json};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use models::is_valid_id;
use tracing::field;

/// Answers 200 with `{"lead": ..., "messages": [...], "revisions": [...]}`, or 404 while the lead
/// has not arrived.
pub async fn handle<S: LeadStore>(deps: &ReadDeps<S>, request: Request) -> Response<Body> {
    let span = tracing::info_span!(
        "read_lead",
        request_id = %http_api::request_id(&request),
        lead_id = field::Empty,
    );
    http_api::respond(span, read(deps, &request)).await
}

async fn read<S: LeadStore>(
    deps: &ReadDeps<S>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    // API Gateway (and the local router) fill in the path parameter of `/v1/leads/{leadID}`.
    let parameters = request.path_parameters();
    let lead_id = parameters.first("leadID").ok_or(ApiError::NotFound)?;
    // An id outside our alphabet cannot have been stored.
    if !is_valid_id(lead_id) {
        return Err(ApiError::NotFound);
    }
    tracing::Span::current().record("lead_id", lead_id);
    let view = conversation::view(&deps.store, lead_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &view))
}

#[cfg(test)]
mod tests;
