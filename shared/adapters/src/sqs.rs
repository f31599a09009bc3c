//! The reply queue on SQS FIFO: what the reply handler does besides acknowledging (delay a retry,
//! park in the DLQ), what producers do (enqueue), what operators do (find it by name, peek at
//! the parked replies, redrive them), and what the local stand-in for Lambda's event source
//! mapping does (receive, delete).

use app::ports::{Outbox, Parked, QueueError, ReplyQueue};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName,
};
use models::ReplyRequest;
use std::time::Duration;

/// The message attribute that says why a message was parked.
pub const PARKED_REASON: &str = "parked-reason";

#[derive(Debug, Clone)]
pub struct SqsReplyQueue {
    client: Client,
    queue_url: String,
    dlq_url: String,
}

pub(crate) fn queue_error<E: std::error::Error + Send + Sync + 'static>(error: E) -> QueueError {
    QueueError(Box::new(error))
}

impl SqsReplyQueue {
    pub fn new(client: Client, queue_url: impl Into<String>, dlq_url: impl Into<String>) -> Self {
        SqsReplyQueue {
            client,
            queue_url: queue_url.into(),
            dlq_url: dlq_url.into(),
        }
    }

    pub fn from_config(
        sdk: &aws_config::SdkConfig,
        queue_url: impl Into<String>,
        dlq_url: impl Into<String>,
    ) -> Self {
        Self::new(Client::new(sdk), queue_url, dlq_url)
    }

    /// The reply queue named `name` and its dead-letter queue ([`dead_letter_queue_name`]),
    /// looked up by name: for operators and
    /// tests that know the names (a stack's outputs give the URLs directly).
    pub async fn by_name(sdk: &aws_config::SdkConfig, name: &str) -> Result<Self, QueueError> {
        let client = Client::new(sdk);
        let queue_url = url_of(&client, name).await?;
        let dlq_url = url_of(&client, &dead_letter_queue_name(name)).await?;
        Ok(Self::new(client, queue_url, dlq_url))
    }

    /// The reply queue's ARN, which Lambda's SQS records carry as their event source.
    pub async fn queue_arn(&self) -> Result<String, QueueError> {
        let mut attributes = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(queue_error)?
            .attributes
            .unwrap_or_default();
        attributes
            .remove(&QueueAttributeName::QueueArn)
            .ok_or_else(|| queue_error(std::io::Error::other("the queue has no ARN")))
    }

