//! What people on Thumbtack's side do: a customer asks, writes, reviews; the pro writes in the
//! app; Thumbtack's legacy side calls the partner.

use super::{bad_request, not_found, parse};
use crate::deliveries::{self, Delivery};
use crate::legacy::{self, Kind, LegacyRequest};
use crate::payloads::{self, Customer};
use crate::state::Sim;
use crate::webhooks;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct NewRequest {
    /// `messageFirst` (as seen live, the default) or `negotiationFirst`.
    order: Option<String>,
    /// Overrides the `newLeadGapMs` setting for this request.
    gap_ms: Option<u64>,
    description: Option<String>,
    customer: Option<Customer>,
}

/// A customer contacts the business: a negotiation and its lead-description message, delivered as
/// `MessageCreatedV4` and `NegotiationCreatedV4` about a second apart (facts §3.6).
pub async fn customer_requests(
    Extract(sim): Extract<Sim>,
    Path(business_id): Path<String>,
    body: Bytes,
) -> Response {
    let request: NewRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return response.into_response(),
    };
    let negotiation_first = match request.order.as_deref() {
        None | Some("messageFirst") => false,
        Some("negotiationFirst") => true,
        Some(other) => {
            return bad_request(format!("order {other}: messageFirst or negotiationFirst"));
        }
    };
    let description = request
        .description
        .unwrap_or_else(|| "Need Full Service Lawn Care".into());
    let customer = request.customer.unwrap_or_default();
    let made = sim
        .apply(|state| {
            let Some((_, business)) = state.business(&business_id) else {
                return Err(not_found("business"));
            };
            let name = business.name.clone();
            let negotiation =
                payloads::negotiation(state, &business_id, &name, &customer, &description);
            let id = negotiation["negotiationID"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            state.negotiations.insert(id, negotiation.clone());
            let message = payloads::message(state, &negotiation, "Customer", &description);
            state.messages.push(message.clone());
            let lead = deliveries::v4(state, &business_id, "NegotiationCreatedV4", &negotiation);
            let text = deliveries::v4(state, &business_id, "MessageCreatedV4", &message);
            let gap = request.gap_ms.unwrap_or(state.settings.new_lead_gap_ms);
            Ok((negotiation, message, text, lead, gap))
        })
        .await;
    let (negotiation, message, mut first, mut second, gap) = match made {
        Ok(made) => made,
        Err(response) => return response,
    };
    if negotiation_first {
        std::mem::swap(&mut first, &mut second);
    }
    deliveries::run(&sim, first).await;
    tokio::time::sleep(Duration::from_millis(gap)).await;
    deliveries::run(&sim, second).await;
    Json(json!({"negotiationID": negotiation["negotiationID"], "messageID": message["messageID"]}))
        .into_response()
}

pub async fn test_webhook(Extract(sim): Extract<Sim>, Path(business_id): Path<String>) -> Response {
    let made = sim
        .apply(|state| {
            if state.business(&business_id).is_none() {
                return Err(not_found("business"));
            }
            Ok(webhooks::test_fixture(state, &business_id))
        })
        .await;
    let (negotiation, deliveries) = match made {
        Ok(made) => made,
        Err(response) => return response,
    };
    deliveries::run(&sim, deliveries).await;
    Json(json!({"negotiationID": negotiation["negotiationID"]})).into_response()
}

#[derive(Debug, Deserialize)]
struct Text {
    text: String,
}

pub async fn customer_writes(s: Extract<Sim>, p: Path<String>, body: Bytes) -> Response {
    writes(s, p, "Customer", body).await
}

/// The pro writes in the Thumbtack app: `from: "Business"` (facts §3.6).
pub async fn pro_writes(s: Extract<Sim>, p: Path<String>, body: Bytes) -> Response {
    writes(s, p, "Business", body).await
}

async fn writes(
    Extract(sim): Extract<Sim>,
    Path(id): Path<String>,
    from: &str,
    body: Bytes,
) -> Response {
    let text: Text = match parse(&body) {
        Ok(text) => text,
        Err(response) => return response.into_response(),
    };
    let made = sim
        .apply(|state| {
            let Some(negotiation) = state.negotiations.get(&id).cloned() else {
                return Err(not_found("negotiation"));
            };
            let message = payloads::message(state, &negotiation, from, &text.text);
            state.messages.push(message.clone());
            let business_id = negotiation["business"]["businessID"].as_str().unwrap_or("");
            let deliveries = deliveries::v4(state, business_id, "MessageCreatedV4", &message);
            Ok((message, deliveries))
        })
        .await;
    let (message, deliveries) = match made {
        Ok(made) => made,
        Err(response) => return response,
    };
    deliveries::run(&sim, deliveries).await;
    Json(json!({"messageID": message["messageID"]})).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Review {
    rating: u8,
    text: String,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            rating: 5,
            text: "Great work.".into(),
        }
    }
}

pub async fn customer_reviews(
    Extract(sim): Extract<Sim>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let review: Review = match parse(&body) {
        Ok(review) => review,
        Err(response) => return response.into_response(),
    };
    let made = sim
        .apply(|state| {
            let Some(negotiation) = state.negotiations.get(&id).cloned() else {
                return Err(not_found("negotiation"));
            };
            let data = payloads::review(state, &negotiation, review.rating, &review.text);
            let business_id = negotiation["business"]["businessID"].as_str().unwrap_or("");
            let deliveries = deliveries::v4(state, business_id, "ReviewCreatedV4", &data);
            Ok((data, deliveries))
        })
        .await;
    let (data, deliveries) = match made {
        Ok(made) => made,
        Err(response) => return response,
    };
    deliveries::run(&sim, deliveries).await;
    Json(json!({"reviewID": data["reviewID"]})).into_response()
}

pub async fn legacy_delivery(Extract(sim): Extract<Sim>, kind: Kind, body: Bytes) -> Response {
    let request: LegacyRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return response.into_response(),
    };
    let made = sim
        .apply(|state| {
            let payload = legacy::body(state, kind, &request);
            let delivery = legacy::delivery(state, kind, payload.clone());
            Ok((payload, delivery))
        })
        .await;
    let (payload, delivery): (Value, Option<Delivery>) = match made {
        Ok(made) => made,
        Err(response) => return response,
    };
    let Some(delivery) = delivery else {
        return bad_request("set legacyPartnerUrl first (PUT /sim/settings)");
    };
    deliveries::run(&sim, vec![delivery]).await;
    Json(payload).into_response()
}
