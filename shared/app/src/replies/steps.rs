//! The steps of one delivery, in the order [`super::deliver`] takes them: claim in the ledger,
//! send (a few quick tries), record the outcome; and what sends a message back to the queue or
//! aside to the dead-letter queue.

use super::outcome::{FailureKind, Outcome};
use super::policy::time_left;
use super::{Delivery, ReplyDeps};
use crate::ports::{
    Accepted, Claim, LeadFirstReply, Parked, Recorded, ReplyClaim, ReplyContext, ReplyLedger,
    ReplyQueue, SendError, StoreError, Thumbtack,
};
use crate::{error_chain as chain, millis, now_millis};
use models::{Contract, ReplyRequest};
use std::future::Future;
use std::time::{Duration, Instant};

/// Refuses, before anything is claimed or sent, a reply that the stored facts contradict: one
/// naming another business than its lead's (it would go to that business's Thumbtack path and be
/// counted as this lead's reply), and an `auto-` reply that is not the acknowledgement
/// speed-to-lead noted on the lead (the prefix is ours: a partner cannot write the note).
/// Otherwise what was read of the lead: the contract it came through (`None`: not stored), which
/// the send goes by, and what its first-reply count needs.
pub(super) async fn check_against_lead<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
) -> Result<ReplyContext, Outcome> {
    let automatic = models::reply::is_automatic(&reply.reply_id);
    let context = match deps.ledger.reply_context(&reply.lead_id, automatic).await {
        Ok(context) => context,
        Err(error) => return Err(storage_unavailable(deps, delivery, &error).await),
    };
    let refusal = match &context.lead_business_id {
        Some(business) if *business != reply.business_id => Some(format!(
            "businessID {} is not the business of lead {} ({business})",
            reply.business_id, reply.lead_id
        )),
        _ if automatic && !vouched_for(&context, reply) => Some(format!(
            "replyID prefix {} is reserved for the acknowledgement speed-to-lead sends",
            models::reply::AUTOMATIC_PREFIX
        )),
        _ => None,
    };
    match refusal {
        Some(reason) => Err(park(deps, delivery, reason, FailureKind::Invalid).await),
        None => Ok(context),
    }
}

/// Whether the lead's acknowledgement note names exactly this reply: `auto-<leadID>`, enqueued,
/// with this text.
fn vouched_for(context: &ReplyContext, reply: &ReplyRequest) -> bool {
    reply.reply_id == crate::speed::acknowledgement_id(&reply.lead_id)
        && context.acknowledgement.as_ref().is_some_and(|note| {
            note.status == models::AckStatus::Enqueued
                && note.text.as_deref() == Some(reply.text.as_str())
        })
}

/// Takes ownership of sending `reply`: the claim's attempt number, or how the delivery ends
/// without a send (sent before, claimed elsewhere, conflicting, ledger unreachable).
pub(super) async fn claim<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
) -> Result<u32, Outcome> {
    let now = now_millis();
    let claim = ReplyClaim {
        reply,
        enqueued_at_ms: delivery.sent_timestamp_ms,
        sequence: delivery.sequence,
        now_ms: now,
        lease_until_ms: now.saturating_add(millis(deps.policy.lease)),
    };
    match deps.ledger.claim(claim).await {
        Ok(Claim::Claimed { attempt }) => Ok(attempt),
        Ok(Claim::AlreadySent) => Err(Outcome::AlreadySent),
        Ok(Claim::Busy { lease_until_ms }) => {
            // Sooner would only find the claim still held (and use up a receive).
            let lease_left = Duration::from_millis(lease_until_ms.saturating_sub(now));
            let delay = deps
                .policy
                .redelivery_delay(delivery.receive_count, Some(lease_left));
            Err(retry_later(deps, delivery, delay, Outcome::Busy { delay }).await)
        }
        Ok(Claim::Conflict { reason }) => {
            Err(park(deps, delivery, reason, FailureKind::Conflict).await)
        }
        Err(error) => Err(storage_unavailable(deps, delivery, &error).await),
    }
}

/// What the quick tries of one delivery came to.
pub(super) enum Sent {
    Accepted {
        accepted: Accepted,
        latency: Duration,
    },
    /// Thumbtack refused it, or it can never be sent as it is: `(reason, status, kind)`.
    Refused(Failure),
    /// No try could start with time for itself and its record.
    NoTime,
    /// Every try failed transiently (or a long `Retry-After` asked us to stop).
    Failed {
        detail: String,
        retry_after: Option<Duration>,
    },
}

/// Why a reply failed for good: the reason kept in the ledger, Thumbtack's status, the kind.
pub(super) type Failure = (String, Option<u16>, FailureKind);

