//! The read side: a lead and its conversation in time order.

use crate::ports::{LeadStore, ReviewRecord, StoreError};
use models::{
    ConversationEntry, ConversationView, Direction, PriceUpdateView, ReplyStatus, ReviewView,
    RevisionView, UnixSeconds,
};
use serde_json::value::RawValue;

/// The conversation of a lead, or `None` while the lead itself has not arrived (even if some of its
/// messages have).
pub async fn view<S: LeadStore>(
    store: &S,
    lead_id: &str,
) -> Result<Option<ConversationView>, StoreError> {
    let records = store.conversation(lead_id).await?;
    let Some(lead_raw) = records.lead_raw else {
        return Ok(None);
    };
    // Legacy or v4, the lead as legacy keeps it (the contract is the stored body's shape, read
    // with the lead; probed alone only when the lead no longer reads).
    let received_at_ms = records.lead_received_at_ms.unwrap_or_default();
    let (contract, summary, v4) = match models::v4::stored::lead(&lead_raw, received_at_ms) {
        Some(stored) => (stored.contract, Some(stored.lead), stored.v4),
        None => (models::v4::stored::contract_of(&lead_raw), None, None),
    };
    let business_id = summary
        .as_ref()
        .map(|lead| lead.business.business_id.clone())
        .unwrap_or_default();
    // Only v4 has a lead-description message (facts §3.6); its first match is the one.
    let description = summary
        .as_ref()
        .filter(|_| contract == models::Contract::V4)
        .and_then(|lead| lead.request.description.clone());
    let lead = raw_json(lead_raw, "lead")?;
    let warning_count = records.lead_warnings.total();
    let warnings = records.lead_warnings.listed().to_vec();

    // Sorted by (createTimestamp, our millisecond, FIFO sequence, id).
    let mut timeline: Vec<(u64, u64, String, ConversationEntry)> =
        Vec::with_capacity(records.messages.len() + records.replies.len());
    for record in records.messages {
        // Stored messages passed these rules when they came; should a later version of the rules
        // refuse one, it is still shown, from its stored keys, rather than hiding the lead.
        let read = models::v4::stored::message(&record.raw, &business_id, record.received_at_ms);
        let text = match read {
            Some(message) => message.message.text.unwrap_or_default(),
            None => {
                tracing::warn!(message_id = %record.message_id, "a stored message no longer parses");
                String::new()
            }
        };
        let created = UnixSeconds(record.create_timestamp);
        let lead_description = models::v4::is_lead_description(Some(&text), description.as_deref());
        timeline.push((
            created.0,
            record.received_at_ms,
            String::new(),
            ConversationEntry {
                direction: Direction::Inbound,
                id: record.message_id,
                text,
                create_timestamp: created,
                status: None,
                error: None,
                lead_description,
                delivered: false,
                warnings: record.warnings.listed().to_vec(),
                automatic: false,
                contract: None,
            },
        ));
    }
    for reply in records.replies {
        let automatic = models::reply::is_automatic(&reply.reply_id);
        let failed = reply.status == ReplyStatus::Failed;
        let created = reply.enqueued_at_ms / 1000;
        // Sequence numbers are decimal strings of up to 20 digits: pad to compare as numbers.
        let sequence = format!("{:0>40}", reply.sequence.unwrap_or_default());
        timeline.push((
            created,
            reply.enqueued_at_ms,
            sequence,
            ConversationEntry {
                direction: Direction::Outbound,
                id: reply.reply_id,
                text: reply.text,
                create_timestamp: UnixSeconds(created),
                status: Some(reply.status),
                error: if failed { reply.error } else { None },
                warnings: Vec::new(),
                automatic,
                contract: reply.contract,
                lead_description: false,
                delivered: reply.delivered_at_ms.is_some(),
            },
        ));
    }
    // Same second: the order of arrival, then the id, so the order is stable across reads.
    timeline.sort_by(|a, b| (a.0, a.1, &a.2, &a.3.id).cmp(&(b.0, b.1, &b.2, &b.3.id)));
    // The first message that reads as the description is the description message; a customer
    // writing the same words again later is the customer.
    let mut seen = false;
    for (_, _, _, entry) in &mut timeline {
        if entry.lead_description {
            entry.lead_description = !seen;
            seen = true;
        }
    }

    let mut revisions = Vec::with_capacity(records.revisions.len());
    for record in records.revisions {
        revisions.push(RevisionView {
            of: record.of,
            id: record.id,
            received_at_ms: record.received_at_ms,
            body: raw_json(record.raw, "revision")?,
        });
    }
    revisions.sort_by_key(|r| r.received_at_ms);

    let mut price_updates: Vec<PriceUpdateView> = records
        .updates
        .into_iter()
        .map(|update| PriceUpdateView {
            lead_price: update.lead_price.set(),
            charge_state: update.charge_state.set(),
            received_at_ms: update.received_at_ms,
        })
        .collect();
    price_updates.sort_by_key(|update| update.received_at_ms);
    let mut reviews: Vec<ReviewView> = records
        .reviews
        .into_iter()
        .filter_map(|record| review_view(record, &business_id))
        .collect();
    reviews.sort_by_key(|review| review.received_at_ms);
    Ok(Some(ConversationView {
        contract,
        lead,
        v4,
        summary,
        lead_price: records.lead_price,
        charge_state: records.charge_state,
        price_updates,
        reviews,
        warnings,
        warning_count,
        messages: timeline.into_iter().map(|(_, _, _, entry)| entry).collect(),
        revisions,
        acknowledgement: records.acknowledgement,
        unanswered_at_ms: records.unanswered_at_ms,
        next: None,
    }))
}

fn raw_json(raw: String, what: &str) -> Result<Box<RawValue>, StoreError> {
    RawValue::from_string(raw)
        .map_err(|_| StoreError::Corrupt(format!("stored {what} is not JSON")))
}

/// A stored review as the read API shows it: its fields as read (`None` should a later version of
/// the rules no longer read it). A v4 review names no business: it is `business_id`'s (the lead's,
/// or the listing's).
pub fn review_view(record: ReviewRecord, business_id: &str) -> Option<ReviewView> {
    let delivery = models::v4::stored::review(&record.raw, business_id, record.received_at_ms)?;
    Some(ReviewView {
        review: delivery.review,
        received_at_ms: record.received_at_ms,
    })
}
