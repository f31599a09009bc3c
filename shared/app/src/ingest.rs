//! Storing what Thumbtack sends: once, whatever the number of deliveries.
//!
//! A redelivery with the same content (compared as JSON values, so key order and spacing do not
//! matter) is a duplicate and stores nothing. A redelivery with *different* content keeps the first
//! version as the record and stores the new body beside it as a revision, once per distinct
//! content, so nothing Thumbtack sent is silently dropped; the read API lists revisions.

use crate::digest::{json_digest, same_document, sha256_hex};
use crate::ports::{
    Insert, LeadStore, NewLead, NewMessage, NewRevision, Quarantined, Route, StoreError,
};
use models::{InboundMessage, Invalid, Lead, RevisionOf};

/// What happened to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// First delivery: stored.
    Stored,
    /// Same content as stored before: nothing written.
    Duplicate,
    /// Different content under a known id: kept as a revision of the first.
    Revision,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::Duplicate => "duplicate",
            Outcome::Revision => "revision",
        }
    }
}

pub async fn lead<S: LeadStore>(
    store: &S,
    lead: &Lead,
    raw: &str,
    received_at_ms: u64,
) -> Result<Outcome, StoreError> {
    let insert = store
        .insert_lead(NewLead {
            lead,
            raw,
            received_at_ms,
        })
        .await?;
    settle(
        store,
        insert,
        &lead.lead_id,
        RevisionOf::Lead,
        &lead.lead_id,
        raw,
        received_at_ms,
    )
    .await
}

pub async fn message<S: LeadStore>(
    store: &S,
    message: &InboundMessage,
    raw: &str,
    received_at_ms: u64,
) -> Result<Outcome, StoreError> {
    let insert = store
        .insert_message(NewMessage {
            message,
            raw,
            received_at_ms,
        })
        .await?;
    let id = &message.message.message_id;
    settle(
        store,
        insert,
        &message.lead_id,
        RevisionOf::Message,
        id,
        raw,
        received_at_ms,
    )
    .await
}

async fn settle<S: LeadStore>(
    store: &S,
    insert: Insert,
    lead_id: &str,
    of: RevisionOf,
    id: &str,
    raw: &str,
    received_at_ms: u64,
) -> Result<Outcome, StoreError> {
    let stored = match insert {
        Insert::Created => return Ok(Outcome::Stored),
        Insert::Exists { raw: stored } => stored,
    };
    if same_document(&stored, raw) {
        return Ok(Outcome::Duplicate);
    }
    let digest = match serde_json::from_str(raw) {
        Ok(value) => json_digest(&value),
        Err(_) => sha256_hex(raw.as_bytes()),
    };
    store
        .insert_revision(NewRevision {
            lead_id,
            of,
            id,
            digest: &digest,
            raw,
            received_at_ms,
        })
        .await?;
    Ok(Outcome::Revision)
}

/// Keeps an authenticated payload that failed validation.
pub async fn quarantine<S: LeadStore>(
    store: &S,
    route: Route,
    raw: &[u8],
    invalid: &Invalid,
    received_at_ms: u64,
) -> Result<(), StoreError> {
    // The route is part of the key: the same bytes refused by two routes are two records.
    let mut keyed = Vec::with_capacity(raw.len() + 8);
    keyed.extend_from_slice(route.as_str().as_bytes());
    keyed.push(0);
    keyed.extend_from_slice(raw);
    store
        .quarantine(Quarantined {
            route,
            digest: &sha256_hex(&keyed),
            raw,
            problems: &invalid.problems,
            received_at_ms,
        })
        .await
}
