//! Business webhooks (facts §2.2): create, get, list, update, delete, and the test negotiation.

use crate::api::{Grant, authorize, owned_business};
use crate::deliveries;
use crate::payloads;
use crate::problem::{Problem, problem};
use crate::state::{Sim, State, Webhook, WebhookAuth};
use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// `BusinessWebhookEventTypeV4` (facts §2.2).
pub const EVENT_TYPES: [&str; 8] = [
    "MessageCreatedV4",
    "NegotiationCreatedV4",
    "ReviewCreatedV4",
    "PresetJobMatchedV4",
    "PresetJobStatusChangedV4",
    "PresetJobCancelledV4",
    "PresetJobUpdatedV4",
    "PresetJobCompletedV4",
];

pub fn routes() -> Router<Sim> {
    let base = "/api/v4/businesses/{businessID}/webhooks";
    Router::new()
        .route(base, get(list).post(create))
        .route(&format!("{base}/test-negotiation"), post(test_negotiation))
        .route(
            &format!("{base}/{{webhookID}}"),
            get(read).put(update).delete(remove),
        )
}

/// The webhook as Thumbtack answers it: `authType`, never the secret (chosen: facts §7.16).
fn view(webhook: &Webhook) -> Value {
    let auth_type = match webhook.auth {
        WebhookAuth::None => "None",
        WebhookAuth::Basic { .. } => "Basic",
        WebhookAuth::Header { .. } => "CustomHeader",
    };
    json!({
        "webhookID": webhook.webhook_id,
        "webhookURL": webhook.url,
        "enabled": webhook.enabled,
        "authType": auth_type,
        "businessID": webhook.business_id,
        "eventTypes": webhook.event_types,
    })
}

/// Checks the token, its scope and that the business is the user's.
fn guard(
    state: &State,
    headers: &HeaderMap,
    scope: &str,
    business_id: &str,
) -> Result<Grant, Problem> {
    let grant = authorize(state, headers, scope)?;
    owned_business(state, &grant, business_id)?;
    Ok(grant)
}

/// `{webhookURL, eventTypes[], enabled, auth?}`, every problem reported at once.
fn parse(
    body: &[u8],
    local_mode: bool,
) -> Result<(String, Vec<String>, bool, WebhookAuth), Problem> {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "body must be a JSON object",
        ));
    };
    let mut errors = Vec::new();
    let url = body["webhookURL"].as_str().unwrap_or("").to_owned();
    if !url_allowed(&url, local_mode) {
        errors.push("webhookURL must be an https URL".to_owned());
    }
    let event_types: Vec<String> = body["eventTypes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if event_types.is_empty() {
        errors.push("eventTypes must list at least one event type".to_owned());
    }
    for unknown in event_types
        .iter()
        .filter(|t| !EVENT_TYPES.contains(&t.as_str()))
    {
        errors.push(format!("eventTypes: unknown event type {unknown}"));
    }
    let enabled = body["enabled"].as_bool().unwrap_or(false);
    let auth = match &body["auth"] {
        Value::Null => WebhookAuth::None,
        auth => match (
            auth["username"].as_str(),
            auth["password"].as_str(),
            auth["header"].as_str(),
            auth["value"].as_str(),
        ) {
            (Some(username), Some(password), None, None) => WebhookAuth::Basic {
                username: username.to_owned(),
                password: password.to_owned(),
            },
            (None, None, Some(name), Some(value)) if !name.is_empty() => WebhookAuth::Header {
                name: name.to_owned(),
                value: value.to_owned(),
            },
            _ => {
                errors.push("auth must be {username, password} or {header, value}".to_owned());
                WebhookAuth::None
            }
        },
    };
    if errors.is_empty() {
        Ok((url, event_types, enabled, auth))
    } else {
        Err(Problem::new(StatusCode::BAD_REQUEST, errors.join("; ")))
    }
}

/// `https://...`; in local mode also `http://` on loopback.
fn url_allowed(url: &str, local_mode: bool) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    match parsed.scheme() {
        "https" => parsed.host().is_some(),
        "http" if local_mode => {
            matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        }
        _ => false,
    }
}

