//! The Lambda handlers over the DynamoDB adapter and the emulator: what Thumbtack sees, and what
//! ends up in the table.

use crate::dynamo_store::closed_port_url;
use crate::support::*;
use adapters::DynamoStore;
use app::deps::{InboundDeps, ReadDeps};
use http_api::testing::{Encoding, Gateway, basic, get_lead, post};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

fn auth() -> String {
    basic(USERNAME, PASSWORD)
}

async fn post_lead(
    deps: &InboundDeps<DynamoStore, app::memory::StaticCredentials>,
    body: &str,
) -> Response<Body> {
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        body.as_bytes(),
        Encoding::Base64,
        Some(&auth()),
    );
    lead_inbound::handler::handle(deps, request).await
}

async fn post_message(
    deps: &InboundDeps<DynamoStore, app::memory::StaticCredentials>,
    body: &str,
) -> Response<Body> {
    let request = post(
        Gateway::RestV1,
        "/v1/message",
        body.as_bytes(),
        Encoding::Text,
        Some(&auth()),
    );
    message_inbound::handler::handle(deps, request).await
}

async fn read(store: &DynamoStore, lead_id: &str) -> (u16, Value) {
    let deps = ReadDeps {
        store: store.clone(),
        pull: pull_settings(),
    };
    let response = partner_api::handler::handle(&deps, get_lead(Gateway::RestV1, lead_id)).await;
    (response.status().as_u16(), json_of(&response))
}

fn json_of(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_identical_lead_deliveries_at_the_same_moment_are_stored_once() {
    let (table, deps) = inbound_deps().await;
    let deliveries = (0..20).map(|_| post_lead(&deps, LEAD));
    let responses = futures::future::join_all(deliveries).await;
    let statuses: Vec<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status(), 200);
            json_of(r)["status"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| *s == "stored").count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| *s == "duplicate").count(), 19);
    assert_eq!(table.all_items().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_identical_message_deliveries_at_the_same_moment_are_stored_once() {
    let (table, deps) = inbound_deps().await;
    let responses = futures::future::join_all((0..20).map(|_| post_message(&deps, MESSAGE))).await;
    assert!(
        responses.iter().all(|r| r.status() == 202),
        "stored, its lead not (yet)"
    );
    assert_eq!(table.count_items_with_sk_prefix("MSG#").await, 1);
    assert_eq!(table.all_items().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_deliveries_of_a_changed_lead_store_one_revision() {
    let (table, deps) = inbound_deps().await;
    assert_eq!(post_lead(&deps, LEAD).await.status(), 200);
    let changed = with_field(LEAD, "/price", json!("$300"));
    let responses = futures::future::join_all((0..20).map(|_| post_lead(&deps, &changed))).await;
    for response in &responses {
        assert_eq!(response.status(), 200);
        assert_eq!(json_of(response)["status"], "revision");
    }
    assert_eq!(table.count_items_with_sk_prefix("REV#").await, 1);
    let (_, view) = read(&deps.store, LEAD_ID).await;
    assert_eq!(view["lead"], serde_json::from_str::<Value>(LEAD).unwrap());
    assert_eq!(view["revisions"][0]["body"]["price"], "$300");
}

#[tokio::test]
async fn a_message_before_its_lead_is_stored_and_joins_the_conversation_when_the_lead_arrives() {
    let (_, deps) = inbound_deps().await;
    let response = post_message(&deps, MESSAGE).await;
    assert_eq!(response.status(), 202, "stored, but its lead is not yet");
    assert_eq!(read(&deps.store, LEAD_ID).await.0, 404);

    assert_eq!(post_lead(&deps, LEAD).await.status(), 200);
    let (status, view) = read(&deps.store, LEAD_ID).await;
    assert_eq!(status, 200);
    assert_eq!(
        view["messages"],
        json!([{
            "direction": "inbound",
            "id": "8699842694484326245",
            "text": "Do you offer fridge cleaning or is that extra?",
            "createTimestamp": "1498760294"
        }])
    );
}

#[tokio::test]
async fn unicode_and_newlines_travel_intact_from_delivery_to_read() {
    let (table, deps) = inbound_deps().await;
    let text = "Bonjour 👋\nCan you come Tuesday?\r\n\t– “quoted” \\ backslash \u{2028} end";
    let message = with_field(MESSAGE, "/message/text", json!(text));
    let lead = with_field(LEAD, "/customer/name", json!("Zoë Ångström-李"));
    assert_eq!(post_lead(&deps, &lead).await.status(), 200);
    assert_eq!(post_message(&deps, &message).await.status(), 200);
    let (_, view) = read(&deps.store, LEAD_ID).await;
    assert_eq!(view["messages"][0]["text"], text);
    assert_eq!(view["lead"]["customer"]["name"], "Zoë Ångström-李");
    let stored = table.all_items().await;
    let raws: Vec<&str> = stored
        .iter()
        .map(|i| i["raw"].as_s().unwrap().as_str())
        .collect();
    assert!(
        raws.contains(&lead.as_str()) && raws.contains(&message.as_str()),
        "stored byte for byte"
    );
}

#[tokio::test]
async fn a_lead_without_a_usable_key_is_answered_400_and_quarantined_in_the_table() {
    let (table, deps) = inbound_deps().await;
    let body = with_field(LEAD, "/leadID", json!("not an id"));
    for _ in 0..2 {
        let response = post_lead(&deps, &body).await;
        assert_eq!(response.status(), 400);
        assert_eq!(json_of(&response)["fields"][0]["path"], "leadID");
    }
    let quarantined = app::ports::QuarantineDesk::list_quarantine(&deps.store, 10, None)
        .await
        .unwrap()
        .items;
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].raw, body.as_bytes());
    assert_eq!(quarantined[0].deliveries, 2);
    assert_eq!(table.count_items_with_sk_prefix("LEAD").await, 0);
}

#[tokio::test]
async fn a_missing_table_answers_500_and_an_unreachable_database_503_never_2xx() {
    let sdk = sdk().await;
    let missing = InboundDeps {
        store: DynamoStore::from_config(&sdk, unique_name("never-created")),
        credentials: credentials(),
        metrics: app::metrics::Metrics::off(),
    };
    let response = post_lead(&missing, LEAD).await;
    assert_eq!(response.status(), 500);
    assert_eq!(json_of(&response)["error"], "unavailable");
    assert!(!String::from_utf8_lossy(response.body().as_ref()).contains("Resource"));

    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(closed_port_url())
        .build();
    let unreachable = InboundDeps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "any"),
        credentials: credentials(),
        metrics: app::metrics::Metrics::off(),
    };
    assert_eq!(post_lead(&unreachable, LEAD).await.status(), 503);
    assert_eq!(post_message(&unreachable, MESSAGE).await.status(), 503);
    let invalid = post_lead(&unreachable, "{}").await;
    assert_eq!(
        invalid.status(),
        503,
        "a payload we cannot quarantine is not refused for good"
    );
}

