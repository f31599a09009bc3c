//! The read route on real API Gateway GET events over the in-memory store.

use super::handle;
use app::ingest;
use app::memory::MemoryStore;
use http_api::ReadDeps;
use http_api::testing::{GATEWAYS, Gateway, get_lead};
use models::{InboundMessage, Lead};
use serde_json::{Value, json};

const LEAD: &str = fixtures::LEAD;
const MESSAGE: &str = fixtures::MESSAGE;
const LEAD_ID: &str = fixtures::LEAD_ID;

async fn store_message(store: &MemoryStore, id: &str, created: &str, text: &str, received_at: u64) {
    let mut message: Value = serde_json::from_str(MESSAGE).unwrap();
    message["message"]["messageID"] = json!(id);
    message["message"]["createTimestamp"] = json!(created);
    message["message"]["text"] = json!(text);
    let raw = serde_json::to_string(&message).unwrap();
    let parsed = InboundMessage::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(store, &parsed, &raw, received_at)
        .await
        .unwrap();
}

async fn store_lead(store: &MemoryStore) {
    let lead = Lead::parse(LEAD.as_bytes()).unwrap();
    ingest::store_parsed(store, &lead, LEAD, 1).await.unwrap();
}

async fn read(deps: &ReadDeps<MemoryStore>, gateway: Gateway, lead_id: &str) -> (u16, Value) {
    let response = handle(deps, get_lead(gateway, lead_id)).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap();
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn a_stored_lead_is_answered_as_received_with_its_messages_in_time_order() {
    let deps = ReadDeps {
        store: MemoryStore::new(),
    };
    store_lead(&deps.store).await;
    store_message(&deps.store, "m-late", "1498760400", "Second", 10).await;
    store_message(
        &deps.store,
        "m-early",
        "1498760300",
        "First\nline two 🎨",
        20,
    )
    .await;
    store_message(&deps.store, "m-same-second", "1498760400", "Third", 30).await;
    for gateway in GATEWAYS {
        let (status, body) = read(&deps, gateway, LEAD_ID).await;
        assert_eq!(status, 200, "{gateway:?}");
        assert_eq!(body["lead"], serde_json::from_str::<Value>(LEAD).unwrap());
        assert_eq!(
            body["messages"],
            json!([
                {"direction": "inbound", "id": "m-early", "text": "First\nline two 🎨", "createTimestamp": "1498760300"},
                {"direction": "inbound", "id": "m-late", "text": "Second", "createTimestamp": "1498760400"},
                {"direction": "inbound", "id": "m-same-second", "text": "Third", "createTimestamp": "1498760400"},
            ])
        );
        assert_eq!(body["revisions"], json!([]));
        assert_eq!(body["warnings"], json!([]));
        assert_eq!(body["warningCount"], 0);
    }
}

#[tokio::test]
async fn warnings_are_shown_for_the_lead_and_on_each_message_that_has_some() {
    let deps = ReadDeps {
        store: MemoryStore::new(),
    };
    let metrics = app::metrics::Metrics::off();
    let lead = LEAD.replace("\"95125\"", "\"951\"");
    ingest::ingest::<Lead, _>(&deps.store, &metrics, lead.as_bytes(), 1)
        .await
        .unwrap();
    let mut message: Value = serde_json::from_str(MESSAGE).unwrap();
    message.as_object_mut().unwrap().remove("customerID");
    let message = message.to_string();
    ingest::ingest::<InboundMessage, _>(&deps.store, &metrics, message.as_bytes(), 2)
        .await
        .unwrap();
    store_message(&deps.store, "m-clean", "1498760400", "Clean", 3).await;
    let (status, body) = read(&deps, Gateway::HttpV2, LEAD_ID).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["warnings"],
        json!([{"path": "request.location.zipCode", "reason": "must be a five-digit ZIP code or a ZIP+4"}])
    );
    assert_eq!(body["warningCount"], 1);
    assert_eq!(
        body["messages"][0]["warnings"],
        json!([{"path": "customerID", "reason": "is required"}])
    );
    assert_eq!(body["messages"][1]["id"], "m-clean");
    assert_eq!(body["messages"][1].get("warnings"), None);
}

#[tokio::test]
async fn messages_waiting_for_a_lead_thumbtack_really_sends_become_visible() {
    // A ZIP+4 and empty strings once sent the lead to quarantine, and its messages stayed behind a
    // 404 for ever.
    let deps = ReadDeps {
        store: MemoryStore::new(),
    };
    store_message(&deps.store, "m-1", "1498760300", "Early bird", 5).await;
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead["request"]["location"]["zipCode"] = json!("95125-4321");
    lead["request"]["title"] = json!("");
    let lead = lead.to_string();
    let metrics = app::metrics::Metrics::off();
    ingest::ingest::<Lead, _>(&deps.store, &metrics, lead.as_bytes(), 6)
        .await
        .unwrap();
    let (status, body) = read(&deps, Gateway::RestV1, LEAD_ID).await;
    assert_eq!(status, 200);
    assert_eq!(body["messages"][0]["id"], "m-1");
    assert_eq!(body["warnings"][0]["path"], "request.title");
}

#[tokio::test]
async fn an_unknown_or_malformed_lead_id_is_404() {
    let deps = ReadDeps {
        store: MemoryStore::new(),
    };
    for lead_id in ["404404", "bad#id"] {
        let (status, body) = read(&deps, Gateway::HttpV2, lead_id).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test]
async fn a_message_that_arrived_before_its_lead_appears_once_the_lead_arrives() {
    let deps = ReadDeps {
        store: MemoryStore::new(),
    };
    store_message(&deps.store, "m-1", "1498760300", "Early bird", 5).await;
    let (status, _) = read(&deps, Gateway::RestV1, LEAD_ID).await;
    assert_eq!(status, 404, "no lead yet");
    store_lead(&deps.store).await;
    let (status, body) = read(&deps, Gateway::RestV1, LEAD_ID).await;
    assert_eq!(status, 200);
    assert_eq!(body["messages"][0]["id"], "m-1");
}

#[tokio::test]
async fn a_revision_of_the_lead_is_listed_beside_the_first_version() {
    let deps = ReadDeps {
        store: MemoryStore::new(),
    };
    store_lead(&deps.store).await;
    let mut changed: Value = serde_json::from_str(LEAD).unwrap();
    changed["price"] = json!("$99");
    let raw = changed.to_string();
    let lead = Lead::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(&deps.store, &lead, &raw, 2)
        .await
        .unwrap();
    let (_, body) = read(&deps, Gateway::HttpV2, LEAD_ID).await;
    assert_eq!(
        body["lead"].get("price"),
        None,
        "the first version stays the record"
    );
    assert_eq!(body["revisions"][0]["of"], "lead");
    assert_eq!(body["revisions"][0]["body"]["price"], "$99");
}
