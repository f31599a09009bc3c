//! The quarantine desk: the quarantined payloads, a page at a time or one by its digest, and the
//! note of a replay.

use super::{Cursor, Page, QuarantineRecord, StoreError};
use std::future::Future;

/// What an operator's replay made of a quarantined payload, and when: kept on its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayNote {
    /// `stored`, `duplicate` or `revision` when today's rules took it; `refused` or `too-large`
    /// when they still do not.
    pub outcome: String,
    /// Unix milliseconds.
    pub at_ms: u64,
}

/// Listing quarantined payloads, reading one and noting a replay on it (operators only, never a
/// Lambda path).
pub trait QuarantineDesk: Send + Sync {
    /// Quarantined payloads with their bodies, newest first: at most `limit`, from `after`.
    fn list_quarantine(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<QuarantineRecord>, StoreError>> + Send;

    /// The record of `digest` with its body, or `None` when nothing was quarantined under it.
    fn quarantined(
        &self,
        digest: &str,
    ) -> impl Future<Output = Result<Option<QuarantineRecord>, StoreError>> + Send;

    /// Notes the replay's outcome and time on the record of `digest`.
    fn note_replay(
        &self,
        digest: &str,
        note: &ReplayNote,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
