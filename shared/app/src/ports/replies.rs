//! The reply path's ports: the ledger that makes a reply go once, Thumbtack's messages API, and
//! the queue the replies come from.

use models::{Contract, ReplyRequest, ReplyStatus};
use std::future::Future;
use std::time::Duration;

use super::{BoxError, StoreError};

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
    /// The contract it went out through, once sent.
    pub contract: Option<Contract>,
    /// The id Thumbtack gave the message it created (v4), once sent.
    pub sent_message_id: Option<String>,
    /// When Thumbtack delivered it back to our webhook (its v4 echo), unix milliseconds: the
    /// message is in the conversation at Thumbtack.
    pub delivered_at_ms: Option<u64>,
    /// The messageID of that echo, which a redelivery of it is matched by.
    pub echo_message_id: Option<String>,
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
pub enum Recorded {
    /// Written: this delivery held the claim.
    Yes,
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
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// [`ReplyLedger::mark_sent`] with what the send returned besides its status: the contract
    /// it went out through and, on v4, the created message's id (what its echo is matched by).
    /// A ledger that keeps neither records the status alone.
    fn mark_sent_via(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        accepted: &Accepted,
        now_ms: u64,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send {
        self.mark_sent(reply, attempt, accepted.status, now_ms)
    }

    /// Thumbtack delivered the sent reply `reply_id` of `lead_id` back to our webhook as the
    /// message `echo_message_id` at `at_ms`: it is marked delivered, once (a redelivery keeps the
    /// first time). A reply that is not stored is left alone.
    fn mark_delivered(
        &self,
        lead_id: &str,
        reply_id: &str,
        echo_message_id: &str,
        at_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The attempt failed transiently; the reply stays `sending` and the claim is released.
    fn mark_retrying(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// Failed for good: `error` is the reason in words (it may quote Thumbtack's answer, which
    /// may echo the pro's text: it stays in the ledger), `category` a fixed word (`refused`,
    /// `gave_up`, `invalid`, `conflict`, `skipped`): the only reason events carry.
    fn mark_failed(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        error: &str,
        category: &str,
        http_status: Option<u16>,
        now_ms: u64,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// Nothing was tried (no time left): the claim is released, so that the next delivery need
    /// not wait out its lease. The reply stays `sending`, its last error unchanged.
    fn release(
        &self,
        reply: &ReplyRequest,
        attempt: u32,
        now_ms: u64,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// Whether a reply of a person (any but the automatic acknowledgement) for the lead is in the
    /// ledger, in any state: the acknowledgement is then not sent.
    fn person_replied(
        &self,
        lead_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// What the ledger checks a reply against before it claims it, in one read: the business of
    /// its lead when the lead is stored, and (when `acknowledgement`) the lead's acknowledgement
    /// note.
    fn reply_context(
        &self,
        lead_id: &str,
        acknowledgement: bool,
    ) -> impl Future<Output = Result<ReplyContext, StoreError>> + Send;

    /// Marks the lead as answered if no reply was sent for it before (and whether that first reply
    /// was automatic), and as answered by a person if this reply is a person's and none was
    /// before; each counted once in its business's day (`StatsDesk`). Returns the lead's
    /// `createTimestamp` (unix seconds) when this was its first reply, for the response-time
    /// metric.
    fn first_reply(
        &self,
        lead_id: &str,
        automatic: bool,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    /// [`ReplyLedger::first_reply`] for a reply whose context was read before its send: the
    /// count may go by what that read found of the lead (`known`, from
    /// [`ReplyContext::first_reply`]) instead of reading the lead again. The count's writes are
    /// conditional, so a reply counted in between still counts once.
    fn first_reply_known(
        &self,
        lead_id: &str,
        automatic: bool,
        now_ms: u64,
        known: Option<&LeadFirstReply>,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send {
        let _ = known;
        self.first_reply(lead_id, automatic, now_ms)
    }
}

/// What counting a lead's first reply needs of the lead, as a read found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFirstReply {
    pub business_id: String,
    /// The lead's `createTimestamp`, unix seconds.
    pub created_s: u64,
    pub received_at_ms: u64,
    /// A reply was sent for the lead before.
    pub replied: bool,
    /// A person's reply was sent for the lead before.
    pub person_replied: bool,
    /// A test lead counts in no figures.
    pub test: bool,
}

/// What is stored about a reply's lead: see [`ReplyLedger::reply_context`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyContext {
    /// The stored lead's businessID; `None` while the lead is not stored.
    pub lead_business_id: Option<String>,
    /// The lead's acknowledgement note, when asked for and written.
    pub acknowledgement: Option<models::AckNote>,
    /// The contract the stored lead came through; `None` while the lead is not stored.
    pub lead_contract: Option<Contract>,
    /// What the lead's first-reply count needs, when the ledger read it with the rest.
    pub first_reply: Option<LeadFirstReply>,
}

/// Thumbtack accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub status: u16,
    /// The contract the message went out through.
    pub contract: Contract,
    /// The created message's id, when Thumbtack answers with it (v4).
    pub message_id: Option<String>,
}

impl Accepted {
    /// Accepted through legacy, which answers with a status alone.
    pub fn legacy(status: u16) -> Self {
        Accepted {
            status,
            contract: Contract::Legacy,
            message_id: None,
        }
    }
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
    /// is not a valid path segment) or is too long for Thumbtack.
    #[error("{detail}")]
    Invalid { detail: String },
    /// Permanent, and refused before any request: we hold no usable authorisation for the
    /// business (its v4 connection is broken or gone; the pro must connect again).
    #[error("{detail}")]
    Unauthorised { detail: String },
}

/// Thumbtack's messages API.
pub trait Thumbtack: Send + Sync {
    fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send;

    /// A reply to a lead, knowing the contract the stored lead came through (`None`: not
    /// stored): an implementation that serves both contracts picks by it and by the business.
    fn send_reply(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
        lead_contract: Option<Contract>,
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send {
        let _ = lead_contract;
        self.send_message(business_id, lead_id, text)
    }
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
