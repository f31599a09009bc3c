//! The reply ledger of [`MemoryStore`], with the DynamoDB ledger's claim and lease rules.

use super::store::{MemoryStore, StoredReply};
use crate::ports::{Claim, Recorded, ReplyClaim, ReplyLedger, ReplyRecord, StoreError};
use models::{ReplyRequest, ReplyStatus};
use std::sync::atomic::Ordering;

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
                contract: None,
                sent_message_id: None,
                delivered_at_ms: None,
                echo_message_id: None,
            };
            state.replies.insert(
                claim.reply.reply_id.clone(),
                StoredReply {
                    request: claim.reply.clone(),
                    record,
                    lease_until_ms: claim.lease_until_ms,
                    outcomes: Vec::new(),
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
        status: u16,
        now: u64,
    ) -> Result<Recorded, StoreError> {
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
            stored
                .outcomes
                .push((now, ReplyStatus::Sent, attempt, Some(status)));
        })
    }

    async fn mark_sent_via(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        accepted: &crate::ports::Accepted,
        now: u64,
    ) -> Result<Recorded, StoreError> {
        let recorded = self.mark_sent(reply, attempt, accepted.status, now).await?;
        if recorded == Recorded::Yes
            && let Some(stored) = self.lock().replies.get_mut(&reply.reply_id)
        {
            stored.record.contract = Some(accepted.contract);
            stored.record.sent_message_id = accepted.message_id.clone();
        }
        Ok(recorded)
    }

    async fn mark_delivered(
        &self,
        lead_id: &str,
        reply_id: &str,
        echo_message_id: &str,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        self.check()?;
        let mut state = self.lock();
        if let Some(stored) = state.replies.get_mut(reply_id)
            && stored.request.lead_id == lead_id
            && stored.record.delivered_at_ms.is_none()
        {
            stored.record.delivered_at_ms = Some(at_ms);
            stored.record.echo_message_id = Some(echo_message_id.to_owned());
        }
        Ok(())
    }

    async fn mark_retrying(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        _now: u64,
    ) -> Result<Recorded, StoreError> {
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
        _category: &str,
        status: Option<u16>,
        now: u64,
    ) -> Result<Recorded, StoreError> {
        self.update(reply, attempt, |stored| {
            stored.record.status = ReplyStatus::Failed;
            stored.record.error = Some(error.to_owned());
            stored.lease_until_ms = 0;
            stored
                .outcomes
                .push((now, ReplyStatus::Failed, attempt, status));
        })
    }

    async fn release(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        _now: u64,
    ) -> Result<Recorded, StoreError> {
        self.update(reply, attempt, |stored| stored.lease_until_ms = 0)
    }

    async fn person_replied(&self, lead_id: &str) -> Result<bool, StoreError> {
        self.check()?;
        Ok(self.lock().replies.values().any(|stored| {
            stored.request.lead_id == lead_id
                && !models::reply::is_automatic(&stored.request.reply_id)
        }))
    }

    async fn reply_context(
        &self,
        lead_id: &str,
        acknowledgement: bool,
    ) -> Result<crate::ports::ReplyContext, StoreError> {
        self.check()?;
        let state = self.lock();
        Ok(crate::ports::ReplyContext {
            lead_business_id: state
                .leads
                .get(lead_id)
                .map(|lead| lead.summary.business_id.clone()),
            acknowledgement: acknowledgement
                .then(|| state.acknowledgements.get(lead_id).cloned())
                .flatten(),
            lead_contract: state
                .leads
                .get(lead_id)
                .map(|lead| models::v4::stored::contract_of(&lead.raw)),
            first_reply: None,
        })
    }

    async fn first_reply(
        &self,
        lead_id: &str,
        automatic: bool,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        self.check()?;
        let left = self.first_reply_failures.load(Ordering::SeqCst);
        if left > 0 {
            self.first_reply_failures.store(left - 1, Ordering::SeqCst);
            return Err(StoreError::Unavailable(
                "injected fault marking the lead answered".into(),
            ));
        }
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(lead) = state.leads.get(lead_id) else {
            return Ok(None);
        };
        let first = !state.answered.contains_key(lead_id);
        let first_person = !automatic && !state.answered_by_person.contains_key(lead_id);
        if !first && !first_person {
            return Ok(None);
        }
        let created = lead.create_timestamp;
        let bucket = crate::speed::stats::wait_bucket(
            now.saturating_sub(lead.summary.received_at_ms) / 1000,
        );
        let key = (
            lead.summary.business_id.clone(),
            crate::speed::stats::stats_day(created),
        );
        let day = state
            .daily
            .entry(key)
            .or_insert_with_key(|(_, day)| super::speed::empty_day(day));
        if first_person {
            day.person_replied += 1;
            day.first_person_reply[bucket] += 1;
            state.answered_by_person.insert(lead_id.to_owned(), now);
        }
        if !first {
            return Ok(None);
        }
        day.replied += 1;
        day.automatic_first += u64::from(automatic);
        day.first_reply[bucket] += 1;
        state.answered.insert(lead_id.to_owned(), (now, automatic));
        Ok(Some(created))
    }
}

impl MemoryStore {
    fn update(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        change: impl FnOnce(&mut StoredReply),
    ) -> Result<Recorded, StoreError> {
        self.check()?;
        let mut state = self.lock();
        let stored = state
            .replies
            .get_mut(&reply.reply_id)
            .ok_or_else(|| StoreError::Corrupt("no such reply".to_owned()))?;
        if stored.record.attempts != attempt || stored.record.status == ReplyStatus::Sent {
            return Ok(Recorded::Superseded);
        }
        change(stored);
        Ok(Recorded::Yes)
    }
}
