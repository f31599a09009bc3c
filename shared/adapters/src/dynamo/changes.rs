//! Items read back as stored facts (`app::events::Fact`), from the layout in `schema.rs`: the
//! one decoder of the table's facts, for the stream's images (events out) and the changes feed's
//! index entries (`listings.rs`) alike.
//!
//! An insert of a lead, a message, a lead update, a review, a revision, a reply's outcome, an
//! unanswered lead, a quarantine record or a connection's status change is a fact. Everything else (a reply claimed, retried or
//! changing status, a quarantine record counting a redelivery, a chunk, a guard, a deletion) is
//! not.

use super::schema::{
    PK, REVISION_SK_PREFIX, SK, UPDATE_SK_PREFIX, attr, connection_of, item_type, lead_of,
    quarantine_digest,
};
use app::events::{Change, ConnectionChange, Fact, LeadFacts};
use app::ports::ConnectionStatus;
use aws_lambda_events::event::dynamodb::EventRecord;
use models::{ReplyStatus, RevisionOf};

/// An item as either side gives it: a stream image, or an item the SDK read from an index.
pub trait Attributes {
    /// A string attribute.
    fn text(&self, name: &str) -> Option<&str>;
    /// A number attribute, as DynamoDB writes it (decimal text).
    fn number(&self, name: &str) -> Option<&str>;
    /// A boolean attribute.
    fn flag(&self, name: &str) -> Option<bool>;
    /// The strings of a list attribute (empty when it is absent).
    fn texts(&self, name: &str) -> Vec<String>;
}

