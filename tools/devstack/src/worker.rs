//! The local stand-in for Lambda's SQS event source mapping: long-polls the reply queue, hands the
//! messages to the reply handler as a real SQS event, and deletes only the records the handler did
//! not report in `batchItemFailures`. Failed records become visible again after their visibility
//! timeout (or the delay the handler set), as in AWS.
//!
//! One difference, on purpose: `make dev` receives one message per poll, with several polls in
//! parallel (one per lead at a time). moto, unlike SQS, redelivers the *last* in-flight message of
//! a FIFO group first when several were in flight, which would break a conversation's order after
//! a retry. Batches of several records are covered by the handler's tests with real SQS events.

use adapters::SqsReplyQueue;
use app::ports::{ReplyLedger, Thumbtack};
use app::replies::ReplyDeps;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::Message;
use lambda_runtime::{Context, LambdaEvent};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::watch;

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    pub received: usize,
    pub deleted: usize,
}

#[derive(Debug)]
pub struct Worker<L, T> {
    pub deps: ReplyDeps<L, T, SqsReplyQueue>,
    /// Like the function's timeout in AWS: the handler's deadline for one batch.
    pub invocation_timeout: Duration,
    /// Long-poll wait; short so that Ctrl-C is quick.
    pub wait: Duration,
    /// Messages per receive (1 to 10).
    pub batch_size: i32,
    /// Receives in parallel.
    pub lanes: usize,
}

impl<L: ReplyLedger, T: Thumbtack> Worker<L, T> {
    /// Polls until `stop` turns true.
    pub async fn run(&self, stop: watch::Receiver<bool>) {
        let queue_arn = self.queue_arn().await;
        let lanes = (0..self.lanes.max(1)).map(|_| self.lane(&queue_arn, stop.clone()));
        futures::future::join_all(lanes).await;
    }

    async fn lane(&self, queue_arn: &str, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            tokio::select! {
                result = self.poll_once(queue_arn) => {
                    if let Err(error) = result {
                        tracing::warn!(error = %app::error_chain(&*error), "reply worker poll failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                _ = stop.changed() => break,
            }
        }
    }

    /// The queue's ARN, for the records' event source; empty if it cannot be read.
    pub async fn queue_arn(&self) -> String {
        self.deps.queue.queue_arn().await.unwrap_or_default()
    }

    /// One receive → handle → delete cycle.
    pub async fn poll_once(&self, queue_arn: &str) -> cli::Result<Poll> {
        let queue = &self.deps.queue;
        let messages = queue.receive(self.batch_size, self.wait).await?;
        if messages.is_empty() {
            return Ok(Poll::default());
        }
        let event = sqs_event(&messages, queue_arn);
        let mut context = Context::default();
        context.request_id = format!("local-{}", app::now_millis());
        context.deadline = app::now_millis()
            + u64::try_from(self.invocation_timeout.as_millis()).unwrap_or(u64::MAX);
        let response =
            reply_outbound::handler::handle(&self.deps, LambdaEvent::new(event, context))
                .await
                .unwrap_or_default();
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let done: Vec<&str> = messages
            .iter()
            .filter(|m| !failed.contains(m.message_id.as_deref().unwrap_or_default()))
            .map(|m| m.receipt_handle.as_deref().unwrap_or_default())
            .collect();
        queue.delete(&done).await?;
        Ok(Poll {
            received: messages.len(),
            deleted: done.len(),
        })
    }
}

/// The event Lambda's event source mapping would deliver for these messages.
pub fn sqs_event(messages: &[Message], queue_arn: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages.iter().map(|m| record(m, queue_arn)).collect();
    event
}

/// The record as Lambda's event source mapping builds it.
fn record(message: &Message, queue_arn: &str) -> SqsMessage {
    let attributes: HashMap<String, String> = message
        .attributes
        .as_ref()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let message_attributes = message
        .message_attributes
        .as_ref()
        .map(|a| {
            a.iter()
                .map(|(k, v)| {
                    let mut attribute = SqsMessageAttribute::default();
                    attribute.string_value = v.string_value.clone();
                    attribute.data_type = Some(v.data_type.clone());
                    (k.clone(), attribute)
                })
                .collect()
        })
        .unwrap_or_default();
    let region = queue_arn
        .split(':')
        .nth(3)
        .unwrap_or("us-east-1")
        .to_owned();
    let mut record = SqsMessage::default();
    record.message_id = message.message_id.clone();
    record.receipt_handle = message.receipt_handle.clone();
    record.body = message.body.clone();
    record.md5_of_body = message.md5_of_body.clone();
    record.attributes = attributes;
    record.message_attributes = message_attributes;
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(queue_arn.to_owned());
    record.aws_region = Some(region);
    record
}
