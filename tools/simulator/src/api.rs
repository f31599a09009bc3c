//! The v4 API a partner calls with a Bearer token (facts §1.7, §4): who connected, their
//! businesses, negotiations and their messages. Each route checks its scope (facts §1.5).

use crate::auth::{bearer, form};
use crate::deliveries;
use crate::payloads;
use crate::problem::{Problem, problem};
use crate::state::{Sim, State};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/api/v4/users/self", get(user_self))
        .route("/api/v4/businesses", get(businesses))
        .route("/api/v4/businesses/{businessID}", get(business))
        .route("/api/v4/negotiations/{negotiationID}", get(negotiation))
        .route(
            "/api/v4/negotiations/{negotiationID}/messages",
            get(list_messages).post(send_message),
        )
}

/// The pro a valid token speaks for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user_id: String,
}

/// Checks the Bearer token and that it carries `scope`: a 401 `ProblemDetails` otherwise, naming
/// the missing scope as staging does (facts §1.5, §5).
pub fn authorize(state: &State, headers: &HeaderMap, scope: &str) -> Result<Grant, Problem> {
    let unauthorized = |detail: &str| Problem::new(StatusCode::UNAUTHORIZED, detail);
    let Some(token) = bearer(headers) else {
        return Err(unauthorized("missing bearer token"));
    };
    let Some(access) = state.access_tokens.get(&token) else {
        return Err(unauthorized("invalid access token"));
    };
    if SystemTime::now() >= access.expires {
        return Err(unauthorized("access token expired"));
    }
    if state.revoked_users.contains(&access.user_id) {
        return Err(unauthorized("the user revoked access"));
    }
    if !access.scopes.iter().any(|s| s == scope) {
        return Err(unauthorized(&format!(
            "required scope(s) [{scope}] not found"
        )));
    }
    Ok(Grant {
        user_id: access.user_id.clone(),
    })
}

/// The business, if the token's user owns it.
pub fn owned_business(state: &State, grant: &Grant, business_id: &str) -> Result<Value, Problem> {
    match state.business(business_id) {
        Some((user, business)) if user.user_id == grant.user_id => {
            Ok(serde_json::to_value(business).unwrap_or_default())
        }
        Some(_) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "the business does not belong to this user",
        )),
        None => Err(Problem::new(StatusCode::NOT_FOUND, "business not found")),
    }
}

/// The negotiation, if it belongs to a business of the token's user.
fn owned_negotiation(state: &State, grant: &Grant, id: &str) -> Result<Value, Problem> {
    let not_found = || Problem::new(StatusCode::NOT_FOUND, "negotiation not found");
    let negotiation = state.negotiations.get(id).ok_or_else(not_found)?;
    let business_id = negotiation["business"]["businessID"].as_str().unwrap_or("");
    match state.business(business_id) {
        Some((user, _)) if user.user_id == grant.user_id => Ok(negotiation.clone()),
        _ => Err(not_found()),
    }
}

async fn user_self(Extract(sim): Extract<Sim>, headers: HeaderMap) -> Response {
    sim.read(|state| {
        let grant = match authorize(state, &headers, "supply::users.read") {
            Ok(grant) => grant,
            Err(response) => return response.into_response(),
        };
        let Some(user) = state.user(&grant.user_id) else {
            return problem(StatusCode::NOT_FOUND, "user not found");
        };
        Json(json!({"userID": user.user_id, "email": user.email,
                    "firstName": user.first_name, "lastName": user.last_name}))
        .into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

async fn businesses(Extract(sim): Extract<Sim>, headers: HeaderMap) -> Response {
    sim.read(|state| {
        let grant = match authorize(state, &headers, "supply::businesses.list") {
            Ok(grant) => grant,
            Err(response) => return response.into_response(),
        };
        let data = state
            .user(&grant.user_id)
            .map(|u| serde_json::to_value(&u.businesses).unwrap_or_default())
            .unwrap_or_else(|| json!([]));
        Json(json!({"data": data, "pagination": {"limit": 20}})).into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

async fn business(
    Extract(sim): Extract<Sim>,
    Path(business_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    sim.read(|state| {
        authorize(state, &headers, "supply::businesses.list")
            .and_then(|grant| owned_business(state, &grant, &business_id))
            .map(|b| Json(b).into_response())
            .unwrap_or_else(IntoResponse::into_response)
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

async fn negotiation(
    Extract(sim): Extract<Sim>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    sim.read(|state| {
        authorize(state, &headers, "supply::negotiations.read")
            .and_then(|grant| owned_negotiation(state, &grant, &id))
            .map(|n| Json(n).into_response())
            .unwrap_or_else(IntoResponse::into_response)
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// Newest first; `limit` 1–20 (default 10), `sentBefore`, `sentAfter` (facts §4.2).
async fn list_messages(
    Extract(sim): Extract<Sim>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    sim.read(|state| {
        if let Err(response) = authorize(state, &headers, "supply::messages.read")
            .and_then(|grant| owned_negotiation(state, &grant, &id))
        {
            return response.into_response();
        }
        let params = form(query.unwrap_or_default().as_bytes());
        let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
            None => 10,
            Some(Ok(limit)) if (1..=20).contains(&limit) => limit,
            Some(_) => return problem(StatusCode::BAD_REQUEST, "limit must be between 1 and 20"),
        };
        let before = params
            .get("sentBefore")
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let after = params
            .get("sentAfter")
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let data: Vec<&Value> = state
            .messages
            .iter()
            .rev()
            .filter(|m| m["negotiationID"] == id.as_str())
            .filter(|m| {
                let sent = m["sentAt"]
                    .as_str()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok());
                before.is_none_or(|b| sent.is_some_and(|s| s < b))
                    && after.is_none_or(|a| sent.is_some_and(|s| s > a))
            })
            .take(limit)
            .collect();
        Json(json!({"data": data, "pagination": {"limit": limit}})).into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// Stores the message and answers it with its `messageID` (unverified, facts §4.1); echoes it to
/// the business's webhooks unless echoes are off (facts §7.2).
async fn send_message(
    Extract(sim): Extract<Sim>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let made = sim
        .apply(|state| {
            let negotiation = authorize(state, &headers, "supply::messages.write")
                .and_then(|grant| owned_negotiation(state, &grant, &id))
                .map_err(IntoResponse::into_response)?;
            let text = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_owned));
            let Some(text) = text.filter(|t| (1..=16384).contains(&t.chars().count())) else {
                return Err(problem(
                    StatusCode::BAD_REQUEST,
                    "body must be {\"text\": string of 1 to 16384 characters}",
                ));
            };
            let message = payloads::message(state, &negotiation, "Business", &text);
            state.messages.push(message.clone());
            let business_id = negotiation["business"]["businessID"].as_str().unwrap_or("");
            let echo = state.settings.echo_sent_messages.then(|| {
                let deliveries = deliveries::v4(state, business_id, "MessageCreatedV4", &message);
                (
                    deliveries,
                    Duration::from_millis(state.settings.echo_delay_ms),
                )
            });
            Ok((message, echo))
        })
        .await;
    let (message, echo) = match made {
        Ok(made) => made,
        Err(response) => return response,
    };
    match echo {
        // Nothing runs after a stored simulator's answer (Lambda): the echo goes out first.
        Some((echoes, delay)) if sim.is_stored() => {
            tokio::time::sleep(delay).await;
            deliveries::run(&sim, echoes).await;
        }
        Some((echoes, delay)) => {
            let sim = sim.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                deliveries::run(&sim, echoes).await;
            });
        }
        None => {}
    }
    (StatusCode::CREATED, Json(message)).into_response()
}
