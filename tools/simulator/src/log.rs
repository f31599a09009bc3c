//! What the simulator saw and did (`GET /sim/log`): every request it received, every delivery
//! attempt it made, with its status.

use crate::state::{Sim, now_rfc3339};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub seq: u64,
    pub at: String,
    /// `received` (a request to the simulator) or `delivered` (an attempt to reach a partner).
    pub kind: String,
    pub method: String,
    /// The path received, or the URL delivered to.
    pub target: String,
    /// `None` when a delivery got no answer (see `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For deliveries: `NegotiationCreatedV4`..., or the legacy route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(rename = "webhookID", skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// For deliveries: the body sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl LogEntry {
    pub fn new(kind: &'static str, method: &str, target: &str) -> Self {
        LogEntry {
            seq: 0,
            at: now_rfc3339(),
            kind: kind.to_owned(),
            method: method.to_owned(),
            target: target.to_owned(),
            status: None,
            error: None,
            event_type: None,
            webhook_id: None,
            attempt: None,
            body: None,
        }
    }
}

/// Entries a stored simulator keeps (the oldest go first): its state is one table item.
pub const STORED_LOG_ENTRIES: usize = 200;

/// Appends `entry`, numbered after the last one. A storage fault loses the entry, not the request.
pub async fn push(sim: &Sim, entry: LogEntry) {
    let stored = sim
        .update(|state| {
            let mut entry = entry.clone();
            entry.seq = state.log.last().map_or(0, |last| last.seq) + 1;
            state.log.push(entry);
        })
        .await;
    if let Err(error) = stored {
        tracing::warn!(error = %error, "a log entry was not kept");
    }
}

/// Cuts a stored log to its newest [`STORED_LOG_ENTRIES`].
pub fn cap(log: &mut Vec<LogEntry>) {
    let extra = log.len().saturating_sub(STORED_LOG_ENTRIES);
    log.drain(..extra);
}

/// Records every request but reads of the log itself.
pub async fn record(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if path != "/sim/log" {
        let mut entry = LogEntry::new("received", &method, &path);
        entry.status = Some(response.status().as_u16());
        push(&sim, entry).await;
    }
    response
}
