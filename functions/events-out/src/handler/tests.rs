//! The stream handler on a real DynamoDB stream event over the in-memory store and bus.

use super::{handle, process};
use app::events::{EventsDeps, PublishPolicy};
use app::memory::{BusAnswer, MemoryStore, RecordingBus};
use app::metrics::Metrics;
use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{Context, LambdaEvent};
use std::time::Duration;

fn event() -> Event {
    serde_json::from_str(fixtures::events::DYNAMODB_STREAM).expect("a stream event")
}

fn deps(bus: RecordingBus) -> EventsDeps<MemoryStore, RecordingBus> {
    EventsDeps {
        store: MemoryStore::new(),
        bus,
        policy: PublishPolicy {
            tries: 2,
            backoff: Duration::from_millis(1),
        },
        metrics: Metrics::in_memory("test", "events-out"),
    }
}

#[tokio::test]
async fn a_stream_batch_becomes_one_thin_event_per_stored_fact() {
    let deps = deps(RecordingBus::default());
    let response = process(&deps, &event()).await;
    assert!(response.batch_item_failures.is_empty());
    let taken = deps.bus.taken();
    let types: Vec<&str> = taken.iter().map(|e| e.detail_type).collect();
    // The claim, the guard, the second delivery to quarantine and the deletion are no facts.
    assert_eq!(
        types,
        [
            "Lead Received",
            "Message Received",
            "Reply Sent",
            "Payload Quarantined",
            "Lead Revised"
        ]
    );
    let lead = &taken[0].detail;
    assert_eq!(lead["leadID"], "299614694480093245");
    assert_eq!(lead["businessID"], "286845156044809661");
    assert_eq!(lead["zipCode"], "95125");
    assert_eq!(lead["occurredAt"], "2025-12-01T14:47:50.100Z");
    assert_eq!(taken[1].detail["messageID"], "8699842694484326245");
    assert_eq!(taken[2].detail["replyID"], "r-1");
    assert_eq!(taken[2].detail["status"], 200);
    assert_eq!(taken[3].detail["route"], "lead");
    assert_eq!(taken[3].detail["problemCount"], 1);
    assert_eq!(taken[4].detail["revisionID"], "ab12");
}

#[tokio::test]
async fn no_event_carries_a_name_a_text_or_a_body() {
    let deps = deps(RecordingBus::default());
    process(&deps, &event()).await;
    for event in deps.bus.taken() {
        let detail = event.detail.to_string();
        for personal in [
            "Jay",
            "Tuesday",
            "fridge",
            "stain",
            "raw",
            "customerID",
            "title",
        ] {
            assert!(!detail.contains(personal), "{personal} in {detail}");
        }
    }
}

#[tokio::test]
async fn the_same_stream_batch_delivered_twice_carries_the_same_event_ids() {
    let first = deps(RecordingBus::default());
    let again = deps(RecordingBus::default());
    process(&first, &event()).await;
    process(&again, &event()).await;
    let ids = |bus: &RecordingBus| bus.taken().iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    let ids_first = ids(&first.bus);
    assert_eq!(ids_first, ids(&again.bus));
    // Not an empty list, nor empty or shared ids: one UUID-shaped id per fact, each its own.
    assert!(ids_first.len() >= 3, "{ids_first:?}");
    let distinct: std::collections::BTreeSet<&String> = ids_first.iter().collect();
    assert_eq!(distinct.len(), ids_first.len(), "{ids_first:?}");
    for id in &ids_first {
        let parts: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "{id}");
        assert!(
            id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
            "{id}"
        );
    }
    // And the bus's detail carries the same id.
    for event in first.bus.taken() {
        assert_eq!(event.detail["eventID"], event.id.as_str());
    }
}

#[tokio::test]
async fn an_event_the_bus_will_not_take_is_reported_at_its_record_and_the_rest_waits() {
    // The bus refuses the third event (Reply Sent) of the first put, and again on the retry.
    let deps = deps(RecordingBus::answering([
        BusAnswer::Refuse(vec![2]),
        BusAnswer::Refuse(vec![0]),
    ]));
    let response = process(&deps, &event()).await;
    let failed: Vec<Option<String>> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [Some("100000000000000000006".to_owned())]);
}

#[tokio::test]
async fn an_unreadable_record_is_counted_and_skipped_not_retried_for_ever() {
    let deps = deps(RecordingBus::default());
    let mut event = event();
    event.records[0].change.new_image.remove("leadID");
    let response = process(&deps, &event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(deps.bus.taken().len(), 4);
    assert!(
        deps.metrics
            .lines()
            .join("")
            .contains("EventDecodeFailures")
    );
}

#[tokio::test]
async fn the_lambda_entry_point_answers_with_batch_item_failures_as_json() {
    let deps = deps(RecordingBus::answering([
        BusAnswer::Unreachable,
        BusAnswer::Unreachable,
    ]));
    let response = handle(&deps, LambdaEvent::new(event(), Context::default()))
        .await
        .unwrap();
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "100000000000000000001"}]})
    );
}
