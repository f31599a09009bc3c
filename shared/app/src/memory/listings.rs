//! [`Listings`] of [`MemoryStore`], in the order and with the positions of the DynamoDB indexes:
//! a business's leads by `<createTimestamp>#<leadID>` descending, the changes feed by
//! `<time>#<PK>#<SK>` ascending (docs/data-model.md).

use super::store::MemoryStore;
use crate::events::{Fact, FeedEntry, LeadFacts};
use crate::ports::{
    CreatedWindow, Cursor, LeadSummary, Listed, Listings, Page, ReviewRecord, StoreError,
};
use models::{ReplyStatus, RevisionOf};

impl Listings for MemoryStore {
    async fn business_leads(
        &self,
        business_id: &str,
        window: CreatedWindow,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<LeadSummary>, StoreError> {
        self.check()?;
        let state = self.lock();
        let mut listed: Vec<(String, LeadSummary)> = state
            .leads
            .values()
            .filter(|lead| lead.summary.business_id == business_id)
            .map(|lead| {
                let mut summary = lead.summary.clone();
                summary.lead_price.clone_from(&lead.lead_price);
                summary.charge_state.clone_from(&lead.charge_state);
                summary
            })
            .filter(|lead| {
                window
                    .since
                    .is_none_or(|since| lead.create_timestamp >= since)
            })
            .filter(|lead| {
                window
                    .until
                    .is_none_or(|until| lead.create_timestamp < until)
            })
            .map(|mut lead| {
                let first = state.answered.get(&lead.lead_id).copied();
                lead.first_reply_sent_at_ms = first.map(|(at, _)| at);
                lead.first_reply_automatic = first.map(|(_, automatic)| automatic);
                (
                    format!("{:012}#{}", lead.create_timestamp, lead.lead_id),
                    lead,
                )
            })
            .filter(|(position, _)| after.is_none_or(|after| *position < after.0))
            .collect();
        listed.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(page(listed, limit, None))
    }

    async fn business_reviews(
        &self,
        business_id: &str,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<Listed<ReviewRecord>>, StoreError> {
        self.check()?;
        let mut listed: Vec<(String, Listed<ReviewRecord>)> = self
            .lock()
            .reviews
            .iter()
            .filter(|(_, review)| review.business_id == business_id)
            .map(|(review_id, review)| {
                let position = format!("{:012}#{review_id}", review.listed_at_seconds);
                let listed = Listed {
                    item: review.record.clone(),
                    after: Cursor(position.clone()),
                };
                (position, listed)
            })
            .filter(|(position, _)| after.is_none_or(|after| *position < after.0))
            .collect();
        listed.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(page(listed, limit, None))
    }

    async fn changes(
        &self,
        since_ms: u64,
        before_ms: u64,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<FeedEntry>, StoreError> {
        self.check()?;
        let state = self.lock();
        // Each fact at its place, as the index keys it; its time is the fact's own.
        let mut all: Vec<(String, FeedEntry)> = Vec::new();
        let mut add = |key: String, fact: Fact| {
            let at_ms = fact.at_ms();
            all.push((format!("{at_ms:015}#{key}"), FeedEntry { at_ms, fact }));
        };
        for lead in state.leads.values() {
            let test = models::v4::stored::is_test(&lead.raw);
            let lead = &lead.summary;
            let contract = lead.contract;
            add(
                format!("LEAD#{}#LEAD", lead.lead_id),
                Fact::LeadStored {
                    lead_id: lead.lead_id.clone(),
                    business_id: lead.business_id.clone(),
                    at_ms: lead.received_at_ms,
                    lead: LeadFacts {
                        category: lead.category.clone(),
                        city: lead.city.clone(),
                        state: lead.state.clone(),
                        zip_code: lead.zip_code.clone(),
                        create_timestamp: lead.create_timestamp,
                        lead_type: lead.lead_type.clone(),
                        lead_price: lead.lead_price.clone(),
                        test,
                        contract,
                    },
                },
            );
        }
        for ((lead_id, message_id), (record, business_id)) in &state.messages {
            add(
                format!("LEAD#{lead_id}#MSG#{message_id}"),
                Fact::MessageStored {
                    lead_id: lead_id.clone(),
                    business_id: business_id.clone(),
                    message_id: message_id.clone(),
                    create_timestamp: record.create_timestamp,
                    lead_known: false,
                    contract: models::v4::stored::contract_of(&record.raw),
                    at_ms: record.received_at_ms,
                },
            );
        }
        for ((owner, digest), record) in &state.revisions {
            let (digest, at_ms) = (digest.clone(), record.received_at_ms);
            // A review's revisions live under the review (`review:<id>`), the rest under a lead.
            let (key, fact) = match (owner.strip_prefix("review:"), record.of) {
                (Some(review_id), _) => (
                    format!("REVIEW#{review_id}#REV#{digest}"),
                    Fact::ReviewRevised {
                        review_id: record.id.clone(),
                        lead_id: None,
                        business_id: None,
                        digest,
                        at_ms,
                    },
                ),
                (None, RevisionOf::Lead) => (
                    format!("LEAD#{owner}#REV#{digest}"),
                    Fact::LeadRevised {
                        lead_id: owner.clone(),
                        business_id: None,
                        digest,
                        at_ms,
                    },
                ),
                (None, RevisionOf::Message) => (
                    format!("LEAD#{owner}#REV#{digest}"),
                    Fact::MessageRevised {
                        lead_id: owner.clone(),
                        business_id: None,
                        message_id: record.id.clone(),
                        digest,
                        at_ms,
                    },
                ),
                (None, RevisionOf::Review) => (
                    format!("LEAD#{owner}#REV#{digest}"),
                    Fact::ReviewRevised {
                        review_id: record.id.clone(),
                        lead_id: Some(owner.clone()),
                        business_id: None,
                        digest,
                        at_ms,
                    },
                ),
            };
            add(key, fact);
        }
        for ((lead_id, digest), update) in &state.updates {
            add(
                format!("LEAD#{lead_id}#UPD#{digest}"),
                Fact::LeadUpdated {
                    lead_id: lead_id.clone(),
                    business_id: None,
                    lead_price: update.lead_price.clone().set(),
                    charge_state: update.charge_state.clone().set(),
                    lead_known: false,
                    digest: digest.clone(),
                    at_ms: update.received_at_ms,
                },
            );
        }
        for (lead_id, at_ms) in &state.unanswered {
            let business_id = state
                .leads
                .get(lead_id)
                .map(|lead| lead.summary.business_id.clone())
                .unwrap_or_default();
            add(
                format!("LEAD#{lead_id}#UNANSWERED"),
                Fact::LeadUnanswered {
                    lead_id: lead_id.clone(),
                    business_id,
                    at_ms: *at_ms,
                },
            );
        }
        for (review_id, review) in &state.reviews {
            add(
                format!("REVIEW#{review_id}#REVIEW"),
                Fact::ReviewReceived {
                    review_id: review_id.clone(),
                    business_id: review.business_id.clone(),
                    lead_id: review.lead_id.clone(),
                    category_id: None,
                    rating: None,
                    verified: None,
                    contract: models::v4::stored::contract_of(&review.record.raw),
                    at_ms: review.record.received_at_ms,
                },
            );
        }
        for reply in state.replies.values() {
            let request = &reply.request;
            for &(at_ms, status, attempt, http_status) in &reply.outcomes {
                let (reply_id, lead_id, business_id) = (
                    request.reply_id.clone(),
                    request.lead_id.clone(),
                    request.business_id.clone(),
                );
                let fact = match status {
                    ReplyStatus::Sent => Fact::ReplySent {
                        reply_id,
                        lead_id,
                        business_id,
                        status: http_status.unwrap_or_default(),
                        attempt,
                        at_ms,
                    },
                    ReplyStatus::Failed => Fact::ReplyFailed {
                        reply_id,
                        lead_id,
                        business_id,
                        status: http_status,
                        reason: "failed".to_owned(),
                        attempt,
                        at_ms,
                    },
                    // Still being tried: not an outcome.
                    ReplyStatus::Sending => continue,
                };
                add(
                    format!(
                        "LEAD#{}#OUTCOME#{}#{attempt:05}",
                        request.lead_id, request.reply_id
                    ),
                    fact,
                );
            }
        }
        for record in state.quarantine.values() {
            add(
                format!("QUARANTINE#{}#QUARANTINE", record.digest),
                Fact::PayloadQuarantined {
                    route: record.route.clone(),
                    problem_count: record.problems.total() as u64,
                    digest: record.digest.clone(),
                    at_ms: record.first_received_at_ms,
                },
            );
        }
        let from = match after {
            Some(after) => after.0.clone(),
            None => format!("{since_ms:015}"),
        };
        let before = format!("{before_ms:015}");
        let mut listed: Vec<(String, FeedEntry)> = all
            .into_iter()
            .filter(|(position, _)| *position > from && *position < before)
            .collect();
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(page(listed, limit, Some(Cursor(from))))
    }
}

/// The first `limit` of `listed` (in order, with their positions), and where the next page
/// starts: the last position given when more follow, else `at_end`.
pub(super) fn page<T>(listed: Vec<(String, T)>, limit: usize, at_end: Option<Cursor>) -> Page<T> {
    let more = listed.len() > limit;
    let mut last = None;
    let items = listed
        .into_iter()
        .take(limit)
        .map(|(position, item)| {
            last = Some(position);
            item
        })
        .collect();
    let next = match (more, last, at_end) {
        (true, Some(last), _) => Some(Cursor(last)),
        // The feed goes on from its last entry (or from where it stood) even at its end.
        (false, Some(last), Some(_)) => Some(Cursor(last)),
        (false, None, at_end) => at_end,
        _ => None,
    };
    Page { items, next }
}
