//! Replaying quarantined payloads through today's rules, for an operator: what passes now is
//! stored exactly as if Thumbtack had sent it (the same dedupe, so the same events), and the
//! record notes the outcome and its time. A payload once taken is not replayed again, and a
//! replay that changes nothing writes nothing: replaying twice changes nothing.

use crate::ingest::{self, Arrival, IngestError, MAX_BODY_BYTES, Payload};
use crate::metrics::Metrics;
use crate::ports::{
    Cursor, LeadStore, QuarantineDesk, QuarantineRecord, ReplayNote, Route, StoreError,
};
use models::{InboundMessage, Lead, LeadUpdate, Problems, ReviewDelivery};

/// What a replay made of one quarantined payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    /// Today's rules take it: stored (or found stored: a duplicate, a revision).
    Taken(Arrival),
    /// Still refused, for these problems.
    Refused(Problems),
    /// Over the body limit, or too large to store with its copied fields.
    TooLarge,
    /// Taken by an earlier replay: left alone.
    AlreadyTaken(ReplayNote),
}

impl Replayed {
    /// The outcome as the record notes it.
    pub fn outcome(&self) -> &str {
        match self {
            Replayed::Taken(arrival) => arrival.as_str(),
            Replayed::Refused(_) => "refused",
            Replayed::TooLarge => "too-large",
            Replayed::AlreadyTaken(note) => &note.outcome,
        }
    }
}

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("nothing is quarantined under {0}")]
    NotFound(String),
    #[error("the quarantined payload {digest} has an unknown route {route:?}")]
    UnknownRoute { digest: String, route: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replays the payload quarantined under `digest`.
pub async fn replay_digest<S: LeadStore + QuarantineDesk>(
    store: &S,
    metrics: &Metrics,
    digest: &str,
    now_ms: u64,
) -> Result<Replayed, ReplayError> {
    let record = store
        .quarantined(digest)
        .await?
        .ok_or_else(|| ReplayError::NotFound(digest.to_owned()))?;
    replay(store, metrics, &record, now_ms).await
}

/// Replays one quarantined payload, unless an earlier replay took it.
pub async fn replay<S: LeadStore + QuarantineDesk>(
    store: &S,
    metrics: &Metrics,
    record: &QuarantineRecord,
    now_ms: u64,
) -> Result<Replayed, ReplayError> {
    if let Some(note) = &record.replay
        && was_taken(note)
    {
        return Ok(Replayed::AlreadyTaken(note.clone()));
    }
    let route: Route = record
        .route
        .parse()
        .map_err(|_| ReplayError::UnknownRoute {
            digest: record.digest.clone(),
            route: record.route.clone(),
        })?;
    let raw = &record.raw;
    // Stored as of now: a consumer reading changes since its last visit must see it.
    let replayed = match route {
        Route::Lead => run::<Lead, S>(store, metrics, raw, now_ms).await?,
        Route::Message => run::<InboundMessage, S>(store, metrics, raw, now_ms).await?,
        Route::LeadUpdate => run::<LeadUpdate, S>(store, metrics, raw, now_ms).await?,
        Route::Review => run::<ReviewDelivery, S>(store, metrics, raw, now_ms).await?,
        Route::V4Webhook => run_v4(store, metrics, raw, now_ms).await?,
    };
    let unchanged = record
        .replay
        .as_ref()
        .is_some_and(|note| note.outcome == replayed.outcome());
    if !unchanged {
        let note = ReplayNote {
            outcome: replayed.outcome().to_owned(),
            at_ms: now_ms,
        };
        store.note_replay(&record.digest, &note).await?;
    }
    Ok(replayed)
}

/// Every quarantined payload replayed, newest first; `each` hears of each one as it is done.
/// Stops at the first storage fault (what was replayed stays replayed: run it again). Each record
/// is stamped with `now()` read as it is replayed: a run can take longer than the changes feed's
/// settle window, and a time taken at its start would put its later facts behind every reader.
pub async fn replay_all<S: LeadStore + QuarantineDesk>(
    store: &S,
    metrics: &Metrics,
    now: impl Fn() -> u64,
    mut each: impl FnMut(&QuarantineRecord, &Result<Replayed, ReplayError>),
) -> Result<(), StoreError> {
    let mut after: Option<Cursor> = None;
    loop {
        let page = store.list_quarantine(25, after.as_ref()).await?;
        for record in &page.items {
            let replayed = replay(store, metrics, record, now()).await;
            each(record, &replayed);
            if let Err(ReplayError::Store(error)) = replayed {
                return Err(error);
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(()),
        }
    }
}

fn was_taken(note: &ReplayNote) -> bool {
    ["stored", "duplicate", "revision"].contains(&note.outcome.as_str())
}

async fn run<P: Payload, S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    raw: &[u8],
    now_ms: u64,
) -> Result<Replayed, StoreError> {
    if raw.len() > MAX_BODY_BYTES {
        return Ok(Replayed::TooLarge);
    }
    match ingest::replay::<P, S>(store, metrics, raw, now_ms).await {
        Ok(ingested) => Ok(Replayed::Taken(ingested.arrival)),
        Err(IngestError::Refused(invalid)) => Ok(Replayed::Refused(invalid.problems)),
        Err(IngestError::TooLarge) => Ok(Replayed::TooLarge),
        Err(IngestError::Store(error)) => Err(error),
    }
}

/// A v4 webhook body: kept for a missing key, or kept unread (an event type, a message from the
/// business side) until a release reads it.
async fn run_v4<S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    raw: &[u8],
    now_ms: u64,
) -> Result<Replayed, StoreError> {
    if raw.len() > MAX_BODY_BYTES {
        return Ok(Replayed::TooLarge);
    }
    match ingest::replay_v4(store, metrics, raw, now_ms).await {
        Ok(Ok(arrival)) => Ok(Replayed::Taken(arrival)),
        Ok(Err(problems)) => Ok(Replayed::Refused(problems)),
        Err(StoreError::TooLarge(_)) => Ok(Replayed::TooLarge),
        Err(error) => Err(error),
    }
}
