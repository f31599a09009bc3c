//! An in-memory [`LeadStore`] for fast unit tests of logic. Not for production: the real store is
//! the DynamoDB adapter, which the emulator tests exercise.

use crate::ports::{
    ConversationRecords, Insert, LeadStore, LeadSummary, MessageRecord, NewLead, NewMessage,
    NewRevision, QuarantineRecord, Quarantined, RevisionRecord, StoreError,
};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    failing: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    leads: BTreeMap<String, (String, LeadSummary, String)>,
    messages: BTreeMap<(String, String), MessageRecord>,
    revisions: BTreeMap<(String, String), RevisionRecord>,
    quarantine: BTreeMap<String, QuarantineRecord>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on every call fails as if storage were unavailable.
    pub fn fail_all_calls(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn lead_count(&self) -> usize {
        self.lock().leads.len()
    }

    /// The body stored for a lead, as received.
    pub fn lead_raw(&self, lead_id: &str) -> Option<String> {
        self.lock()
            .leads
            .get(lead_id)
            .map(|(raw, _, _)| raw.clone())
    }

    pub fn message_count(&self) -> usize {
        self.lock().messages.len()
    }

    pub fn revision_count(&self) -> usize {
        self.lock().revisions.len()
    }

    pub fn quarantine_records(&self) -> Vec<QuarantineRecord> {
        self.lock().quarantine.values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic in another test thread must not hide this test's result.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected storage fault".into()));
        }
        Ok(())
    }
}

impl LeadStore for MemoryStore {
    async fn insert_lead(&self, lead: NewLead<'_>) -> Result<Insert, StoreError> {
        self.check()?;
        let mut state = self.lock();
        if let Some((raw, _, _)) = state.leads.get(&lead.lead.lead_id) {
            return Ok(Insert::Exists { raw: raw.clone() });
        }
        let summary = LeadSummary {
            lead_id: lead.lead.lead_id.clone(),
            create_timestamp: lead.lead.create_timestamp.0,
            category: lead.lead.request.category.clone(),
            title: lead.lead.request.title.clone(),
            received_at_ms: lead.received_at_ms,
        };
        let business = lead.lead.business.business_id.clone();
        state.leads.insert(
            lead.lead.lead_id.clone(),
            (lead.raw.to_owned(), summary, business),
        );
        Ok(Insert::Created)
    }

    async fn insert_message(&self, message: NewMessage<'_>) -> Result<Insert, StoreError> {
        self.check()?;
        let key = (
            message.message.lead_id.clone(),
            message.message.message.message_id.clone(),
        );
        let mut state = self.lock();
        if let Some(existing) = state.messages.get(&key) {
            return Ok(Insert::Exists {
                raw: existing.raw.clone(),
            });
        }
        let record = MessageRecord {
            message_id: key.1.clone(),
            raw: message.raw.to_owned(),
            received_at_ms: message.received_at_ms,
        };
        state.messages.insert(key, record);
        Ok(Insert::Created)
    }

    async fn insert_revision(&self, revision: NewRevision<'_>) -> Result<Insert, StoreError> {
        self.check()?;
        let key = (revision.lead_id.to_owned(), revision.digest.to_owned());
        let mut state = self.lock();
        if let Some(existing) = state.revisions.get(&key) {
            return Ok(Insert::Exists {
                raw: existing.raw.clone(),
            });
        }
        let record = RevisionRecord {
            of: revision.of,
            id: revision.id.to_owned(),
            raw: revision.raw.to_owned(),
            received_at_ms: revision.received_at_ms,
        };
        state.revisions.insert(key, record);
        Ok(Insert::Created)
    }

    async fn quarantine(&self, payload: Quarantined<'_>) -> Result<(), StoreError> {
        self.check()?;
        let mut state = self.lock();
        let record = state
            .quarantine
            .entry(payload.digest.to_owned())
            .or_insert_with(|| QuarantineRecord {
                route: payload.route.as_str().to_owned(),
                digest: payload.digest.to_owned(),
                raw: payload.raw.to_vec(),
                problems: payload.problems.to_vec(),
                deliveries: 0,
                first_received_at_ms: payload.received_at_ms,
                last_received_at_ms: payload.received_at_ms,
            });
        record.deliveries += 1;
        record.last_received_at_ms = payload.received_at_ms;
        Ok(())
    }

    async fn conversation(&self, lead_id: &str) -> Result<ConversationRecords, StoreError> {
        self.check()?;
        let state = self.lock();
        Ok(ConversationRecords {
            lead_raw: state.leads.get(lead_id).map(|(raw, _, _)| raw.clone()),
            messages: state
                .messages
                .iter()
                .filter(|((lead, _), _)| lead == lead_id)
                .map(|(_, record)| record.clone())
                .collect(),
            revisions: state
                .revisions
                .iter()
                .filter(|((lead, _), _)| lead == lead_id)
                .map(|(_, record)| record.clone())
                .collect(),
        })
    }

    async fn business_leads(
        &self,
        business_id: &str,
        limit: usize,
    ) -> Result<Vec<LeadSummary>, StoreError> {
        self.check()?;
        let mut leads: Vec<LeadSummary> = self
            .lock()
            .leads
            .values()
            .filter(|(_, _, business)| business == business_id)
            .map(|(_, summary, _)| summary.clone())
            .collect();
        leads.sort_by(|a, b| {
            (b.create_timestamp, &b.lead_id).cmp(&(a.create_timestamp, &a.lead_id))
        });
        leads.truncate(limit);
        Ok(leads)
    }

    async fn list_quarantine(&self, limit: usize) -> Result<Vec<QuarantineRecord>, StoreError> {
        self.check()?;
        let mut records = self.quarantine_records();
        records.sort_by_key(|r| std::cmp::Reverse(r.first_received_at_ms));
        records.truncate(limit);
        Ok(records)
    }
}
