//! Deliveries to the partner: v4 webhooks in the §3.1 envelope with each webhook's own auth, and
//! legacy calls with Basic. The retry policy and the delivery faults apply to both.

use crate::auth::basic_header;
use crate::faults::DeliveryFault;
use crate::ids::now_rfc3339;
use crate::log::LogEntry;
use crate::middleware::push;
use crate::state::{Sim, State, WebhookAuth};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Delivery {
    pub method: Method,
    pub url: String,
    pub auth: WebhookAuth,
    pub body: Value,
    /// `NegotiationCreatedV4`..., or the legacy route (`POST /v1/lead`).
    pub event_type: String,
    pub webhook_id: Option<String>,
}

/// One delivery per enabled webhook of the business subscribed to `event_type`.
pub fn v4(state: &State, business_id: &str, event_type: &str, data: &Value) -> Vec<Delivery> {
    state
        .webhooks
        .values()
        .filter(|w| w.business_id == business_id && w.enabled)
        .filter(|w| w.event_types.iter().any(|t| t == event_type))
        .map(|w| Delivery {
            method: Method::POST,
            url: w.url.clone(),
            auth: w.auth.clone(),
            body: json!({
                "event": { "eventType": event_type, "description": "",
                           "webhookID": w.webhook_id, "triggeredAt": now_rfc3339() },
                "data": data,
            }),
            event_type: event_type.to_owned(),
            webhook_id: Some(w.webhook_id.clone()),
        })
        .collect()
}

/// Makes the deliveries in order, each under the next pending delivery fault. Returns once every
/// delivery not delayed by a fault is done (retries included). A stored simulator (Lambda) runs
/// nothing after its answer: there a delayed delivery is made after the others, before returning.
pub async fn run(sim: &Sim, deliveries: Vec<Delivery>) {
    let mut delayed = Vec::new();
    for delivery in deliveries {
        let fault = match sim.update(|state| state.faults.take_delivery()).await {
            Ok(fault) => fault.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(error = %error, "delivery faults unreadable: none applied");
                DeliveryFault::default()
            }
        };
        let copies = if fault.duplicate { 2 } else { 1 };
        match fault.delay_ms {
            Some(ms) if sim.is_stored() => delayed.push((ms, copies, delivery)),
            Some(ms) => {
                let sim = sim.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    for _ in 0..copies {
                        with_retries(&sim, &delivery).await;
                    }
                });
            }
            None => {
                for _ in 0..copies {
                    with_retries(sim, &delivery).await;
                }
            }
        }
    }
    for (ms, copies, delivery) in delayed {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        for _ in 0..copies {
            with_retries(sim, &delivery).await;
        }
    }
}

async fn with_retries(sim: &Sim, delivery: &Delivery) {
    let settings = sim
        .read(|state| state.settings.clone())
        .await
        .unwrap_or_default();
    let timeout = Duration::from_millis(settings.delivery_timeout_ms);
    let policy = settings.retry;
    let mut backoff = Duration::from_millis(policy.backoff_ms);
    for attempt in 1..=policy.max_attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        if once(sim, delivery, attempt, timeout).await {
            return;
        }
    }
}

/// One attempt, logged; true on a 2xx.
async fn once(sim: &Sim, delivery: &Delivery, attempt: u32, timeout: Duration) -> bool {
    let mut request = sim
        .http
        .request(delivery.method.clone(), &delivery.url)
        .timeout(timeout)
        .json(&delivery.body);
    request = match &delivery.auth {
        WebhookAuth::None => request,
        WebhookAuth::Basic { username, password } => {
            request.header("Authorization", basic_header(username, password))
        }
        WebhookAuth::Header { name, value } => request.header(name.as_str(), value.as_str()),
    };
    let mut entry = LogEntry::new("delivered", delivery.method.as_str(), &delivery.url);
    entry.event_type = Some(delivery.event_type.clone());
    entry.webhook_id = delivery.webhook_id.clone();
    entry.attempt = Some(attempt);
    entry.body = Some(delivery.body.clone());
    let ok = match request.send().await {
        Ok(response) => {
            entry.status = Some(response.status().as_u16());
            response.status().is_success()
        }
        Err(error) => {
            entry.error = Some(if error.is_timeout() {
                "timeout".to_owned()
            } else {
                error.to_string()
            });
            false
        }
    };
    push(sim, entry).await;
    ok
}
