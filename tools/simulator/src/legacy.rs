//! The legacy contract, both directions (thumbtack-today.md): replies accepted at
//! `POST /v1/business/{b}/lead/{l}/message` with Basic, answered as the devstack sandbox answers;
//! leads, messages, lead updates and reviews delivered to the partner with Basic.

use crate::auth::{basic, same};
use crate::deliveries::Delivery;
use crate::state::{Sim, State, WebhookAuth};
use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<Sim> {
    Router::new().route(
        "/v1/business/{businessID}/lead/{leadID}/message",
        post(reply),
    )
}

/// Not faultable: the list of replies received, as the sandbox serves it.
pub fn read_routes() -> Router<Sim> {
    Router::new().route("/sandbox/messages", get(replies))
}

async fn reply(
    Extract(sim): Extract<Sim>,
    Path((business_id, lead_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.update(|state| {
        let accepted = basic(&headers).is_some_and(|(user, password)| {
            same(&user, &state.config.legacy_reply_username)
                & same(&password, &state.config.legacy_reply_password)
        });
        if !accepted {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"status": "error", "message": "invalid credentials"})),
            )
                .into_response();
        }
        let text = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_owned));
        let Some(text) = text else {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"status": "error", "message": "body must be {\"text\": string}"})),
            )
                .into_response();
        };
        tracing::info!(lead_id, business_id, "legacy reply received");
        if state.config.print_legacy_replies {
            println!("simulator: reply for lead {lead_id} (business {business_id}): {text:?}");
        }
        state
            .legacy_replies
            .push(json!({"businessID": business_id, "leadID": lead_id, "text": text}));
        Json(json!({"status": "success"})).into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

async fn replies(Extract(sim): Extract<Sim>) -> Response {
    match sim.read(|state| state.legacy_replies.clone()).await {
        Ok(replies) => Json(replies).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Which payload a legacy delivery starts from: the 2017 reference's sample or the 2025 shape.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
pub enum Shape {
    #[serde(rename = "2017")]
    Spec2017,
    #[default]
    #[serde(rename = "2025")]
    Shape2025,
}

/// What a control call may change in a legacy payload; the rest is the fixture's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LegacyRequest {
    pub shape: Shape,
    #[serde(rename = "leadID")]
    pub lead_id: Option<String>,
    #[serde(rename = "businessID")]
    pub business_id: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Lead,
    Message,
    LeadUpdate,
    Review,
}

impl Kind {
    fn route(self) -> (Method, &'static str) {
        match self {
            Kind::Lead => (Method::POST, "/v1/lead"),
            Kind::Message => (Method::POST, "/v1/message"),
            Kind::LeadUpdate => (Method::PUT, "/v1/lead/update"),
            Kind::Review => (Method::POST, "/v1/review"),
        }
    }
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_default()
}

/// The body of a legacy delivery: the fixture of that kind and shape, with the request's ids,
/// a fresh message id and timestamps of now.
pub fn body(state: &mut State, kind: Kind, request: &LegacyRequest) -> Value {
    let now = jiff::Timestamp::now().as_second().to_string();
    let modern = request.shape == Shape::Shape2025;
    let mut body = match kind {
        Kind::Lead if modern => fixture(fixtures::LEAD_2025),
        Kind::Lead => fixture(fixtures::LEAD),
        Kind::Message if modern => fixture(fixtures::MESSAGE_2025),
        Kind::Message => fixture(fixtures::MESSAGE),
        Kind::LeadUpdate => fixture(fixtures::LEAD_UPDATE),
        Kind::Review => fixture(fixtures::REVIEW),
    };
    match kind {
        Kind::Lead => {
            body["leadID"] = json!(request.lead_id.clone().unwrap_or_else(|| state.new_id()));
            body["createTimestamp"] = json!(now);
            if let Some(business) = &request.business_id {
                body["business"]["businessID"] = json!(business);
            }
        }
        Kind::Message => {
            if let Some(lead) = &request.lead_id {
                body["leadID"] = json!(lead);
            }
            if let Some(business) = &request.business_id {
                body["businessID"] = json!(business);
            }
            body["message"]["messageID"] = json!(state.new_id());
            body["message"]["createTimestamp"] = json!(now);
            if let Some(text) = &request.text {
                body["message"]["text"] = json!(text);
            }
        }
        Kind::LeadUpdate => {
            if let Some(lead) = &request.lead_id {
                body["leadID"] = json!(lead);
            }
        }
        Kind::Review => {
            body["review"]["reviewID"] = json!(state.new_id());
            if let Some(lead) = &request.lead_id {
                body["review"]["leadID"] = json!(lead);
            }
            if let Some(business) = &request.business_id {
                body["review"]["businessID"] = json!(business);
            }
            if let Some(text) = &request.text {
                body["review"]["text"] = json!(text);
            }
        }
    }
    body
}

/// The delivery of `body` to the partner's legacy route, or `None` when no partner URL is set.
pub fn delivery(state: &State, kind: Kind, body: Value) -> Option<Delivery> {
    let settings = &state.settings;
    let base = settings
        .legacy_partner_url
        .as_deref()?
        .trim_end_matches('/');
    let (method, path) = kind.route();
    Some(Delivery {
        event_type: format!("{method} {path}"),
        method,
        url: format!("{base}{path}"),
        auth: match &state.config.partner_credentials {
            Some(pair) => WebhookAuth::Basic {
                username: pair.username.clone(),
                password: pair.password.clone(),
            },
            None => WebhookAuth::Basic {
                username: settings.legacy_partner_username.clone(),
                password: settings.legacy_partner_password.clone(),
            },
        },
        body,
        webhook_id: None,
    })
}
