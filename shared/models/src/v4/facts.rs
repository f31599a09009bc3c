//! A v4 delivery as the facts we already keep for legacy (facts sheet §6): a negotiation is a
//! [`Lead`], a message an [`InboundMessage`], a review a [`ReviewDelivery`], so that one store, one
//! read API and one set of events serve both contracts. What legacy has no field for (status,
//! estimate, price breakdown, proposed times, booking, travel preferences as a list) is kept beside
//! the lead in [`LeadV4Fields`].
//!
//! The mapping never fails: a delivery that was not refused has every key a fact needs. Times
//! legacy keeps as unix seconds fall back, when missing or unreadable, to the delivery's
//! `triggeredAt`, then to its receipt.

use super::{Booking, Estimate, PriceBreakdown, TEST_BUSINESS_NAME, TimeSlot};
use super::{Data, Delivery, MessageCreatedV4, NegotiationCreatedV4, ReviewCreatedV4, Sender};
use crate::lead::{Business, Customer, Lead, Request};
use crate::message::{InboundMessage, MessageBody};
use crate::review::{Review, ReviewDelivery};
use crate::time::{UnixSeconds, time_as_unix_seconds};
use serde::{Deserialize, Serialize};

/// What the route knows of a delivery that its body does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// The business of the webhook it came through (our registry's): a review names none, and a
    /// message may name none (§3.3, §7.10).
    pub webhook_business_id: &'a str,
    /// Unix milliseconds.
    pub at_ms: u64,
}

/// A v4 delivery as one of our facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Lead(Box<LeadFact>),
    Message(MessageFact),
    Review(ReviewDelivery),
    /// An event we do not read: kept (its raw body) and answered 2xx, nothing else.
    Unknown {
        event_type: String,
    },
}

/// A `NegotiationCreatedV4` as a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFact {
    /// leadID = negotiationID, and the fields legacy has.
    pub lead: Lead,
    pub v4: LeadV4Fields,
    /// Thumbtack's "Test this webhook" delivery: stored marked, never acted on (§3.6).
    pub test: bool,
}

/// A v4 lead's fields legacy has no place for, shown beside the lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadV4Fields {
    /// `Open`, `Canceled`, `Picked`, or as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// RFC 3339 as sent (the lead's `createTimestamp` is the same time in unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_price_breakdown: Option<PriceBreakdown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposed_times: Vec<TimeSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<Booking>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub travel_preferences: Vec<String>,
    /// The customer's names as sent (the lead's `customer.name` joins them). Personal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_last_name: Option<String>,
}

/// A `MessageCreatedV4` as a message of its lead, with who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFact {
    /// leadID = negotiationID; the business is the message's, else the webhook's.
    pub message: InboundMessage,
    /// `Customer`: a customer's message, as on legacy. `Business`: the echo of a reply we sent
    /// or the pro typing in Thumbtack's app, which [`classify`] tells apart. Unknown: kept, and
    /// counted as neither.
    pub sender: Sender,
    /// Sent under the test business's name.
    pub test: bool,
}

impl Fact {
    pub fn from_delivery(delivery: &Delivery, received: Received<'_>) -> Fact {
        let triggered = delivery.event.triggered_at.as_deref();
        match &delivery.data {
            Data::Negotiation(negotiation) => {
                Fact::Lead(Box::new(lead(negotiation, triggered, received)))
            }
            Data::Message(message) => Fact::Message(message_fact(message, triggered, received)),
            Data::Review(review) => Fact::Review(review_delivery(
                review,
                &delivery.event.event_type,
                received,
            )),
            Data::Unknown(_) => Fact::Unknown {
                event_type: delivery.event.event_type.clone(),
            },
        }
    }
}

/// Unix seconds of the first readable time, else of the receipt.
fn seconds(times: &[Option<&str>], received: Received<'_>) -> UnixSeconds {
    times
        .iter()
        .flatten()
        .find_map(|time| time_as_unix_seconds(time))
        .map_or(UnixSeconds(received.at_ms / 1000), UnixSeconds)
}

/// Only text someone would see: an empty value is none.
fn visible(text: &Option<String>) -> Option<&str> {
    text.as_deref()
        .filter(|text| crate::text::has_visible_text(text))
}

