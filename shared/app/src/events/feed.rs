//! The changes feed's entry: a stored fact at its place, as `GET /v1/changes` shows it.

use super::facts::{Fact, rfc3339_millis};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A stored fact in the changes feed, and its time: its receipt or a reply's outcome (unix
/// milliseconds), the feed's order. Shown as the fact's `type` and `eventID` (those of its event
/// on the bus, so a consumer of both drops what it saw twice), its time as `occurredAt`, then
/// the fact's own fields ([`Fact`]'s catalogue says which).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub at_ms: u64,
    pub fact: Fact,
}

impl Serialize for FeedEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.fact.detail_type())?;
        map.serialize_entry("eventID", &self.fact.event_id())?;
        map.serialize_entry("occurredAt", &rfc3339_millis(self.at_ms))?;
        for (name, value) in self.fact.feed_fields() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_shows_its_type_id_and_time_then_the_fields_of_its_fact_in_the_feed_order() {
        let failed = Fact::ReplyFailed {
            reply_id: "r-1".into(),
            lead_id: "l-1".into(),
            business_id: "b-1".into(),
            status: Some(400),
            reason: "refused".into(),
            attempt: 2,
            at_ms: 1_764_600_470_123,
        };
        let entry = FeedEntry {
            at_ms: 1_764_600_470_123,
            fact: failed.clone(),
        };
        // Byte for byte: consumers may compare the text, and the field order is part of it. The
        // reason stays out (the index copies none); the status is the ledger's.
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            format!(
                concat!(
                    r#"{{"type":"Reply Failed","eventID":"{}","#,
                    r#""occurredAt":"2025-12-01T14:47:50.123Z","leadID":"l-1","businessID":"b-1","#,
                    r#""replyID":"r-1","status":"failed","httpStatus":400,"attempt":2}}"#
                ),
                failed.event().id
            )
        );
        let revised = FeedEntry {
            at_ms: 5,
            fact: Fact::ReviewRevised {
                review_id: "v-1".into(),
                lead_id: None,
                business_id: Some("b-1".into()),
                digest: "d-1".into(),
                at_ms: 5,
            },
        };
        let shown = serde_json::to_value(&revised).unwrap();
        assert_eq!(
            shown.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["eventID", "occurredAt", "reviewID", "revisionID", "type"],
            "no leadID when the review names none, and no businessID for a revision"
        );
    }
}
