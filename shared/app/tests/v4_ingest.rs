//! Thumbtack v4 deliveries stored through the same store as legacy, over the in-memory store:
//! each fact once whatever the envelope it came in, a message before its negotiation joined
//! when the negotiation comes, the read API showing the contract and the v4-only fields.
#![allow(clippy::unwrap_used)]

use app::LeadStore;
use app::conversation;
use app::ingest::{Arrival, IdKind, StoredFact, StoredV4, store_v4};
use app::memory::MemoryStore;
use app::metrics::Metrics;
use models::Contract;
use models::v4::{Delivery, Received, Sender};
use serde_json::{Value, json};

const WEBHOOK_BUSINESS: &str = "586100000000000001";
const NEGOTIATION_ID: &str = "587700000000000100";

async fn deliver(store: &MemoryStore, document: &Value) -> StoredV4 {
    let raw = serde_json::to_string(document).unwrap();
    let parsed = Delivery::parse(raw.as_bytes()).unwrap();
    let received = Received {
        webhook_business_id: WEBHOOK_BUSINESS,
        at_ms: app::now_millis(),
    };
    store_v4(store, &Metrics::off(), &parsed, &raw, received)
        .await
        .unwrap()
}

fn stored(outcome: StoredV4) -> StoredFact {
    match outcome {
        StoredV4::Stored(fact) => fact,
        other => panic!("not stored: {other:?}"),
    }
}

fn sample(source: &str) -> Value {
    serde_json::from_str(source).unwrap()
}

/// The facts sheet's message, on the facts sheet's negotiation.
fn message_of_the_lead() -> Value {
    let mut message = sample(fixtures::v4::MESSAGE_CREATED);
    message["data"]["negotiationID"] = json!(NEGOTIATION_ID);
    message["data"]["business"]["businessID"] = json!(WEBHOOK_BUSINESS);
    message
}

/// The same `data` in another subscription's envelope (the pro's self-serve webhook), later.
fn through_another_webhook(mut document: Value) -> Value {
    document["event"]["webhookID"] = json!("999000000000000001");
    document["event"]["triggeredAt"] = json!("2026-08-16T17:13:09Z");
    document
}

#[tokio::test]
async fn a_negotiation_is_stored_once_whichever_webhook_delivers_it() {
    let store = MemoryStore::new();
    let lead = sample(fixtures::v4::NEGOTIATION_CREATED);
    let first = stored(deliver(&store, &lead).await);
    assert_eq!(first.arrival, Arrival::Stored);
    assert_eq!(
        (first.kind, first.id.as_str()),
        (IdKind::Lead, NEGOTIATION_ID)
    );
    assert!(!first.test);
    let again = stored(deliver(&store, &through_another_webhook(lead.clone())).await);
    assert_eq!(again.arrival, Arrival::Duplicate);
    assert_eq!(store.lead_count(), 1);
    assert_eq!(store.revision_count(), 0);

    // Different data under the same negotiationID is kept beside the first, as on legacy.
    let mut changed = lead;
    changed["data"]["status"] = json!("Canceled");
    assert_eq!(
        stored(deliver(&store, &changed).await).arrival,
        Arrival::Revision
    );
    assert_eq!(store.revision_count(), 1);
}

#[tokio::test]
async fn a_message_before_its_negotiation_is_kept_and_joined_when_the_negotiation_comes() {
    let store = MemoryStore::new();
    let message = stored(deliver(&store, &message_of_the_lead()).await);
    assert_eq!(message.kind, IdKind::Message);
    assert_eq!(message.lead_known, Some(false));
    assert!(
        conversation::view(&store, NEGOTIATION_ID)
            .await
            .unwrap()
            .is_none()
    );

    deliver(&store, &sample(fixtures::v4::NEGOTIATION_CREATED)).await;
    let again = stored(deliver(&store, &through_another_webhook(message_of_the_lead())).await);
    assert_eq!(again.arrival, Arrival::Duplicate);
    assert_eq!(again.lead_known, Some(true));
    assert_eq!(store.message_count(), 1);

    let view = conversation::view(&store, NEGOTIATION_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.contract, Contract::V4);
    assert_eq!(view.messages.len(), 1);
    assert_eq!(view.messages[0].id, "582400000000000500");
    assert_eq!(
        view.messages[0].text,
        "Hi, can you come Saturday?\r\nThanks"
    );
    let summary = view.summary.clone().unwrap();
    assert_eq!(summary.lead_id, NEGOTIATION_ID);
    assert_eq!(summary.customer.name.as_deref(), Some("Pat Example"));
    let v4 = view.v4.clone().unwrap();
    assert_eq!(v4.status.as_deref(), Some("Open"));
    // The answer shows the contract, the v4 fields, and the envelope as received.
    let shown = serde_json::to_value(&view).unwrap();
    assert_eq!(shown["contract"], "v4");
    assert_eq!(shown["v4"]["estimate"]["total"], "$150.00");
    assert_eq!(shown["lead"]["event"]["eventType"], "NegotiationCreatedV4");
}

#[tokio::test]
async fn a_review_is_stored_once_for_the_webhooks_business_and_shown_with_its_lead() {
    let store = MemoryStore::new();
    deliver(&store, &sample(fixtures::v4::NEGOTIATION_CREATED)).await;
    let mut review = sample(fixtures::v4::REVIEW_CREATED);
    review["data"]["negotiationID"] = json!(NEGOTIATION_ID);
    let first = stored(deliver(&store, &review).await);
    assert_eq!(
        (first.kind, first.arrival),
        (IdKind::Review, Arrival::Stored)
    );
    let again = stored(deliver(&store, &through_another_webhook(review)).await);
    assert_eq!(again.arrival, Arrival::Duplicate);

    let view = conversation::view(&store, NEGOTIATION_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.reviews.len(), 1);
    assert_eq!(view.reviews[0].review.business_id, WEBHOOK_BUSINESS);
    assert_eq!(view.reviews[0].review.text.as_deref(), Some("Great work."));
}

