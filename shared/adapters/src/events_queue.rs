//! The events queue: where a catch-all rule on the bus delivers every event, for a partner's
//! system to read (in `make dev`, for `make events`; in AWS when the template's consumer queue is
//! on). Each message is an EventBridge event envelope.

use app::ports::QueueError;
use aws_sdk_sqs::Client;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct EventsQueue {
    client: Client,
    queue_url: String,
}

/// An event as it arrives from the bus: the envelope's fields a reader needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeliveredEvent {
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub time: String,
    pub detail: serde_json::Value,
    /// To delete the message once read.
    #[serde(skip)]
    pub receipt: String,
}

fn queue_error<E: std::error::Error + Send + Sync + 'static>(error: E) -> QueueError {
    QueueError(Box::new(error))
}

impl EventsQueue {
    /// The queue named `name` (the local stack's), or the one at `url`.
    pub async fn by_name(sdk: &aws_config::SdkConfig, name: &str) -> Result<Self, QueueError> {
        let client = Client::new(sdk);
        let queue_url = client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(queue_error)?
            .queue_url
            .unwrap_or_default();
        Ok(EventsQueue { client, queue_url })
    }

    pub fn at(sdk: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        EventsQueue {
            client: Client::new(sdk),
            queue_url: url.into(),
        }
    }

    /// Up to ten events, waiting up to `wait` for the first. A message that is not an event is
    /// skipped (and left for the queue's own redrive).
    pub async fn receive(&self, wait: Duration) -> Result<Vec<DeliveredEvent>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(20).min(20))
            .send()
            .await
            .map_err(queue_error)?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|message| {
                let mut event: DeliveredEvent =
                    serde_json::from_str(message.body.as_deref()?).ok()?;
                event.receipt = message.receipt_handle?;
                Some(event)
            })
            .collect())
    }

    /// Removes events once read.
    pub async fn delete(&self, events: &[DeliveredEvent]) -> Result<(), QueueError> {
        for event in events {
            self.client
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(&event.receipt)
                .send()
                .await
                .map_err(queue_error)?;
        }
        Ok(())
    }
}
