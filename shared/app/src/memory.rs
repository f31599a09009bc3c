//! In-memory implementations of the ports for fast unit tests of logic. Not for production: the
//! real adapters (DynamoDB, SQS, reqwest) are tested against the emulator and a real HTTP server.

use crate::ports::{
    Accepted, Claim, ConversationRecords, Insert, LeadStore, MessageRecord, NewLead, NewMessage,
    NewRevision, Parked, QuarantineRecord, Quarantined, QueueError, ReplyClaim, ReplyLedger,
    ReplyQueue, ReplyRecord, RevisionRecord, SendError, Settled, StoreError, Thumbtack,
};
use models::{Problems, ReplyRequest, ReplyStatus};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    failing: AtomicBool,
    too_large: AtomicBool,
    sent_failures: std::sync::atomic::AtomicU32,
}

#[derive(Debug, Default)]
struct State {
    leads: BTreeMap<String, StoredLead>,
    messages: BTreeMap<(String, String), MessageRecord>,
    revisions: BTreeMap<(String, String), RevisionRecord>,
    quarantine: BTreeMap<String, QuarantineRecord>,
    /// By replyID: the reply, its lead and its state.
    replies: BTreeMap<String, StoredReply>,
    /// Leads whose first reply was sent.
    answered: Vec<String>,
}

#[derive(Debug, Clone)]
struct StoredLead {
    raw: String,
    create_timestamp: u64,
    warnings: Problems,
}

#[derive(Debug, Clone)]
struct StoredReply {
    request: ReplyRequest,
    record: ReplyRecord,
    lease_until_ms: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `times` attempts to record a reply as sent fail as if storage were unavailable.
    pub fn fail_recording_sent(&self, times: u32) {
        self.sent_failures.store(times, Ordering::SeqCst);
    }

