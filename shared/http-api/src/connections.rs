//! The connections function's routes (`Function::Connections`): `POST /v1/connections` (the
//! partner's back end starts a pro's connection), `GET /v1/connections/callback` (the pro's
//! browser back from Thumbtack's consent page), `GET /v1/connections` (every connection, a page
//! at a time), `GET /v1/connections/{userID}` (a connection, as the partner may see it),
//! `POST /v1/connections/{userID}/sync` (its businesses listed again) and
//! `DELETE /v1/connections/{userID}` (the pro disconnected). The decisions are `app::connections`'; here the
//! request is read and the outcome answered: JSON for the partner, a redirect or a small page
//! for the browser. Neither the code nor the state is ever logged.

use crate::error::ApiError;
use crate::request::{body_within_limit, request_id};
use crate::response::json;
use crate::route::respond;
use crate::routes::{self, Endpoint, Function};
use app::connections::{
    self, CallbackQuery, ConnectDeps, ListAsked, ListError, ManageError, Outcome, StartAsked,
    StartError,
};
use app::now_millis;
use app::ports::{ConnectionStore, ThumbtackV4, TokenVault};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use models::{Invalid, InvalidKind};
use serde::Deserialize;
use tracing::field::Empty;

/// Serves the connection routes, each in its own span; 404 for anything else.
pub async fn handle<S, T, V>(deps: &ConnectDeps<S, T, V>, request: Request) -> Response<Body>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let request_id = request_id(&request);
    match routes::endpoint(Function::Connections, &request) {
        Some(Endpoint::ConnectionStart) => {
            let span = tracing::info_span!("connection_start", %request_id);
            respond(span, start(deps, &request)).await
        }
        Some(Endpoint::ConnectionCallback) => {
            let span = tracing::info_span!(
                "connection_callback",
                %request_id,
                user_id = Empty,
                outcome = Empty,
            );
            respond(span, callback(deps, &request)).await
        }
        Some(Endpoint::ConnectionList) => {
            let span = tracing::info_span!("connection_list", %request_id);
            respond(span, list(deps, &request)).await
        }
        Some(Endpoint::ConnectionSync) => {
            let span = tracing::info_span!("connection_sync", %request_id, user_id = Empty);
            respond(span, sync(deps, &request)).await
        }
        Some(Endpoint::ConnectionRemove) => {
            let span = tracing::info_span!("connection_remove", %request_id, user_id = Empty);
            respond(span, remove(deps, &request)).await
        }
        Some(Endpoint::ConnectionShow) => {
            let span = tracing::info_span!("connection_show", %request_id, user_id = Empty);
            respond(span, show(deps, &request)).await
        }
        _ => {
            let span = tracing::info_span!("connections_unknown_route", %request_id);
            respond(span, async { Err::<Response<Body>, _>(ApiError::NotFound) }).await
        }
    }
}

#[derive(Deserialize)]
struct StartBody {
    reference: Option<String>,
    #[serde(rename = "returnURL")]
    return_url: Option<String>,
}

/// 201 `{"authorizeURL", "expiresAt"}`; 400 naming each field that is wrong.
async fn start<S, T: ThumbtackV4, V>(
    deps: &ConnectDeps<S, T, V>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let body = body_within_limit(request)?;
    let body: StartBody = serde_json::from_slice(body).map_err(|_| {
        ApiError::Invalid(Invalid::body(
            InvalidKind::NotJson,
            "must be a JSON object {\"reference\": string, \"returnURL\"?: string}",
        ))
    })?;
    let asked = StartAsked {
        reference: body.reference.as_deref(),
        return_url: body.return_url.as_deref(),
    };
    match connections::start(deps, asked, now_millis()).await {
        Ok(started) => Ok(json(StatusCode::CREATED, &started)),
        Err(StartError::Invalid(invalid)) => Err(ApiError::Invalid(invalid)),
        Err(StartError::Thumbtack(error)) => Err(ApiError::Unavailable(Box::new(error))),
    }
}

/// The `{userID}` of the path, one that can have been stored (else 404), noted on the span.
fn path_user(request: &Request) -> Result<String, ApiError> {
    let parameters = request.path_parameters();
    let user_id = parameters.first("userID").ok_or(ApiError::NotFound)?;
    if !models::is_valid_id(user_id) {
        return Err(ApiError::NotFound);
    }
    tracing::Span::current().record("user_id", user_id);
    Ok(user_id.to_owned())
}

