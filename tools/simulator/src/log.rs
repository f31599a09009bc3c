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

/// Entries any simulator keeps, the oldest going first: a `make dev` left running for days must
/// not grow without end. Far more than one test or one conversation writes.
pub const LOG_ENTRIES: usize = 10_000;

/// Cuts a stored log to its newest [`STORED_LOG_ENTRIES`].
pub fn cap(log: &mut Vec<LogEntry>) {
    keep_newest(log, STORED_LOG_ENTRIES);
}

/// Appends `entry`, numbered after the last one, keeping the newest [`LOG_ENTRIES`].
pub fn append(log: &mut Vec<LogEntry>, mut entry: LogEntry) {
    entry.seq = log.last().map_or(0, |last| last.seq) + 1;
    log.push(entry);
    keep_newest(log, LOG_ENTRIES);
}

fn keep_newest(log: &mut Vec<LogEntry>, entries: usize) {
    let extra = log.len().saturating_sub(entries);
    log.drain(..extra);
}

#[cfg(test)]
mod bounds {
    use super::*;

    fn entry() -> LogEntry {
        LogEntry::new("received", "GET", "/sim/log")
    }

    #[test]
    fn the_log_keeps_its_newest_entries_and_numbers_on_past_the_ones_it_dropped() {
        let mut log = Vec::new();
        for _ in 0..LOG_ENTRIES + 5 {
            append(&mut log, entry());
        }
        assert_eq!(log.len(), LOG_ENTRIES);
        assert_eq!(log[0].seq, 6, "the five oldest went");
        assert_eq!(log.last().map(|e| e.seq), Some(LOG_ENTRIES as u64 + 5));
        cap(&mut log);
        assert_eq!(log.len(), STORED_LOG_ENTRIES);
        assert_eq!(log.last().map(|e| e.seq), Some(LOG_ENTRIES as u64 + 5));
    }
}
