use app::deps::ReadDeps;
use app::ports::{BusinessDesk, Listings, StatsDesk};
use app::pull::{self, ChangesAsked, LeadAsked, LeadsAsked, ReviewsAsked};
use app::{LeadStore, now_millis};
use http_api::routes::{self, Endpoint, Function};
use http_api::{ApiError, json};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use models::is_valid_id;
use tracing::field;

/// Dispatches on the route (the route table's routes of this function): a lead and its
/// conversation, a business's leads or reviews, its settings or stats, or the changes feed.
pub async fn handle<S: LeadStore + Listings + BusinessDesk + StatsDesk>(
    deps: &ReadDeps<S>,
    request: Request,
) -> Response<Body> {
    let request_id = http_api::request_id(&request);
    match routes::endpoint(Function::PartnerApi, &request) {
        Some(Endpoint::Lead) => {
            let span = tracing::info_span!("read_lead", %request_id, lead_id = field::Empty);
            http_api::respond(span, read(deps, &request)).await
        }
        Some(Endpoint::BusinessLeads) => {
            let span = tracing::info_span!(
                "list_leads",
                %request_id,
                business_id = field::Empty,
                count = field::Empty,
            );
            http_api::respond(span, list_leads(deps, &request)).await
        }
        Some(Endpoint::BusinessReviews) => {
            let span = tracing::info_span!(
                "list_reviews",
                %request_id,
                business_id = field::Empty,
                count = field::Empty,
            );
            http_api::respond(span, list_reviews(deps, &request)).await
        }
        Some(Endpoint::Changes) => {
            let span = tracing::info_span!("list_changes", %request_id, count = field::Empty);
            http_api::respond(span, list_changes(deps, &request)).await
        }
        Some(Endpoint::BusinessSettings) => {
            let span =
                tracing::info_span!("business_settings", %request_id, business_id = field::Empty);
            http_api::respond(span, speed::settings(deps, &request)).await
        }
        Some(Endpoint::BusinessStats) => {
            let span =
                tracing::info_span!("business_stats", %request_id, business_id = field::Empty);
            http_api::respond(span, speed::stats(deps, &request)).await
        }
        Some(
            Endpoint::Deliver(_)
            | Endpoint::DeliverWebhook
            | Endpoint::ConnectionStart
            | Endpoint::ConnectionCallback
            | Endpoint::ConnectionShow
            | Endpoint::ConnectionList
            | Endpoint::ConnectionSync
            | Endpoint::ConnectionRemove,
        )
        | None => {
            let span = tracing::info_span!("read_unknown_route", %request_id);
            http_api::respond(span, async { Err::<Response<Body>, _>(ApiError::NotFound) }).await
        }
    }
}

/// 200 with `{"lead": ..., "messages": [...], "revisions": [...]}`, or 404 while the lead has not
/// arrived; a conversation past one answer's byte budget comes a page at a time (`next`,
/// `?cursor=`).
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
    let query = request.query_string_parameters();
    let asked = LeadAsked {
        lead_id,
        cursor: query.first("cursor"),
    };
    let view = pull::lead(&deps.store, &deps.pull, asked)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &view))
}

/// The business of a `/v1/businesses/{businessID}/...` path, noted on the request's span when it
/// could be one of ours (whether it is one is the route's to say).
fn path_business(request: &Request) -> Result<String, ApiError> {
    let parameters = request.path_parameters();
    let business_id = parameters.first("businessID").ok_or(ApiError::NotFound)?;
    if is_valid_id(business_id) {
        tracing::Span::current().record("business_id", business_id);
    }
    Ok(business_id.to_owned())
}

/// 200 with `{"leads": [...], "next": <cursor or null>}`.
async fn list_leads<S: Listings>(
    deps: &ReadDeps<S>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let business_id = path_business(request)?;
    let query = request.query_string_parameters();
    let asked = LeadsAsked {
        business_id: &business_id,
        since: query.first("since"),
        until: query.first("until"),
        limit: query.first("limit"),
        cursor: query.first("cursor"),
    };
    let page = pull::business_leads(&deps.store, &deps.pull, asked).await?;
    tracing::Span::current().record("count", page.leads.len());
    Ok(json(StatusCode::OK, &page))
}

/// 200 with `{"reviews": [...], "next": <cursor or null>}`.
async fn list_reviews<S: Listings>(
    deps: &ReadDeps<S>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let business_id = path_business(request)?;
    let query = request.query_string_parameters();
    let asked = ReviewsAsked {
        business_id: &business_id,
        limit: query.first("limit"),
        cursor: query.first("cursor"),
    };
    let page = pull::business_reviews(&deps.store, &deps.pull, asked).await?;
    tracing::Span::current().record("count", page.reviews.len());
    Ok(json(StatusCode::OK, &page))
}

/// 200 with `{"changes": [...], "next": <cursor>}`.
async fn list_changes<S: Listings>(
    deps: &ReadDeps<S>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let query = request.query_string_parameters();
    let asked = ChangesAsked {
        since: query.first("since"),
        limit: query.first("limit"),
        cursor: query.first("cursor"),
    };
    let page = pull::changes(&deps.store, &deps.pull, asked, now_millis()).await?;
    tracing::Span::current().record("count", page.changes.len());
    Ok(json(StatusCode::OK, &page))
}

mod speed;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod budget_tests;
