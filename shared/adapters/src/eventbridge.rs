//! [`EventBus`] on EventBridge: `PutEvents` on the bus, up to ten entries a call, each answered
//! on its own (a partial failure names the entries that were not taken).

use app::events::{Event, SOURCE};
use app::ports::{BusError, EventBus, Put};
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn from_config(sdk: &aws_config::SdkConfig, bus_name: impl Into<String>) -> Self {
        EventBridgeBus {
            client: Client::new(sdk),
            bus_name: bus_name.into(),
        }
    }

    fn entry(&self, event: &Event) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(event.detail_type)
            .detail(event.detail.to_string())
            .time(DateTime::from_millis(
                i64::try_from(event.at_ms).unwrap_or(i64::MAX),
            ))
            .build()
    }
}

impl EventBus for EventBridgeBus {
    async fn put(&self, events: &[Event]) -> Result<Vec<Put>, BusError> {
        let output = self
            .client
            .put_events()
            .set_entries(Some(events.iter().map(|e| self.entry(e)).collect()))
            .send()
            .await
            .map_err(|error| BusError(Box::new(error)))?;
        // One result entry per request entry, in order: an error code where it was not taken.
        Ok(output
            .entries
            .unwrap_or_default()
            .into_iter()
            .map(|entry| match entry.error_code {
                Some(code) => Put::Refused { code },
                None => Put::Taken,
            })
            .collect())
    }
}
