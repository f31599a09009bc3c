//! Speed to lead: one automatic acknowledgement per lead within seconds, for the businesses that
//! turned it on; a `Lead Unanswered` when no person replied in time; response times.
//!
//! The acknowledgement is reply `auto-<leadID>` on the existing reply queue, so the ledger's
//! once-per-replyID holds it to one send whatever the number of `Lead Received` deliveries. It is
//! skipped (and the skip noted on the lead) for a test lead and for a lead a person already
//! answered; in quiet hours it waits for their end, or goes at once, as the business chose.

mod settings;
pub mod stats;

pub use settings::{
    AutoAcknowledgement, BusinessSettings, DEFAULT_TEMPLATE, DEFAULT_UNANSWERED_MINUTES,
    QuietClock, QuietHours, QuietPolicy, SettingsDocument, TEMPLATE_VARIABLES, TemplateValues,
    parse_settings, render,
};

use crate::metrics::{Metric, Metrics};
use crate::ports::{
    AckNote, AckStatus, BusinessDesk, ConversationRecords, LeadStore, Outbox, QueueError,
    ScheduleError, Scheduler, StatsDesk, StoreError, Wakeup, WakeupKind,
};
use models::{Lead, ReplyRequest, ReplyStatus};

/// The reply id of a lead's acknowledgement.
pub fn acknowledgement_id(lead_id: &str) -> String {
    format!("{}{lead_id}", models::reply::AUTOMATIC_PREFIX)
}

/// How recent a lead must be (by its `createTimestamp`) to be acknowledged and checked for an
/// answer, unless configured otherwise: a lead replayed weeks later gets neither.
pub const DEFAULT_FRESH_WITHIN: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What the speed-to-lead function needs.
#[derive(Debug)]
pub struct SpeedDeps<S, Q, W> {
    pub store: S,
    pub outbox: Q,
    pub scheduler: W,
    pub metrics: Metrics,
    /// A lead created longer ago than this is noted `skipped: stale-lead` on arrival.
    pub fresh_within: std::time::Duration,
}

/// Where a `Lead Received` event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOrigin {
    /// Sent by events-out as the lead was stored.
    Live,
    /// Replayed from the bus's archive (it carries `replay-name`): old news, never acknowledged.
    Replay,
}

#[derive(Debug, thiserror::Error)]
pub enum SpeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

/// What became of a lead's acknowledgement this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledged {
    /// The business has it off.
    Off,
    /// Enqueued now.
    Enqueued,
    /// Not sent; the reason is noted on the lead.
    Skipped(&'static str),
    /// Waits for the end of quiet hours (unix milliseconds).
    Deferred(u64),
    /// Another delivery of the same event dealt with it, or the lead is not stored.
    AlreadyHandled,
}

/// `Lead Received`: schedules the unanswered check, then acknowledges the lead if its business
/// wants that; beside it, counts the lead in its business's stats.
pub async fn on_lead_received<S, Q, W>(
    deps: &SpeedDeps<S, Q, W>,
    lead_id: &str,
    business_id: &str,
    origin: EventOrigin,
    now_ms: u64,
) -> Result<Acknowledged, SpeedError>
where
    S: LeadStore + BusinessDesk + StatsDesk,
    Q: Outbox,
    W: Scheduler,
{
    // Every stored lead counts in its business's stats, once however often its event comes
    // (`count_lead` reads the lead itself and counts nothing for a lead not stored). The count
    // waits for nothing the acknowledgement needs, nor the acknowledgement for it: a failure of
    // either is retried with the event, and both are idempotent.
    // Boxed: the two futures side by side nest too deep for the compiler's layout of the
    // function's future otherwise.
    let (answered, counted) = tokio::join!(
        Box::pin(answer_lead(deps, lead_id, business_id, origin, now_ms)),
        deps.store.count_lead(lead_id)
    );
    let answered = answered?;
    counted?;
    Ok(answered)
}

