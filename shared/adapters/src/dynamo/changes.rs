//! The table's stream, read back as stored facts: which change of which item is an event
//! (`app::events::Fact`), from the layout in `schema.rs`.
//!
//! An insert of a lead, a message, a lead update, a review, a revision, a reply's outcome, an
//! unanswered lead or a quarantine record is a fact. Everything else (a reply claimed, retried or
//! changing status, a quarantine record counting a redelivery, a chunk, a guard, a deletion) is
//! not.

use super::schema::{
    PK, REVISION_SK_PREFIX, SK, UPDATE_SK_PREFIX, attr, item_type, quarantine_digest,
};
use app::events::{Change, Fact, LeadFacts};
use aws_lambda_events::event::dynamodb::EventRecord;
use models::{ReplyStatus, RevisionOf};
use serde_dynamo::AttributeValue;
use std::collections::HashMap;

type Image = HashMap<String, AttributeValue>;

/// A stream record that should be a fact and is not readable as one (an attribute missing or of
/// another type): a bug, logged and counted by the caller, never retried for ever.
#[derive(Debug, thiserror::Error)]
#[error("stream record of a {kind} item lacks {attribute}")]
pub struct Undecodable {
    pub kind: String,
    pub attribute: &'static str,
}

/// The change a stream record is: its sequence number, and the fact it means if any.
pub fn change(record: &EventRecord) -> Result<Change, Undecodable> {
    let id = record
        .change
        .sequence_number
        .clone()
        .unwrap_or_else(|| record.event_id.clone());
    let fact = fact(&record.event_name, &record.change.new_image)?;
    Ok(Change { id, fact })
}

