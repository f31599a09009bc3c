//! What the simulator saw and did (`GET /sim/log`): every request it received, every delivery
//! attempt it made, with its status.

use crate::ids::now_rfc3339;
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

/// Cuts a stored log to its newest [`STORED_LOG_ENTRIES`].
pub fn cap(log: &mut Vec<LogEntry>) {
    let extra = log.len().saturating_sub(STORED_LOG_ENTRIES);
    log.drain(..extra);
}
