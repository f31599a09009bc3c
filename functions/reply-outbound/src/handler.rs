//! One SQS batch: records grouped by `MessageGroupId` (the lead), groups handled concurrently,
//! each group in order. Once a record of a group is left for the queue to redeliver, the rest of
//! that group in the batch is left too, so a conversation's replies never overtake each other.
//! Failed records go back in `batchItemFailures` (`ReportBatchItemFailures`).

use app::metrics::{Metrics, Unit};
use app::ports::{ReplyLedger, ReplyQueue, Thumbtack};
use app::replies::{Delivery, Disposition, Outcome, ReplyDeps, deliver, time_left};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;
use std::convert::Infallible;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::{Instrument, field};

/// Kept free at the end of an invocation to answer Lambda.
const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// Lambda's longest timeout: a deadline further away than this is not Lambda's.
const MAX_INVOCATION: Duration = Duration::from_secs(900);

pub async fn handle<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Infallible> {
    let deadline = deadline(event.context.deadline);
    Ok(process(deps, &event.payload.records, deadline).await)
}

/// Lambda's deadline (unix ms) as an `Instant`, less a margin.
fn deadline(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms)).min(MAX_INVOCATION);
    let now = Instant::now();
    now.checked_add(left.saturating_sub(SAFETY_MARGIN))
        .unwrap_or(now)
}

pub async fn process<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    records: &[SqsMessage],
    deadline: Instant,
) -> SqsBatchResponse {
    // Groups in order of first appearance; a record without a group (a standard queue) is its own.
    let mut groups: Vec<(&str, Vec<&SqsMessage>)> = Vec::new();
    for record in records {
        let group = record
            .attributes
            .get("MessageGroupId")
            .or(record.message_id.as_ref())
            .map_or("", String::as_str);
        match groups.iter_mut().find(|(name, _)| *name == group) {
            Some((_, members)) => members.push(record),
            None => groups.push((group, vec![record])),
        }
    }
    let failed = futures::future::join_all(
        groups
            .iter()
            .map(|(group, members)| process_group(deps, group, members, deadline)),
    )
    .await;
    let mut response = SqsBatchResponse::default();
    for id in failed.into_iter().flatten() {
        response.add_failure(id);
    }
    response
}

async fn process_group<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    group: &str,
    records: &[&SqsMessage],
    deadline: Instant,
) -> Vec<String> {
    let mut failed = Vec::new();
    // Once a record is left for redelivery, the rest of its group is held back with it: for as
    // long as the queue holds the head back, or not at all when this invocation ran out of time.
    let mut held: Option<Option<Duration>> = None;
    for record in records {
        let id = record.message_id.clone().unwrap_or_default();
        if held.is_none() && time_left(deadline) <= deps.policy.try_budget() {
            tracing::warn!(message_id = %id, "no time left in this invocation; left for redelivery");
            held = Some(Some(Duration::ZERO));
        }
        if let Some(delay) = held {
            if let (Some(delay), Some(receipt)) = (delay, record.receipt_handle.as_deref())
                && let Err(error) = deps.queue.retry_later(receipt, delay).await
            {
                tracing::warn!(error = %app::error_chain(&error), "could not hold back a record");
            }
            failed.push(id);
            continue;
        }
        let outcome = process_record(deps, group, record, deadline).await;
        if outcome.disposition() == Disposition::RetryLater {
            held = Some(outcome.redelivery_delay());
            failed.push(id);
        }
    }
    failed
}

async fn process_record<L: ReplyLedger, T: Thumbtack, Q: ReplyQueue>(
    deps: &ReplyDeps<L, T, Q>,
    group: &str,
    record: &SqsMessage,
    deadline: Instant,
) -> Outcome {
    let number = |name: &str| {
        record
            .attributes
            .get(name)
            .and_then(|v| v.parse::<u64>().ok())
    };
    let receive_count = number("ApproximateReceiveCount").unwrap_or(1);
    let message_id = record.message_id.as_deref().unwrap_or_default();
    let delivery = Delivery {
        message_id,
        receipt_handle: record.receipt_handle.as_deref().unwrap_or_default(),
        body: record.body.as_deref().unwrap_or_default(),
        group_id: group,
        receive_count: u32::try_from(receive_count).unwrap_or(u32::MAX),
        sent_timestamp_ms: number("SentTimestamp").unwrap_or_else(app::now_millis),
        sequence: record.attributes.get("SequenceNumber").map(String::as_str),
    };
    let span = tracing::info_span!(
        "reply",
        message_id,
        receive_count,
        reply_id = field::Empty,
        lead_id = field::Empty,
    );
    async {
        let started = Instant::now();
        let outcome = deliver(deps, &delivery, deadline).await;
        report(&deps.metrics, &outcome, started);
        outcome
    }
    .instrument(span)
    .await
}

/// Logs kinds and status codes only: reasons may quote Thumbtack's answer, which stays in the
/// ledger. Metrics: `RepliesSent`, `SendLatency`, `FirstResponseTime`, `ReplyRetries` and
/// `ReplyFailures` by `Reason`.
fn report(metrics: &Metrics, outcome: &Outcome, started: Instant) {
    let elapsed = started.elapsed();
    let latency_ms = elapsed.as_micros() as f64 / 1000.0;
    let kind = outcome.kind();
    match outcome {
        Outcome::Sent {
            attempt,
            status,
            send_latency,
            first_response,
        } => {
            let first_response_s = first_response.map(|d| d.as_secs());
            let send_ms = send_latency.as_micros() as f64 / 1000.0;
            tracing::info!(
                outcome = kind,
                attempt,
                status,
                send_ms,
                latency_ms,
                first_response_s,
                "reply sent"
            );
            metrics.count("RepliesSent", None);
            metrics.record("SendLatency", send_ms, Unit::Milliseconds, None);
            if let Some(time) = first_response {
                metrics.record("FirstResponseTime", time.as_secs_f64(), Unit::Seconds, None);
            }
        }
        Outcome::AlreadySent => tracing::info!(outcome = kind, latency_ms, "reply was sent before"),
        Outcome::Retrying { delay, .. } => {
            tracing::warn!(
                outcome = kind,
                retry_in_s = delay.as_secs(),
                latency_ms,
                "reply will be retried"
            );
            metrics.count("ReplyRetries", None);
        }
        Outcome::Parked { kind: why, .. } | Outcome::Failed { kind: why, .. } => {
            tracing::error!(
                outcome = kind,
                reason = why.as_str(),
                latency_ms,
                "reply failed and was parked"
            );
            metrics.count("ReplyFailures", Some(("Reason", why.as_str())));
        }
        Outcome::Busy { .. } | Outcome::StorageUnavailable { .. } | Outcome::NoTimeLeft => {
            tracing::warn!(outcome = kind, latency_ms, "reply left for redelivery")
        }
    }
}

#[cfg(test)]
mod tests;