fn fact(event: &str, new: &Image) -> Result<Option<Fact>, Undecodable> {
    let Some(kind) = text(new, attr::TYPE) else {
        return Ok(None);
    };
    let read = Read { image: new, kind };
    let fact = match (event, kind) {
        ("INSERT", item_type::LEAD) => Fact::LeadStored {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            at_ms: read.number(attr::RECEIVED_AT)?,
            lead: LeadFacts {
                category: read.optional(attr::CATEGORY),
                city: read.optional(attr::CITY),
                state: read.optional(attr::STATE),
                zip_code: read.optional(attr::ZIP_CODE),
                create_timestamp: read.number(attr::CREATE_TIMESTAMP)?,
                lead_type: read.optional(attr::LEAD_TYPE),
                lead_price: read.optional(attr::LEAD_PRICE),
            },
        },
        ("INSERT", item_type::MESSAGE) => Fact::MessageStored {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            message_id: read.text(attr::MESSAGE_ID)?,
            lead_known: false,
            at_ms: read.number(attr::RECEIVED_AT)?,
        },
        ("INSERT", item_type::REVISION) => {
            let digest = read
                .text(SK)?
                .trim_start_matches(REVISION_SK_PREFIX)
                .to_owned();
            let business_id = read.optional(attr::BUSINESS_ID);
            let at_ms = read.number(attr::RECEIVED_AT)?;
            let of = read.text(attr::OF)?.parse::<RevisionOf>();
            // A review's revision need not name a lead; the others always do.
            let lead_id = match of {
                Ok(RevisionOf::Review) => String::new(),
                _ => read.text(attr::LEAD_ID)?,
            };
            match of {
                Ok(RevisionOf::Lead) => Fact::LeadRevised {
                    lead_id,
                    business_id,
                    digest,
                    at_ms,
                },
                Ok(RevisionOf::Message) => Fact::MessageRevised {
                    lead_id,
                    business_id,
                    message_id: read.text(attr::ID)?,
                    digest,
                    at_ms,
                },
                Ok(RevisionOf::Review) => Fact::ReviewRevised {
                    review_id: read.text(attr::ID)?,
                    business_id,
                    digest,
                    at_ms,
                },
                Err(_) => return Err(read.lacks(attr::OF)),
            }
        }
        ("INSERT", item_type::LEAD_UPDATE) => Fact::LeadUpdated {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: None,
            lead_price: read.optional(attr::LEAD_PRICE),
            charge_state: read.optional(attr::CHARGE_STATE),
            lead_known: false,
            digest: read
                .text(SK)?
                .trim_start_matches(UPDATE_SK_PREFIX)
                .to_owned(),
            at_ms: read.number(attr::RECEIVED_AT)?,
        },
        ("INSERT", item_type::REVIEW) => Fact::ReviewReceived {
            review_id: read.text(attr::REVIEW_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            lead_id: read.optional(attr::LEAD_ID),
            category_id: read.optional(attr::CATEGORY_ID),
            rating: read.number(attr::RATING).ok(),
            verified: match new.get(attr::VERIFIED) {
                Some(AttributeValue::Bool(flag)) => Some(*flag),
                _ => None,
            },
            at_ms: read.number(attr::RECEIVED_AT)?,
        },
        ("INSERT", item_type::UNANSWERED) => Fact::LeadUnanswered {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            at_ms: read.number(attr::RECEIVED_AT)?,
        },
        ("INSERT", item_type::QUARANTINE) => Fact::PayloadQuarantined {
            route: read.text(attr::ROUTE)?,
            problem_count: read.number(attr::PROBLEM_COUNT)?,
            digest: quarantine_digest(&read.text(PK)?).to_owned(),
            at_ms: read.number(attr::FIRST_RECEIVED_AT)?,
        },
        ("INSERT", item_type::REPLY_OUTCOME) => match read.text(attr::STATUS)?.parse() {
            Ok(ReplyStatus::Sent) => Fact::ReplySent {
                reply_id: read.text(attr::REPLY_ID)?,
                lead_id: read.text(attr::LEAD_ID)?,
                business_id: read.text(attr::BUSINESS_ID)?,
                status: u16::try_from(read.number(attr::HTTP_STATUS)?).unwrap_or(0),
                at_ms: read.number(attr::SENT_AT)?,
            },
            Ok(ReplyStatus::Failed) => Fact::ReplyFailed {
                reply_id: read.text(attr::REPLY_ID)?,
                lead_id: read.text(attr::LEAD_ID)?,
                business_id: read.text(attr::BUSINESS_ID)?,
                status: read
                    .number(attr::HTTP_STATUS)
                    .ok()
                    .and_then(|code| u16::try_from(code).ok()),
                // The category, never lastError: Thumbtack's answer may echo the pro's text,
                // and events reach the bus's archive and every consumer.
                reason: read
                    .optional(attr::FAILURE)
                    .unwrap_or_else(|| "failed".to_owned()),
                attempt: u32::try_from(read.number(attr::ATTEMPTS)?).unwrap_or(u32::MAX),
                at_ms: read.number(attr::UPDATED_AT)?,
            },
            Ok(ReplyStatus::Sending) | Err(_) => return Err(read.lacks(attr::STATUS)),
        },
        _ => return Ok(None),
    };
    Ok(Some(fact))
}

fn text<'a>(image: &'a Image, name: &str) -> Option<&'a str> {
    match image.get(name) {
        Some(AttributeValue::S(value)) => Some(value),
        _ => None,
    }
}

/// Reads one image's attributes, naming the one missing in the error.
struct Read<'a> {
    image: &'a Image,
    kind: &'a str,
}

impl Read<'_> {
    fn lacks(&self, attribute: &'static str) -> Undecodable {
        Undecodable {
            kind: self.kind.to_owned(),
            attribute,
        }
    }

    fn text(&self, name: &'static str) -> Result<String, Undecodable> {
        text(self.image, name)
            .map(str::to_owned)
            .ok_or_else(|| self.lacks(name))
    }

    fn optional(&self, name: &str) -> Option<String> {
        text(self.image, name).map(str::to_owned)
    }

    fn number(&self, name: &'static str) -> Result<u64, Undecodable> {
        match self.image.get(name) {
            Some(AttributeValue::N(value)) => value.parse().map_err(|_| self.lacks(name)),
            _ => Err(self.lacks(name)),
        }
    }
}
