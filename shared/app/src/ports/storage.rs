//! Storage of what Thumbtack sends: leads, messages, revisions, quarantined payloads, and a
//! lead's whole conversation read back.

use models::{InboundMessage, Lead, Problems, RevisionOf};
use std::future::Future;

use super::ReplyRecord;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A storage failure. The variants tell the caller whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Throttling, timeouts, 5xx, connection failures: the same call may succeed later.
    #[error("storage is temporarily unavailable")]
    Unavailable(#[source] BoxError),
    /// The store refused the request (missing table, access denied, validation): retrying the
    /// same call will not help until an operator acts.
    #[error("storage rejected the request")]
    Rejected(#[source] BoxError),
    /// An item in the table does not have the shape we write.
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
    /// The item would be over the store's item size limit (DynamoDB: 400 KB). Retrying the same
    /// payload can never succeed, so this must never be answered as a fault to retry.
    #[error("the item is over the store's size limit")]
    TooLarge(#[source] BoxError),
}

impl StoreError {
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Which inbound route a payload came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Lead,
    Message,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Lead => "lead",
            Route::Message => "message",
        }
    }
}

/// A lead to store, with the body exactly as received and what was wrong in its fields.
#[derive(Debug, Clone, Copy)]
pub struct NewLead<'a> {
    pub lead: &'a Lead,
    pub warnings: &'a Problems,
    pub raw: &'a str,
    pub received_at_ms: u64,
}

/// A message to store, with the body exactly as received and what was wrong in its fields.
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    pub message: &'a InboundMessage,
    pub warnings: &'a Problems,
    pub raw: &'a str,
    pub received_at_ms: u64,
}

/// A redelivery whose body differs from the stored one; keyed by the digest of its content so a
/// repeated revision is stored once.
#[derive(Debug, Clone, Copy)]
pub struct NewRevision<'a> {
    pub lead_id: &'a str,
    pub business_id: &'a str,
    pub of: RevisionOf,
    pub id: &'a str,
    pub digest: &'a str,
    pub raw: &'a str,
    pub received_at_ms: u64,
}

/// An authenticated payload that failed validation, kept so that nothing Thumbtack sent is lost
/// if our validation is wrong. Keyed by route and body digest; a redelivery counts up.
#[derive(Debug, Clone, Copy)]
pub struct Quarantined<'a> {
    pub route: Route,
    pub digest: &'a str,
    pub raw: &'a [u8],
    pub problems: &'a Problems,
    pub received_at_ms: u64,
}

/// The result of a conditional insert keyed by an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// Nothing had this id: the item is now stored.
    Created,
    /// An item with this id was stored before; here is its body as received.
    Exists { raw: String },
}

/// Everything stored under one lead, as read in one query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationRecords {
    /// `None` when messages arrived but the lead itself has not (yet).
    pub lead_raw: Option<String>,
    /// What was wrong in the lead's fields when it was stored.
    pub lead_warnings: Problems,
    pub messages: Vec<MessageRecord>,
    pub revisions: Vec<RevisionRecord>,
    pub replies: Vec<ReplyRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub message_id: String,
    pub create_timestamp: u64,
    pub raw: String,
    pub received_at_ms: u64,
    pub warnings: Problems,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRecord {
    pub of: RevisionOf,
    pub id: String,
    pub raw: String,
    pub received_at_ms: u64,
}

/// Storage of leads, messages and their conversations. Every write is conditional, so concurrent
/// redeliveries store one item.
pub trait LeadStore: Send + Sync {
    fn insert_lead(
        &self,
        lead: NewLead<'_>,
    ) -> impl Future<Output = Result<Insert, StoreError>> + Send;

    fn insert_message(
        &self,
        message: NewMessage<'_>,
    ) -> impl Future<Output = Result<Insert, StoreError>> + Send;

    fn insert_revision(
        &self,
        revision: NewRevision<'_>,
    ) -> impl Future<Output = Result<Insert, StoreError>> + Send;

    fn quarantine(
        &self,
        payload: Quarantined<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn conversation(
        &self,
        lead_id: &str,
    ) -> impl Future<Output = Result<ConversationRecords, StoreError>> + Send;

    /// When the lead was stored (unix ms), or `None` while it has not arrived: one consistent
    /// read of the lead's key.
    fn lead_stored_at(
        &self,
        lead_id: &str,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
}
