//! One SQS batch to the reply path: each record becomes a [`Delivery`]; `app::replies` handles
//! the batch (in order within each lead, leads concurrently) and names the records to report in
//! `batchItemFailures` (`ReportBatchItemFailures`).

use app::ports::{ReplyLedger, ReplyQueue, Thumbtack};
use app::replies::{Delivery, ReplyDeps, deliver_batch};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;
use std::convert::Infallible;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    let deliveries: Vec<Delivery<'_>> = records.iter().map(delivery).collect();
    let mut response = SqsBatchResponse::default();
    for id in deliver_batch(deps, &deliveries, deadline).await {
        response.add_failure(id.to_owned());
    }
    response
}

/// A record as the reply path sees it. A record without a group (a standard queue) is its own.
fn delivery(record: &SqsMessage) -> Delivery<'_> {
    let number = |name: &str| {
        record
            .attributes
            .get(name)
            .and_then(|v| v.parse::<u64>().ok())
    };
    let message_id = record.message_id.as_deref().unwrap_or_default();
    Delivery {
        message_id,
        receipt_handle: record.receipt_handle.as_deref().unwrap_or_default(),
        body: record.body.as_deref().unwrap_or_default(),
        group_id: record
            .attributes
            .get("MessageGroupId")
            .map_or(message_id, String::as_str),
        receive_count: u32::try_from(number("ApproximateReceiveCount").unwrap_or(1))
            .unwrap_or(u32::MAX),
        sent_timestamp_ms: number("SentTimestamp").unwrap_or_else(app::now_millis),
        sequence: record.attributes.get("SequenceNumber").map(String::as_str),
    }
}

#[cfg(test)]
mod tests;
