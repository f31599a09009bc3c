//! The v4 webhook route (`POST /v4/webhooks/{businessID}`) on real API Gateway events (REST v1 and
//! HTTP v2, text and base64 bodies) over the in-memory store: who may deliver, and the answers.

use super::handle;
use app::connections::secret_hash;
use app::deps::InboundDeps;
use app::memory::{MemoryStore, StaticCredentials};
use app::metrics::Metrics;
use http_api::testing::{Encoding, GATEWAYS, basic, post_webhook};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

const BUSINESS: &str = "586100000000000001";
const SECRET: &str = "the-webhook-secret";

fn deps() -> InboundDeps<MemoryStore, StaticCredentials> {
    let store = MemoryStore::new();
    store.register_webhook(BUSINESS, &secret_hash(SECRET));
    InboundDeps {
        store,
        credentials: StaticCredentials::new(&[app::auth::Credential::new("thumbtack", SECRET)]),
        metrics: Metrics::in_memory("test", "lead-inbound"),
    }
}

fn json_body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("the answer is JSON")
}

#[tokio::test]
async fn a_v4_lead_with_its_webhook_secret_is_stored_through_either_gateway_and_encoding() {
    let deps = deps();
    let body = fixtures::v4::NEGOTIATION_CREATED.as_bytes();
    let mut statuses = Vec::new();
    for gateway in GATEWAYS {
        for encoding in [Encoding::Text, Encoding::Base64] {
            let request = post_webhook(gateway, BUSINESS, body, encoding, Some(SECRET));
            let response = handle(&deps, request).await;
            assert_eq!(response.status(), 200, "{gateway:?} {encoding:?}");
            let answer = json_body(&response);
            assert_eq!(answer["leadID"], "587700000000000100");
            statuses.push(answer["status"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(statuses, ["stored", "duplicate", "duplicate", "duplicate"]);
}

#[tokio::test]
async fn a_wrong_or_missing_secret_and_an_unknown_business_get_the_same_bare_401() {
    let deps = deps();
    let body = fixtures::v4::NEGOTIATION_CREATED.as_bytes();
    let basic_credential = basic("thumbtack", SECRET);
    let cases = [
        post_webhook(GATEWAYS[0], BUSINESS, body, Encoding::Text, Some("wrong")),
        post_webhook(GATEWAYS[1], BUSINESS, body, Encoding::Text, None),
        post_webhook(GATEWAYS[1], "999", body, Encoding::Text, Some(SECRET)),
        // Legacy's Basic credential opens no v4 webhook.
        http_api::testing::post(
            GATEWAYS[1],
            &format!("/v4/webhooks/{BUSINESS}"),
            body,
            Encoding::Text,
            Some(&basic_credential),
        ),
    ];
    let mut answers = Vec::new();
    for request in cases {
        let response = handle(&deps, request).await;
        assert_eq!(response.status(), 401);
        assert!(response.headers().get("www-authenticate").is_none());
        answers.push(json_body(&response));
    }
    assert!(
        answers
            .iter()
            .all(|a| *a == json!({"error": "unauthorized"})),
        "{answers:?}"
    );
    assert!(deps.store.quarantine_records().is_empty());
}

#[tokio::test]
async fn a_delivery_without_its_key_is_a_400_naming_the_path_and_an_unknown_event_a_200() {
    let deps = deps();
    let mut lead: Value = serde_json::from_str(fixtures::v4::NEGOTIATION_CREATED).unwrap();
    lead["data"]
        .as_object_mut()
        .unwrap()
        .remove("negotiationID");
    let request = post_webhook(
        GATEWAYS[1],
        BUSINESS,
        lead.to_string().as_bytes(),
        Encoding::Text,
        Some(SECRET),
    );
    let response = handle(&deps, request).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        json_body(&response)["fields"][0]["path"],
        "data.negotiationID"
    );

    let unknown = json!({"event": {"eventType": "PresetJobMatchedV4"}, "data": {}}).to_string();
    let request = post_webhook(
        GATEWAYS[0],
        BUSINESS,
        unknown.as_bytes(),
        Encoding::Base64,
        Some(SECRET),
    );
    let response = handle(&deps, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        json_body(&response),
        json!({"status": "kept", "eventType": "PresetJobMatchedV4", "reason": "unknown-event-type"})
    );
    assert_eq!(deps.store.quarantine_records().len(), 2);
}

#[tokio::test]
async fn a_storage_fault_is_answered_503_so_that_thumbtack_sends_it_again() {
    let deps = deps();
    deps.store.fail_all_calls(true);
    let request = post_webhook(
        GATEWAYS[1],
        BUSINESS,
        fixtures::v4::NEGOTIATION_CREATED.as_bytes(),
        Encoding::Text,
        Some(SECRET),
    );
    assert_eq!(handle(&deps, request).await.status(), 503);
}
