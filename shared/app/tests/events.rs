//! The events pipeline over the in-memory store and bus: every stored fact becomes one event, in
//! order, and an event the bus will not take stops the batch at its change, never silently.
#![allow(clippy::unwrap_used)]

use app::events::{Change, EventsDeps, Fact, LeadFacts, PublishPolicy, publish};
use app::ingest::store_parsed;
use app::memory::{BusAnswer, MemoryStore, RecordingBus};
use app::metrics::Metrics;
use std::time::Duration;

fn deps(bus: RecordingBus) -> EventsDeps<MemoryStore, RecordingBus> {
    EventsDeps {
        store: MemoryStore::new(),
        bus,
        policy: PublishPolicy {
            tries: 3,
            backoff: Duration::from_millis(1),
        },
        metrics: Metrics::in_memory("test", "events-out"),
    }
}

fn lead(id: &str, at_ms: u64) -> Fact {
    Fact::LeadStored {
        lead_id: id.into(),
        business_id: "b-1".into(),
        at_ms,
        lead: LeadFacts {
            create_timestamp: 1_498_760_294,
            ..LeadFacts::default()
        },
    }
}

fn message(lead_id: &str, id: &str, at_ms: u64) -> Fact {
    Fact::MessageStored {
        lead_id: lead_id.into(),
        business_id: "b-1".into(),
        message_id: id.into(),
        create_timestamp: 1_498_760_294,
        lead_known: false,
        contract: models::Contract::Legacy,
        at_ms,
    }
}

fn change(id: &str, fact: Option<Fact>) -> Change {
    Change {
        id: id.into(),
        fact,
    }
}

