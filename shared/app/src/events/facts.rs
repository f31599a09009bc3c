//! The catalogue: each stored fact, its `detail-type`, its id, its thin `detail`, and what the
//! changes feed shows of it.

use crate::digest::sha256_hex;
use crate::ports::{Event, LeadRef};
pub use models::time::rfc3339_millis;
use models::{Contract, ReplyStatus};
use serde::Serialize;
use serde_json::Value;

/// The `source` of every event.
pub const SOURCE: &str = "thumbtack.partner";

/// Non-personal facts of a lead that consumers route and filter on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    /// Unix seconds, as Thumbtack sent it.
    pub create_timestamp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_type: Option<String>,
    /// What the pro pays for the lead (`"$25.00"`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_price: Option<String>,
    /// A test lead (Thumbtack's v4 "Test this webhook" delivery, a legacy `isTest` or `test-`
    /// lead): `"test": true`, the same name for both contracts; absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// The contract that carried it (`legacy`, `v4`), as the read API shows it.
    pub contract: Contract,
}

/// A stored fact. `at_ms` is when it was stored (unix milliseconds): the event's `occurredAt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", untagged)]
pub enum Fact {
    /// `Lead Received`: a lead stored for the first time.
    #[serde(rename_all = "camelCase")]
    LeadStored {
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID")]
        business_id: String,
        #[serde(skip)]
        at_ms: u64,
        #[serde(flatten)]
        lead: LeadFacts,
    },
    /// `Lead Revised`: a redelivery of a lead with a different body, kept beside the first.
    #[serde(rename_all = "camelCase")]
    LeadRevised {
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID", skip_serializing_if = "Option::is_none")]
        business_id: Option<String>,
        #[serde(rename = "revisionID")]
        digest: String,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Message Received`: a customer's message stored for the first time.
    #[serde(rename_all = "camelCase")]
    MessageStored {
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID")]
        business_id: String,
        #[serde(rename = "messageID")]
        message_id: String,
        /// Thumbtack's, unix seconds: the feed shows it, the event does not.
        #[serde(skip)]
        create_timestamp: u64,
        /// Whether its lead was stored when the message was (set by [`Fact::know_lead`]).
        lead_known: bool,
        /// The contract that carried it (`legacy`, `v4`).
        contract: Contract,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Message Revised`.
    #[serde(rename_all = "camelCase")]
    MessageRevised {
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID", skip_serializing_if = "Option::is_none")]
        business_id: Option<String>,
        #[serde(rename = "messageID")]
        message_id: String,
        #[serde(rename = "revisionID")]
        digest: String,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Lead Updated`: Thumbtack sent a lead's price (each distinct update once).
    #[serde(rename_all = "camelCase")]
    LeadUpdated {
        #[serde(rename = "leadID")]
        lead_id: String,
        /// From the lead, when it is stored (set by [`Fact::know_lead`]).
        #[serde(rename = "businessID", skip_serializing_if = "Option::is_none")]
        business_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        lead_price: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        charge_state: Option<String>,
        /// Whether its lead was stored when the update was.
        lead_known: bool,
        #[serde(rename = "updateID")]
        digest: String,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Review Received`: a review stored for the first time. Its text and the reviewer's name
    /// stay behind the read API.
    #[serde(rename_all = "camelCase")]
    ReviewReceived {
        #[serde(rename = "reviewID")]
        review_id: String,
        #[serde(rename = "businessID")]
        business_id: String,
        #[serde(rename = "leadID", skip_serializing_if = "Option::is_none")]
        lead_id: Option<String>,
        #[serde(rename = "categoryID", skip_serializing_if = "Option::is_none")]
        category_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        rating: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        verified: Option<bool>,
        /// The contract that carried it (`legacy`, `v4`).
        contract: Contract,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Review Revised`: a review redelivered with a different body.
    #[serde(rename_all = "camelCase")]
    ReviewRevised {
        #[serde(rename = "reviewID")]
        review_id: String,
        /// The lead the review names, if any: the feed shows it, the event does not.
        #[serde(skip)]
        lead_id: Option<String>,
        #[serde(rename = "businessID", skip_serializing_if = "Option::is_none")]
        business_id: Option<String>,
        #[serde(rename = "revisionID")]
        digest: String,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Reply Sent`: Thumbtack accepted a pro's reply.
    #[serde(rename_all = "camelCase")]
    ReplySent {
        #[serde(rename = "replyID")]
        reply_id: String,
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID")]
        business_id: String,
        /// Thumbtack's answer.
        status: u16,
        /// The ledger's try that sent it: the feed shows it, the event does not.
        #[serde(skip)]
        attempt: u32,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Reply Failed`: given up (refused by Thumbtack, out of tries, not sendable).
    #[serde(rename_all = "camelCase")]
    ReplyFailed {
        #[serde(rename = "replyID")]
        reply_id: String,
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID")]
        business_id: String,
        /// Thumbtack's answer, when it gave one.
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        reason: String,
        /// The ledger's try that failed: a reply redriven and failed again is a new event.
        attempt: u32,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Lead Unanswered`: no person's reply was sent within the business's threshold.
    #[serde(rename_all = "camelCase")]
    LeadUnanswered {
        #[serde(rename = "leadID")]
        lead_id: String,
        #[serde(rename = "businessID")]
        business_id: String,
        #[serde(skip)]
        at_ms: u64,
    },
    /// `Connection Created`: a pro connected (or connected again after a break or a removal).
    /// Ids, status and time only: never a token, never a name.
    #[serde(rename_all = "camelCase")]
    ConnectionCreated {
        #[serde(flatten)]
        change: ConnectionChange,
    },
    /// `Connection Broken`: Thumbtack refused the connection's refresh token; the pro must
    /// connect again.
    #[serde(rename_all = "camelCase")]
    ConnectionBroken {
        #[serde(flatten)]
        change: ConnectionChange,
    },
    /// `Connection Removed`: the partner disconnected the pro.
    #[serde(rename_all = "camelCase")]
    ConnectionRemoved {
        #[serde(flatten)]
        change: ConnectionChange,
    },
    /// `Payload Quarantined`: an authenticated payload refused and kept for an operator.
    #[serde(rename_all = "camelCase")]
    PayloadQuarantined {
        route: String,
        problem_count: u64,
        digest: String,
        #[serde(skip)]
        at_ms: u64,
    },
}

/// What the connection facts carry: the Thumbtack user, their businesses, the status the
/// connection went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionChange {
    #[serde(rename = "userID")]
    pub user_id: String,
    /// The user's businesses then (the feed does not show them: its index does not copy them).
    #[serde(rename = "businessIDs")]
    pub business_ids: Vec<String>,
    /// `connected`, `broken` or `removed`.
    pub status: String,
    /// The stored change's own key (unique per user): the source of its `eventID`.
    #[serde(skip)]
    pub key: String,
    #[serde(skip)]
    pub at_ms: u64,
}

/// Declares [`DetailType`] from one list: each fact's variant, and the `detail-type` its event
/// and its feed entry carry.
macro_rules! detail_types {
    ($($fact:ident => $variant:ident = $name:literal,)*) => {
        /// Every `detail-type`, one a [`Fact`] variant: what consumers' rules match on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum DetailType {
            $(#[doc = $name] $variant,)*
        }

        impl DetailType {
            /// Every one, in the catalogue's order.
            pub const ALL: &[DetailType] = &[$(DetailType::$variant,)*];

            /// The `detail-type` as the bus and the feed's `type` carry it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(DetailType::$variant => $name,)*
                }
            }
        }

        impl Fact {
            /// The kind of event this fact is.
            pub fn kind(&self) -> DetailType {
                match self {
                    $(Fact::$fact { .. } => DetailType::$variant,)*
                }
            }
        }
    };
}

detail_types! {
    LeadStored => LeadReceived = "Lead Received",
    LeadRevised => LeadRevised = "Lead Revised",
    MessageStored => MessageReceived = "Message Received",
    MessageRevised => MessageRevised = "Message Revised",
    LeadUpdated => LeadUpdated = "Lead Updated",
    ReviewReceived => ReviewReceived = "Review Received",
    ReviewRevised => ReviewRevised = "Review Revised",
    ReplySent => ReplySent = "Reply Sent",
    ReplyFailed => ReplyFailed = "Reply Failed",
    LeadUnanswered => LeadUnanswered = "Lead Unanswered",
    ConnectionCreated => ConnectionCreated = "Connection Created",
    ConnectionBroken => ConnectionBroken = "Connection Broken",
    ConnectionRemoved => ConnectionRemoved = "Connection Removed",
    PayloadQuarantined => PayloadQuarantined = "Payload Quarantined",
}

impl std::fmt::Display for DetailType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Fact {
    /// The event's `detail-type`.
    pub fn detail_type(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The `eventID` of this fact's event: the same fact always has the same one.
    pub fn event_id(&self) -> String {
        event_id(&self.identity())
    }

    /// What makes this fact this fact, and no other: the source of its `eventID`.
    fn identity(&self) -> String {
        match self {
            Fact::LeadStored { lead_id, .. } => format!("lead|{lead_id}"),
            Fact::LeadRevised {
                lead_id, digest, ..
            } => format!("lead-revision|{lead_id}|{digest}"),
            Fact::MessageStored {
                lead_id,
                message_id,
                ..
            } => format!("message|{lead_id}|{message_id}"),
            Fact::MessageRevised {
                lead_id, digest, ..
            } => format!("message-revision|{lead_id}|{digest}"),
            Fact::LeadUpdated {
                lead_id, digest, ..
            } => format!("lead-update|{lead_id}|{digest}"),
            Fact::ReviewReceived { review_id, .. } => format!("review|{review_id}"),
            Fact::ReviewRevised {
                review_id, digest, ..
            } => format!("review-revision|{review_id}|{digest}"),
            Fact::ReplySent { reply_id, .. } => format!("reply-sent|{reply_id}"),
            Fact::ReplyFailed {
                reply_id, attempt, ..
            } => format!("reply-failed|{reply_id}|{attempt}"),
            Fact::LeadUnanswered { lead_id, .. } => format!("unanswered|{lead_id}"),
            Fact::PayloadQuarantined { route, digest, .. } => {
                format!("quarantined|{route}|{digest}")
            }
            Fact::ConnectionCreated { change }
            | Fact::ConnectionBroken { change }
            | Fact::ConnectionRemoved { change } => {
                format!("connection|{}|{}", change.user_id, change.key)
            }
        }
    }

    /// When it was stored (unix milliseconds).
    pub fn at_ms(&self) -> u64 {
        match self {
            Fact::LeadStored { at_ms, .. }
            | Fact::LeadRevised { at_ms, .. }
            | Fact::MessageStored { at_ms, .. }
            | Fact::MessageRevised { at_ms, .. }
            | Fact::LeadUpdated { at_ms, .. }
            | Fact::ReviewReceived { at_ms, .. }
            | Fact::ReviewRevised { at_ms, .. }
            | Fact::ReplySent { at_ms, .. }
            | Fact::ReplyFailed { at_ms, .. }
            | Fact::LeadUnanswered { at_ms, .. }
            | Fact::PayloadQuarantined { at_ms, .. } => *at_ms,
            Fact::ConnectionCreated { change }
            | Fact::ConnectionBroken { change }
            | Fact::ConnectionRemoved { change } => change.at_ms,
        }
    }

    /// The lead to look up before this fact's event can be written (a message's, an update's).
    pub fn lead_to_look_up(&self) -> Option<&str> {
        match self {
            Fact::MessageStored { lead_id, .. } | Fact::LeadUpdated { lead_id, .. } => {
                Some(lead_id)
            }
            _ => None,
        }
    }

    /// Sets what the lead lookup tells (`None`: the lead is not stored yet): `leadKnown` (was the
    /// lead stored before this fact?), and an update's business.
    pub fn know_lead(&mut self, lead: Option<&LeadRef>) {
        match self {
            Fact::MessageStored {
                lead_known, at_ms, ..
            } => *lead_known = lead.is_some_and(|lead| lead.received_at_ms <= *at_ms),
            Fact::LeadUpdated {
                lead_known,
                business_id,
                at_ms,
                ..
            } => {
                *lead_known = lead.is_some_and(|lead| lead.received_at_ms <= *at_ms);
                *business_id = lead.map(|lead| lead.business_id.clone());
            }
            _ => {}
        }
    }

    /// The event for this fact.
    pub fn event(&self) -> Event {
        let id = self.event_id();
        let at_ms = self.at_ms();
        let mut detail = serde_json::to_value(self).unwrap_or_default();
        if let Some(fields) = detail.as_object_mut() {
            fields.insert("eventID".to_owned(), id.clone().into());
            fields.insert("occurredAt".to_owned(), rfc3339_millis(at_ms).into());
            // The acknowledgement, not a person: consumers count response times apart.
            if let Fact::ReplySent { reply_id, .. } | Fact::ReplyFailed { reply_id, .. } = self {
                fields.insert(
                    "automatic".to_owned(),
                    models::reply::is_automatic(reply_id).into(),
                );
            }
        }
        Event {
            id,
            detail_type: self.detail_type(),
            at_ms,
            detail,
        }
    }

    /// What the changes feed shows of the fact after its type, eventID and time: ids, kind and
    /// status, as the feed's index copies them, in the feed's order of fields (absent ones left
    /// out). Not the event's `detail`: a reply's `status` here is the ledger's, not Thumbtack's.
    pub(super) fn feed_fields(&self) -> Vec<(&'static str, Value)> {
        let text = |value: &str| Value::from(value);
        let fields = match self {
            Fact::LeadStored {
                lead_id,
                business_id,
                lead,
                ..
            } => vec![
                ("leadID", text(lead_id)),
                ("businessID", text(business_id)),
                ("createTimestamp", lead.create_timestamp.into()),
                ("contract", text(lead.contract.as_str())),
            ],
            Fact::LeadRevised {
                lead_id, digest, ..
            } => vec![("leadID", text(lead_id)), ("revisionID", text(digest))],
            Fact::MessageStored {
                lead_id,
                business_id,
                message_id,
                create_timestamp,
                contract,
                ..
            } => vec![
                ("leadID", text(lead_id)),
                ("businessID", text(business_id)),
                ("messageID", text(message_id)),
                ("createTimestamp", (*create_timestamp).into()),
                ("contract", text(contract.as_str())),
            ],
            Fact::MessageRevised {
                lead_id,
                message_id,
                digest,
                ..
            } => vec![
                ("leadID", text(lead_id)),
                ("messageID", text(message_id)),
                ("revisionID", text(digest)),
            ],
            Fact::LeadUpdated {
                lead_id,
                lead_price,
                charge_state,
                digest,
                ..
            } => vec![
                ("leadID", text(lead_id)),
                ("updateID", text(digest)),
                ("leadPrice", lead_price.as_deref().into()),
                ("chargeState", charge_state.as_deref().into()),
            ],
            Fact::ReviewReceived {
                review_id,
                business_id,
                lead_id,
                contract,
                ..
            } => vec![
                ("leadID", lead_id.as_deref().into()),
                ("businessID", text(business_id)),
                ("reviewID", text(review_id)),
                ("contract", text(contract.as_str())),
            ],
            Fact::ReviewRevised {
                review_id,
                lead_id,
                digest,
                ..
            } => vec![
                ("leadID", lead_id.as_deref().into()),
                ("revisionID", text(digest)),
                ("reviewID", text(review_id)),
            ],
            Fact::ReplySent {
                reply_id,
                lead_id,
                business_id,
                status,
                attempt,
                ..
            } => {
                let ids = [lead_id, business_id, reply_id];
                reply_outcome(ids, ReplyStatus::Sent, Some(*status), *attempt)
            }
            Fact::ReplyFailed {
                reply_id,
                lead_id,
                business_id,
                status,
                attempt,
                ..
            } => {
                let ids = [lead_id, business_id, reply_id];
                reply_outcome(ids, ReplyStatus::Failed, *status, *attempt)
            }
            Fact::LeadUnanswered {
                lead_id,
                business_id,
                ..
            } => vec![("leadID", text(lead_id)), ("businessID", text(business_id))],
            Fact::PayloadQuarantined {
                route,
                problem_count,
                digest,
                ..
            } => vec![
                ("route", text(route)),
                ("digest", text(digest)),
                ("problemCount", (*problem_count).into()),
            ],
            Fact::ConnectionCreated { change }
            | Fact::ConnectionBroken { change }
            | Fact::ConnectionRemoved { change } => vec![
                ("userID", text(&change.user_id)),
                ("status", text(&change.status)),
            ],
        };
        fields
            .into_iter()
            .filter(|(_, value)| !value.is_null())
            .collect()
    }
}

/// A reply's outcome as the feed shows it: its lead, business and reply ids, the ledger's status,
/// Thumbtack's answer (when it gave one) and the try that ended it.
fn reply_outcome(
    [lead_id, business_id, reply_id]: [&String; 3],
    status: ReplyStatus,
    http_status: Option<u16>,
    attempt: u32,
) -> Vec<(&'static str, Value)> {
    vec![
        ("leadID", lead_id.as_str().into()),
        ("businessID", business_id.as_str().into()),
        ("replyID", reply_id.as_str().into()),
        ("status", status.as_str().into()),
        ("httpStatus", http_status.into()),
        ("attempt", attempt.into()),
    ]
}

/// 32 hex digits of the SHA-256 of the fact's identity, shaped like a UUID for consumers that
/// store it as one.
fn event_id(identity: &str) -> String {
    let hex = sha256_hex(identity.as_bytes());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lead() -> Fact {
        Fact::LeadStored {
            lead_id: "l-1".into(),
            business_id: "b-1".into(),
            at_ms: 1_764_600_470_123,
            lead: LeadFacts {
                category: Some("Interior Painting".into()),
                city: Some("San Jose".into()),
                state: Some("CA".into()),
                zip_code: Some("95125".into()),
                create_timestamp: 1_498_760_294,
                lead_type: None,
                lead_price: None,
                test: false,
                contract: Contract::Legacy,
            },
        }
    }

    #[test]
    fn a_stored_lead_becomes_a_thin_lead_received_event() {
        let event = lead().event();
        assert_eq!(event.detail_type, "Lead Received");
        assert_eq!(
            event.detail,
            json!({
                "eventID": event.id,
                "occurredAt": "2025-12-01T14:47:50.123Z",
                "leadID": "l-1",
                "businessID": "b-1",
                "category": "Interior Painting",
                "city": "San Jose",
                "state": "CA",
                "zipCode": "95125",
                "createTimestamp": 1_498_760_294,
                "contract": "legacy",
            })
        );
    }

    #[test]
    fn a_v4_lead_message_and_review_say_so_in_their_events_and_feed_entries() {
        let mut v4_lead = lead();
        if let Fact::LeadStored { lead, .. } = &mut v4_lead {
            lead.contract = Contract::V4;
        }
        let message = Fact::MessageStored {
            lead_id: "l-1".into(),
            business_id: "b-1".into(),
            message_id: "m-1".into(),
            create_timestamp: 1_498_760_294,
            lead_known: true,
            contract: Contract::V4,
            at_ms: 1,
        };
        let review = Fact::ReviewReceived {
            review_id: "r-1".into(),
            business_id: "b-1".into(),
            lead_id: Some("l-1".into()),
            category_id: None,
            rating: Some(5),
            verified: None,
            contract: Contract::V4,
            at_ms: 1,
        };
        for fact in [v4_lead, message, review] {
            assert_eq!(fact.event().detail["contract"], "v4", "{fact:?}");
            assert!(
                fact.feed_fields()
                    .contains(&("contract", Value::from("v4"))),
                "{fact:?}"
            );
        }
    }

    #[test]
    fn the_same_fact_always_has_the_same_event_id_and_other_facts_others() {
        assert_eq!(lead().event().id, lead().event().id);
        let mut other = lead();
        if let Fact::LeadStored { lead_id, .. } = &mut other {
            *lead_id = "l-2".into();
        }
        assert_ne!(lead().event().id, other.event().id);
        let failed = |attempt| Fact::ReplyFailed {
            reply_id: "r-1".into(),
            lead_id: "l-1".into(),
            business_id: "b-1".into(),
            status: Some(400),
            reason: "Thumbtack answered 400".into(),
            attempt,
            at_ms: 1,
        };
        assert_ne!(
            failed(1).event().id,
            failed(2).event().id,
            "failed again after a redrive"
        );
        assert_eq!(lead().event().id.len(), 36);
    }

    #[test]
    fn a_message_knows_its_lead_only_when_the_lead_was_stored_first() {
        let message = |at_ms| Fact::MessageStored {
            lead_id: "l-1".into(),
            business_id: "b-1".into(),
            message_id: "m-1".into(),
            create_timestamp: 1_498_760_294,
            lead_known: false,
            contract: Contract::Legacy,
            at_ms,
        };
        let stored_at = |received_at_ms| LeadRef {
            received_at_ms,
            business_id: "b-1".into(),
        };
        let mut before = message(100);
        before.know_lead(Some(&stored_at(50)));
        assert_eq!(before.event().detail["leadKnown"], true);
        let mut early = message(100);
        early.know_lead(Some(&stored_at(150)));
        assert_eq!(early.event().detail["leadKnown"], false);
        let mut orphan = message(100);
        orphan.know_lead(None);
        assert_eq!(orphan.event().detail["leadKnown"], false);
    }

    #[test]
    fn every_detail_type_has_a_name_of_its_own_that_reads_back() {
        let names: std::collections::BTreeSet<&str> =
            DetailType::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(names.len(), DetailType::ALL.len());
        for kind in DetailType::ALL {
            assert_eq!(kind.to_string(), kind.as_str());
            // Title Case words, as consumers' rules spell them.
            assert!(
                kind.as_str()
                    .split(' ')
                    .all(|word| word.starts_with(|c: char| c.is_ascii_uppercase())),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_connection_fact_carries_ids_status_and_time_and_its_feed_entry_the_user_and_status() {
        let change = ConnectionChange {
            user_id: "u-1".into(),
            business_ids: vec!["b-1".into(), "b-2".into()],
            status: "broken".into(),
            key: "CHANGE#001764600470123#broken".into(),
            at_ms: 1_764_600_470_123,
        };
        let fact = Fact::ConnectionBroken { change };
        let event = fact.event();
        assert_eq!(event.detail_type, "Connection Broken");
        assert_eq!(
            event.detail,
            json!({
                "eventID": event.id,
                "occurredAt": "2025-12-01T14:47:50.123Z",
                "userID": "u-1",
                "businessIDs": ["b-1", "b-2"],
                "status": "broken",
            })
        );
        let fields: Vec<&str> = fact.feed_fields().iter().map(|(name, _)| *name).collect();
        assert_eq!(fields, ["userID", "status"]);
    }

    #[test]
    fn each_fact_is_the_detail_type_of_its_own_name() {
        let unanswered = Fact::LeadUnanswered {
            lead_id: "l-1".into(),
            business_id: "b-1".into(),
            at_ms: 1,
        };
        assert_eq!(unanswered.kind(), DetailType::LeadUnanswered);
        assert_eq!(unanswered.event().detail_type, "Lead Unanswered");
        assert_eq!(lead().kind(), DetailType::LeadReceived);
        assert_eq!(lead().event_id(), lead().event().id);
    }
}