/// Up to `quick_attempts` tries, each only with time for itself and the `sent` write after it
/// (a claim can be slow: the first try is checked too), with backoff and short `Retry-After`s
/// waited in place.
pub(super) async fn send<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    reply: &ReplyRequest,
    lead_contract: Option<Contract>,
    deadline: Instant,
) -> Sent {
    let mut last_error = None;
    let mut wait = Duration::ZERO;
    for try_number in 1..=deps.policy.quick_attempts {
        if time_left(deadline) <= wait.saturating_add(deps.policy.try_budget()) {
            break;
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let call_started = Instant::now();
        let answer = deps
            .thumbtack
            .send_reply(
                &reply.business_id,
                &reply.lead_id,
                &reply.text,
                lead_contract,
            )
            .await;
        match answer {
            Ok(accepted) => {
                return Sent::Accepted {
                    accepted,
                    latency: call_started.elapsed(),
                };
            }
            Err(SendError::Permanent { status, excerpt }) => {
                let reason = format!("Thumbtack answered {status}: {excerpt}");
                return Sent::Refused((reason, Some(status), FailureKind::Refused));
            }
            Err(SendError::Invalid { detail }) => {
                return Sent::Refused((detail, None, FailureKind::Invalid));
            }
            Err(SendError::Unauthorised { detail }) => {
                return Sent::Refused((detail, None, FailureKind::Refused));
            }
            Err(SendError::Transient {
                status,
                retry_after,
                detail,
            }) => {
                tracing::warn!(try_number, status, "transient send failure");
                wait = retry_after
                    .unwrap_or_default()
                    .max(deps.policy.backoff(try_number));
                last_error = Some((detail, retry_after));
                if retry_after.is_some_and(|r| r > deps.policy.max_inline_wait) {
                    break;
                }
            }
        }
    }
    match last_error {
        Some((detail, retry_after)) => Sent::Failed {
            detail,
            retry_after,
        },
        None => Sent::NoTime,
    }
}

/// Thumbtack has it: `sent` is written and the lead marked answered if this was its first reply,
/// both at once, each retried within the invocation.
pub(super) async fn record_sent<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    reply: &ReplyRequest,
    attempt: u32,
    (accepted, send_latency): (Accepted, Duration),
    lead: Option<&LeadFirstReply>,
    deadline: Instant,
) -> Outcome {
    let status = accepted.status;
    let sent_at = now_millis();
    let automatic = models::reply::is_automatic(&reply.reply_id);
    // Two items, independent of each other: one round trip instead of two.
    let ((), answered) = tokio::join!(
        write_sent(deps, reply, attempt, &accepted, deadline),
        // The first reply's time is when Thumbtack took it, whichever try writes it.
        with_retries(deps, deadline, "mark the lead as answered", || {
            deps.ledger
                .first_reply_known(&reply.lead_id, automatic, sent_at, lead)
        })
    );
    let first_response = answered
        .flatten()
        .map(|seconds| Duration::from_millis(sent_at.saturating_sub(seconds.saturating_mul(1000))));
    Outcome::Sent {
        attempt,
        status,
        send_latency,
        first_response,
    }
}

/// Calls `write` until it succeeds or the invocation has no time left for another try (then
/// `None`, logged): a write after the send must not be lost to one storage fault.
async fn with_retries<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue, F, W, R>(
    deps: &ReplyDeps<L, T, Q>,
    deadline: Instant,
    what: &str,
    write: W,
) -> Option<R>
where
    W: Fn() -> F,
    F: Future<Output = Result<R, StoreError>>,
{
    let mut wait = deps.policy.backoff_base;
    loop {
        match write().await {
            Ok(done) => return Some(done),
            Err(error) if time_left(deadline) > wait.saturating_add(deps.policy.record_budget) => {
                tracing::warn!(error = %chain(&error), "could not {what} yet; trying again");
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2).min(deps.policy.backoff_cap);
            }
            Err(error) => {
                tracing::error!(error = %chain(&error), "could not {what}");
                return None;
            }
        }
    }
}

/// Every try failed transiently: given up (failed and parked) on the reply's last try, else
/// recorded and back to the queue after a backoff.
pub(super) async fn after_failed_tries<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
    attempt: u32,
    (detail, retry_after): (String, Option<Duration>),
) -> Outcome {
    if attempt >= deps.policy.max_attempts {
        let reason = format!("gave up after {attempt} tries: {detail}");
        let failure = (reason, None, FailureKind::GaveUp);
        return fail_and_park(deps, delivery, reply, attempt, failure).await;
    }
    match deps
        .ledger
        .mark_retrying(reply, attempt, &detail, now_millis())
        .await
    {
        Ok(Recorded::Yes) => {}
        // Back to the queue all the same; the delivery that took over decides.
        Ok(Recorded::Superseded) => {
            tracing::warn!(
                attempt,
                "another delivery took the reply over; retry not recorded"
            )
        }
        Err(error) => tracing::warn!(error = %chain(&error), "could not record the retry"),
    }
    let delay = deps.policy.redelivery_delay(attempt, retry_after);
    let outcome = Outcome::Retrying {
        delay,
        error: detail,
    };
    retry_later(deps, delivery, delay, outcome).await
}

