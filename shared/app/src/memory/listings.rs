//! [`Listings`] of [`MemoryStore`], in the order and with the positions of the DynamoDB indexes:
//! a business's leads by `<createTimestamp>#<leadID>` descending, the changes feed by
//! `<time>#<PK>#<SK>` ascending (docs/data-model.md).

use super::store::MemoryStore;
use crate::ports::{
    Change, ChangeRecord, CreatedWindow, Cursor, LeadSummary, Listings, Page, QuarantineRecord,
    StoreError,
};
use models::ReplyStatus;

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
            .map(|lead| &lead.summary)
            .filter(|lead| lead.business_id == business_id)
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
            .map(|lead| {
                let mut lead = lead.clone();
                lead.first_reply_sent_at_ms = state.answered.get(&lead.lead_id).copied();
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

    async fn list_quarantine(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<QuarantineRecord>, StoreError> {
        self.check()?;
        let mut listed: Vec<(String, QuarantineRecord)> = self
            .lock()
            .quarantine
            .values()
            .map(|r| {
                let position = format!("{:015}#{}", r.first_received_at_ms, r.digest);
                (position, r.clone())
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
        for ((lead_id, digest), record) in &state.revisions {
            add(
                record.received_at_ms,
                format!("LEAD#{lead_id}#REV#{digest}"),
                Change::Revision {
                    lead_id: lead_id.clone(),
                    of: record.of,
                    id: record.id.clone(),
                    digest: digest.clone(),
                },
            );
        }
        for reply in state.replies.values() {
            let (Some((at_ms, http_status)), ReplyStatus::Sent | ReplyStatus::Failed) =
                (reply.outcome, reply.record.status)
            else {
                continue;
            };
            let request = &reply.request;
            add(
                at_ms,
                format!("LEAD#{}#REPLY#{}", request.lead_id, request.reply_id),
                Change::Reply {
                    lead_id: request.lead_id.clone(),
                    business_id: request.business_id.clone(),
                    reply_id: request.reply_id.clone(),
                    status: reply.record.status,
                    http_status,
                    attempt: reply.record.attempts,
                },
            );
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
fn page<T>(listed: Vec<(String, T)>, limit: usize, at_end: Option<Cursor>) -> Page<T> {
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
