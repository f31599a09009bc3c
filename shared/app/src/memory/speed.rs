//! Speed to lead over [`MemoryStore`], and an outbox and a scheduler that keep what they were
//! given.

use super::MemoryStore;
use crate::ports::{
    AckNote, BusinessDesk, Outbox, QueueError, ScheduleError, Scheduler, StoreError, Wakeup,
};
use crate::speed::BusinessSettings;
use models::ReplyRequest;
use std::sync::Mutex;

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