/// Writes `sent`, trying again for as long as the invocation allows: once Thumbtack has the
/// message, a reply left `sending` would be sent again after its lease. If the ledger stays
/// unreachable, the message is acknowledged all the same (a second send is worse than a record
/// that lags) and the error is logged with the reply id. Each try is stamped when it is made: the
/// outcome's place in the changes feed must not trail the write that makes it visible.
async fn write_sent<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    reply: &ReplyRequest,
    attempt: u32,
    accepted: &Accepted,
    deadline: Instant,
) {
    let written = with_retries(deps, deadline, "record the send", || {
        deps.ledger
            .mark_sent_via(reply, attempt, accepted, now_millis())
    })
    .await;
    if written == Some(Recorded::Superseded) {
        // Our lease ran out before Thumbtack answered: the delivery that took over owns the
        // record (and may send again: the documented window, widened by a slow send).
        tracing::warn!(
            attempt,
            "reply sent, but another delivery had taken it over"
        );
    }
}

/// Records the reply `failed` (reason, Thumbtack's status, kind) and parks its message. When
/// another delivery has taken the reply over, neither: the message goes back to the queue, and
/// its redelivery finds what that delivery decided.
pub(super) async fn fail_and_park<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
    attempt: u32,
    (reason, status, kind): (String, Option<u16>, FailureKind),
) -> Outcome {
    match deps
        .ledger
        .mark_failed(reply, attempt, &reason, kind.as_str(), status, now_millis())
        .await
    {
        Ok(Recorded::Yes) => {}
        Ok(Recorded::Superseded) => {
            tracing::warn!(
                attempt,
                "another delivery took the reply over; failure not recorded"
            );
            let delay = deps.policy.redelivery_delay(delivery.receive_count, None);
            return retry_later(deps, delivery, delay, Outcome::Busy { delay }).await;
        }
        Err(error) => return storage_unavailable(deps, delivery, &error).await,
    }
    match park(deps, delivery, reason, kind).await {
        Outcome::Parked { reason, kind } => Outcome::Failed { reason, kind },
        other => other,
    }
}

/// The acknowledgement, not sent: a person replied to the lead first. Recorded `failed` with the
/// reason (the read API and `Reply Failed` show it), acknowledged, not parked.
pub(super) async fn skip<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
    attempt: u32,
) -> Outcome {
    let reason = "skipped: a person replied to the lead first".to_owned();
    match deps
        .ledger
        .mark_failed(reply, attempt, &reason, "skipped", None, now_millis())
        .await
    {
        Ok(Recorded::Yes) => Outcome::Skipped { reason },
        Ok(Recorded::Superseded) => {
            let delay = deps.policy.redelivery_delay(delivery.receive_count, None);
            retry_later(deps, delivery, delay, Outcome::Busy { delay }).await
        }
        Err(error) => storage_unavailable(deps, delivery, &error).await,
    }
}

/// Not tried: too little of the invocation is left. The claim is released and the message goes
/// back to the queue at once, for an invocation with time to send it.
pub(super) async fn no_time_left<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reply: &ReplyRequest,
    attempt: u32,
) -> Outcome {
    tracing::warn!(
        attempt,
        "no time left in this invocation to send and record the reply"
    );
    match deps.ledger.release(reply, attempt, now_millis()).await {
        Ok(Recorded::Yes) => {}
        Ok(Recorded::Superseded) => {
            tracing::warn!(
                attempt,
                "another delivery took the reply over; nothing to release"
            )
        }
        // The claim then expires with its lease.
        Err(error) => tracing::warn!(error = %chain(&error), "could not release the claim"),
    }
    retry_later(deps, delivery, Duration::ZERO, Outcome::NoTimeLeft).await
}

pub(super) async fn park<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    reason: String,
    kind: FailureKind,
) -> Outcome {
    let parked = Parked {
        body: delivery.body,
        message_id: delivery.message_id,
        group_id: delivery.group_id,
        reason: &reason,
    };
    match deps.queue.park(parked).await {
        Ok(()) => Outcome::Parked { reason, kind },
        Err(error) => {
            // Not parked, so not acknowledged: the queue delivers it again (and its own redrive
            // policy moves it to the DLQ after maxReceiveCount).
            tracing::error!(error = %chain(&error), "could not park the message");
            Outcome::StorageUnavailable { delay: None }
        }
    }
}

pub(super) async fn storage_unavailable<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    error: &StoreError,
) -> Outcome {
    tracing::error!(error = %chain(error), "reply ledger unavailable");
    let delay = deps.policy.redelivery_delay(delivery.receive_count, None);
    let outcome = Outcome::StorageUnavailable { delay: Some(delay) };
    retry_later(deps, delivery, delay, outcome).await
}

pub(super) async fn retry_later<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    delay: Duration,
    outcome: Outcome,
) -> Outcome {
    if let Err(error) = deps.queue.retry_later(delivery.receipt_handle, delay).await {
        // The queue still redelivers after its visibility timeout; only the delay is lost.
        tracing::warn!(error = %chain(&error), "could not set the redelivery delay");
    }
    outcome
}