    /// Up to `max` messages (1 to 10), waiting up to `wait` for the first, with every system and
    /// message attribute: what Lambda's event source mapping receives, for its local stand-in.
    pub async fn receive(&self, max: i32, wait: Duration) -> Result<Vec<Message>, QueueError> {
        let received = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(20).min(20))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(queue_error)?;
        Ok(received.messages.unwrap_or_default())
    }

    /// Deletes received messages (at most 10) by their receipt handles: they are done.
    pub async fn delete(&self, receipt_handles: &[&str]) -> Result<(), QueueError> {
        if receipt_handles.is_empty() {
            return Ok(());
        }
        let entries = receipt_handles
            .iter()
            .enumerate()
            .map(|(index, receipt)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(*receipt)
                    .build()
                    .map_err(queue_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }

    /// Up to `limit` parked messages (at most 10 a call), left parked: they are received with a
    /// zero visibility timeout.
    pub async fn peek_parked(&self, limit: usize) -> Result<Vec<ParkedMessage>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(i32::try_from(limit.clamp(1, 10)).unwrap_or(10))
            .visibility_timeout(0)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(queue_error)?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| ParkedMessage {
                reason: message
                    .message_attributes
                    .as_ref()
                    .and_then(|a| a.get(PARKED_REASON))
                    .and_then(|v| v.string_value.clone()),
                message_id: message.message_id.unwrap_or_default(),
                body: message.body.unwrap_or_default(),
            })
            .collect())
    }

    /// Puts a reply on the queue as the contract says: group = leadID (one conversation's replies
    /// keep their order), deduplication id = [`deduplication_id`] of the body. Returns the SQS
    /// message id.
    pub async fn enqueue(&self, reply: &ReplyRequest) -> Result<String, QueueError> {
        let body = serde_json::to_string(reply).map_err(queue_error)?;
        let output = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_group_id(&reply.lead_id)
            .message_deduplication_id(deduplication_id(&body))
            .message_body(body)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Moves up to `limit` parked messages back to the reply queue, in their original groups.
    /// Returns how many moved. Only messages parked before the redrive started move: one that
    /// fails again while we run is parked anew and must not come round in a loop. Each moved
    /// message gets a fresh deduplication id, or SQS would drop it as a duplicate of its first
    /// enqueue within five minutes.
    pub async fn redrive(&self, limit: usize) -> Result<usize, QueueError> {
        let started_ms = app::now_millis();
        let mut moved = 0;
        while moved < limit {
            let batch = self
                .client
                .receive_message()
                .queue_url(&self.dlq_url)
                .max_number_of_messages(i32::try_from((limit - moved).min(10)).unwrap_or(10))
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .map_err(queue_error)?;
            let messages = batch.messages.unwrap_or_default();
            let mut moved_now = 0;
            for message in &messages {
                let attributes = message.attributes.clone().unwrap_or_default();
                let parked_at: u64 = attributes
                    .get(&MessageSystemAttributeName::SentTimestamp)
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let receipt = message.receipt_handle.clone().unwrap_or_default();
                if parked_at >= started_ms {
                    // Parked again during this redrive: leave it for the next one.
                    self.client
                        .change_message_visibility()
                        .queue_url(&self.dlq_url)
                        .receipt_handle(receipt)
                        .visibility_timeout(0)
                        .send()
                        .await
                        .map_err(queue_error)?;
                    continue;
                }
                let group = attributes
                    .get(&MessageSystemAttributeName::MessageGroupId)
                    .cloned()
                    .unwrap_or_else(|| "redriven".to_owned());
                let original = message.message_id.clone().unwrap_or_default();
                let dedup: String = format!("{original}-r{started_ms}")
                    .chars()
                    .take(128)
                    .collect();
                self.client
                    .send_message()
                    .queue_url(&self.queue_url)
                    .message_body(message.body.clone().unwrap_or_default())
                    .message_group_id(group)
                    .message_deduplication_id(dedup)
                    .send()
                    .await
                    .map_err(queue_error)?;
                // Only once it is safely back on the queue.
                self.client
                    .delete_message()
                    .queue_url(&self.dlq_url)
                    .receipt_handle(receipt)
                    .send()
                    .await
                    .map_err(queue_error)?;
                moved_now += 1;
            }
            moved += moved_now;
            if moved_now == 0 {
                break;
            }
        }
        Ok(moved)
    }
}

/// The dead-letter queue that goes with the reply queue `name`: `<name>-dlq.fifo`.
pub fn dead_letter_queue_name(name: &str) -> String {
    format!("{}-dlq.fifo", name.trim_end_matches(".fifo"))
}

/// A message in the dead-letter queue, as an operator is shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedMessage {
    pub message_id: String,
    /// Why the handler parked it; `None` when the queue moved it there after `maxReceiveCount`.
    pub reason: Option<String>,
    /// The message as it was enqueued (a reply's JSON, or what was sent in its place).
    pub body: String,
}

async fn url_of(client: &Client, name: &str) -> Result<String, QueueError> {
    let output = client
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(queue_error)?;
    output
        .queue_url
        .ok_or_else(|| queue_error(std::io::Error::other(format!("queue {name} has no URL"))))
}

/// The contract's `MessageDeduplicationId`: the SHA-256 (hex) of the message body, which is what
/// SQS's content-based deduplication computes when a producer omits it. Not the replyID: SQS
/// would then silently drop a replyID reused with another text, which must reach the handler to
/// be refused (parked) as a conflict. An identical resend is still dropped, as it should be.
pub fn deduplication_id(body: &str) -> String {
    app::digest::sha256_hex(body.as_bytes())
}

/// The acknowledgement goes on the queue as any reply does.
impl Outbox for SqsReplyQueue {
    async fn enqueue(&self, reply: &ReplyRequest) -> Result<(), QueueError> {
        SqsReplyQueue::enqueue(self, reply).await.map(|_| ())
    }
}

impl ReplyQueue for SqsReplyQueue {
    async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        let seconds = delay.min(app::replies::MAX_REDELIVERY_DELAY).as_secs();
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }

    async fn park(&self, parked: Parked<'_>) -> Result<(), QueueError> {
        let reason: String = parked.reason.chars().take(1000).collect();
        let reason = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason)
            .build()
            .map_err(queue_error)?;
        self.client
            .send_message()
            .queue_url(&self.dlq_url)
            .message_body(parked.body)
            .message_group_id(parked.group_id)
            // Parking the same message twice (a crash before the acknowledgement) stores it once.
            .message_deduplication_id(parked.message_id)
            .message_attributes(PARKED_REASON, reason)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }
}
