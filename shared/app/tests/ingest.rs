//! The ingest pipeline over the in-memory store when a delivery fails half-way: Thumbtack sends
//! it again, and the redelivery finishes what the first one began.
#![allow(clippy::unwrap_used)]

use app::conversation;
use app::ingest::{Arrival, ingest};
use app::memory::MemoryStore;
use app::metrics::Metrics;
use models::{Lead, LeadUpdate, ReviewDelivery};

const LEAD_ID: &str = "437282017264173057";

async fn deliver<P: app::ingest::Payload>(store: &MemoryStore, body: &str) -> Option<Arrival> {
    let metrics = Metrics::off();
    let at = app::now_millis();
    ingest::<P, _>(store, &metrics, body.as_bytes(), at)
        .await
        .ok()
        .map(|ingested| ingested.arrival)
}

#[tokio::test]
async fn a_lead_stored_before_a_fault_takes_its_waiting_price_when_delivered_again() {
    let store = MemoryStore::new();
    deliver::<LeadUpdate>(
        &store,
        r#"{"leadID": "437282017264173057", "leadPrice": "$9.00"}"#,
    )
    .await
    .unwrap();
    // The lead is written; reading the update that waits for it fails: Thumbtack gets a 5xx.
    store.fail_after(1);
    assert_eq!(deliver::<Lead>(&store, fixtures::LEAD_2025).await, None);
    store.fail_all_calls(false);

    let again = deliver::<Lead>(&store, fixtures::LEAD_2025).await;
    assert_eq!(again, Some(Arrival::Duplicate));
    let view = conversation::view(&store, LEAD_ID).await.unwrap().unwrap();
    assert_eq!(view.lead_price.as_deref(), Some("$9.00"));
}

#[tokio::test]
async fn a_review_stored_before_a_fault_joins_its_lead_when_delivered_again() {
    let store = MemoryStore::new();
    deliver::<Lead>(&store, fixtures::LEAD_2025).await.unwrap();
    // The review is written; linking it to its lead fails.
    store.fail_after(1);
    assert_eq!(
        deliver::<ReviewDelivery>(&store, fixtures::REVIEW).await,
        None
    );
    store.fail_all_calls(false);

    let again = deliver::<ReviewDelivery>(&store, fixtures::REVIEW).await;
    assert_eq!(again, Some(Arrival::Duplicate));
    let view = conversation::view(&store, LEAD_ID).await.unwrap().unwrap();
    assert_eq!(view.reviews.len(), 1);
}

#[tokio::test]
async fn an_update_stored_before_a_fault_sets_the_price_when_delivered_again() {
    let store = MemoryStore::new();
    deliver::<Lead>(&store, fixtures::LEAD_2025).await.unwrap();
    store.fail_after(1);
    let update = r#"{"leadID": "437282017264173057", "leadPrice": "$1.00"}"#;
    assert_eq!(deliver::<LeadUpdate>(&store, update).await, None);
    store.fail_all_calls(false);

    assert_eq!(
        deliver::<LeadUpdate>(&store, update).await,
        Some(Arrival::Duplicate)
    );
    let view = conversation::view(&store, LEAD_ID).await.unwrap().unwrap();
    assert_eq!(view.lead_price.as_deref(), Some("$1.00"));
}
