//! [`MemoryStore`]: leads, messages, lead updates, reviews, revisions and quarantine in memory,
//! with faults on demand.

use crate::ports::{
    ConversationRecords, Insert, LeadRef, LeadStore, LeadSummary, MessageRecord, NewLead,
    NewLeadUpdate, NewMessage, NewReview, NewRevision, Price, QuarantineRecord, Quarantined,
    ReplyRecord, ReviewRecord, RevisionRecord, StoreError, UpdateInsert, UpdateRecord,
};
use models::{Problems, ReplyRequest, RevisionOf};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Default)]
pub struct MemoryStore {
    pub(super) state: Mutex<State>,
    pub(super) failing: AtomicBool,
    pub(super) too_large: AtomicBool,
    pub(super) sent_failures: std::sync::atomic::AtomicU32,
    pub(super) first_reply_failures: std::sync::atomic::AtomicU32,
    /// One more than the calls left before every call fails; 0: no such limit.
    pub(super) calls_left: std::sync::atomic::AtomicU64,
    /// Recording a refusal fails (and only that).
    pub(super) refusals_failing: AtomicBool,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) leads: BTreeMap<String, StoredLead>,
    /// By (leadID, messageID): the message and its businessID.
    pub(super) messages: BTreeMap<(String, String), (MessageRecord, String)>,
    pub(super) revisions: BTreeMap<(String, String), RevisionRecord>,
    pub(super) quarantine: BTreeMap<String, QuarantineRecord>,
    /// By (leadID, digest).
    pub(super) updates: BTreeMap<(String, String), UpdateRecord>,
    /// By reviewID: its body as received, and when.
    pub(super) reviews: BTreeMap<String, StoredReview>,
    /// By (leadID, reviewID): the reviews a lead's conversation shows.
    pub(super) lead_reviews: BTreeMap<(String, String), ReviewRecord>,
    /// By replyID: the reply, its lead and its state.
    pub(super) replies: BTreeMap<String, StoredReply>,
    /// Leads whose first reply was sent, and when.
    /// By businessID: the saved speed-to-lead settings.
    pub(super) settings: BTreeMap<String, crate::speed::BusinessSettings>,
    /// By leadID: what became of its acknowledgement.
    pub(super) acknowledgements: BTreeMap<String, crate::ports::AckNote>,
    /// By leadID: when it was recorded unanswered.
    pub(super) unanswered: BTreeMap<String, u64>,
    /// By leadID: when its first reply was sent, and whether it was automatic.
    pub(super) answered: BTreeMap<String, (u64, bool)>,
    /// By leadID: when its first person's reply was sent.
    pub(super) answered_by_person: BTreeMap<String, u64>,
    /// The leads counted in their business's day.
    pub(super) counted: std::collections::BTreeSet<String>,
    /// By (businessID, day): the day's figures.
    pub(super) daily: BTreeMap<(String, String), crate::ports::DayStats>,
    /// Refusals counted, by (minute, route, reason).
    pub(super) refusals: BTreeMap<(String, &'static str, &'static str), crate::ports::RefusalCount>,
    /// By businessID: the hash of our webhook's secret.
    pub(super) webhooks: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub(super) struct StoredLead {
    pub(super) raw: String,
    pub(super) create_timestamp: u64,
    pub(super) warnings: Problems,
    pub(super) lead_price: Option<String>,
    pub(super) charge_state: Option<String>,
    /// When the price and the charge state were last set by an update (0: the lead's own).
    pub(super) price_at_ms: u64,
    pub(super) charge_at_ms: u64,
    /// What the listings show of it (its first reply comes from `answered`).
    pub(super) summary: LeadSummary,
}

#[derive(Debug, Clone)]
pub(super) struct StoredReview {
    pub(super) record: ReviewRecord,
    pub(super) business_id: String,
    pub(super) lead_id: Option<String>,
    /// Its place among its business's reviews (`NewReview::listed_at_seconds`).
    pub(super) listed_at_seconds: u64,
}

