//! [`Listings`] of [`MemoryStore`], in the order and with the positions of the DynamoDB indexes:
//! a business's leads by `<createTimestamp>#<leadID>` descending, the changes feed by
//! `<time>#<PK>#<SK>` ascending (docs/data-model.md).

use super::store::MemoryStore;
use crate::ports::{
    Change, ChangeRecord, CreatedWindow, Cursor, LeadSummary, Listed, Listings, Page,
    ReviewRecord, StoreError,
};

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
    ) -> Result<Page<ChangeRecord>, StoreError> {
        self.check()?;
        let state = self.lock();
        let mut all: Vec<(String, ChangeRecord)> = Vec::new();
        let mut add = |at_ms: u64, key: String, change: Change| {
            all.push((format!("{at_ms:015}#{key}"), ChangeRecord { at_ms, change }));
        };
        for lead in state.leads.values() {
            let lead = &lead.summary;
            add(
                lead.received_at_ms,
                format!("LEAD#{}#LEAD", lead.lead_id),
                Change::Lead {
                    lead_id: lead.lead_id.clone(),
                    business_id: lead.business_id.clone(),
                    create_timestamp: lead.create_timestamp,
                },
            );
        }
        for ((lead_id, message_id), (record, business_id)) in &state.messages {
            add(
                record.received_at_ms,
                format!("LEAD#{lead_id}#MSG#{message_id}"),
                Change::Message {
                    lead_id: lead_id.clone(),
                    business_id: business_id.clone(),
                    message_id: message_id.clone(),
                    create_timestamp: record.create_timestamp,
                },
            );
        }
        for ((owner, digest), record) in &state.revisions {
            // A review's revisions live under the review (`review:<id>`), the rest under a lead.
            let (lead_id, key) = match owner.strip_prefix("review:") {
                Some(review_id) => (None, format!("REVIEW#{review_id}#REV#{digest}")),
                None => (Some(owner.clone()), format!("LEAD#{owner}#REV#{digest}")),
            };
            add(
                record.received_at_ms,
                key,
                Change::Revision {
                    lead_id,
                    of: record.of,
                    id: record.id.clone(),
                    digest: digest.clone(),
                },
            );
        }
        for ((lead_id, digest), update) in &state.updates {
            add(
                update.received_at_ms,
                format!("LEAD#{lead_id}#UPD#{digest}"),
                Change::LeadUpdate {
                    lead_id: lead_id.clone(),
                    digest: digest.clone(),
                    lead_price: update.lead_price.clone().set(),
                    charge_state: update.charge_state.clone().set(),
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
                *at_ms,
                format!("LEAD#{lead_id}#UNANSWERED"),
                Change::Unanswered {
                    lead_id: lead_id.clone(),
                    business_id,
                },
            );
        }
        for (review_id, review) in &state.reviews {
            add(
                review.record.received_at_ms,
                format!("REVIEW#{review_id}#REVIEW"),
                Change::Review {
                    review_id: review_id.clone(),
                    business_id: review.business_id.clone(),
                    lead_id: review.lead_id.clone(),
                },
            );
        }
        for reply in state.replies.values() {
            let request = &reply.request;
            for &(at_ms, status, attempt, http_status) in &reply.outcomes {
                add(
                    at_ms,
                    format!(
                        "LEAD#{}#OUTCOME#{}#{attempt:05}",
                        request.lead_id, request.reply_id
                    ),
                    Change::Reply {
                        lead_id: request.lead_id.clone(),
                        business_id: request.business_id.clone(),
                        reply_id: request.reply_id.clone(),
                        status,
                        http_status,
                        attempt,
                    },
                );
            }
        }
        for record in state.quarantine.values() {
            add(
                record.first_received_at_ms,
                format!("QUARANTINE#{}#QUARANTINE", record.digest),
                Change::Quarantined {
                    route: record.route.clone(),
                    digest: record.digest.clone(),
                    problem_count: record.problems.total() as u64,
                },
            );
        }
        let from = match after {
            Some(after) => after.0.clone(),
            None => format!("{since_ms:015}"),
        };
        let before = format!("{before_ms:015}");
        let mut listed: Vec<(String, ChangeRecord)> = all
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