/// A lead body of exactly `size` bytes whose title takes most of it (the issue's case: a copied
/// title beside the raw body made an item over DynamoDB's 400 KB).
fn lead_of_size(size: usize) -> String {
    let base = with_field(LEAD, "/request/title", json!(""));
    let title = "T".repeat(size - base.len());
    let body = with_field(LEAD, "/request/title", json!(title));
    assert_eq!(body.len(), size);
    body
}

#[tokio::test]
async fn a_lead_at_the_exact_body_limit_with_a_huge_title_is_stored_and_one_byte_more_is_413() {
    let (_, deps) = inbound_deps().await;
    let at_limit = lead_of_size(http_api::MAX_BODY_BYTES);
    let response = post_lead(&deps, &at_limit).await;
    assert_eq!(response.status(), 200, "{}", json_of(&response));
    let (status, view) = read(&deps.store, LEAD_ID).await;
    assert_eq!(status, 200);
    let title = view["lead"]["request"]["title"].as_str().unwrap();
    assert!(title.len() > 260_000, "{}", title.len());

    // The same lead again (a redelivery) and a changed one (a revision) fit too.
    assert_eq!(
        json_of(&post_lead(&deps, &at_limit).await)["status"],
        "duplicate"
    );
    let changed = at_limit.replacen("TTTT", "UUUU", 1);
    assert_eq!(
        json_of(&post_lead(&deps, &changed).await)["status"],
        "revision"
    );

    let over = lead_of_size(http_api::MAX_BODY_BYTES + 1);
    let other = InboundDeps {
        store: fresh_store().await,
        ..deps
    };
    assert_eq!(post_lead(&other, &over).await.status(), 413);
}

#[tokio::test]
async fn a_message_at_the_exact_body_limit_is_stored() {
    let (_, deps) = inbound_deps().await;
    let base = with_field(MESSAGE, "/message/text", json!(""));
    let text = "m".repeat(http_api::MAX_BODY_BYTES - base.len());
    let body = with_field(MESSAGE, "/message/text", json!(text));
    assert_eq!(body.len(), http_api::MAX_BODY_BYTES);
    assert_eq!(post_message(&deps, &body).await.status(), 202);
}

#[tokio::test]
async fn a_redelivery_with_a_lone_surrogate_and_a_huge_number_in_unknown_fields_is_a_duplicate() {
    let (table, deps) = inbound_deps().await;
    let first = LEAD.replacen('{', r#"{"extra": "\ud800", "big": 1e400, "#, 1);
    assert_eq!(json_of(&post_lead(&deps, &first).await)["status"], "stored");
    // The same document with other spacing: nothing changed.
    let again = first.replace(": ", ":");
    assert_ne!(again, first);
    assert_eq!(
        json_of(&post_lead(&deps, &again).await)["status"],
        "duplicate"
    );
    assert_eq!(table.count_items_with_sk_prefix("REV#").await, 0);
}

#[tokio::test]
async fn a_body_of_a_megabyte_is_answered_413_and_kept_in_quarantine_byte_for_byte() {
    let (table, deps) = inbound_deps().await;
    let body = with_field(LEAD, "/request/description", json!("é".repeat(500_000)));
    assert!(body.len() > 1_000_000);
    for _ in 0..2 {
        assert_eq!(post_lead(&deps, &body).await.status(), 413);
    }
    let quarantined = app::ports::QuarantineDesk::list_quarantine(&deps.store, 10, None)
        .await
        .unwrap()
        .items;
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].raw, body.as_bytes(), "put back together");
    assert_eq!(quarantined[0].deliveries, 2);
    assert_eq!(quarantined[0].problems.listed()[0].path, "$");
    let chunks = table.count_items_with_sk_prefix("CHUNK#").await;
    assert_eq!(
        chunks,
        body.len()
            .div_ceil(adapters::dynamo::QUARANTINE_CHUNK_BYTES)
    );
    assert_eq!(table.count_items_with_sk_prefix("LEAD").await, 0);
}
