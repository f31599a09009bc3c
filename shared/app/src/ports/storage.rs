//! Storage of what Thumbtack sends: leads, messages, lead updates, reviews, revisions,
//! quarantined payloads, and a lead's whole conversation read back.

use models::{InboundMessage, Lead, LeadUpdate, Patch, Problems, Review, RevisionOf};
use std::collections::HashMap;
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
    /// A listing's position that is none of the store's: it does not read as one, or lies outside
    /// the query's bounds. Only a cursor sealed with our key gets this far (one forged with it,
    /// or of an older layout), so it is the caller's to fix: the pull routes answer it as any
    /// other bad cursor (400 naming `cursor`), never as a fault of the store.
    #[error("the cursor's position is not one this listing gives")]
    UnreadablePosition,
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
    LeadUpdate,
    Review,
    /// Thumbtack v4's webhook (`POST /v4/webhooks/{businessID}`): every event type, in its
    /// envelope.
    V4Webhook,
}

impl Route {
    /// The legacy routes, each with a payload of its own (`app::ingest::Payload`).
    pub const ALL: [Route; 4] = [
        Route::Lead,
        Route::Message,
        Route::LeadUpdate,
        Route::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Lead => "lead",
            Route::Message => "message",
            Route::LeadUpdate => "lead-update",
            Route::Review => "review",
            Route::V4Webhook => "v4-webhook",
        }
    }
}

impl std::str::FromStr for Route {
    type Err = models::conversation::UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Route::ALL
            .into_iter()
            .chain([Route::V4Webhook])
            .find(|route| route.as_str() == name)
            .ok_or(models::conversation::UnknownName("route"))
    }
}

/// A lead to store, with the body exactly as received and what was wrong in its fields.
#[derive(Debug, Clone, Copy)]
pub struct NewLead<'a> {
    pub lead: &'a Lead,
    pub warnings: &'a Problems,
    pub raw: &'a str,
    /// What `raw` says of itself (its contract, whether it is a test), written on the lead's
    /// item: `models::v4::stored::marks(raw)`, or what the parsed delivery already told.
    pub marks: models::v4::stored::Marks,
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

/// A lead update to store: each distinct one once, keyed by its content's digest.
#[derive(Debug, Clone, Copy)]
pub struct NewLeadUpdate<'a> {
    pub update: &'a LeadUpdate,
    pub digest: &'a str,
    pub warnings: &'a Problems,
    pub raw: &'a str,
    pub received_at_ms: u64,
}

/// A lead update's insert: whether it is new, and when it was first stored (a redelivery's price
/// is applied as of then, so that an older update redelivered never undoes a newer one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateInsert {
    pub created: bool,
    pub stored_at_ms: u64,
}

/// What a lead update sets on its lead: each field it gives (a value, or none for a `null`); a
/// field it leaves out stays as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price<'a> {
    pub lead_price: Patch<&'a str>,
    pub charge_state: Patch<&'a str>,
    /// When the update was first stored: each field applies only over one an older update set
    /// (every field has its own time, so updates that give different fields may apply in any
    /// order).
    pub at_ms: u64,
}

/// A review to store, once per reviewID.
#[derive(Debug, Clone, Copy)]
pub struct NewReview<'a> {
    pub review: &'a Review,
    pub warnings: &'a Problems,
    pub raw: &'a str,
    pub received_at_ms: u64,
}

impl NewReview<'_> {
    /// Where the review is listed among its business's reviews: its `createTime` as unix
    /// seconds, or its receipt when that is missing or unreadable.
    pub fn listed_at_seconds(&self) -> u64 {
        self.review
            .create_time
            .as_deref()
            .and_then(models::time::time_as_unix_seconds)
            .unwrap_or(self.received_at_ms / 1000)
    }
}

/// A redelivery whose body differs from the stored one; keyed by the digest of its content so a
/// repeated revision is stored once. A lead's and a message's revisions live in their lead's
/// partition, a review's in its review's.
#[derive(Debug, Clone, Copy)]
pub struct NewRevision<'a> {
    pub lead_id: Option<&'a str>,
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
    /// When the lead was stored (unix milliseconds), with `lead_raw`.
    pub lead_received_at_ms: Option<u64>,
    /// What was wrong in the lead's fields when it was stored.
    pub lead_warnings: Problems,
    /// The lead's current price and charge state, as its item holds them.
    pub lead_price: Option<String>,
    pub charge_state: Option<String>,
    pub messages: Vec<MessageRecord>,
    pub revisions: Vec<RevisionRecord>,
    pub replies: Vec<ReplyRecord>,
    /// Every distinct update of the lead's price, in no order.
    pub updates: Vec<UpdateRecord>,
    /// Reviews that name the lead.
    pub reviews: Vec<ReviewRecord>,
    /// What became of its automatic acknowledgement, when its business has them.
    pub acknowledgement: Option<super::AckNote>,
    /// When it was recorded unanswered (unix milliseconds).
    pub unanswered_at_ms: Option<u64>,
}

/// A stored lead, as a lookup by its id finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRef {
    pub received_at_ms: u64,
    pub business_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRecord {
    pub lead_price: Patch<String>,
    pub charge_state: Patch<String>,
    pub received_at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub raw: String,
    pub received_at_ms: u64,
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

    fn insert_update(
        &self,
        update: NewLeadUpdate<'_>,
    ) -> impl Future<Output = Result<UpdateInsert, StoreError>> + Send;

    /// Sets on the lead each field `price` gives, unless a newer update set that field; `false`
    /// when the lead is not stored (yet): the update waits beside it, and
    /// [`LeadStore::stored_updates`] finds it.
    fn apply_price(
        &self,
        lead_id: &str,
        price: Price<'_>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every update stored for a lead, in no order: applied when the lead arrives after them.
    fn stored_updates(
        &self,
        lead_id: &str,
    ) -> impl Future<Output = Result<Vec<UpdateRecord>, StoreError>> + Send;

    fn insert_review(
        &self,
        review: NewReview<'_>,
    ) -> impl Future<Output = Result<Insert, StoreError>> + Send;

    /// Shows a stored review in the conversation of the lead it names (idempotent).
    fn link_review(
        &self,
        review: NewReview<'_>,
        lead_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// When the lead was stored and for which business, or `None` while it has not arrived: one
    /// consistent read of the lead's key.
    fn stored_lead(
        &self,
        lead_id: &str,
    ) -> impl Future<Output = Result<Option<LeadRef>, StoreError>> + Send;

    /// [`LeadStore::stored_lead`] of many leads at once (consistent reads), by leadID; a lead not
    /// stored (yet) is not in the answer. The events function asks it once a stream batch, for
    /// the leads of all its messages and updates: in DynamoDB one `BatchGetItem` per 100 leads,
    /// where one `GetItem` a record held a shard to a few dozen records a second.
    fn stored_leads(
        &self,
        lead_ids: &[&str],
    ) -> impl Future<Output = Result<HashMap<String, LeadRef>, StoreError>> + Send;
}
