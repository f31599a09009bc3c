//! Thumbtack's v4 webhook deliveries (../shared/thumbtack-v4.md §3): an envelope
//! `{"event": {eventType, description, webhookID, triggeredAt}, "data": {...}}` whose `data` is a
//! negotiation (a lead), a message from either side, or a review.
//!
//! Read by the same walker as the legacy payloads, under the same rule: only a missing or
//! unusable key refuses a delivery (`event.eventType`, which says which keys apply; then
//! `data.negotiationID` and `data.business.businessID` of a lead, `data.messageID` and
//! `data.negotiationID` of a message, `data.reviewID` of a review), with every problem named by
//! its path; anything else is a warning beside it. An event type we do not read is accepted with
//! its `data` kept as sent: Thumbtack adds types (§3.1). Where sources disagree on a shape, both
//! are read (see each type). The caller keeps the raw body, as for legacy.
//!
//! [`facts`] maps a delivery onto the facts legacy already has (a lead, a message, a review).
//!
//! A lead or a message with nothing wrong takes a typed fast path first ([`fast`]), as legacy
//! payloads do; anything else, and every review or unknown event, is read by the walker alone.

pub mod facts;
mod fast;
pub mod message;
pub mod negotiation;
pub mod review;
pub mod stored;

pub use facts::{
    ECHO_WINDOW_SECONDS, EchoMatch, Fact, LeadFact, LeadV4Fields, MessageFact, Origin,
    QUICK_REPLY_WINDOW_SECONDS, Received, SentReply, classify, is_lead_description, is_quick_reply,
};
pub use message::{MessageBusiness, MessageCreatedV4, MessageCustomer, Sender};
pub use negotiation::{
    Booking, Category, Estimate, NegotiationBusiness, NegotiationCreatedV4, NegotiationCustomer,
    NegotiationRequest, PriceBreakdown, TimeSlot,
};
pub use review::ReviewCreatedV4;

use crate::path::Path;
use crate::problems::{Invalid, Parsed};
use crate::time::time_as_unix_seconds;
use crate::walk::{Entries, Need, Walker};
use serde::{Deserialize, Serialize};

/// The business name Thumbtack's "Test this webhook" puts on the real business id: the only mark
/// of a test delivery (§3.6).
pub const TEST_BUSINESS_NAME: &str = "Test Business for Webhooks";

/// What a v4 time must be.
pub const TIME_RULE: &str = "must be a date-time (RFC 3339, UTC or with an offset)";

/// One webhook delivery, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub event: Event,
    pub data: Data,
}

/// The envelope's `event`: which event, from which subscription, when. No event id, no
/// signature (§3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// As sent: a known type, an older spelling of one, or a type we do not read.
    pub event_type: String,
    /// An empty string in every capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The subscription (our webhook, or the pro's self-serve one), not the event.
    #[serde(rename = "webhookID", default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// RFC 3339, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggered_at: Option<String>,
}

/// Which event a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NegotiationCreated,
    MessageCreated,
    ReviewCreated,
    /// A type we do not read (`IncentiveUsedV4`, `PresetJob*V4`, a newer one): kept, not refused.
    Unknown,
}

impl Kind {
    /// The kind of an `eventType`. Older docs spell `NegotationCreatedV4` and an unversioned
    /// `MessageCreated`, and the spec keys the message webhook `MessageSentV4` (§2.2, §3.1):
    /// read as the event they name.
    pub fn of(event_type: &str) -> Kind {
        match event_type {
            "NegotiationCreatedV4" | "NegotationCreatedV4" => Kind::NegotiationCreated,
            "MessageCreatedV4" | "MessageCreated" | "MessageSentV4" => Kind::MessageCreated,
            "ReviewCreatedV4" => Kind::ReviewCreated,
            _ => Kind::Unknown,
        }
    }
}

/// The envelope's `data`, by event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// Boxed: a lead is several times the size of the others.
    Negotiation(Box<NegotiationCreatedV4>),
    Message(MessageCreatedV4),
    Review(ReviewCreatedV4),
    /// An event we do not read: its `data` as sent (JSON text), if there was one.
    Unknown(Option<String>),
}

