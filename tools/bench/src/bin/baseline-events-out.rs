//! The cold-start baseline of events-out, by hand (`coldstart`): a `lambda_runtime` function with
//! the default `aws_config::load_from_env`; per DynamoDB stream batch it makes events-out's call
//! for a batch of one new lead: one `PutEvents` of an event per record to the bus.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use lambda_http::aws_lambda_events::event::dynamodb::Event;
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let client = Client::new(&config);
    let bus = std::env::var("EVENT_BUS_NAME")?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| {
        handle(&client, &bus, event)
    }))
    .await
}

async fn handle(client: &Client, bus: &str, event: LambdaEvent<Event>) -> Result<Value, Error> {
    let entries: Vec<PutEventsRequestEntry> = event
        .payload
        .records
        .iter()
        .map(|record| {
            let keys = serde_json::to_value(&record.change.keys).unwrap_or(Value::Null);
            PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source("thumbtack.partner")
                .detail_type("Lead Received")
                .detail(json!({"keys": keys, "eventID": record.event_id}).to_string())
                .build()
        })
        .collect();
    if !entries.is_empty() {
        client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await?;
    }
    Ok(json!({"batchItemFailures": []}))
}
