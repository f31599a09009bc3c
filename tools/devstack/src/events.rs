//! The local stand-in for the events function's event source mapping: reads the table's stream
//! (moto's DynamoDB Streams), hands each batch to the events function's handler as the real
//! DynamoDB stream event, and reads a batch again from the record the handler reports, as Lambda
//! does. The handler puts the events on the local bus.

use adapters::dynamo::stream::TableStream;
use adapters::{DynamoStore, EventBridgeBus};
use app::events::EventsDeps;
use aws_lambda_events::event::dynamodb::Event;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug)]
pub struct EventsWorker {
    pub deps: EventsDeps<DynamoStore, EventBridgeBus>,
    pub stream: TableStream,
    /// Between two reads of the stream.
    pub poll: Duration,
}

impl EventsWorker {
    /// Reads the stream until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let handled = match self.poll_once().await {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!(error = %app::error_chain(&*error), "events worker: reading the stream failed");
                    0
                }
            };
            if handled == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = stop.changed() => break,
                }
            }
        }
    }

    /// One read of every shard and one invocation of the handler per shard's batch; returns how
    /// many records were handed over.
    pub async fn poll_once(&mut self) -> cli::Result<usize> {
        let mut handed = 0;
        for batch in self.stream.next(100).await? {
            handed += batch.records.len();
            let mut event = Event::default();
            event.records = batch.records;
            let response = events_out::handler::process(&self.deps, &event).await;
            if let Some(sequence) = response
                .batch_item_failures
                .first()
                .and_then(|f| f.item_identifier.as_deref())
            {
                tracing::warn!(%sequence, "events worker: a batch stopped; reading it again from there");
                self.stream
                    .read_again_from(&batch.shard_id, sequence)
                    .await?;
                tokio::time::sleep(self.poll).await;
            }
        }
        Ok(handed)
    }
}
