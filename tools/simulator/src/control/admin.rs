//! The simulator's own knobs: settings, faults, users' revocations, the log.

use super::{bad_request, not_found, parse};
use crate::faults::{DeliveryFault, EndpointFault};
use crate::state::Sim;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub async fn settings(Extract(sim): Extract<Sim>) -> Response {
    match sim.read(|state| state.settings.clone()).await {
        Ok(settings) => Json(settings).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Changes the fields given, keeps the others.
pub async fn change_settings(Extract(sim): Extract<Sim>, body: Bytes) -> Response {
    let change: Value = match parse(&body) {
        Ok(change) => change,
        Err(response) => return response.into_response(),
    };
    sim.update(|state| {
        let mut merged = serde_json::to_value(&state.settings).unwrap_or_default();
        merge(&mut merged, change.clone());
        match serde_json::from_value(merged) {
            Ok(settings) => {
                state.settings = settings;
                Json(state.settings.clone()).into_response()
            }
            Err(error) => bad_request(error),
        }
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

fn merge(into: &mut Value, change: Value) {
    match (into, change) {
        (Value::Object(into), Value::Object(change)) => {
            for (key, value) in change {
                merge(into.entry(key).or_insert(Value::Null), value);
            }
        }
        (into, change) => *into = change,
    }
}

pub async fn faults(Extract(sim): Extract<Sim>) -> Response {
    sim.read(|state| {
        Json(json!({"endpoints": state.faults.endpoints, "deliveries": state.faults.deliveries}))
            .into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

pub async fn arm_fault(Extract(sim): Extract<Sim>, body: Bytes) -> Response {
    let fault: EndpointFault = match parse(&body) {
        Ok(fault) => fault,
        Err(response) => return response.into_response(),
    };
    sim.update(|state| state.faults.endpoints.push(fault.clone()))
        .await
        .map_or_else(IntoResponse::into_response, |()| {
            StatusCode::NO_CONTENT.into_response()
        })
}

pub async fn arm_delivery_fault(Extract(sim): Extract<Sim>, body: Bytes) -> Response {
    let mut fault: DeliveryFault = match parse(&body) {
        Ok(fault) => fault,
        Err(response) => return response.into_response(),
    };
    fault.times = fault.times.max(1);
    sim.update(|state| state.faults.deliveries.push(fault.clone()))
        .await
        .map_or_else(IntoResponse::into_response, |()| {
            StatusCode::NO_CONTENT.into_response()
        })
}

pub async fn clear_faults(Extract(sim): Extract<Sim>) -> Response {
    sim.update(|state| {
        state.faults.endpoints.clear();
        state.faults.deliveries.clear();
    })
    .await
    .map_or_else(IntoResponse::into_response, |()| {
        StatusCode::NO_CONTENT.into_response()
    })
}

/// The pro disconnects the product in Thumbtack: every token of theirs stops working.
pub async fn revoke(Extract(sim): Extract<Sim>, Path(user_id): Path<String>) -> Response {
    sim.update(|state| {
        if state.user(&user_id).is_none() {
            return not_found("user");
        }
        state.revoked_users.insert(user_id.clone());
        StatusCode::NO_CONTENT.into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// The user's next refresh fails with `invalid_grant`.
pub async fn invalid_grant(Extract(sim): Extract<Sim>, Path(user_id): Path<String>) -> Response {
    sim.update(|state| {
        if state.user(&user_id).is_none() {
            return not_found("user");
        }
        state.fail_next_refresh.insert(user_id.clone());
        StatusCode::NO_CONTENT.into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

pub async fn log(Extract(sim): Extract<Sim>) -> Response {
    match sim.read(|state| state.log.clone()).await {
        Ok(log) => Json(log).into_response(),
        Err(error) => error.into_response(),
    }
}

/// A business the pro opens: `{businessID?, name?}` (an id is made when none is given).
#[derive(serde::Deserialize)]
struct NewBusiness {
    #[serde(rename = "businessID")]
    business_id: Option<String>,
    name: Option<String>,
}

/// The pro opens another business: `GET /api/v4/businesses` lists it from now on → 201 with it.
pub async fn add_business(
    Extract(sim): Extract<Sim>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Response {
    let asked: NewBusiness = match parse(&body) {
        Ok(asked) => asked,
        Err(response) => return response.into_response(),
    };
    sim.update(|state| {
        if state.user(&user_id).is_none() {
            return not_found("user");
        }
        let business_id = asked.business_id.clone().unwrap_or_else(|| state.new_id());
        if let Some((owner, _)) = state.business(&business_id)
            && owner.user_id != user_id
        {
            return bad_request("the business is another pro's");
        }
        let business = crate::config::Business {
            business_id: business_id.clone(),
            name: asked
                .name
                .clone()
                .unwrap_or_else(|| format!("Business {business_id}")),
            image_url: None,
        };
        state.removed_businesses.remove(&business_id);
        state
            .added_businesses
            .entry(user_id.clone())
            .or_default()
            .push(business.clone());
        state.apply_business_changes();
        (StatusCode::CREATED, Json(business)).into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// The pro no longer has the business: it leaves their list (its webhooks stay, as nothing says
/// Thumbtack deletes them) → 204.
pub async fn remove_business(
    Extract(sim): Extract<Sim>,
    Path((user_id, business_id)): Path<(String, String)>,
) -> Response {
    sim.update(|state| {
        match state.business(&business_id) {
            Some((owner, _)) if owner.user_id == user_id => {}
            _ => return not_found("business of this user"),
        }
        for added in state.added_businesses.values_mut() {
            added.retain(|b| b.business_id != business_id);
        }
        state.removed_businesses.insert(business_id.clone());
        state.apply_business_changes();
        StatusCode::NO_CONTENT.into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}
