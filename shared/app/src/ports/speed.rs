//! Speed to lead: a business's settings, what became of a lead's acknowledgement, the lead left
//! unanswered, the reply queue as a producer, and wake-ups at a later time.

use super::{QueueError, StoreError};
use models::ReplyRequest;
use models::settings::BusinessSettings;
pub use models::{AckNote, AckStatus};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// A business's settings, and the speed-to-lead facts kept with a lead.
pub trait BusinessDesk: Send + Sync {
    /// The business's saved settings; `None` when never saved (the defaults apply).
    fn settings(
        &self,
        business_id: &str,
    ) -> impl Future<Output = Result<Option<BusinessSettings>, StoreError>> + Send;

    /// Saves the whole document (the last write wins: one operator's edit replaces another's).
    fn save_settings(
        &self,
        business_id: &str,
        settings: &BusinessSettings,
        at_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Notes what became of the lead's acknowledgement. A final note (`enqueued`, `skipped`) is
    /// written once and never replaced; `deferred` may be replaced by a final one. Returns `None`
    /// when this note was written, else the final note another delivery wrote first.
    fn note_acknowledgement(
        &self,
        lead_id: &str,
        note: &AckNote,
    ) -> impl Future<Output = Result<Option<AckNote>, StoreError>> + Send;

    /// Records the lead as unanswered, once (the stored fact behind `Lead Unanswered`). Returns
    /// whether this call recorded it.
    fn mark_unanswered(
        &self,
        lead_id: &str,
        business_id: &str,
        at_ms: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A business's response times, kept a day at a time so that a stats read touches one item per
/// day of its window, however many leads the business has.
pub trait StatsDesk: Send + Sync {
    /// Counts the stored lead in its business's day (the UTC day of its `createTimestamp`),
    /// once, however many times it is called. Returns whether this call counted it; `false` too
    /// when the lead is not stored.
    fn count_lead(&self, lead_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The business's days from `from_day` to `to_day` (`yyyy-mm-dd`, both included) that have
    /// anything counted, oldest first.
    fn daily_stats(
        &self,
        business_id: &str,
        from_day: &str,
        to_day: &str,
    ) -> impl Future<Output = Result<Vec<DayStats>, StoreError>> + Send;
}

/// One day of a business's leads: how many, how many answered, and how long each waited for its
/// first reply and for its first person's reply, counted in the buckets of
/// `speed::stats::WAIT_BOUNDS` (seconds from arrival).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayStats {
    pub day: String,
    pub leads: u64,
    /// Leads with a reply sent (their first, whoever sent it).
    pub replied: u64,
    /// Of those, the ones whose first reply was the automatic acknowledgement.
    pub automatic_first: u64,
    /// Leads with a person's reply sent.
    pub person_replied: u64,
    pub first_reply: Vec<u64>,
    pub first_person_reply: Vec<u64>,
}

/// The reply queue as a producer sees it (the partner's systems, and the acknowledgement).
pub trait Outbox: Send + Sync {
    fn enqueue(&self, reply: &ReplyRequest) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// Something to do about a lead later: the speed-to-lead function is woken with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wakeup {
    pub kind: WakeupKind,
    #[serde(rename = "leadID")]
    pub lead_id: String,
    #[serde(rename = "businessID")]
    pub business_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WakeupKind {
    /// Quiet hours are over: acknowledge the lead now.
    Acknowledge,
    /// The threshold passed: is the lead still unanswered?
    Unanswered,
}

impl Wakeup {
    /// A name that is the same for the same wake-up: asking twice schedules it once.
    pub fn name(&self) -> String {
        let kind = match self.kind {
            WakeupKind::Acknowledge => "ack",
            WakeupKind::Unanswered => "unanswered",
        };
        format!("{kind}-{}", self.lead_id)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("scheduling failed: {0}")]
pub struct ScheduleError(#[source] pub super::BoxError);

/// One-time wake-ups (EventBridge Scheduler in AWS, a timer in `make dev`).
pub trait Scheduler: Send + Sync {
    /// Wakes the speed-to-lead function with `wakeup` at `at_ms` (or at once, if that has passed).
    /// Scheduling the same wake-up twice is harmless.
    fn wake_at(
        &self,
        wakeup: &Wakeup,
        at_ms: u64,
    ) -> impl Future<Output = Result<(), ScheduleError>> + Send;
}
