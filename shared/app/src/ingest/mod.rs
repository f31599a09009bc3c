//! Storing what Thumbtack sends: once, whatever the number of deliveries, and never lost.
//!
//! A request at the inbound edge is one call, [`deliver`] (legacy) or [`deliver_webhook`] (v4):
//! credentials, size, then the steps below, and a refusal noted.
//!
//! One delivery goes: parse → refused (a key missing or unusable): kept byte for byte in
//! quarantine → else insert and settle → count the outcome. Every step that answers the caller
//! comes after the durable write it reports.
//!
//! A redelivery with the same content (same document up to spacing and key order, see
//! [`crate::digest`]) is a duplicate and stores nothing. A redelivery with *different* content
//! keeps the first version as the record and stores the new body beside it as a revision, once per
//! distinct content, so nothing Thumbtack sent is silently dropped; the read API lists revisions.

mod deliver;
mod from_business;
mod payloads;
mod v4;
mod webhook;

pub use deliver::{Accepted, Delivery, NotTaken, deliver};
pub use from_business::APP_PREFIX;
pub use payloads::{IdKind, Ids, Payload, Stored};
pub use v4::{StoredFact, StoredV4, replay_v4, store_v4};
pub use webhook::{KeptWhy, WebhookAccepted, WebhookDelivery, deliver_webhook};

use crate::digest::{json_digest, same_document, sha256_hex};
use crate::metrics::{Metric, Metrics};
use crate::ports::{Insert, LeadStore, NewRevision, Quarantined, Route, StoreError};
use models::{FieldProblem, Invalid, InvalidKind, Parsed};

/// The largest body we accept (413 over it; a replay of a larger quarantined body is still
/// refused). DynamoDB items are limited to 400 KB and a lead is stored with its raw body plus its
/// copied fields, so 256 KiB leaves room; real leads are a few KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What a delivery turned out to be, once stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// First delivery: stored.
    Stored,
    /// Same content as stored before: nothing written.
    Duplicate,
    /// Different content under a known id: kept as a revision of the first.
    Revision,
}

impl Arrival {
    pub fn as_str(self) -> &'static str {
        match self {
            Arrival::Stored => "stored",
            Arrival::Duplicate => "duplicate",
            Arrival::Revision => "revision",
        }
    }
}

/// A delivery that was stored (or found stored before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested<T> {
    pub parsed: Parsed<T>,
    pub arrival: Arrival,
    /// Whether the lead it is about is stored, where that is asked (a message, a lead update):
    /// `Some(false)` is answered 202.
    pub lead_known: Option<bool>,
}

/// Why a delivery was not stored. The first two were kept in quarantine before this was returned.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A key is missing or unusable, or the body is not a JSON object.
    #[error("payload refused: {0}")]
    Refused(Invalid),
    /// Stored with its copied fields, the item would be over the store's size limit.
    #[error("payload too large to store")]
    TooLarge,
    /// Nothing was written (or nothing is known to have been): the caller must answer so that the
    /// payload is sent again.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One delivery, from the authenticated body to a stored fact (or a quarantined payload), counted.
pub async fn ingest<P: Payload, S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    body: &[u8],
    received_at_ms: u64,
) -> Result<Ingested<P>, IngestError> {
    take::<P, S>(store, metrics, body, received_at_ms, Keep::Refused).await
}

/// A quarantined body run through today's rules (an operator's replay): what passes is stored
/// exactly as a delivery would be (same dedupe, same events); what is still refused is not
/// quarantined again (it is there already).
pub async fn replay<P: Payload, S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    body: &[u8],
    received_at_ms: u64,
) -> Result<Ingested<P>, IngestError> {
    take::<P, S>(store, metrics, body, received_at_ms, Keep::Nothing).await
}

/// What becomes of a refused body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Refused,
    Nothing,
}

async fn take<P: Payload, S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    body: &[u8],
    received_at_ms: u64,
    keep: Keep,
) -> Result<Ingested<P>, IngestError> {
    let route = P::ROUTE;
    // `parse` accepts UTF-8 only; the text is taken once it has.
    let (parsed, raw) = match P::parse(body).and_then(|parsed| Ok((parsed, text(body)?))) {
        Ok(read) => read,
        Err(invalid) => {
            if keep == Keep::Refused {
                keep_refused(store, metrics, route, body, &invalid, received_at_ms).await?;
            }
            return Err(IngestError::Refused(invalid));
        }
    };
    let stored = match P::store(store, &parsed, raw, received_at_ms).await {
        Ok(stored) => stored,
        Err(StoreError::TooLarge(cause)) => {
            tracing::warn!(error = %crate::error_chain(&*cause), "payload too large to store; quarantined");
            let invalid = Invalid::body(
                InvalidKind::Fields,
                "is too large to store with its indexed fields",
            );
            if keep == Keep::Refused {
                keep_refused(store, metrics, route, body, &invalid, received_at_ms).await?;
            }
            return Err(IngestError::TooLarge);
        }
        Err(error) => return Err(error.into()),
    };
    count(metrics, route, stored.arrival, &parsed);
    Ok(Ingested {
        parsed,
        arrival: stored.arrival,
        lead_known: stored.lead_known,
    })
}

