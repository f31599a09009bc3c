//! A small Thumbtack stand-in for `make dev`: accepts replies on Thumbtack's messages endpoint with
//! HTTP basic auth, prints them, and keeps them for `GET /sandbox/messages`.

use app::auth::{AcceptedCredentials, Credential};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct Sandbox {
    credentials: AcceptedCredentials,
    received: Mutex<Vec<Value>>,
}

impl Sandbox {
    /// A sandbox that accepts `credential`, the one the reply function presents.
    pub fn new(credential: Credential) -> Self {
        Sandbox {
            credentials: AcceptedCredentials::new(&[credential]),
            received: Mutex::default(),
        }
    }

    pub fn received(&self) -> Vec<Value> {
        self.received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route(
            "/v1/business/{business_id}/lead/{lead_id}/message",
            post(message),
        )
        .route("/sandbox/messages", get(list))
        .with_state(sandbox)
}

async fn message(
    State(sandbox): State<Arc<Sandbox>>,
    Path((business_id, lead_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    if sandbox.credentials.verify_header(authorization).is_err() {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"status": "error", "message": "invalid credentials"})),
        )
            .into_response();
    }
    let text = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_owned));
    let Some(text) = text else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"status": "error", "message": "body must be {\"text\": string}"})),
        )
            .into_response();
    };
    println!("sandbox: reply for lead {lead_id} (business {business_id}): {text:?}");
    sandbox
        .received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(json!({"businessID": business_id, "leadID": lead_id, "text": text}));
    axum::Json(json!({"status": "success"})).into_response()
}

async fn list(State(sandbox): State<Arc<Sandbox>>) -> Response {
    axum::Json(sandbox.received()).into_response()
}
