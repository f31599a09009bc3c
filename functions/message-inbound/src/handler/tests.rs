//! The message route on real API Gateway events over the in-memory store.

use super::handle;
use app::auth::Credential;
use app::deps::InboundDeps;
use app::memory::MemoryStore;
use app::memory::StaticCredentials;
use app::metrics::Metrics;
use http_api::testing::{Encoding, GATEWAYS, Gateway, basic, post};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

const MESSAGE: &str = fixtures::MESSAGE;

fn deps() -> InboundDeps<MemoryStore, StaticCredentials> {
    InboundDeps {
        store: MemoryStore::new(),
        credentials: StaticCredentials::new(&[Credential::new("thumbtack", "pw")]),
        metrics: Metrics::in_memory("test", "message-inbound"),
    }
}

fn send(deps_gateway: Gateway, body: &[u8], encoding: Encoding) -> lambda_http::Request {
    post(
        deps_gateway,
        "/v1/message",
        body,
        encoding,
        Some(&basic("thumbtack", "pw")),
    )
}

fn json_body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("the answer is JSON")
}

fn message_with_id(id: &str, text: &str) -> Vec<u8> {
    let mut message: Value = serde_json::from_str(MESSAGE).unwrap();
    message["message"]["messageID"] = json!(id);
    message["message"]["text"] = json!(text);
    serde_json::to_vec(&message).unwrap()
}

#[tokio::test]
async fn a_message_before_its_lead_is_stored_and_answered_202_on_every_gateway_and_encoding() {
    for gateway in GATEWAYS {
        for encoding in [Encoding::Text, Encoding::Base64] {
            let deps = deps();
            let response = handle(&deps, send(gateway, MESSAGE.as_bytes(), encoding)).await;
            assert_eq!(response.status(), 202, "{gateway:?} {encoding:?}");
            assert_eq!(
                json_body(&response),
                json!({"status": "stored", "leadID": "299614694480093245", "messageID": "8699842694484326245", "leadKnown": false})
            );
            assert_eq!(deps.store.message_count(), 1);
            assert_eq!(deps.store.lead_count(), 0);
        }
    }
}

#[tokio::test]
async fn messages_are_deduplicated_on_message_id_not_on_the_lead() {
    let deps = deps();
    let first = message_with_id("m-1", "Hello");
    let second = message_with_id("m-2", "Are you there?");
    for (body, expected) in [
        (&first, "stored"),
        (&second, "stored"),
        (&first, "duplicate"),
        (&second, "duplicate"),
    ] {
        let response = handle(&deps, send(Gateway::HttpV2, body, Encoding::Text)).await;
        assert_eq!(json_body(&response)["status"], expected);
    }
    assert_eq!(
        deps.store.message_count(),
        2,
        "two messages of one lead are two messages"
    );
}

#[tokio::test]
async fn a_message_redelivered_with_other_text_is_kept_as_a_revision() {
    let deps = deps();
    handle(
        &deps,
        send(
            Gateway::RestV1,
            &message_with_id("m-1", "Hello"),
            Encoding::Text,
        ),
    )
    .await;
    let response = handle(
        &deps,
        send(
            Gateway::RestV1,
            &message_with_id("m-1", "Hello!"),
            Encoding::Text,
        ),
    )
    .await;
    assert_eq!(json_body(&response)["status"], "revision");
    assert_eq!(deps.store.message_count(), 1);
    assert_eq!(deps.store.revision_count(), 1);
}

#[tokio::test]
async fn a_message_without_usable_keys_gets_400_naming_them_and_is_quarantined() {
    let deps = deps();
    let mut message: Value = serde_json::from_str(MESSAGE).unwrap();
    message["message"]["createTimestamp"] = json!("yesterday");
    message["message"].as_object_mut().unwrap().remove("text");
    message["businessID"] = json!("");
    let body = serde_json::to_vec(&message).unwrap();
    let response = handle(&deps, send(Gateway::HttpV2, &body, Encoding::Text)).await;
    assert_eq!(response.status(), 400);
    let fields = json_body(&response)["fields"].clone();
    assert_eq!(
        fields,
        json!([
            {"path": "businessID", "reason": models::ids::ID_RULE},
            {"path": "message.createTimestamp", "reason": models::time::TIMESTAMP_RULE},
        ])
    );
    let quarantined = deps.store.quarantine_records();
    assert_eq!(quarantined[0].route, "message");
    assert_eq!(quarantined[0].raw, body);
    assert_eq!(deps.store.message_count(), 0);
}

#[tokio::test]
async fn a_message_with_a_numeric_time_and_no_text_is_stored_with_a_warning() {
    let deps = deps();
    let mut message: Value = serde_json::from_str(MESSAGE).unwrap();
    message["message"]["createTimestamp"] = json!(1498760294);
    message["message"].as_object_mut().unwrap().remove("text");
    let body = serde_json::to_vec(&message).unwrap();
    let response = handle(&deps, send(Gateway::RestV1, &body, Encoding::Base64)).await;
    assert_eq!(response.status(), 202, "its lead is not stored");
    let answer = json_body(&response);
    assert_eq!(answer["status"], "stored");
    assert_eq!(
        answer["warnings"],
        json!([{"path": "message.text", "reason": "is required"}])
    );
    assert_eq!(deps.store.message_count(), 1);
    assert!(deps.store.quarantine_records().is_empty());
}

#[tokio::test]
async fn a_message_without_credentials_gets_401() {
    let deps = deps();
    let request = post(
        Gateway::RestV1,
        "/v1/message",
        MESSAGE.as_bytes(),
        Encoding::Text,
        None,
    );
    let response = handle(&deps, request).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(deps.store.message_count(), 0);
}

#[tokio::test]
async fn a_message_for_a_stored_lead_is_answered_200() {
    let deps = deps();
    let lead = models::Lead::parse(fixtures::LEAD.as_bytes()).unwrap();
    app::ingest::store_parsed(&deps.store, &lead, fixtures::LEAD, 1)
        .await
        .unwrap();
    let response = handle(
        &deps,
        send(Gateway::HttpV2, MESSAGE.as_bytes(), Encoding::Text),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(&response)["leadKnown"], true);
    // The same message again: a duplicate, and the lead still known.
    let response = handle(
        &deps,
        send(Gateway::HttpV2, MESSAGE.as_bytes(), Encoding::Text),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(json_body(&response)["status"], "duplicate");
}