#[tokio::test]
async fn a_business_side_message_is_handed_back_classified_not_stored() {
    let store = MemoryStore::new();
    let mut message = message_of_the_lead();
    message["data"]["from"] = json!("Business");
    let StoredV4::NotACustomerMessage(fact) = deliver(&store, &message).await else {
        panic!("stored as a customer's message");
    };
    assert_eq!(fact.sender, Sender::Business);
    assert_eq!(store.message_count(), 0);
}

#[tokio::test]
async fn an_unknown_event_is_accepted_and_stores_nothing() {
    let store = MemoryStore::new();
    let document = json!({
        "event": {"eventType": "PresetJobMatchedV4", "webhookID": "1",
                  "triggeredAt": "2026-08-16T17:13:05Z"},
        "data": {"presetJobID": "5"}
    });
    assert_eq!(
        deliver(&store, &document).await,
        StoredV4::UnknownEvent {
            event_type: "PresetJobMatchedV4".into()
        }
    );
    assert_eq!(store.lead_count() + store.message_count(), 0);
}

#[tokio::test]
async fn thumbtacks_test_delivery_is_stored_marked_test_and_never_acknowledged() {
    let store = MemoryStore::new();
    let test = stored(deliver(&store, &sample(fixtures::v4::TEST_NEGOTIATION_CREATED)).await);
    assert!(test.test);
    let records = store.conversation(&test.id).await.unwrap();
    assert!(app::speed::is_test_lead(&records));
    let real = stored(deliver(&store, &sample(fixtures::v4::NEGOTIATION_CREATED)).await);
    let records = store.conversation(&real.id).await.unwrap();
    assert!(!app::speed::is_test_lead(&records));
}

#[tokio::test]
async fn a_legacy_lead_reads_back_as_legacy() {
    let store = MemoryStore::new();
    app::ingest::ingest::<models::Lead, _>(
        &store,
        &Metrics::off(),
        fixtures::LEAD.as_bytes(),
        app::now_millis(),
    )
    .await
    .unwrap();
    let view = conversation::view(&store, fixtures::LEAD_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.contract, Contract::Legacy);
    assert_eq!(view.v4, None);
    assert_eq!(serde_json::to_value(&view).unwrap()["contract"], "legacy");
}

/// A customer's message of the lead, `text` at `sent_at`.
fn customer_message(message_id: &str, text: &str, sent_at: &str) -> Value {
    let mut message = message_of_the_lead();
    message["data"]["messageID"] = json!(message_id);
    message["data"]["text"] = json!(text);
    message["data"]["sentAt"] = json!(sent_at);
    message
}

#[tokio::test]
async fn the_lead_description_message_is_shown_marked_in_either_order_and_only_the_first() {
    let lead = sample(fixtures::v4::NEGOTIATION_CREATED);
    let description = lead["data"]["request"]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    let described = customer_message(
        "6001",
        &format!("{description}\r\n"),
        "2026-08-16T17:13:00Z",
    );
    for negotiation_first in [false, true] {
        let store = MemoryStore::new();
        if negotiation_first {
            deliver(&store, &lead).await;
            deliver(&store, &described).await;
        } else {
            deliver(&store, &described).await;
            deliver(&store, &lead).await;
        }
        // The customer writing, then writing the description's words again.
        let later = "2026-08-16T17:20:00Z";
        deliver(
            &store,
            &customer_message("6002", "Can you come Saturday?", later),
        )
        .await;
        deliver(
            &store,
            &customer_message("6003", &description, "2026-08-16T17:30:00Z"),
        )
        .await;
        let view = conversation::view(&store, NEGOTIATION_ID)
            .await
            .unwrap()
            .unwrap();
        let marks: Vec<(&str, bool)> = view
            .messages
            .iter()
            .map(|m| (m.id.as_str(), m.lead_description))
            .collect();
        assert_eq!(
            marks,
            [("6001", true), ("6002", false), ("6003", false)],
            "negotiation first: {negotiation_first}"
        );
        let shown = serde_json::to_value(&view).unwrap();
        assert_eq!(shown["messages"][0]["leadDescription"], true);
        assert!(shown["messages"][1].get("leadDescription").is_none());
    }
}

#[tokio::test]
async fn a_legacy_lead_s_message_is_never_taken_for_the_lead_description_message() {
    let store = MemoryStore::new();
    let lead: Value = serde_json::from_str(fixtures::LEAD).unwrap();
    let mut message: Value = serde_json::from_str(fixtures::MESSAGE).unwrap();
    message["leadID"] = lead["leadID"].clone();
    message["message"]["text"] = lead["request"]["description"].clone();
    assert!(
        message["message"]["text"].is_string(),
        "the fixture has a description"
    );
    let at = app::now_millis();
    let lead = lead.to_string();
    app::ingest::ingest::<models::Lead, _>(&store, &Metrics::off(), lead.as_bytes(), at)
        .await
        .unwrap();
    let message = message.to_string();
    app::ingest::ingest::<models::InboundMessage, _>(
        &store,
        &Metrics::off(),
        message.as_bytes(),
        at,
    )
    .await
    .unwrap();
    let view = conversation::view(&store, fixtures::LEAD_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.messages.len(), 1);
    assert!(!view.messages[0].lead_description);
}
