//! A decoded Thumbtack v4 delivery stored as the legacy fact it maps onto
//! ([`models::v4::facts`]), through the same store: a lead once per negotiationID, a message once
//! per messageID, a review once per reviewID; a message before its negotiation is kept in its
//! lead's partition and joined when the negotiation comes, as on legacy. The raw body stored is
//! the envelope as received, so the read side knows the contract from it.
//!
//! One fact may come in several envelopes: the pro's self-serve webhook beside ours, or a resend,
//! differ in `event.webhookID` and `event.triggeredAt` only. So a redelivery is compared on its
//! `data`: the same `data` is a duplicate (nothing written, no event), a different one a revision,
//! exactly as legacy compares whole bodies.
//!
//! The webhook route around it (authentication, the quarantine of refused bodies) is
//! [`super::deliver_webhook`]. Not here yet: what a business-side message does to a conversation
//! (it is classified with [`models::v4::classify`] and returned).

use super::{Arrival, IdKind, count};
use crate::digest::{json_digest, same_document};
use crate::metrics::Metrics;
use crate::ports::{
    Insert, LeadStore, NewLead, NewMessage, NewReview, NewRevision, Route, StoreError,
};
use models::v4::{Data, Delivery, Fact, MessageFact, Received, Sender};
use models::{Parsed, Problems, RevisionOf};
use serde_json::value::RawValue;

/// What became of a v4 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredV4 {
    /// A lead, a customer's message or a review: stored, or found stored before.
    Stored(StoredFact),
    /// A message from the business side (our reply's echo, or the pro in the app) or from a sender
    /// nobody documents: handed back for the caller to classify, not stored here.
    NotACustomerMessage(Box<MessageFact>),
    /// An event type we do not read: nothing stored here (the caller keeps the raw body).
    UnknownEvent { event_type: String },
}

/// A fact stored from a v4 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFact {
    /// Its own id (negotiationID, messageID, reviewID), and which id that is.
    pub id: String,
    pub kind: IdKind,
    /// The lead it is about (a review need not name one).
    pub lead_id: Option<String>,
    pub arrival: Arrival,
    /// For a message: whether its lead was stored.
    pub lead_known: Option<bool>,
    /// A test delivery ("Test Business for Webhooks"): stored, marked, never acted on.
    pub test: bool,
}

/// Stores a decoded delivery (`raw` as received, `received` what its route knows) and counts it
/// as legacy deliveries are counted.
pub async fn store_v4<S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    parsed: &Parsed<Delivery>,
    raw: &str,
    received: Received<'_>,
) -> Result<StoredV4, StoreError> {
    let at_ms = received.at_ms;
    let warnings = &parsed.warnings;
    let (route, stored) = match Fact::from_delivery(&parsed.value, received) {
        Fact::Lead(fact) => {
            let lead = &fact.lead;
            let insert = store
                .insert_lead(NewLead {
                    lead,
                    warnings,
                    raw,
                    // The delivery told them: no second read of the body.
                    marks: models::v4::stored::Marks {
                        contract: models::Contract::V4,
                        test: fact.test,
                    },
                    received_at_ms: at_ms,
                })
                .await?;
            let revision = NewRevision {
                lead_id: Some(&lead.lead_id),
                business_id: &lead.business.business_id,
                of: RevisionOf::Lead,
                id: &lead.lead_id,
                digest: "",
                raw,
                received_at_ms: at_ms,
            };
            let arrival = settle_v4(store, insert, revision).await?;
            let stored = StoredFact {
                id: lead.lead_id.clone(),
                kind: IdKind::Lead,
                lead_id: Some(lead.lead_id.clone()),
                arrival,
                lead_known: None,
                test: fact.test,
            };
            (Route::Lead, stored)
        }
        Fact::Message(fact) if fact.sender == Sender::Customer => {
            let message = &fact.message;
            let new = NewMessage {
                message,
                warnings,
                raw,
                received_at_ms: at_ms,
            };
            let (insert, lead) = tokio::join!(
                store.insert_message(new),
                store.stored_lead(&message.lead_id)
            );
            let revision = NewRevision {
                lead_id: Some(&message.lead_id),
                business_id: &message.business_id,
                of: RevisionOf::Message,
                id: &message.message.message_id,
                digest: "",
                raw,
                received_at_ms: at_ms,
            };
            let arrival = settle_v4(store, insert?, revision).await?;
            let stored = StoredFact {
                id: message.message.message_id.clone(),
                kind: IdKind::Message,
                lead_id: Some(message.lead_id.clone()),
                arrival,
                lead_known: Some(lead?.is_some()),
                test: fact.test,
            };
            (Route::Message, stored)
        }
        Fact::Message(fact) => return Ok(StoredV4::NotACustomerMessage(Box::new(fact))),
        Fact::Review(delivery) => {
            let review = &delivery.review;
            let new = NewReview {
                review,
                warnings,
                raw,
                received_at_ms: at_ms,
            };
            let insert = store.insert_review(new).await?;
            let revision = NewRevision {
                lead_id: review.lead_id.as_deref(),
                business_id: &review.business_id,
                of: RevisionOf::Review,
                id: &review.review_id,
                digest: "",
                raw,
                received_at_ms: at_ms,
            };
            let arrival = settle_v4(store, insert, revision).await?;
            // The first version is the record: a revision does not replace what the lead shows.
            if arrival != Arrival::Revision
                && let Some(lead_id) = &review.lead_id
            {
                store.link_review(new, lead_id).await?;
            }
            let stored = StoredFact {
                id: review.review_id.clone(),
                kind: IdKind::Review,
                lead_id: review.lead_id.clone(),
                arrival,
                lead_known: None,
                test: false,
            };
            (Route::Review, stored)
        }
        Fact::Unknown { event_type } => return Ok(StoredV4::UnknownEvent { event_type }),
    };
    count(metrics, route, stored.arrival, parsed);
    Ok(StoredV4::Stored(stored))
}

