//! One batch of deliveries, as SQS hands them to a Lambda function: grouped by message group (the
//! lead), groups handled concurrently, each group in order. Once a delivery of a group is left for
//! the queue to redeliver, the rest of that group in the batch is left too, so a conversation's
//! replies never overtake each other.

use super::{Delivery, Disposition, ReplyDeps, deliver, report, time_left};
use crate::ports::{ReplyLedger, ReplyQueue, Thumbtack};
use std::time::{Duration, Instant};
use tracing::{Instrument, field};

/// Handles a batch; returns the message ids to report as failed (`batchItemFailures`), in the
/// batch's order within each group.
pub async fn deliver_batch<'a, L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    deliveries: &[Delivery<'a>],
    deadline: Instant,
) -> Vec<&'a str> {
    // Groups in order of first appearance.
    let mut groups: Vec<(&str, Vec<&Delivery<'a>>)> = Vec::new();
    for delivery in deliveries {
        match groups
            .iter_mut()
            .find(|(name, _)| *name == delivery.group_id)
        {
            Some((_, members)) => members.push(delivery),
            None => groups.push((delivery.group_id, vec![delivery])),
        }
    }
    let failed = futures::future::join_all(
        groups
            .iter()
            .map(|(_, members)| deliver_group(deps, members, deadline)),
    )
    .await;
    failed.into_iter().flatten().collect()
}

/// How the rest of a group waits once one of its deliveries went back to the queue.
#[derive(Debug, Clone, Copy)]
enum HeldBack {
    /// Nothing went back yet: deliver.
    No,
    /// Back with the head, for as long as the queue holds the head back.
    For(Duration),
    /// Back as the queue's visibility timeout has it (the head's delay could not be set).
    AsTheQueueHasIt,
}

async fn deliver_group<'a, L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    deliveries: &[&Delivery<'a>],
    deadline: Instant,
) -> Vec<&'a str> {
    let mut failed = Vec::new();
    let mut held = HeldBack::No;
    for delivery in deliveries {
        if matches!(held, HeldBack::No) && time_left(deadline) <= deps.policy.try_budget() {
            tracing::warn!(message_id = %delivery.message_id, "no time left in this invocation; left for redelivery");
            held = HeldBack::For(Duration::ZERO);
        }
        match held {
            HeldBack::No => {
                let outcome = deliver_one(deps, delivery, deadline).await;
                if outcome.disposition() == Disposition::RetryLater {
                    held = outcome
                        .redelivery_delay()
                        .map_or(HeldBack::AsTheQueueHasIt, HeldBack::For);
                    failed.push(delivery.message_id);
                }
            }
            HeldBack::For(delay) => {
                if let Err(error) = deps.queue.retry_later(delivery.receipt_handle, delay).await {
                    tracing::warn!(error = %crate::error_chain(&error), "could not hold back a record");
                }
                failed.push(delivery.message_id);
            }
            HeldBack::AsTheQueueHasIt => failed.push(delivery.message_id),
        }
    }
    failed
}

/// One delivery in its own span, timed, its outcome logged and counted.
async fn deliver_one<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    delivery: &Delivery<'_>,
    deadline: Instant,
) -> super::Outcome {
    let span = tracing::info_span!(
        "reply",
        message_id = delivery.message_id,
        receive_count = delivery.receive_count,
        reply_id = field::Empty,
        lead_id = field::Empty,
    );
    async {
        let started = Instant::now();
        let outcome = deliver(deps, delivery, deadline).await;
        report(&deps.metrics, &outcome, started.elapsed());
        outcome
    }
    .instrument(span)
    .await
}