#[derive(Debug, Clone)]
pub(super) struct StoredReply {
    pub(super) request: ReplyRequest,
    pub(super) record: ReplyRecord,
    pub(super) lease_until_ms: u64,
    /// Each try that ended (sent or failed): when, how, the try, and Thumbtack's status then.
    /// Kept when the reply is tried again, as the feed keeps them.
    pub(super) outcomes: Vec<(u64, models::ReplyStatus, u32, Option<u16>)>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `calls` calls work and every one after fails as if storage went away: a crash
    /// between two writes of one delivery.
    pub fn fail_after(&self, calls: u64) {
        self.calls_left.store(calls + 1, Ordering::SeqCst);
    }

    /// The next `times` attempts to record a reply as sent fail as if storage were unavailable.
    pub fn fail_recording_sent(&self, times: u32) {
        self.sent_failures.store(times, Ordering::SeqCst);
    }

    /// The next `times` attempts to mark a lead answered (its first reply) fail as if storage
    /// were unavailable.
    pub fn fail_marking_answered(&self, times: u32) {
        self.first_reply_failures.store(times, Ordering::SeqCst);
    }

    /// From now on every call fails as if storage were unavailable (`true`), or every call works
    /// (`false`, which also ends [`MemoryStore::fail_after`]).
    pub fn fail_all_calls(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
        if !failing {
            self.calls_left.store(0, Ordering::SeqCst);
        }
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

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic in another test thread must not hide this test's result.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn check(&self) -> Result<(), StoreError> {
        let out_of_calls = self
            .calls_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                (left > 1).then(|| left - 1)
            })
            .is_err_and(|left| left == 1);
        if out_of_calls || self.failing.load(Ordering::SeqCst) {
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
        let typed = lead.lead;
        let location = &typed.request.location;
        let stored = StoredLead {
            raw: lead.raw.to_owned(),
            create_timestamp: typed.create_timestamp.0,
            warnings: lead.warnings.clone(),
            lead_price: typed.lead_price.clone(),
            charge_state: typed.charge_state.clone(),
            price_at_ms: 0,
            charge_at_ms: 0,
            summary: LeadSummary {
                lead_id: typed.lead_id.clone(),
                business_id: typed.business.business_id.clone(),
                contract: lead.marks.contract,
                create_timestamp: typed.create_timestamp.0,
                received_at_ms: lead.received_at_ms,
                category: typed.request.category.clone(),
                title: typed.request.title.clone(),
                city: location.city.clone(),
                state: location.state.clone(),
                zip_code: location.zip_code.clone(),
                lead_type: typed.lead_type.as_ref().map(|t| t.as_str().to_owned()),
                // Listed from the lead's current price (`lead_price`, `charge_state`).
                lead_price: None,
                charge_state: None,
                first_reply_sent_at_ms: None,
                first_reply_automatic: None,
            },
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
        if let Some((existing, _)) = state.messages.get(&key) {
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
        let business_id = message.message.business_id.clone();
        state.messages.insert(key, (record, business_id));
        Ok(Insert::Created)
    }

    async fn insert_revision(&self, revision: NewRevision<'_>) -> Result<Insert, StoreError> {
        self.check()?;
        let owner = match (revision.of, revision.lead_id) {
            (RevisionOf::Review, _) | (_, None) => format!("review:{}", revision.id),
            (_, Some(lead_id)) => lead_id.to_owned(),
        };
        let key = (owner, revision.digest.to_owned());
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
                replay: None,
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
            lead_received_at_ms: lead.map(|l| l.summary.received_at_ms),
            lead_warnings: lead.map(|l| l.warnings.clone()).unwrap_or_default(),
            lead_price: lead.and_then(|l| l.lead_price.clone()),
            charge_state: lead.and_then(|l| l.charge_state.clone()),
            updates: state
                .updates
                .iter()
                .filter(|((lead, _), _)| lead == lead_id)
                .map(|(_, record)| record.clone())
                .collect(),
            reviews: state
                .lead_reviews
                .iter()
                .filter(|((lead, _), _)| lead == lead_id)
                .map(|(_, record)| record.clone())
                .collect(),
            messages: state
                .messages
                .iter()
                .filter(|((lead, _), _)| lead == lead_id)
                .map(|(_, (record, _))| record.clone())
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
            acknowledgement: state.acknowledgements.get(lead_id).cloned(),
            unanswered_at_ms: state.unanswered.get(lead_id).copied(),
        })
    }

    async fn insert_update(&self, new: NewLeadUpdate<'_>) -> Result<UpdateInsert, StoreError> {
        self.check()?;
        let key = (new.update.lead_id.clone(), new.digest.to_owned());
        let mut state = self.lock();
        if let Some(existing) = state.updates.get(&key) {
            return Ok(UpdateInsert {
                created: false,
                stored_at_ms: existing.received_at_ms,
            });
        }
        let record = UpdateRecord {
            lead_price: new.update.lead_price.clone(),
            charge_state: new.update.charge_state.clone(),
            received_at_ms: new.received_at_ms,
        };
        state.updates.insert(key, record);
        Ok(UpdateInsert {
            created: true,
            stored_at_ms: new.received_at_ms,
        })
    }

    async fn apply_price(&self, lead_id: &str, price: Price<'_>) -> Result<bool, StoreError> {
        self.check()?;
        let mut state = self.lock();
        let Some(lead) = state.leads.get_mut(lead_id) else {
            return Ok(false);
        };
        let fields = [
            (
                price.lead_price,
                &mut lead.lead_price,
                &mut lead.price_at_ms,
            ),
            (
                price.charge_state,
                &mut lead.charge_state,
                &mut lead.charge_at_ms,
            ),
        ];
        for (given, value, at_ms) in fields {
            if !given.is_unchanged() && *at_ms < price.at_ms {
                *value = given.set().map(str::to_owned);
                *at_ms = price.at_ms;
            }
        }
        Ok(true)
    }

    async fn stored_updates(&self, lead_id: &str) -> Result<Vec<UpdateRecord>, StoreError> {
        self.check()?;
        Ok(self
            .lock()
            .updates
            .iter()
            .filter(|((lead, _), _)| lead == lead_id)
            .map(|(_, record)| record.clone())
            .collect())
    }

    async fn insert_review(&self, new: NewReview<'_>) -> Result<Insert, StoreError> {
        self.check()?;
        let mut state = self.lock();
        if let Some(existing) = state.reviews.get(&new.review.review_id) {
            return Ok(Insert::Exists {
                raw: existing.record.raw.clone(),
            });
        }
        let stored = StoredReview {
            record: ReviewRecord {
                raw: new.raw.to_owned(),
                received_at_ms: new.received_at_ms,
            },
            business_id: new.review.business_id.clone(),
            lead_id: new.review.lead_id.clone(),
            listed_at_seconds: new.listed_at_seconds(),
        };
        state.reviews.insert(new.review.review_id.clone(), stored);
        Ok(Insert::Created)
    }

    async fn link_review(&self, new: NewReview<'_>, lead_id: &str) -> Result<(), StoreError> {
        self.check()?;
        let record = ReviewRecord {
            raw: new.raw.to_owned(),
            received_at_ms: new.received_at_ms,
        };
        self.lock()
            .lead_reviews
            .entry((lead_id.to_owned(), new.review.review_id.clone()))
            .or_insert(record);
        Ok(())
    }

    async fn stored_lead(&self, lead_id: &str) -> Result<Option<LeadRef>, StoreError> {
        self.check()?;
        Ok(self.lock().leads.get(lead_id).map(lead_ref))
    }

    async fn stored_leads(
        &self,
        lead_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, LeadRef>, StoreError> {
        self.check()?;
        let state = self.lock();
        Ok(lead_ids
            .iter()
            .filter_map(|id| Some(((*id).to_owned(), lead_ref(state.leads.get(*id)?))))
            .collect())
    }
}

fn lead_ref(lead: &StoredLead) -> LeadRef {
    LeadRef {
        received_at_ms: lead.summary.received_at_ms,
        business_id: lead.summary.business_id.clone(),
    }
}
