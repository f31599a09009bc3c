//! Sending a pro's reply to Thumbtack: once, retried when that can help, and never lost.
//!
//! One queue delivery goes through: parse → claim in the ledger → send (a few quick tries) →
//! record the outcome. What happens to the queue message is the [`Disposition`]:
//!
//! | situation | ledger | queue message |
//! |---|---|---|
//! | sent (2xx) | `sent` | deleted |
//! | sent before (a redelivery) | unchanged | deleted, no second send |
//! | not a valid reply | – | parked in the DLQ, deleted |
//! | its lead is stored under another business | – | parked, deleted |
//! | an `auto-` id its lead's acknowledgement note does not vouch for | – | parked, deleted |
//! | replyID taken by another reply | unchanged | parked, deleted |
//! | 4xx other than 408/429 | `failed`, with the status and Thumbtack's words | parked, deleted |
//! | 429/408/5xx/timeout, tries left | `sending`, last error kept | back to the queue after a backoff |
//! | the same, on the reply's last try (`max_attempts`) | `failed`, "gave up after N tries" | parked, deleted |
//! | another delivery holds the claim | unchanged | back to the queue until its lease ends, at least |
//! | no time for a try and its `sent` write | claim released | back to the queue at once |
//! | the claim was taken over (lease expired) | nothing written | back to the queue |
//! | the ledger cannot be written | unchanged | back to the queue |
//!
//! The one window for a second send: the process dies after Thumbtack accepted the message and
//! before `sent` is written (a DynamoDB round trip, milliseconds). The redelivery finds the reply
//! still `sending` and sends it again. Thumbtack's API has no idempotency key to close it.

mod batch;
mod outcome;
mod policy;
mod steps;

pub use batch::deliver_batch;
pub use outcome::{Disposition, FailureKind, Outcome, report};
pub use policy::{MAX_REDELIVERY_DELAY, RetryPolicy, time_left};

use crate::metrics::Metrics;
use crate::ports::{ReplyLedger, ReplyQueue, Thumbtack};
use models::ReplyRequest;
use std::time::Instant;
use steps::Sent;

/// The ports a reply delivery needs.
#[derive(Debug, Clone)]
pub struct ReplyDeps<L, T, Q> {
    pub ledger: L,
    pub thumbtack: T,
    pub queue: Q,
    pub policy: RetryPolicy,
    pub metrics: Metrics,
}

/// One queue message, whatever carried it (a Lambda SQS event, the local worker).
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub message_id: &'a str,
    pub receipt_handle: &'a str,
    pub body: &'a str,
    pub group_id: &'a str,
    /// 1 on the first delivery.
    pub receive_count: u32,
    /// When the partner enqueued it, unix milliseconds.
    pub sent_timestamp_ms: u64,
    /// FIFO queues number messages in order.
    pub sequence: Option<&'a str>,
}

/// Handles one delivery of a reply; never panics, never loses it: every path ends in a state the
/// ledger or the queue holds. The steps: parse, claim, send, record.
pub async fn deliver<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    deadline: Instant,
) -> Outcome {
    let reply = match ReplyRequest::parse(delivery.body.as_bytes()) {
        Ok(reply) => reply,
        Err(invalid) => {
            let reason = format!("not a valid reply: {}", invalid.paths().join(", "));
            return steps::park(deps, delivery, reason, FailureKind::Invalid).await;
        }
    };
    tracing::Span::current().record("reply_id", reply.reply_id.as_str());
    tracing::Span::current().record("lead_id", reply.lead_id.as_str());
    let lead = match steps::check_against_lead(deps, delivery, &reply).await {
        Ok(lead) => lead,
        Err(ended) => return ended,
    };
    let attempt = match steps::claim(deps, delivery, &reply).await {
        Ok(attempt) => attempt,
        Err(ended) => return ended,
    };
    // Automation stops once a person answers: the acknowledgement's own check saw only what the
    // ledger had then; a person's reply enqueued before it (its group's order) is seen here.
    if models::reply::is_automatic(&reply.reply_id) {
        match deps.ledger.person_replied(&reply.lead_id).await {
            Ok(false) => {}
            Ok(true) => return steps::skip(deps, delivery, &reply, attempt).await,
            Err(error) => return steps::storage_unavailable(deps, delivery, &error).await,
        }
    }
    match steps::send(deps, &reply, lead.lead_contract, deadline).await {
        Sent::Accepted { accepted, latency } => {
            let sent = (accepted, latency);
            let known = lead.first_reply.as_ref();
            steps::record_sent(deps, &reply, attempt, sent, known, deadline).await
        }
        Sent::Refused(failure) => {
            steps::fail_and_park(deps, delivery, &reply, attempt, failure).await
        }
        Sent::NoTime => steps::no_time_left(deps, delivery, &reply, attempt).await,
        Sent::Failed {
            detail,
            retry_after,
        } => {
            steps::after_failed_tries(deps, delivery, &reply, attempt, (detail, retry_after)).await
        }
    }
}