async fn create(
    Extract(sim): Extract<Sim>,
    Path(business_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.update(|state| {
        if let Err(response) = guard(state, &headers, "supply::webhooks.write", &business_id) {
            return response.into_response();
        }
        let (url, event_types, enabled, auth) = match parse(&body, state.config.local_mode) {
            Ok(parsed) => parsed,
            Err(response) => return response.into_response(),
        };
        let webhook = Webhook {
            webhook_id: state.new_id(),
            business_id: business_id.clone(),
            url,
            event_types,
            enabled,
            auth,
        };
        let answer = view(&webhook);
        state.webhooks.insert(webhook.webhook_id.clone(), webhook);
        (StatusCode::CREATED, Json(answer)).into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

async fn list(
    Extract(sim): Extract<Sim>,
    Path(business_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    sim.read(|state| {
        if let Err(response) = guard(state, &headers, "supply::webhooks.read", &business_id) {
            return response.into_response();
        }
        let data: Vec<Value> = state
            .webhooks
            .values()
            .filter(|w| w.business_id == business_id)
            .map(view)
            .collect();
        Json(json!({"data": data})).into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

async fn read(
    Extract(sim): Extract<Sim>,
    Path((business_id, webhook_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    sim.read(|state| {
        if let Err(response) = guard(state, &headers, "supply::webhooks.read", &business_id) {
            return response.into_response();
        }
        match state.webhooks.get(&webhook_id) {
            Some(w) if w.business_id == business_id => Json(view(w)).into_response(),
            _ => problem(StatusCode::NOT_FOUND, "webhook not found"),
        }
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// Replaces the whole object (facts §2.2: `PUT` with the full object).
async fn update(
    Extract(sim): Extract<Sim>,
    Path((business_id, webhook_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.update(|state| {
        if let Err(response) = guard(state, &headers, "supply::webhooks.write", &business_id) {
            return response.into_response();
        }
        let (url, event_types, enabled, auth) = match parse(&body, state.config.local_mode) {
            Ok(parsed) => parsed,
            Err(response) => return response.into_response(),
        };
        match state.webhooks.get_mut(&webhook_id) {
            Some(w) if w.business_id == business_id => {
                w.url = url;
                w.event_types = event_types;
                w.enabled = enabled;
                w.auth = auth;
                Json(view(w)).into_response()
            }
            _ => problem(StatusCode::NOT_FOUND, "webhook not found"),
        }
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

async fn remove(
    Extract(sim): Extract<Sim>,
    Path((business_id, webhook_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    sim.update(|state| {
        if let Err(response) = guard(state, &headers, "supply::webhooks.write", &business_id) {
            return response.into_response();
        }
        match state.webhooks.get(&webhook_id) {
            Some(w) if w.business_id == business_id => {
                state.webhooks.remove(&webhook_id);
                StatusCode::NO_CONTENT.into_response()
            }
            _ => problem(StatusCode::NOT_FOUND, "webhook not found"),
        }
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// Creates the test fixture's negotiation on the real business id and delivers it (body and
/// response unknown: facts §2.2; we answer `{negotiationID}`).
async fn test_negotiation(
    Extract(sim): Extract<Sim>,
    Path(business_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let made = sim
        .apply(|state| {
            guard(state, &headers, "supply::webhooks.write", &business_id)
                .map_err(IntoResponse::into_response)?;
            Ok(test_fixture(state, &business_id))
        })
        .await;
    let (negotiation, deliveries) = match made {
        Ok(made) => made,
        Err(response) => return response,
    };
    deliveries::run(&sim, deliveries).await;
    Json(json!({"negotiationID": negotiation["negotiationID"]})).into_response()
}

/// The "Test this webhook" negotiation, stored, and its deliveries.
pub fn test_fixture(state: &mut State, business_id: &str) -> (Value, Vec<deliveries::Delivery>) {
    let negotiation = payloads::test_negotiation(state, business_id);
    let id = negotiation["negotiationID"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    state.negotiations.insert(id, negotiation.clone());
    let deliveries = deliveries::v4(state, business_id, "NegotiationCreatedV4", &negotiation);
    (negotiation, deliveries)
}