impl From<ManageError> for ApiError {
    fn from(error: ManageError) -> Self {
        match error {
            ManageError::NotFound => ApiError::NotFound,
            ManageError::NotConnected(status) => {
                let mut problems = models::Problems::default();
                problems.add(
                    "userID",
                    format!("is a {status} connection: the pro must connect again"),
                );
                ApiError::Invalid(Invalid {
                    kind: InvalidKind::Fields,
                    problems,
                })
            }
            ManageError::Store(error) => ApiError::Store(error),
            ManageError::Thumbtack(error) => ApiError::Unavailable(Box::new(error)),
            ManageError::Token(cause) => ApiError::Unavailable(cause),
        }
    }
}

/// 200 `{"connection", "added", "removed"}`; 404; 400 for a broken or removed connection.
async fn sync<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    request: &Request,
) -> Result<Response<Body>, ApiError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let user_id = path_user(request)?;
    let synced = connections::sync(deps, &user_id, now_millis).await?;
    Ok(json(StatusCode::OK, &synced))
}

/// 200 with the connection, `removed` (the same answer when asked again); 404.
async fn remove<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    request: &Request,
) -> Result<Response<Body>, ApiError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let user_id = path_user(request)?;
    let removed = connections::remove(deps, &user_id, now_millis).await?;
    Ok(json(StatusCode::OK, &removed))
}

/// 200 with the connection (never a token or a secret's hash), or 404.
async fn show<S: ConnectionStore, T, V>(
    deps: &ConnectDeps<S, T, V>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let parameters = request.path_parameters();
    let user_id = parameters.first("userID").ok_or(ApiError::NotFound)?;
    // An id outside our alphabet cannot have been stored.
    if !models::is_valid_id(user_id) {
        return Err(ApiError::NotFound);
    }
    tracing::Span::current().record("user_id", user_id);
    let view = connections::show(&deps.store, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &view))
}

/// 200 `{"connections": [...], "next"}`; 400 naming `limit` or `cursor`.
async fn list<S: ConnectionStore, T, V>(
    deps: &ConnectDeps<S, T, V>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let query = request.query_string_parameters();
    let asked = ListAsked {
        limit: query.first("limit"),
        cursor: query.first("cursor"),
    };
    let cursors = deps.settings.state_key.cursor_key();
    match connections::list(&deps.store, &cursors, asked).await {
        Ok(page) => Ok(json(StatusCode::OK, &page)),
        Err(ListError::Invalid(invalid)) => Err(ApiError::Invalid(invalid)),
        Err(ListError::Store(error)) => Err(error.into()),
    }
}

/// A redirect (303) to the return URL with the outcome, or, without one, a small page.
async fn callback<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    request: &Request,
) -> Result<Response<Body>, ApiError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let query = request.query_string_parameters();
    let asked = CallbackQuery {
        code: query.first("code"),
        state: query.first("state"),
        error: query.first("error"),
    };
    let outcome = connections::callback(deps, asked, now_millis()).await;
    let span = tracing::Span::current();
    match &outcome {
        Outcome::Connected { user_id, .. } => {
            span.record("user_id", user_id.as_str());
            span.record("outcome", "connected");
        }
        Outcome::Failed { error, .. } => {
            span.record("outcome", error.code());
        }
    }
    if let Some(location) = outcome.redirect() {
        let mut response = page(StatusCode::SEE_OTHER, "Connecting to Thumbtack", "");
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        return Ok(response);
    }
    Ok(match &outcome {
        Outcome::Connected { businesses, .. } => {
            let items: String = businesses
                .iter()
                .map(|(_, name)| format!("<li>{}</li>", escape(name)))
                .collect();
            page(
                StatusCode::OK,
                "Connected to Thumbtack",
                &format!("<p>These businesses are connected:</p><ul>{items}</ul>"),
            )
        }
        Outcome::Failed { error, .. } => {
            let status = match error {
                connections::ConnectError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            page(
                status,
                "Not connected to Thumbtack",
                &format!(
                    "<p>{}</p><p>Error: <code>{}</code></p>",
                    error.explanation(),
                    error.code()
                ),
            )
        }
    })
}

/// A small HTML page, never cached, that sends no referrer onwards (its URL held the code).
fn page(status: StatusCode, title: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    );
    let mut response = Response::new(Body::Text(html));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
