//! The read side: a lead and its conversation in time order.

use crate::ports::{LeadStore, StoreError};
use models::{ConversationEntry, ConversationView, Direction, InboundMessage, RevisionView};
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
    let lead = raw_json(lead_raw, "lead")?;

    let mut timeline: Vec<(u64, u64, ConversationEntry)> =
        Vec::with_capacity(records.messages.len());
    for record in records.messages {
        let message = InboundMessage::parse(record.raw.as_bytes()).map_err(|_| {
            StoreError::Corrupt(format!("message {} does not parse", record.message_id))
        })?;
        let created = message.message.create_timestamp;
        timeline.push((
            created.0,
            record.received_at_ms,
            ConversationEntry {
                direction: Direction::Inbound,
                id: message.message.message_id,
                text: message.message.text,
                create_timestamp: created,
                status: None,
                error: None,
            },
        ));
    }
    // Same second: the order of arrival, then the id, so the order is stable across reads.
    timeline.sort_by(|a, b| (a.0, a.1, &a.2.id).cmp(&(b.0, b.1, &b.2.id)));

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

    Ok(Some(ConversationView {
        lead,
        messages: timeline.into_iter().map(|(_, _, entry)| entry).collect(),
        revisions,
    }))
}

fn raw_json(raw: String, what: &str) -> Result<Box<RawValue>, StoreError> {
    RawValue::from_string(raw)
        .map_err(|_| StoreError::Corrupt(format!("stored {what} is not JSON")))
}