/// As [`super::settle`], comparing the envelopes' `data` only.
async fn settle_v4<S: LeadStore>(
    store: &S,
    insert: Insert,
    revision: NewRevision<'_>,
) -> Result<Arrival, StoreError> {
    let stored = match insert {
        Insert::Created => return Ok(Arrival::Stored),
        Insert::Exists { raw: stored } => stored,
    };
    if same_document(data_of(&stored), data_of(revision.raw)) {
        return Ok(Arrival::Duplicate);
    }
    let digest = json_digest(revision.raw);
    store
        .insert_revision(NewRevision {
            digest: &digest,
            ..revision
        })
        .await?;
    Ok(Arrival::Revision)
}

/// An envelope's `data` as sent; the whole text when it has none (a legacy body stored under the
/// same id, say), so that only the same text is then the same.
fn data_of(raw: &str) -> &str {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        data: Option<&'a RawValue>,
    }
    serde_json::from_str::<Envelope<'_>>(raw)
        .ok()
        .and_then(|envelope| envelope.data)
        .map_or(raw, RawValue::get)
}

/// A quarantined v4 body run through today's rules (an operator's replay): the fact's arrival when
/// they store it, else what still keeps it out. The webhook it came through is not kept with a
/// quarantined body, so a fact that names no business of its own (a review, a message without its
/// `business`) stays out, saying so, rather than be stored under no business.
pub async fn replay_v4<S: LeadStore>(
    store: &S,
    metrics: &Metrics,
    body: &[u8],
    now_ms: u64,
) -> Result<Result<Arrival, Problems>, StoreError> {
    let (parsed, raw) =
        match Delivery::parse(body).and_then(|parsed| Ok((parsed, super::text(body)?))) {
            Ok(read) => read,
            Err(invalid) => return Ok(Err(invalid.problems)),
        };
    let named = match &parsed.value.data {
        Data::Negotiation(lead) => Some(lead.business.business_id.clone()),
        Data::Message(message) => message.business_id().map(str::to_owned),
        Data::Review(review) => review.business_id.clone(),
        Data::Unknown(_) => None,
    };
    let still_out = |path: &str, reason: &'static str| {
        let mut problems = Problems::default();
        problems.add(path.to_owned(), reason);
        Ok(Err(problems))
    };
    let Some(business_id) = named else {
        return match parsed.value.data {
            Data::Unknown(_) => still_out(
                "event.eventType",
                "is an event type this release does not read",
            ),
            _ => still_out(
                "data",
                "names no business, and the webhook's is not kept with a quarantined body",
            ),
        };
    };
    let received = Received {
        webhook_business_id: &business_id,
        at_ms: now_ms,
    };
    match store_v4(store, metrics, &parsed, raw, received).await? {
        StoredV4::Stored(fact) => Ok(Ok(fact.arrival)),
        StoredV4::NotACustomerMessage(_) => still_out(
            "data.from",
            "is not Customer: a message from the business side",
        ),
        StoredV4::UnknownEvent { .. } => still_out(
            "event.eventType",
            "is an event type this release does not read",
        ),
    }
}
