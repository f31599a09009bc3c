//! The control API (`/sim/...`): what people on Thumbtack's side do (a customer asks, writes,
//! reviews; the pro writes in the app), faults to arm, settings, and the log.

mod admin;
mod people;

use crate::legacy::Kind;
use crate::state::Sim;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route(
            "/sim/v4/businesses/{businessID}/requests",
            post(people::customer_requests),
        )
        .route(
            "/sim/v4/businesses/{businessID}/test-webhook",
            post(people::test_webhook),
        )
        .route(
            "/sim/v4/negotiations/{negotiationID}/customer-messages",
            post(people::customer_writes),
        )
        .route(
            "/sim/v4/negotiations/{negotiationID}/pro-messages",
            post(people::pro_writes),
        )
        .route(
            "/sim/v4/negotiations/{negotiationID}/reviews",
            post(people::customer_reviews),
        )
        .route(
            "/sim/legacy/leads",
            post(|s: Extract<Sim>, b: Bytes| people::legacy_delivery(s, Kind::Lead, b)),
        )
        .route(
            "/sim/legacy/messages",
            post(|s: Extract<Sim>, b: Bytes| people::legacy_delivery(s, Kind::Message, b)),
        )
        .route(
            "/sim/legacy/lead-updates",
            post(|s: Extract<Sim>, b: Bytes| people::legacy_delivery(s, Kind::LeadUpdate, b)),
        )
        .route(
            "/sim/legacy/reviews",
            post(|s: Extract<Sim>, b: Bytes| people::legacy_delivery(s, Kind::Review, b)),
        )
        .route(
            "/sim/settings",
            get(admin::settings).put(admin::change_settings),
        )
        .route(
            "/sim/faults",
            get(admin::faults)
                .post(admin::arm_fault)
                .delete(admin::clear_faults),
        )
        .route("/sim/faults/deliveries", post(admin::arm_delivery_fault))
        .route("/sim/users/{userID}/revoke", post(admin::revoke))
        .route("/sim/users/{userID}/businesses", post(admin::add_business))
        .route(
            "/sim/users/{userID}/businesses/{businessID}",
            axum::routing::delete(admin::remove_business),
        )
        .route(
            "/sim/users/{userID}/invalid-grant",
            post(admin::invalid_grant),
        )
        .route("/sim/log", get(admin::log))
}

pub(crate) fn bad_request(message: impl std::fmt::Display) -> Response {
    BadRequest(message.to_string()).into_response()
}

/// A control call the simulator cannot follow: 400 `{"error": ...}`.
#[derive(Debug)]
pub(crate) struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({"error": self.0}))).into_response()
    }
}

pub(crate) fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("{what} not found")})),
    )
        .into_response()
}

/// An empty body, or `null`, reads as `{}`.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, BadRequest> {
    let body = body.trim_ascii();
    let body = if body.is_empty() || body == b"null" {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| BadRequest(e.to_string()))
}