impl Delivery {
    /// Parses a webhook body. Refuses it, naming every problem with its path, only when a key is
    /// missing or unusable; any other problem is a warning beside the delivery. Unknown fields
    /// are ignored here; the caller keeps the raw body.
    pub fn parse(body: &[u8]) -> Result<Parsed<Delivery>, Invalid> {
        if let Some(value) = fast::typed(body) {
            return Ok(Parsed {
                value,
                warnings: crate::problems::Problems::default(),
            });
        }
        crate::walk::walk_only(body, read_delivery)
    }

    /// The walker alone, without the fast path: the tests check that both agree on every input.
    #[doc(hidden)]
    pub fn parse_by_walking(body: &[u8]) -> Result<Parsed<Delivery>, Invalid> {
        crate::walk::walk_only(body, read_delivery)
    }

    pub fn kind(&self) -> Kind {
        match self.data {
            Data::Negotiation(_) => Kind::NegotiationCreated,
            Data::Message(_) => Kind::MessageCreated,
            Data::Review(_) => Kind::ReviewCreated,
            Data::Unknown(_) => Kind::Unknown,
        }
    }

    /// The delivery's own key: the negotiationID of a lead, the messageID of a message, the
    /// reviewID of a review; none for an event we do not read.
    pub fn key(&self) -> Option<&str> {
        match &self.data {
            Data::Negotiation(negotiation) => Some(&negotiation.negotiation_id),
            Data::Message(message) => Some(&message.message_id),
            Data::Review(review) => Some(&review.review_id),
            Data::Unknown(_) => None,
        }
    }
}

fn read_delivery(w: &mut Walker, root: &Entries) -> Option<Delivery> {
    let top = Path::Root;
    let event = read_event(w, root, &top.key("event"))?;
    let path = top.key("data");
    let data = match Kind::of(&event.event_type) {
        Kind::NegotiationCreated => {
            negotiation::read(w, root, &path).map(|lead| Data::Negotiation(Box::new(lead)))
        }
        Kind::MessageCreated => message::read(w, root, &path).map(Data::Message),
        Kind::ReviewCreated => review::read(w, root, &path).map(Data::Review),
        Kind::Unknown => Some(Data::Unknown(
            w.optional(Need::Field, root, &path)
                .map(|data| data.get().to_owned()),
        )),
    };
    Some(Delivery { event, data: data? })
}

/// Without a usable `eventType` nothing says which keys a delivery has: refused (quarantined by
/// the caller, so nothing is lost).
fn read_event(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<Event> {
    let object = w.object(Need::Key, parent, path)?;
    let event_type = w.non_empty(Need::Key, &object, &path.key("eventType"));
    let field = Need::Field;
    let description = w.optional_text(field, &object, &path.key("description"));
    let webhook_id = w.id(field, &object, &path.key("webhookID"));
    let triggered_at = time(w, &object, &path.key("triggeredAt"));
    Some(Event {
        event_type: event_type?,
        description,
        webhook_id,
        triggered_at,
    })
}

pub(crate) fn is_time(text: &str) -> bool {
    time_as_unix_seconds(text).is_some()
}

/// A required time: a warning when missing or unreadable, kept as sent otherwise.
pub(crate) fn time(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<String> {
    w.formatted(Need::Field, parent, path, is_time, TIME_RULE)
}

/// An optional time: absent or `null` is fine, anything else must read as one.
pub(crate) fn optional_time(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<String> {
    w.optional(Need::Field, parent, path)?;
    time(w, parent, path)
}

/// An optional id: absent or `null` is fine, anything else must be one.
pub(crate) fn optional_id(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<String> {
    w.optional(Need::Field, parent, path)?;
    w.id(Need::Field, parent, path)
}

/// An optional object's entries: absent or `null` is none, anything else must be an object.
pub(crate) fn optional_object<'v>(
    w: &mut Walker,
    parent: &Entries<'v>,
    path: &Path<'_>,
) -> Option<Entries<'v>> {
    let value = w.optional(Need::Field, parent, path)?;
    w.entries(Need::Field, value, path)
}
