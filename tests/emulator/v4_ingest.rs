//! Thumbtack v4 deliveries stored by the DynamoDB adapter: each fact once whichever webhook
//! delivered it, a message before its negotiation joined, and the conversation read back with its
//! contract.

use adapters::DynamoStore;
use app::conversation;
use app::ingest::{Arrival, StoredV4, store_v4};
use app::metrics::Metrics;
use models::Contract;
use models::v4::{Delivery, Received};
use serde_json::{Value, json};

use crate::support::fresh_table;

const BUSINESS: &str = "586100000000000001";
const NEGOTIATION_ID: &str = "587700000000000100";

async fn deliver(store: &DynamoStore, document: &Value) -> Arrival {
    let raw = serde_json::to_string(document).unwrap();
    let parsed = Delivery::parse(raw.as_bytes()).unwrap();
    let received = Received {
        webhook_business_id: BUSINESS,
        at_ms: app::now_millis(),
    };
    match store_v4(store, &Metrics::off(), &parsed, &raw, received)
        .await
        .unwrap()
    {
        StoredV4::Stored(fact) => fact.arrival,
        other => panic!("not stored: {other:?}"),
    }
}

fn sample(source: &str) -> Value {
    serde_json::from_str(source).unwrap()
}

/// The same `data` through the pro's self-serve webhook, a few seconds later.
fn through_another_webhook(mut document: Value) -> Value {
    document["event"]["webhookID"] = json!("999000000000000001");
    document["event"]["triggeredAt"] = json!("2026-08-16T17:13:09Z");
    document
}

#[tokio::test]
async fn a_v4_lead_its_earlier_message_and_its_review_are_stored_once_and_read_back_as_v4() {
    let table = fresh_table().await;
    let store = &table.store;
    let mut message = sample(fixtures::v4::MESSAGE_CREATED);
    message["data"]["negotiationID"] = json!(NEGOTIATION_ID);
    let mut review = sample(fixtures::v4::REVIEW_CREATED);
    review["data"]["negotiationID"] = json!(NEGOTIATION_ID);
    let lead = sample(fixtures::v4::NEGOTIATION_CREATED);

    // The message first, as Thumbtack may send it; then every fact again through another webhook.
    for document in [&message, &lead, &review] {
        assert_eq!(deliver(store, document).await, Arrival::Stored);
    }
    for document in [&message, &lead, &review] {
        let again = through_another_webhook(document.clone());
        assert_eq!(deliver(store, &again).await, Arrival::Duplicate);
    }
    // A lead, a message, a review and the review's place in the lead's partition: no revision.
    let items = table.all_items().await;
    let types: Vec<&str> = items
        .iter()
        .filter_map(|item| item.get("type").and_then(|t| t.as_s().ok()))
        .map(String::as_str)
        .collect();
    assert!(!types.contains(&"revision"), "{types:?}");
    assert_eq!(types.iter().filter(|t| **t == "lead").count(), 1);
    assert_eq!(types.iter().filter(|t| **t == "message").count(), 1);

    let view = conversation::view(store, NEGOTIATION_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.contract, Contract::V4);
    assert_eq!(
        view.summary.as_ref().map(|lead| lead.lead_id.as_str()),
        Some(NEGOTIATION_ID)
    );
    assert_eq!(
        view.v4.as_ref().and_then(|v4| v4.status.as_deref()),
        Some("Open")
    );
    assert_eq!(view.messages.len(), 1);
    assert_eq!(
        view.messages[0].text,
        "Hi, can you come Saturday?\r\nThanks"
    );
    assert_eq!(view.reviews.len(), 1);
    assert_eq!(view.reviews[0].review.business_id, BUSINESS);
}

#[tokio::test]
async fn a_business_s_legacy_and_v4_leads_list_together_each_with_its_contract() {
    let table = fresh_table().await;
    let store = &table.store;
    // A legacy lead of the same business, created a day before the v4 one.
    let raw = crate::support::with_field(fixtures::LEAD, "/business/businessID", json!(BUSINESS));
    let raw = crate::support::with_field(&raw, "/createTimestamp", json!("1786813980"));
    let legacy = models::Lead::parse(raw.as_bytes()).unwrap().value;
    app::LeadStore::insert_lead(
        store,
        app::ports::NewLead {
            lead: &legacy,
            warnings: &models::Problems::NONE,
            raw: &raw,
            marks: models::v4::stored::marks(&raw),
            received_at_ms: app::now_millis(),
        },
    )
    .await
    .unwrap();
    deliver(store, &sample(fixtures::v4::NEGOTIATION_CREATED)).await;

    let asked = app::pull::LeadsAsked {
        business_id: BUSINESS,
        since: None,
        until: None,
        limit: None,
        cursor: None,
    };
    let page = app::pull::business_leads(store, &crate::support::pull_settings(), asked)
        .await
        .unwrap();
    let listed: Vec<(String, Value)> = page
        .leads
        .iter()
        .map(|entry| serde_json::to_value(entry).unwrap())
        .map(|entry| {
            (
                entry["leadID"].as_str().unwrap().to_owned(),
                entry["contract"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (NEGOTIATION_ID.to_owned(), json!("v4")),
            (legacy.lead_id.clone(), json!("legacy")),
        ],
        "newest first, each with the contract that carried it"
    );
}