async fn keep_refused<S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    route: Route,
    body: &[u8],
    invalid: &Invalid,
    received_at_ms: u64,
) -> Result<(), StoreError> {
    quarantine(store, route, body, invalid, received_at_ms).await?;
    metrics.count(Metric::Quarantined, Some(("Route", route.as_str())));
    Ok(())
}

/// An authenticated body over the size limit (`limit` bytes): not read, but kept in quarantine
/// byte for byte all the same, as every refused payload is, and counted. The caller answers 413
/// once this returned `Ok`, and 5xx otherwise, so that the body is sent again.
pub async fn keep_too_large<P: Payload, S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    body: &[u8],
    limit: usize,
    received_at_ms: u64,
) -> Result<(), StoreError> {
    let invalid = Invalid::body(
        InvalidKind::TooLarge,
        format!("is over the {limit}-byte limit"),
    );
    keep_refused(store, metrics, P::ROUTE, body, &invalid, received_at_ms).await
}

fn text(body: &[u8]) -> Result<&str, Invalid> {
    std::str::from_utf8(body).map_err(|_| {
        Invalid::body(
            InvalidKind::NotJson,
            "the request body is not valid JSON: it is not UTF-8",
        )
    })
}

/// Stores a parsed payload as a delivery would (for tests and tools that have one at hand).
pub async fn store_parsed<P: Payload, S: LeadStore>(
    store: &S,
    parsed: &Parsed<P>,
    raw: &str,
    received_at_ms: u64,
) -> Result<Arrival, StoreError> {
    Ok(P::store(store, parsed, raw, received_at_ms).await?.arrival)
}

/// After a conditional insert keyed by an id: new, the same document again (a duplicate), or a
/// different one under the same id (kept beside the first as a revision, once per content).
pub(crate) async fn settle<S: LeadStore>(
    store: &S,
    insert: Insert,
    revision: NewRevision<'_>,
) -> Result<Arrival, StoreError> {
    let stored = match insert {
        Insert::Created => return Ok(Arrival::Stored),
        Insert::Exists { raw: stored } => stored,
    };
    if same_document(&stored, revision.raw) {
        return Ok(Arrival::Duplicate);
    }
    let digest = json_digest(revision.raw);
    store
        .insert_revision(NewRevision {
            digest: &digest,
            ..revision
        })
        .await?;
    Ok(Arrival::Revision)
}

/// `LeadsReceived`, `MessagesReceived`, `LeadUpdates`, `ReviewsReceived` for a first delivery,
/// `Duplicates` and `Revisions` (by route) for the others, and `Warnings` (by route): how many
/// field problems came with a stored payload.
fn count<P>(metrics: &Metrics, route: Route, outcome: Arrival, parsed: &Parsed<P>) {
    let dimension = Some(("Route", route.as_str()));
    match (outcome, route) {
        (Arrival::Stored, Route::Lead) => metrics.count(Metric::LeadsReceived, None),
        (Arrival::Stored, Route::Message) => metrics.count(Metric::MessagesReceived, None),
        (Arrival::Stored, Route::LeadUpdate) => metrics.count(Metric::LeadUpdates, None),
        (Arrival::Stored, Route::Review) => metrics.count(Metric::ReviewsReceived, None),
        // A v4 fact is counted under the route of its legacy twin (`store_v4`).
        (Arrival::Stored, Route::V4Webhook) => {}
        (Arrival::Duplicate, _) => metrics.count(Metric::Duplicates, dimension),
        (Arrival::Revision, _) => metrics.count(Metric::Revisions, dimension),
    }
    if outcome != Arrival::Duplicate && !parsed.warnings.is_empty() {
        let total = parsed.warnings.total() as f64;
        metrics.record(Metric::Warnings, total, dimension);
    }
}

/// Keeps an authenticated payload that was refused, byte for byte, with the first problems and
/// their total.
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

/// The problems to log: paths of the first few, never values.
pub fn logged_paths(problems: &[FieldProblem]) -> Vec<&str> {
    problems.iter().take(10).map(|p| p.path.as_str()).collect()
}