async fn answer_lead<S, Q, W>(
    deps: &SpeedDeps<S, Q, W>,
    lead_id: &str,
    business_id: &str,
    origin: EventOrigin,
    now_ms: u64,
) -> Result<Acknowledged, SpeedError>
where
    S: LeadStore + BusinessDesk,
    Q: Outbox,
    W: Scheduler,
{
    // Independent reads: one round trip.
    let (settings, records) = tokio::join!(
        deps.store.settings(business_id),
        deps.store.conversation(lead_id)
    );
    let (settings, records) = (settings?.unwrap_or_default(), records?);
    let Some(lead) = stored_lead(&records) else {
        return Ok(Acknowledged::AlreadyHandled);
    };
    if is_test_lead(&records) {
        return skip(deps, lead_id, "test-lead", now_ms).await;
    }
    // Neither an acknowledgement nor an unanswered check for old news: a replayed event, or a
    // lead stored long after it was created (replayed from quarantine, backfilled).
    if origin == EventOrigin::Replay {
        return skip(deps, lead_id, "replayed-event", now_ms).await;
    }
    let created_ms = lead.create_timestamp.0.saturating_mul(1000);
    if now_ms.saturating_sub(created_ms) > crate::millis(deps.fresh_within) {
        return skip(deps, lead_id, "stale-lead", now_ms).await;
    }
    // The lead's partition, read once above, has when it was stored.
    let received_at_ms = records.lead_received_at_ms.unwrap_or(now_ms);
    let check = Wakeup {
        kind: WakeupKind::Unanswered,
        lead_id: lead_id.to_owned(),
        business_id: business_id.to_owned(),
    };
    let threshold_ms = u64::from(settings.unanswered_after_minutes) * 60_000;
    deps.scheduler
        .wake_at(&check, received_at_ms + threshold_ms)
        .await?;
    acknowledge(deps, &settings, &lead, &records, now_ms, Timing::OnArrival).await
}

/// A wake-up: quiet hours over (acknowledge now), or the unanswered threshold passed.
pub async fn on_wakeup<S, Q, W>(
    deps: &SpeedDeps<S, Q, W>,
    wakeup: &Wakeup,
    now_ms: u64,
) -> Result<WokenUp, SpeedError>
where
    S: LeadStore + BusinessDesk,
    Q: Outbox,
    W: Scheduler,
{
    let records = deps.store.conversation(&wakeup.lead_id).await?;
    let Some(lead) = stored_lead(&records) else {
        return Ok(WokenUp::NoLead);
    };
    match wakeup.kind {
        WakeupKind::Acknowledge => {
            let settings = deps
                .store
                .settings(&wakeup.business_id)
                .await?
                .unwrap_or_default();
            let done = acknowledge(deps, &settings, &lead, &records, now_ms, Timing::QuietOver);
            Ok(WokenUp::Acknowledged(done.await?))
        }
        WakeupKind::Unanswered => {
            if is_test_lead(&records) || answered_by_a_person(&records) {
                return Ok(WokenUp::Answered);
            }
            let marked = deps
                .store
                .mark_unanswered(&wakeup.lead_id, &wakeup.business_id, now_ms)
                .await?;
            if marked {
                deps.metrics.count(Metric::LeadsUnanswered, None);
            }
            Ok(WokenUp::Unanswered { first: marked })
        }
    }
}

/// What a wake-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WokenUp {
    Acknowledged(Acknowledged),
    /// A person replied in time (or it is a test lead): nothing to say.
    Answered,
    /// Recorded as unanswered (`first`: by this call; a repeated wake-up records nothing new).
    Unanswered {
        first: bool,
    },
    NoLead,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timing {
    OnArrival,
    /// Woken at the end of quiet hours: go now.
    QuietOver,
}