fn lead(
    negotiation: &NegotiationCreatedV4,
    triggered: Option<&str>,
    received: Received<'_>,
) -> LeadFact {
    let n = negotiation;
    let request = &n.request;
    let customer = &n.customer;
    let names: Vec<&str> = [visible(&customer.first_name), visible(&customer.last_name)]
        .into_iter()
        .flatten()
        .map(str::trim)
        .collect();
    let name = if names.is_empty() {
        visible(&customer.display_name).map(str::to_owned)
    } else {
        Some(names.join(" "))
    };
    let category = request.category.clone().unwrap_or_default();
    let lead = Lead {
        lead_id: n.negotiation_id.clone(),
        create_timestamp: seconds(&[n.created_at.as_deref(), triggered], received),
        lead_type: None,
        // Legacy's `price` is the job's estimate as text.
        price: n.estimate.as_ref().and_then(|e| e.total.clone()),
        lead_price: n.lead_price.clone(),
        charge_state: n.charge_state.clone(),
        request: Request {
            request_id: request.request_id.clone(),
            category: category.name,
            category_id: category.category_id,
            title: None,
            description: request.description.clone(),
            location: request.location.clone(),
            travel_preferences: (!request.travel_preferences.is_empty())
                .then(|| request.travel_preferences.join(", ")),
            schedule: None,
            details: request.details.clone(),
            attachments: request.attachments.clone(),
        },
        customer: Customer {
            customer_id: customer
                .customer_id
                .clone()
                .or_else(|| request.customer_id.clone()),
            name,
            phone: customer.phone.clone(),
        },
        business: Business {
            business_id: n.business.business_id.clone(),
            name: n.business.name.clone(),
        },
    };
    LeadFact {
        lead,
        v4: LeadV4Fields {
            status: n.status.clone(),
            created_at: n.created_at.clone(),
            lead_price_breakdown: n.lead_price_breakdown.clone(),
            estimate: n.estimate.clone(),
            proposed_times: request.proposed_times.clone(),
            booking: request.booking.clone(),
            travel_preferences: request.travel_preferences.clone(),
            customer_first_name: customer.first_name.clone(),
            customer_last_name: customer.last_name.clone(),
        },
        test: n.business.name.as_deref() == Some(TEST_BUSINESS_NAME),
    }
}

fn message_fact(
    message: &MessageCreatedV4,
    triggered: Option<&str>,
    received: Received<'_>,
) -> MessageFact {
    let business = message.business.as_ref();
    MessageFact {
        message: InboundMessage {
            lead_id: message.negotiation_id.clone(),
            customer_id: message.customer_id().map(str::to_owned),
            business_id: message
                .business_id()
                .unwrap_or(received.webhook_business_id)
                .to_owned(),
            message: MessageBody {
                message_id: message.message_id.clone(),
                create_timestamp: seconds(&[message.sent_at.as_deref(), triggered], received),
                text: message.text.clone(),
                attachments: message.attachments.clone(),
            },
        },
        sender: message.sender(),
        test: business.and_then(|b| b.display_name.as_deref()) == Some(TEST_BUSINESS_NAME),
    }
}

fn review_delivery(
    review: &ReviewCreatedV4,
    event_type: &str,
    received: Received<'_>,
) -> ReviewDelivery {
    ReviewDelivery {
        review: Review {
            review_id: review.review_id.clone(),
            business_id: review
                .business_id
                .as_deref()
                .unwrap_or(received.webhook_business_id)
                .to_owned(),
            lead_id: review.negotiation_id.clone(),
            category_id: review.category_id.clone(),
            rating: review.rating,
            text: review.review_text.clone(),
            reviewer_name: review.reviewer_name.clone(),
            create_time: review.create_time.clone(),
            modify_time: None,
            verified: None,
            photo_count: review.image_count,
        },
        review_event_type: Some(event_type.to_owned()),
    }
}

/// How far apart (seconds) the echo of a reply and the reply's send may be for the two to be
/// matched by text when the send returned no messageID. Captures show Thumbtack delivering a
/// message about 21 s after it was sent (§3.6); ten minutes covers that, clock skew and a late
/// retry, and keeps a pro who types the same words again much later counted as a person.
pub const ECHO_WINDOW_SECONDS: u64 = 600;

/// A reply we sent on a lead, as the echo check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentReply<'a> {
    pub reply_id: &'a str,
    pub lead_id: &'a str,
    /// The messageID Thumbtack's send answered with, when it answered one (§4.1, unverified).
    pub message_id: Option<&'a str>,
    pub text: &'a str,
    /// When Thumbtack accepted it, unix seconds.
    pub sent_at_seconds: u64,
    /// Already matched by an earlier echo: it matches no other.
    pub echoed: bool,
}

/// What a message from the business side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The echo of our reply `reply_id`: it marks that reply delivered, and adds nothing to the
    /// conversation.
    Echo { reply_id: &'a str, by: EchoMatch },
    /// Typed by the pro in Thumbtack's app: an outbound message of the conversation, a person's
    /// reply.
    TypedInApp,
}