impl Attributes for serde_dynamo::Item {
    fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(serde_dynamo::AttributeValue::S(value)) => Some(value),
            _ => None,
        }
    }

    fn number(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(serde_dynamo::AttributeValue::N(value)) => Some(value),
            _ => None,
        }
    }

    fn flag(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(serde_dynamo::AttributeValue::Bool(flag)) => Some(*flag),
            _ => None,
        }
    }

    fn texts(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(serde_dynamo::AttributeValue::L(values)) => values
                .iter()
                .filter_map(|value| match value {
                    serde_dynamo::AttributeValue::S(text) => Some(text.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Attributes for super::Item {
    fn text(&self, name: &str) -> Option<&str> {
        self.get(name)?.as_s().ok().map(String::as_str)
    }

    fn number(&self, name: &str) -> Option<&str> {
        self.get(name)?.as_n().ok().map(String::as_str)
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.get(name)?.as_bool().ok().copied()
    }

    fn texts(&self, name: &str) -> Vec<String> {
        self.get(name)
            .and_then(|value| value.as_l().ok())
            .map(|values| {
                values
                    .iter()
                    .filter_map(|value| value.as_s().ok().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// An item that should be a fact and is not readable as one (an attribute missing or of another
/// type): a bug, logged and counted by the caller, never retried for ever.
#[derive(Debug, thiserror::Error)]
#[error("a {kind} item lacks {attribute}")]
pub struct Undecodable {
    pub kind: String,
    pub attribute: &'static str,
}

/// The change a stream record is: its sequence number, and the fact it means if any (only an
/// insert is one).
pub fn change(record: &EventRecord) -> Result<Change, Undecodable> {
    let id = record
        .change
        .sequence_number
        .clone()
        .unwrap_or_else(|| record.event_id.clone());
    let fact = match record.event_name.as_str() {
        "INSERT" => fact(&record.change.new_image, None)?,
        _ => None,
    };
    Ok(Change { id, fact })
}

/// The fact an item holds, if it holds one. Its time is `place_ms` when given (the feed's place:
/// the index copies no time attribute), else the item's own (its receipt, a reply's outcome).
pub fn fact(item: &impl Attributes, place_ms: Option<u64>) -> Result<Option<Fact>, Undecodable> {
    let Some(kind) = item.text(attr::TYPE) else {
        return Ok(None);
    };
    let read = Read {
        item,
        kind,
        place_ms,
    };
    let fact = match kind {
        item_type::LEAD => Fact::LeadStored {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            at_ms: read.at(attr::RECEIVED_AT)?,
            lead: LeadFacts {
                category: read.optional(attr::CATEGORY),
                city: read.optional(attr::CITY),
                state: read.optional(attr::STATE),
                zip_code: read.optional(attr::ZIP_CODE),
                create_timestamp: read.number(attr::CREATE_TIMESTAMP)?,
                lead_type: read.optional(attr::LEAD_TYPE),
                lead_price: read.optional(attr::LEAD_PRICE),
                test: item.flag(attr::TEST) == Some(true),
                contract: contract(item),
            },
        },
        item_type::MESSAGE => Fact::MessageStored {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            message_id: read.text(attr::MESSAGE_ID)?,
            create_timestamp: read.number(attr::CREATE_TIMESTAMP)?,
            lead_known: false,
            contract: contract(item),
            at_ms: read.at(attr::RECEIVED_AT)?,
        },
        item_type::REVISION => {
            let digest = read
                .text(SK)?
                .trim_start_matches(REVISION_SK_PREFIX)
                .to_owned();
            let business_id = read.optional(attr::BUSINESS_ID);
            let at_ms = read.at(attr::RECEIVED_AT)?;
            // A review's revision lives under its review, and names a lead only by its item; the
            // others live in their lead's partition.
            let lead_id = item
                .text(PK)
                .and_then(lead_of)
                .map(str::to_owned)
                .or_else(|| read.optional(attr::LEAD_ID));
            let lead = || lead_id.clone().ok_or_else(|| read.lacks(attr::LEAD_ID));
            match read.text(attr::OF)?.parse::<RevisionOf>() {
                Ok(RevisionOf::Lead) => Fact::LeadRevised {
                    lead_id: lead()?,
                    business_id,
                    digest,
                    at_ms,
                },
                Ok(RevisionOf::Message) => Fact::MessageRevised {
                    lead_id: lead()?,
                    business_id,
                    message_id: read.text(attr::ID)?,
                    digest,
                    at_ms,
                },
                Ok(RevisionOf::Review) => Fact::ReviewRevised {
                    review_id: read.text(attr::ID)?,
                    lead_id,
                    business_id,
                    digest,
                    at_ms,
                },
                Err(_) => return Err(read.lacks(attr::OF)),
            }
        }
        item_type::LEAD_UPDATE => Fact::LeadUpdated {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: None,
            lead_price: read.optional(attr::LEAD_PRICE),
            charge_state: read.optional(attr::CHARGE_STATE),
            lead_known: false,
            digest: read
                .text(SK)?
                .trim_start_matches(UPDATE_SK_PREFIX)
                .to_owned(),
            at_ms: read.at(attr::RECEIVED_AT)?,
        },
        item_type::REVIEW => Fact::ReviewReceived {
            review_id: read.text(attr::REVIEW_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            lead_id: read.optional(attr::LEAD_ID),
            category_id: read.optional(attr::CATEGORY_ID),
            rating: read.number(attr::RATING).ok(),
            verified: item.flag(attr::VERIFIED),
            contract: contract(item),
            at_ms: read.at(attr::RECEIVED_AT)?,
        },
        item_type::UNANSWERED => Fact::LeadUnanswered {
            lead_id: read.text(attr::LEAD_ID)?,
            business_id: read.text(attr::BUSINESS_ID)?,
            at_ms: read.at(attr::RECEIVED_AT)?,
        },
        // A connection's status change. Its user comes from its key (the feed's index copies
        // the keys, not `userID`); its businesses only from the stream's image.
        item_type::CONNECTION_CHANGE => {
            let pk = read.text(PK)?;
            let change = ConnectionChange {
                user_id: connection_of(&pk).ok_or_else(|| read.lacks(PK))?.to_owned(),
                business_ids: item.texts(attr::BUSINESS_IDS),
                status: read.text(attr::STATUS)?,
                key: read.text(SK)?,
                at_ms: read.at(attr::CREATED_AT)?,
            };
            match ConnectionStatus::parse(&change.status) {
                Some(ConnectionStatus::Connected) => Fact::ConnectionCreated { change },
                Some(ConnectionStatus::Broken) => Fact::ConnectionBroken { change },
                Some(ConnectionStatus::Removed) => Fact::ConnectionRemoved { change },
                None => return Err(read.lacks(attr::STATUS)),
            }
        }
        item_type::QUARANTINE => Fact::PayloadQuarantined {
            route: read.text(attr::ROUTE)?,
            problem_count: read.number(attr::PROBLEM_COUNT)?,
            digest: quarantine_digest(&read.text(PK)?).to_owned(),
            at_ms: read.at(attr::FIRST_RECEIVED_AT)?,
        },
        // A reply's outcome; a reply item stored before outcomes had items of their own carried
        // its last outcome itself (one still `sending` is no outcome).
        item_type::REPLY_OUTCOME | item_type::REPLY => match read.text(attr::STATUS)?.parse() {
            Ok(ReplyStatus::Sent) => Fact::ReplySent {
                reply_id: read.text(attr::REPLY_ID)?,
                lead_id: read.text(attr::LEAD_ID)?,
                business_id: read.text(attr::BUSINESS_ID)?,
                status: u16::try_from(read.number(attr::HTTP_STATUS)?).unwrap_or(0),
                attempt: read.attempt()?,
                at_ms: read.at(attr::SENT_AT)?,
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
                attempt: read.attempt()?,
                at_ms: read.at(attr::UPDATED_AT)?,
            },
            Ok(ReplyStatus::Sending) => return Ok(None),
            Err(_) => return Err(read.lacks(attr::STATUS)),
        },
        _ => return Ok(None),
    };
    Ok(Some(fact))
}

/// Reads one item's attributes, naming the one missing in the error.
struct Read<'a, A> {
    item: &'a A,
    kind: &'a str,
    place_ms: Option<u64>,
}

impl<A: Attributes> Read<'_, A> {
    fn lacks(&self, attribute: &'static str) -> Undecodable {
        Undecodable {
            kind: self.kind.to_owned(),
            attribute,
        }
    }

    fn text(&self, name: &'static str) -> Result<String, Undecodable> {
        self.item
            .text(name)
            .map(str::to_owned)
            .ok_or_else(|| self.lacks(name))
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.item.text(name).map(str::to_owned)
    }

    fn number(&self, name: &'static str) -> Result<u64, Undecodable> {
        self.item
            .number(name)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| self.lacks(name))
    }

    /// The fact's time: its place's, else the item's `name`.
    fn at(&self, name: &'static str) -> Result<u64, Undecodable> {
        match self.place_ms {
            Some(at_ms) => Ok(at_ms),
            None => self.number(name),
        }
    }

    /// The ledger's try that ended a reply.
    fn attempt(&self) -> Result<u32, Undecodable> {
        Ok(u32::try_from(self.number(attr::ATTEMPTS)?).unwrap_or(u32::MAX))
    }
}

/// The contract that carried a fact: `v4` when the item says it came through the v4 webhook
/// ([`super::item::insert_contract`]), `legacy` otherwise.
pub(super) fn contract(item: &impl Attributes) -> models::Contract {
    if item.text(attr::ROUTE) == Some(app::ports::Route::V4Webhook.as_str()) {
        models::Contract::V4
    } else {
        models::Contract::Legacy
    }
}