async fn acknowledge<S, Q, W>(
    deps: &SpeedDeps<S, Q, W>,
    settings: &BusinessSettings,
    lead: &Lead,
    records: &ConversationRecords,
    now_ms: u64,
    timing: Timing,
) -> Result<Acknowledged, SpeedError>
where
    S: LeadStore + BusinessDesk,
    Q: Outbox,
    W: Scheduler,
{
    let lead_id = &lead.lead_id;
    if !settings.auto_acknowledgement.enabled {
        // A deferral whose quiet hours ended after the business turned acknowledgements off is
        // settled, not left `deferred` with a past due time.
        if timing == Timing::QuietOver {
            return skip(deps, lead_id, "turned-off", now_ms).await;
        }
        return Ok(Acknowledged::Off);
    }
    if has_a_person_s_reply(records) {
        return skip(deps, lead_id, "person-replied", now_ms).await;
    }
    if timing == Timing::OnArrival
        && settings.quiet_hours.during == QuietPolicy::Wait
        && let Some(until) = settings.quiet_hours.quiet_until(now_ms)
    {
        let wakeup = Wakeup {
            kind: WakeupKind::Acknowledge,
            lead_id: lead_id.clone(),
            business_id: lead.business.business_id.clone(),
        };
        deps.scheduler.wake_at(&wakeup, until).await?;
        let note = AckNote {
            status: AckStatus::Deferred,
            reason: Some("quiet-hours".to_owned()),
            at_ms: now_ms,
            due_at_ms: Some(until),
            text: None,
        };
        return Ok(
            match deps.store.note_acknowledgement(lead_id, &note).await? {
                None => Acknowledged::Deferred(until),
                Some(_) => Acknowledged::AlreadyHandled,
            },
        );
    }
    let values = TemplateValues {
        customer_name: lead.customer.name.as_deref(),
        business_name: lead.business.name.as_deref(),
        category: lead.request.category.as_deref(),
    };
    let reply = ReplyRequest {
        reply_id: acknowledgement_id(lead_id),
        business_id: lead.business.business_id.clone(),
        lead_id: lead_id.clone(),
        text: render(&settings.auto_acknowledgement.template, &values),
    };
    // Noted before it is enqueued: the note decides, once, between the acknowledgement and a skip
    // that raced it (a person's reply seen by another delivery), so the queue has it exactly when
    // the note says so. A crash between the two leaves the note `enqueued`: the event's next
    // delivery finds it and enqueues again (the ledger sends the replyID once).
    // The note keeps the text: reply-outbound sends an `auto-` reply only as the note has it.
    let note = AckNote {
        status: AckStatus::Enqueued,
        reason: None,
        at_ms: now_ms,
        due_at_ms: None,
        text: Some(reply.text.clone()),
    };
    match deps.store.note_acknowledgement(lead_id, &note).await? {
        None => {
            deps.outbox.enqueue(&reply).await?;
            deps.metrics.count(Metric::AcknowledgementsEnqueued, None);
            Ok(Acknowledged::Enqueued)
        }
        Some(noted) if noted.status == AckStatus::Enqueued => {
            // Exactly what was first enqueued, whatever the template says now: the ledger would
            // see the same replyID with other text as a conflict.
            let reply = ReplyRequest {
                text: noted.text.unwrap_or(reply.text),
                ..reply
            };
            deps.outbox.enqueue(&reply).await?;
            Ok(Acknowledged::AlreadyHandled)
        }
        Some(_) => Ok(Acknowledged::AlreadyHandled),
    }
}

async fn skip<S, Q, W>(
    deps: &SpeedDeps<S, Q, W>,
    lead_id: &str,
    reason: &'static str,
    now_ms: u64,
) -> Result<Acknowledged, SpeedError>
where
    S: BusinessDesk,
{
    let note = AckNote {
        status: AckStatus::Skipped,
        reason: Some(reason.to_owned()),
        at_ms: now_ms,
        due_at_ms: None,
        text: None,
    };
    if deps
        .store
        .note_acknowledgement(lead_id, &note)
        .await?
        .is_none()
    {
        deps.metrics
            .count(Metric::AcknowledgementsSkipped, Some(("Reason", reason)));
        Ok(Acknowledged::Skipped(reason))
    } else {
        Ok(Acknowledged::AlreadyHandled)
    }
}

/// The stored lead as legacy keeps it, whichever contract carried it.
fn stored_lead(records: &ConversationRecords) -> Option<Lead> {
    let raw = records.lead_raw.as_deref()?;
    let received_at_ms = records.lead_received_at_ms.unwrap_or_default();
    models::v4::stored::lead(raw, received_at_ms).map(|stored| stored.lead)
}

/// Thumbtack's and the partner's own test and sample leads: `"isTest": true` in the lead, or a
/// `leadID` that starts with `test-` (the sandbox's and the smoke test's are marked so), or
/// Thumbtack's v4 "Test this webhook" delivery. One pass over the stored body
/// ([`models::v4::stored::is_test`]).
pub fn is_test_lead(records: &ConversationRecords) -> bool {
    records
        .lead_raw
        .as_deref()
        .is_some_and(models::v4::stored::is_test)
}

/// A reply of a person (not the acknowledgement) was enqueued or sent: the ledger has it.
fn has_a_person_s_reply(records: &ConversationRecords) -> bool {
    records
        .replies
        .iter()
        .any(|reply| !models::reply::is_automatic(&reply.reply_id))
}

/// A reply of a person was sent.
fn answered_by_a_person(records: &ConversationRecords) -> bool {
    records.replies.iter().any(|reply| {
        reply.status == ReplyStatus::Sent && !models::reply::is_automatic(&reply.reply_id)
    })
}

#[cfg(test)]
mod tests;