fn types_and_leads(bus: &RecordingBus) -> Vec<(String, String)> {
    bus.taken()
        .iter()
        .map(|e| {
            (
                e.detail_type.to_owned(),
                e.detail["leadID"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_fact_of_a_batch_becomes_one_event_in_order_and_other_changes_none() {
    let deps = deps(RecordingBus::default());
    let changes = vec![
        change("1", Some(lead("l-1", 10))),
        change("2", None),
        change("3", Some(lead("l-2", 11))),
    ];
    assert_eq!(publish(&deps, &changes).await, None);
    assert_eq!(
        types_and_leads(&deps.bus),
        [
            ("Lead Received".to_owned(), "l-1".to_owned()),
            ("Lead Received".to_owned(), "l-2".to_owned())
        ]
    );
}

#[tokio::test]
async fn more_than_ten_events_go_ten_at_a_time() {
    let deps = deps(RecordingBus::default());
    let changes: Vec<Change> = (0..23)
        .map(|i| change(&i.to_string(), Some(lead(&format!("l-{i}"), i))))
        .collect();
    assert_eq!(publish(&deps, &changes).await, None);
    assert_eq!(deps.bus.taken().len(), 23);
    assert_eq!(deps.bus.puts(), 3);
}

#[tokio::test]
async fn an_event_the_bus_refuses_is_put_again_and_nothing_is_lost() {
    let deps = deps(RecordingBus::answering([
        BusAnswer::Refuse(vec![1]),
        BusAnswer::Unreachable,
    ]));
    let changes: Vec<Change> = (0..3)
        .map(|i| change(&i.to_string(), Some(lead(&format!("l-{i}"), i))))
        .collect();
    assert_eq!(publish(&deps, &changes).await, None);
    let mut leads: Vec<String> = types_and_leads(&deps.bus)
        .into_iter()
        .map(|t| t.1)
        .collect();
    leads.sort();
    assert_eq!(leads, ["l-0", "l-1", "l-2"]);
    assert_eq!(
        deps.bus.puts(),
        3,
        "one put, one failed call, one put of the refused event"
    );
}

#[tokio::test]
async fn an_event_the_bus_never_takes_stops_the_batch_at_its_change() {
    let refuse_second = || BusAnswer::Refuse(vec![0]);
    let deps = deps(RecordingBus::answering([
        BusAnswer::Refuse(vec![1]),
        refuse_second(),
        refuse_second(),
    ]));
    let changes: Vec<Change> = (0..3)
        .map(|i| change(&format!("seq-{i}"), Some(lead(&format!("l-{i}"), i))))
        .collect();
    assert_eq!(publish(&deps, &changes).await.as_deref(), Some("seq-1"));
    let lines = deps.metrics.lines().join("\n");
    assert!(lines.contains("EventFailures"), "{lines}");
}

#[tokio::test]
async fn a_message_knows_whether_its_lead_was_stored_before_it() {
    let deps = deps(RecordingBus::default());
    let body = fixtures::LEAD.replace(fixtures::LEAD_ID, "l-1");
    let parsed = models::Lead::parse(body.as_bytes()).unwrap();
    store_parsed(&deps.store, &parsed, &body, 100)
        .await
        .unwrap();
    let changes = vec![
        change("1", Some(message("l-1", "m-after", 150))),
        change("2", Some(message("l-1", "m-before", 50))),
        change("3", Some(message("l-unknown", "m-orphan", 150))),
    ];
    assert_eq!(publish(&deps, &changes).await, None);
    let known: Vec<(String, bool)> = deps
        .bus
        .taken()
        .iter()
        .map(|e| {
            (
                e.detail["messageID"].as_str().unwrap().to_owned(),
                e.detail["leadKnown"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        known,
        [
            ("m-after".to_owned(), true),
            ("m-before".to_owned(), false),
            ("m-orphan".to_owned(), false)
        ]
    );
}

#[tokio::test]
async fn a_lead_that_cannot_be_looked_up_stops_the_batch_at_the_message() {
    let deps = deps(RecordingBus::default());
    deps.store.fail_all_calls(true);
    let changes = vec![
        change("1", Some(lead("l-1", 10))),
        change("2", Some(message("l-1", "m-1", 20))),
        change("3", Some(lead("l-2", 30))),
    ];
    assert_eq!(publish(&deps, &changes).await.as_deref(), Some("2"));
    assert_eq!(
        types_and_leads(&deps.bus).len(),
        1,
        "only the change before it"
    );
}

#[tokio::test]
async fn the_same_batch_delivered_twice_carries_the_same_event_ids() {
    let first = deps(RecordingBus::default());
    let again = deps(RecordingBus::default());
    let changes = vec![
        change("1", Some(lead("l-1", 10))),
        change("2", Some(message("l-1", "m-1", 20))),
    ];
    publish(&first, &changes).await;
    publish(&again, &changes).await;
    let ids = |bus: &RecordingBus| bus.taken().iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first.bus), ids(&again.bus));
    assert_eq!(ids(&first.bus).len(), 2);
}

#[tokio::test]
async fn the_leads_of_a_whole_batch_are_looked_up_in_one_call_to_the_store() {
    let deps = deps(RecordingBus::default());
    let body = fixtures::LEAD.replace(fixtures::LEAD_ID, "l-1");
    let parsed = models::Lead::parse(body.as_bytes()).unwrap();
    store_parsed(&deps.store, &parsed, &body, 100)
        .await
        .unwrap();
    // One call to the store goes through; every call after it fails.
    deps.store.fail_after(1);
    let changes: Vec<Change> = (0..30)
        .map(|n| {
            let lead_id = if n % 3 == 0 { "l-unknown" } else { "l-1" };
            change(
                &n.to_string(),
                Some(message(lead_id, &format!("m-{n}"), 150)),
            )
        })
        .collect();
    assert_eq!(publish(&deps, &changes).await, None);
    let known: Vec<bool> = deps
        .bus
        .taken()
        .iter()
        .map(|e| e.detail["leadKnown"].as_bool().unwrap())
        .collect();
    let expected: Vec<bool> = (0..30).map(|n| n % 3 != 0).collect();
    assert_eq!(known, expected);
}
