//! A business's speed-to-lead settings (`GET`, `PUT`) and response times (`GET .../stats`).

use app::deps::ReadDeps;
use app::now_millis;
use app::ports::{BusinessDesk, StatsDesk};
use app::speed::{SettingsDocument, parse_settings, stats};
use http_api::{ApiError, json};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use models::is_valid_id;

/// The business of the path; an id that cannot be one of ours has no settings or stats: 404.
fn business(request: &Request) -> Result<String, ApiError> {
    let business_id = super::path_business(request)?;
    if !is_valid_id(&business_id) {
        return Err(ApiError::NotFound);
    }
    Ok(business_id)
}

/// `GET`: the document (the defaults for a business never configured); `PUT`: the whole document
/// back, checked field by field, then saved and answered as `GET` would.
pub(super) async fn settings<S: BusinessDesk>(
    deps: &ReadDeps<S>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let business_id = business(request)?;
    match *request.method() {
        Method::GET => {
            let saved = deps.store.settings(&business_id).await?;
            Ok(json(
                StatusCode::OK,
                &SettingsDocument::new(&business_id, saved),
            ))
        }
        Method::PUT => {
            let body = http_api::body_within_limit(request)?;
            let settings = parse_settings(&business_id, body).map_err(ApiError::Invalid)?;
            deps.store
                .save_settings(&business_id, &settings, now_millis())
                .await?;
            tracing::info!(
                auto_acknowledgement = settings.auto_acknowledgement.enabled,
                quiet_hours = settings.quiet_hours.enabled,
                "settings saved"
            );
            Ok(json(
                StatusCode::OK,
                &SettingsDocument::new(&business_id, Some(settings)),
            ))
        }
        _ => Err(ApiError::NotFound),
    }
}

/// `GET ?days=30`: leads, replies and response times over the window.
pub(super) async fn stats<S: StatsDesk>(
    deps: &ReadDeps<S>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let business_id = business(request)?;
    let query = request.query_string_parameters();
    let figures =
        stats::business_stats(&deps.store, &business_id, query.first("days"), now_millis()).await?;
    Ok(json(StatusCode::OK, &figures))
}
