//! One batch of the table's stream: each record read as a change (`adapters::dynamo::changes`),
//! the changes' events published in order (`app::events`), and the first record whose event could
//! not be put reported in `batchItemFailures`, so that the stream delivers it and what follows
//! again (`ReportBatchItemFailures`; the event source mapping bisects and, after its retries, sends
//! the batch's description to the on-failure queue).

use adapters::dynamo::changes;
use app::events::{Change, EventsDeps, publish};
use app::metrics::Metric;
use app::ports::{EventBus, LeadStore};
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::LambdaEvent;
use std::convert::Infallible;

pub async fn handle<S: LeadStore, B: EventBus>(
    deps: &EventsDeps<S, B>,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Infallible> {
    Ok(process(deps, &event.payload).await)
}

pub async fn process<S: LeadStore, B: EventBus>(
    deps: &EventsDeps<S, B>,
    event: &Event,
) -> DynamoDbEventResponse {
    let changes: Vec<Change> = event
        .records
        .iter()
        .filter_map(|record| match changes::change(record) {
            Ok(change) => Some(change),
            Err(error) => {
                // A bug in how the table is written or read: retrying cannot mend it, and holding
                // the stream back would stop every event behind it. Logged and counted instead.
                tracing::error!(%error, event_id = %record.event_id, "stream record not readable as a fact");
                deps.metrics.count(Metric::EventDecodeFailures, None);
                None
            }
        })
        .collect();
    let facts = changes.iter().filter(|c| c.fact.is_some()).count();
    let failed = publish(deps, &changes).await;
    tracing::info!(
        records = event.records.len(),
        facts,
        failed_at = failed.as_deref(),
        "stream batch handled"
    );
    let mut response = DynamoDbEventResponse::default();
    if let Some(id) = failed {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(id);
        response.batch_item_failures.push(failure);
    }
    response
}

#[cfg(test)]
mod tests;