    /// From now on every call fails as if storage were unavailable.
    pub fn fail_all_calls(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// From now on leads and messages are refused as over the item size limit.
    pub fn refuse_as_too_large(&self, refusing: bool) {
        self.too_large.store(refusing, Ordering::SeqCst);
    }

    /// What was stored as wrong with a lead's fields.
    pub fn lead_warnings(&self, lead_id: &str) -> Option<Problems> {
        self.lock().leads.get(lead_id).map(|l| l.warnings.clone())
    }

    pub fn lead_count(&self) -> usize {
        self.lock().leads.len()
    }

    /// The body stored for a lead, as received.
    pub fn lead_raw(&self, lead_id: &str) -> Option<String> {
        self.lock().leads.get(lead_id).map(|l| l.raw.clone())
    }

    pub fn message_count(&self) -> usize {
        self.lock().messages.len()
    }

    pub fn revision_count(&self) -> usize {
        self.lock().revisions.len()
    }

    /// The ledger's record of a reply.
    pub fn reply(&self, reply_id: &str) -> Option<ReplyRecord> {
        self.lock().replies.get(reply_id).map(|r| r.record.clone())
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

    fn check_size(&self) -> Result<(), StoreError> {
        if self.too_large.load(Ordering::SeqCst) {
            return Err(StoreError::TooLarge("injected item size refusal".into()));
        }
        Ok(())
    }
}

impl LeadStore for MemoryStore {
    async fn insert_lead(&self, lead: NewLead<'_>) -> Result<Insert, StoreError> {
        self.check()?;
        let mut state = self.lock();
        if let Some(stored) = state.leads.get(&lead.lead.lead_id) {
            return Ok(Insert::Exists {
                raw: stored.raw.clone(),
            });
        }
        self.check_size()?;
        let stored = StoredLead {
            raw: lead.raw.to_owned(),
            create_timestamp: lead.lead.create_timestamp.0,
            warnings: lead.warnings.clone(),
        };
        state.leads.insert(lead.lead.lead_id.clone(), stored);
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
        self.check_size()?;
        let record = MessageRecord {
            message_id: key.1.clone(),
            create_timestamp: message.message.message.create_timestamp.0,
            raw: message.raw.to_owned(),
            received_at_ms: message.received_at_ms,
            warnings: message.warnings.clone(),
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
                problems: payload.problems.clone(),
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
        let lead = state.leads.get(lead_id);
        Ok(ConversationRecords {
            lead_raw: lead.map(|l| l.raw.clone()),
            lead_warnings: lead.map(|l| l.warnings.clone()).unwrap_or_default(),
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
            replies: state
                .replies
                .values()
                .filter(|reply| reply.request.lead_id == lead_id)
                .map(|reply| reply.record.clone())
                .collect(),
        })
    }
}

impl ReplyLedger for MemoryStore {
    async fn claim(&self, claim: ReplyClaim<'_>) -> Result<Claim, StoreError> {
        self.check()?;
        let mut state = self.lock();
        let Some(stored) = state.replies.get_mut(&claim.reply.reply_id) else {
            let record = ReplyRecord {
                reply_id: claim.reply.reply_id.clone(),
                text: claim.reply.text.clone(),
                status: ReplyStatus::Sending,
                error: None,
                enqueued_at_ms: claim.enqueued_at_ms,
                sequence: claim.sequence.map(str::to_owned),
                attempts: 1,
            };
            state.replies.insert(
                claim.reply.reply_id.clone(),
                StoredReply {
                    request: claim.reply.clone(),
                    record,
                    lease_until_ms: claim.lease_until_ms,
                },
            );
            return Ok(Claim::Claimed { attempt: 1 });
        };
        if stored.request != *claim.reply {
            return Ok(Claim::Conflict {
                reason: "replyID already used for a different reply".to_owned(),
            });
        }
        if stored.record.status == ReplyStatus::Sent {
            return Ok(Claim::AlreadySent);
        }
        if stored.lease_until_ms > claim.now_ms {
            return Ok(Claim::Busy {
                lease_until_ms: stored.lease_until_ms,
            });
        }
        stored.record.status = ReplyStatus::Sending;
        stored.record.attempts += 1;
        stored.lease_until_ms = claim.lease_until_ms;
        Ok(Claim::Claimed {
            attempt: stored.record.attempts,
        })
    }

    async fn mark_sent(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        _status: u16,
        _now: u64,
    ) -> Result<Settled, StoreError> {
        let left = self.sent_failures.load(Ordering::SeqCst);
        if left > 0 {
            self.sent_failures.store(left - 1, Ordering::SeqCst);
            return Err(StoreError::Unavailable(
                "injected fault recording sent".into(),
            ));
        }
        self.update(reply, attempt, |stored| {
            stored.record.status = ReplyStatus::Sent;
            stored.record.error = None;
            stored.lease_until_ms = 0;
        })
    }

    async fn mark_retrying(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        _now: u64,
    ) -> Result<Settled, StoreError> {
        self.update(reply, attempt, |stored| {
            stored.record.error = Some(error.to_owned());
            stored.lease_until_ms = 0;
        })
    }

    async fn mark_failed(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        _status: Option<u16>,
        _now: u64,
    ) -> Result<Settled, StoreError> {
        self.update(reply, attempt, |stored| {
            stored.record.status = ReplyStatus::Failed;
            stored.record.error = Some(error.to_owned());
            stored.lease_until_ms = 0;
        })
    }

    async fn release(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        _now: u64,
    ) -> Result<Settled, StoreError> {
        self.update(reply, attempt, |stored| stored.lease_until_ms = 0)
    }

    async fn first_reply(&self, lead_id: &str, _now: u64) -> Result<Option<u64>, StoreError> {
        self.check()?;
        let mut state = self.lock();
        let Some(lead) = state.leads.get(lead_id) else {
            return Ok(None);
        };
        let created = lead.create_timestamp;
        if state.answered.iter().any(|l| l == lead_id) {
            return Ok(None);
        }
        state.answered.push(lead_id.to_owned());
        Ok(Some(created))
    }
}

impl MemoryStore {
    fn update(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        change: impl FnOnce(&mut StoredReply),
    ) -> Result<Settled, StoreError> {
        self.check()?;
        let mut state = self.lock();
        let stored = state
            .replies
            .get_mut(&reply.reply_id)
            .ok_or_else(|| StoreError::Corrupt("no such reply".to_owned()))?;
        if stored.record.attempts != attempt || stored.record.status == ReplyStatus::Sent {
            return Ok(Settled::Superseded);
        }
        change(stored);
        Ok(Settled::Recorded)
    }
}

/// A [`Thumbtack`] that answers from a script and records what it was sent.
#[derive(Debug, Default)]
pub struct ScriptedThumbtack {
    script: Mutex<VecDeque<Result<Accepted, SendError>>>,
    sent: Mutex<Vec<(String, String, String)>>,
}

impl ScriptedThumbtack {
    /// Answers these in order, then 200 for ever.
    pub fn answering(answers: impl IntoIterator<Item = Result<Accepted, SendError>>) -> Self {
        ScriptedThumbtack {
            script: Mutex::new(answers.into_iter().collect()),
            sent: Mutex::default(),
        }
    }

    /// `(businessID, leadID, text)` of every call, in order.
    pub fn calls(&self) -> Vec<(String, String, String)> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A 503, the typical transient answer.
pub fn unavailable() -> SendError {
    SendError::Transient {
        status: Some(503),
        retry_after: None,
        detail: "Thumbtack answered 503".to_owned(),
    }
}

impl Thumbtack for ScriptedThumbtack {
    async fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> Result<Accepted, SendError> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((business_id.to_owned(), lead_id.to_owned(), text.to_owned()));
        self.script
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop_front()
            .unwrap_or(Ok(Accepted { status: 200 }))
    }
}

/// A [`ReplyQueue`] that records what the handler asked of it.
#[derive(Debug, Default)]
pub struct RecordingQueue {
    delays: Mutex<Vec<(String, Duration)>>,
    parked: Mutex<Vec<(String, String)>>,
    failing: AtomicBool,
}

impl RecordingQueue {
    /// `(receipt handle, delay)` of every `retry_later`.
    pub fn delays(&self) -> Vec<(String, Duration)> {
        self.delays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `(message id, reason)` of every parked message.
    pub fn parked(&self) -> Vec<(String, String)> {
        self.parked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn fail_all_calls(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError("injected queue fault".into()));
        }
        Ok(())
    }
}

impl ReplyQueue for RecordingQueue {
    async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        self.check()?;
        self.delays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((receipt_handle.to_owned(), delay));
        Ok(())
    }

    async fn park(&self, parked: Parked<'_>) -> Result<(), QueueError> {
        self.check()?;
        self.parked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((parked.message_id.to_owned(), parked.reason.to_owned()));
        Ok(())
    }
}
