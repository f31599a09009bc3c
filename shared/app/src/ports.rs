//! What the domain needs from storage, as a trait the DynamoDB adapter implements (and an
//! in-memory store, for unit tests).

use models::{InboundMessage, Lead, Problems, ReplyRequest, ReplyStatus, RevisionOf};
use std::future::Future;
use std::time::Duration;

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

/// An outbound reply as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRecord {
    pub reply_id: String,
    pub text: String,
    pub status: ReplyStatus,
    /// Why the last attempt failed (kept while retrying, and when failed for good).
    pub error: Option<String>,
    /// When the partner enqueued it, unix milliseconds.
    pub enqueued_at_ms: u64,
    /// The FIFO queue's sequence number: the order of replies enqueued in the same millisecond.
    pub sequence: Option<String>,
    pub attempts: u32,
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
}

/// A lead as listed for a business, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadSummary {
    pub lead_id: String,
    pub create_timestamp: u64,
    pub category: Option<String>,
    pub title: Option<String>,
    pub received_at_ms: u64,
}

/// A quarantined payload as listed for an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRecord {
    pub route: String,
    pub digest: String,
    pub raw: Vec<u8>,
    pub problems: Problems,
    pub deliveries: u64,
    pub first_received_at_ms: u64,
    pub last_received_at_ms: u64,
}

/// Where a listing goes on: opaque, handed back as the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` after the last one.
    pub next: Option<Cursor>,
}

/// Listings over the table's index, newest first, a page at a time: what operators read today
/// (partnerctl), and the partner's systems next. No Lambda path reads them, so they are not on
/// [`LeadStore`], and only the DynamoDB store implements them.
pub trait Listings: Send + Sync {
    /// A business's leads, newest `createTimestamp` first: at most `limit`, from `after` (the
    /// first page when `None`).
    fn business_leads(
        &self,
        business_id: &str,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<LeadSummary>, StoreError>> + Send;

    /// Quarantined payloads with their bodies, newest first: at most `limit`, from `after`.
    fn list_quarantine(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<QuarantineRecord>, StoreError>> + Send;
}

/// A request to take ownership of sending one reply.
#[derive(Debug, Clone, Copy)]
pub struct ReplyClaim<'a> {
    pub reply: &'a ReplyRequest,
    /// When the partner enqueued it (SQS `SentTimestamp`), unix milliseconds.
    pub enqueued_at_ms: u64,
    /// SQS FIFO `SequenceNumber`, when there is one.
    pub sequence: Option<&'a str>,
    pub now_ms: u64,
    /// Until then no other delivery of this reply may send it.
    pub lease_until_ms: u64,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery owns the send; `attempt` counts deliveries that got this far (the reply's
    /// tries, whatever the queue's receive count), and is the claim's token for outcome writes.
    Claimed { attempt: u32 },
    /// Sent before: acknowledge without sending.
    AlreadySent,
    /// Another delivery holds an unexpired claim, until `lease_until_ms` (unix ms): try again
    /// no sooner.
    Busy { lease_until_ms: u64 },
    /// The replyID is taken by a different reply (other lead, business or text): never send.
    Conflict { reason: String },
}

/// Whether an outcome write landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Recorded,
    /// Nothing was written: this delivery no longer holds the claim (its lease expired and
    /// another delivery took the reply over, or the reply was sent).
    Superseded,
}

/// The durable state of every outbound reply: `sending` → `sent` | `failed`, with conditional
/// writes so that a reply is sent by one delivery at a time and never after it was sent.
///
/// The outcome writes take the `attempt` their delivery's claim returned: it is the claim's
/// token, and a write lands only while the reply's attempt count still equals it.
pub trait ReplyLedger: Send + Sync {
    fn claim(
        &self,
        claim: ReplyClaim<'_>,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    fn mark_sent(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        http_status: u16,
        now_ms: u64,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;

    /// The attempt failed transiently; the reply stays `sending` and the claim is released.
    fn mark_retrying(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;

    fn mark_failed(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        http_status: Option<u16>,
        now_ms: u64,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;

    /// Nothing was tried (no time left): the claim is released, so that the next delivery need
    /// not wait out its lease. The reply stays `sending`, its last error unchanged.
    fn release(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        now_ms: u64,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;

    /// Marks the lead as answered if no reply was sent for it before; returns the lead's
    /// `createTimestamp` (unix seconds) when this was its first reply, for the response-time metric.
    fn first_reply(
        &self,
        lead_id: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
}

/// Thumbtack accepted the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub status: u16,
}

/// Why Thumbtack did not take the message. Details never contain the message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// 429, 408, 5xx, timeouts, connection failures: the same request may succeed later.
    #[error("{detail}")]
    Transient {
        status: Option<u16>,
        retry_after: Option<Duration>,
        detail: String,
    },
    /// Any other 4xx (or an unexpected answer): sending it again unchanged will not help.
    #[error("Thumbtack answered {status}: {excerpt}")]
    Permanent { status: u16, excerpt: String },
    /// Permanent too, and refused before any request: the reply cannot be addressed (an id that
    /// is not a valid path segment).
    #[error("{detail}")]
    Invalid { detail: String },
}

/// Thumbtack's messages API.
pub trait Thumbtack: Send + Sync {
    fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send;
}

/// A queue operation failed.
#[derive(Debug, thiserror::Error)]
#[error("reply queue operation failed")]
pub struct QueueError(#[source] pub BoxError);

/// A message moved aside to the dead-letter queue, to be redriven once the cause is fixed.
#[derive(Debug, Clone, Copy)]
pub struct Parked<'a> {
    pub body: &'a str,
    pub message_id: &'a str,
    pub group_id: &'a str,
    /// Short and free of message text: it travels as a message attribute.
    pub reason: &'a str,
}

/// What the reply handler does to queue messages besides acknowledging them.
pub trait ReplyQueue: Send + Sync {
    /// Makes the message visible again only after `delay` (the redelivery backoff).
    fn retry_later(
        &self,
        receipt_handle: &str,
        delay: Duration,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Moves the message to the dead-letter queue (the caller then acknowledges the original).
    fn park(&self, parked: Parked<'_>) -> impl Future<Output = Result<(), QueueError>> + Send;
}
