//! Speed to lead over [`MemoryStore`], and an outbox and a scheduler that keep what they were
//! given.

use super::MemoryStore;
use crate::ports::{
    AckNote, BusinessDesk, DayStats, Outbox, QueueError, ScheduleError, Scheduler, StatsDesk,
    StoreError, Wakeup,
};
use crate::speed::BusinessSettings;
use crate::speed::stats::{WAIT_BOUNDS, stats_day};
use models::ReplyRequest;
use std::sync::Mutex;

/// A day with nothing counted yet.
pub(super) fn empty_day(day: &str) -> DayStats {
    DayStats {
        day: day.to_owned(),
        first_reply: vec![0; WAIT_BOUNDS.len()],
        first_person_reply: vec![0; WAIT_BOUNDS.len()],
        ..DayStats::default()
    }
}

impl StatsDesk for MemoryStore {
    async fn count_lead(&self, lead_id: &str) -> Result<bool, StoreError> {
        self.check()?;
        let mut state = self.lock();
        let Some(lead) = state.leads.get(lead_id) else {
            return Ok(false);
        };
        // A test lead stays out of the figures, as the table's condition keeps it out.
        if models::v4::stored::is_test(&lead.raw) {
            return Ok(false);
        }
        let key = (
            lead.summary.business_id.clone(),
            stats_day(lead.create_timestamp),
        );
        if !state.counted.insert(lead_id.to_owned()) {
            return Ok(false);
        }
        state
            .daily
            .entry(key)
            .or_insert_with_key(|(_, day)| empty_day(day))
            .leads += 1;
        Ok(true)
    }

    async fn daily_stats(
        &self,
        business_id: &str,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<DayStats>, StoreError> {
        self.check()?;
        let state = self.lock();
        Ok(state
            .daily
            .iter()
            .filter(|((business, day), _)| {
                business == business_id && from_day <= day.as_str() && day.as_str() <= to_day
            })
            .map(|(_, stats)| stats.clone())
            .collect())
    }
}

impl BusinessDesk for MemoryStore {
    async fn settings(&self, business_id: &str) -> Result<Option<BusinessSettings>, StoreError> {
        self.check()?;
        Ok(self.lock().settings.get(business_id).cloned())
    }

    async fn save_settings(
        &self,
        business_id: &str,
        settings: &BusinessSettings,
        _at_ms: u64,
    ) -> Result<(), StoreError> {
        self.check()?;
        self.lock()
            .settings
            .insert(business_id.to_owned(), settings.clone());
        Ok(())
    }

    async fn note_acknowledgement(
        &self,
        lead_id: &str,
        note: &AckNote,
    ) -> Result<Option<AckNote>, StoreError> {
        self.check()?;
        let mut state = self.lock();
        if let Some(noted) = state.acknowledgements.get(lead_id)
            && noted.status.is_final()
        {
            return Ok(Some(noted.clone()));
        }
        state
            .acknowledgements
            .insert(lead_id.to_owned(), note.clone());
        Ok(None)
    }

    async fn mark_unanswered(
        &self,
        lead_id: &str,
        _business_id: &str,
        at_ms: u64,
    ) -> Result<bool, StoreError> {
        self.check()?;
        let mut state = self.lock();
        if state.unanswered.contains_key(lead_id) {
            return Ok(false);
        }
        state.unanswered.insert(lead_id.to_owned(), at_ms);
        Ok(true)
    }
}

/// Keeps every enqueued reply, in order.
#[derive(Debug, Default)]
pub struct RecordingOutbox {
    pub enqueued: Mutex<Vec<ReplyRequest>>,
}

impl RecordingOutbox {
    pub fn replies(&self) -> Vec<ReplyRequest> {
        self.enqueued.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl Outbox for RecordingOutbox {
    async fn enqueue(&self, reply: &ReplyRequest) -> Result<(), QueueError> {
        if let Ok(mut enqueued) = self.enqueued.lock() {
            enqueued.push(reply.clone());
        }
        Ok(())
    }
}

/// Keeps every wake-up asked for, with its time.
#[derive(Debug, Default)]
pub struct RecordingScheduler {
    pub asked: Mutex<Vec<(Wakeup, u64)>>,
}

impl RecordingScheduler {
    pub fn wakeups(&self) -> Vec<(Wakeup, u64)> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl Scheduler for RecordingScheduler {
    async fn wake_at(&self, wakeup: &Wakeup, at_ms: u64) -> Result<(), ScheduleError> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push((wakeup.clone(), at_ms));
        }
        Ok(())
    }
}