/// How an echo was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoMatch {
    /// Its messageID is the one our send returned.
    MessageId,
    /// Same lead, same text (line endings and surrounding blanks aside), sent within
    /// [`ECHO_WINDOW_SECONDS`] of our reply, which returned no messageID.
    TextAndTime,
}

/// Tells the echo of one of `sent` (the replies we sent on the message's lead) from a message the
/// pro typed in the app. Only a `Business` message is either; the caller asks for no other.
pub fn classify<'a>(message: &InboundMessage, sent: &[SentReply<'a>]) -> Origin<'a> {
    let body = &message.message;
    if let Some(reply) = sent
        .iter()
        .find(|reply| reply.message_id == Some(body.message_id.as_str()))
    {
        return Origin::Echo {
            reply_id: reply.reply_id,
            by: EchoMatch::MessageId,
        };
    }
    let text = normalised(body.text.as_deref().unwrap_or_default());
    let at = body.create_timestamp.0;
    sent.iter()
        .filter(|reply| !reply.echoed && reply.message_id.is_none())
        .filter(|reply| reply.lead_id == message.lead_id)
        .filter(|reply| reply.sent_at_seconds.abs_diff(at) <= ECHO_WINDOW_SECONDS)
        .filter(|reply| normalised(reply.text) == text)
        .min_by_key(|reply| reply.sent_at_seconds.abs_diff(at))
        .map_or(Origin::TypedInApp, |reply| Origin::Echo {
            reply_id: reply.reply_id,
            by: EchoMatch::TextAndTime,
        })
}

/// How soon (seconds) after its lead was created a business-side message that is not our echo is
/// taken for Thumbtack's automated Quick Reply (facts §3.6, §7.13) rather than the pro typing: the
/// Quick Reply is made with the lead, while a person must first be told of the lead, open it and
/// write. Its `from` and timing are undocumented: none is allowed beyond the lead's own second
/// (times have second precision), so that no pro quick to answer is taken for it; a Quick Reply
/// sent later is then counted as the pro's reply (README, *Thumbtack v4*).
pub const QUICK_REPLY_WINDOW_SECONDS: u64 = 0;

/// Whether a `Business` message sent at `sent_at_seconds` (unix) that is not the echo of ours is
/// Thumbtack's Quick Reply, its lead created at `lead_created_seconds`. A message whose lead is
/// not stored (it came before its negotiation, or its lead predates the connection) is not
/// recognised as one: nothing says when the lead began.
pub fn is_quick_reply(sent_at_seconds: u64, lead_created_seconds: Option<u64>) -> bool {
    lead_created_seconds.is_some_and(|created| {
        sent_at_seconds <= created.saturating_add(QUICK_REPLY_WINDOW_SECONDS)
    })
}

/// Whether a message is the lead-description message (facts §3.6): its text is the request's
/// description, line endings and surrounding blanks aside. Empty text is never one.
pub fn is_lead_description(text: Option<&str>, description: Option<&str>) -> bool {
    match (text.map(normalised), description.map(normalised)) {
        (Some(text), Some(description)) => !text.is_empty() && text == description,
        _ => false,
    }
}

/// Text as compared for an echo: `\r\n` as `\n` (Thumbtack's messages carry `\r\n`), without
/// surrounding blanks.
fn normalised(text: &str) -> String {
    text.replace("\r\n", "\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_business_message_within_moments_of_its_lead_is_a_quick_reply_and_a_later_one_is_not() {
        let created = 1_790_762_400;
        assert!(is_quick_reply(created, Some(created)));
        assert!(is_quick_reply(created - 1, Some(created)), "clocks apart");
        assert!(is_quick_reply(
            created + QUICK_REPLY_WINDOW_SECONDS,
            Some(created)
        ));
        assert!(!is_quick_reply(
            created + QUICK_REPLY_WINDOW_SECONDS + 1,
            Some(created)
        ));
        assert!(
            !is_quick_reply(created, None),
            "no stored lead: nothing says when it began"
        );
    }

    #[test]
    fn the_lead_description_message_is_the_one_whose_text_is_the_request_s_description() {
        let description = Some("Need Full Service Lawn Care");
        assert!(is_lead_description(
            Some("Need Full Service Lawn Care\r\n"),
            description
        ));
        assert!(!is_lead_description(
            Some("Can you come Saturday?"),
            description
        ));
        assert!(!is_lead_description(Some(""), Some(" ")));
        assert!(!is_lead_description(None, description));
        assert!(!is_lead_description(
            Some("Need Full Service Lawn Care"),
            None
        ));
    }
}
