//! The lead route on real API Gateway events (REST v1 and HTTP v2, text and base64 bodies) over
//! the in-memory store. The DynamoDB adapter is tested against the emulator in `tests/`.

use super::handle;
use app::auth::{Credential, StaticCredentials};
use app::memory::MemoryStore;
use app::metrics::Metrics;
use http_api::InboundDeps;
use http_api::testing::{Encoding, GATEWAYS, Gateway, basic, post};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

const LEAD: &str = include_str!("../../../../tests/fixtures/lead.json");

fn deps() -> InboundDeps<MemoryStore, StaticCredentials> {
    InboundDeps {
        store: MemoryStore::new(),
        credentials: StaticCredentials::new(&[Credential::new("thumbtack", "local-dev-password")]),
        metrics: Metrics::in_memory("test", "lead-inbound"),
    }
}

fn auth() -> Option<String> {
    Some(basic("thumbtack", "local-dev-password"))
}

fn send(
    gateway: Gateway,
    body: &[u8],
    encoding: Encoding,
    authorization: Option<&str>,
) -> lambda_http::Request {
    post(gateway, "/v1/lead", body, encoding, authorization)
}

fn json_body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("the answer is JSON")
}

#[tokio::test]
async fn a_valid_lead_is_stored_and_answered_200_on_every_gateway_and_encoding() {
    for gateway in GATEWAYS {
        for encoding in [Encoding::Text, Encoding::Base64] {
            let deps = deps();
            let response = handle(
                &deps,
                send(gateway, LEAD.as_bytes(), encoding, auth().as_deref()),
            )
            .await;
            assert_eq!(response.status(), 200, "{gateway:?} {encoding:?}");
            assert_eq!(
                json_body(&response),
                json!({"status": "stored", "leadID": "299614694480093245"})
            );
            assert_eq!(
                deps.store.lead_raw("299614694480093245").as_deref(),
                Some(LEAD),
                "the raw body is stored exactly as received"
            );
        }
    }
}

#[tokio::test]
async fn a_redelivered_lead_answers_200_and_is_stored_once() {
    let deps = deps();
    for expected in ["stored", "duplicate", "duplicate"] {
        let response = handle(
            &deps,
            send(
                Gateway::HttpV2,
                LEAD.as_bytes(),
                Encoding::Text,
                auth().as_deref(),
            ),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(json_body(&response)["status"], expected);
    }
    assert_eq!(deps.store.lead_count(), 1);
    assert_eq!(deps.store.revision_count(), 0);
}

#[tokio::test]
async fn a_redelivery_with_other_key_order_and_spacing_is_a_duplicate() {
    let deps = deps();
    let compact = serde_json::to_vec(&serde_json::from_str::<Value>(LEAD).unwrap()).unwrap();
    handle(
        &deps,
        send(
            Gateway::RestV1,
            LEAD.as_bytes(),
            Encoding::Text,
            auth().as_deref(),
        ),
    )
    .await;
    let response = handle(
        &deps,
        send(Gateway::RestV1, &compact, Encoding::Text, auth().as_deref()),
    )
    .await;
    assert_eq!(json_body(&response)["status"], "duplicate");
    assert_eq!(deps.store.revision_count(), 0);
}

#[tokio::test]
async fn a_redelivery_with_a_different_body_keeps_the_first_and_records_a_revision_once() {
    let deps = deps();
    let mut changed: Value = serde_json::from_str(LEAD).unwrap();
    changed["price"] = json!("$250");
    let changed = serde_json::to_vec(&changed).unwrap();
    handle(
        &deps,
        send(
            Gateway::HttpV2,
            LEAD.as_bytes(),
            Encoding::Text,
            auth().as_deref(),
        ),
    )
    .await;
    for _ in 0..3 {
        let response = handle(
            &deps,
            send(Gateway::HttpV2, &changed, Encoding::Text, auth().as_deref()),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(json_body(&response)["status"], "revision");
    }
    assert_eq!(
        deps.store.lead_raw("299614694480093245").as_deref(),
        Some(LEAD)
    );
    assert_eq!(deps.store.revision_count(), 1);
}

#[tokio::test]
async fn missing_malformed_or_wrong_credentials_get_401_with_a_basic_challenge_and_store_nothing() {
    let cases = [
        None,
        Some("Bearer abc".to_owned()),
        Some("Basic not-base64!".to_owned()),
        Some(basic("thumbtack", "wrong")),
        Some(basic("other", "local-dev-password")),
    ];
    for gateway in GATEWAYS {
        for authorization in &cases {
            let deps = deps();
            let response = handle(
                &deps,
                send(
                    gateway,
                    LEAD.as_bytes(),
                    Encoding::Text,
                    authorization.as_deref(),
                ),
            )
            .await;
            assert_eq!(response.status(), 401, "{authorization:?}");
            let challenge = response
                .headers()
                .get("www-authenticate")
                .unwrap()
                .to_str()
                .unwrap();
            assert!(challenge.starts_with("Basic realm="), "{challenge}");
            assert_eq!(json_body(&response)["error"], "unauthorized");
            assert_eq!(deps.store.lead_count(), 0);
            assert!(deps.store.quarantine_records().is_empty());
        }
    }
}

#[tokio::test]
async fn an_invalid_lead_gets_400_naming_every_field_and_is_quarantined() {
    let deps = deps();
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead["request"]["location"]["zipCode"] = json!("951");
    lead["request"]["details"][1]["answer"] = json!(4);
    lead.as_object_mut().unwrap().remove("customer");
    let body = serde_json::to_vec(&lead).unwrap();
    let response = handle(
        &deps,
        send(Gateway::HttpV2, &body, Encoding::Base64, auth().as_deref()),
    )
    .await;
    assert_eq!(response.status(), 400);
    let answer = json_body(&response);
    assert_eq!(answer["error"], "invalid_fields");
    let paths: Vec<&str> = answer["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "request.location.zipCode",
            "request.details[1].answer",
            "customer"
        ]
    );
    assert!(
        answer["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("five-digit")
    );

    let quarantined = deps.store.quarantine_records();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].route, "lead");
    assert_eq!(quarantined[0].raw, body);
    assert_eq!(quarantined[0].problems.len(), 3);
    assert_eq!(deps.store.lead_count(), 0);
}

#[tokio::test]
async fn the_same_invalid_body_twice_is_one_quarantine_record_with_two_deliveries() {
    let deps = deps();
    for _ in 0..2 {
        let response = handle(
            &deps,
            send(Gateway::RestV1, b"{}", Encoding::Text, auth().as_deref()),
        )
        .await;
        assert_eq!(response.status(), 400);
    }
    let quarantined = deps.store.quarantine_records();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].deliveries, 2);
}

#[tokio::test]
async fn empty_non_json_and_non_object_bodies_get_400_at_the_root() {
    let cases: [(&[u8], &str); 4] = [
        (b"", "empty_body"),
        (b"{\"leadID\":", "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_json"),
        (b"[1,2,3]", "not_an_object"),
    ];
    for (body, code) in cases {
        let deps = deps();
        let response = handle(
            &deps,
            send(Gateway::HttpV2, body, Encoding::Base64, auth().as_deref()),
        )
        .await;
        assert_eq!(response.status(), 400, "{body:?}");
        let answer = json_body(&response);
        assert_eq!(answer["error"], code);
        assert_eq!(answer["fields"][0]["path"], "$");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_stores_nothing() {
    let deps = deps();
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead["request"]["description"] = json!("x".repeat(http_api::MAX_BODY_BYTES));
    let body = serde_json::to_vec(&lead).unwrap();
    let response = handle(
        &deps,
        send(Gateway::RestV1, &body, Encoding::Text, auth().as_deref()),
    )
    .await;
    assert_eq!(response.status(), 413);
    assert_eq!(json_body(&response)["limitBytes"], http_api::MAX_BODY_BYTES);
    assert_eq!(deps.store.lead_count(), 0);
}

#[tokio::test]
async fn a_storage_fault_answers_503_without_internals_so_thumbtack_retries() {
    let deps = deps();
    deps.store.fail_all_calls(true);
    let response = handle(
        &deps,
        send(
            Gateway::HttpV2,
            LEAD.as_bytes(),
            Encoding::Text,
            auth().as_deref(),
        ),
    )
    .await;
    assert_eq!(response.status(), 503);
    let answer = json_body(&response);
    assert_eq!(answer["error"], "unavailable");
    assert!(
        !response_text(&response).contains("injected"),
        "no internals in the answer"
    );

    // Nor is an invalid payload answered 400 when it could not be quarantined.
    let response = handle(
        &deps,
        send(Gateway::HttpV2, b"{}", Encoding::Text, auth().as_deref()),
    )
    .await;
    assert_eq!(response.status(), 503);

    deps.store.fail_all_calls(false);
    let response = handle(
        &deps,
        send(
            Gateway::HttpV2,
            LEAD.as_bytes(),
            Encoding::Text,
            auth().as_deref(),
        ),
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "the retry succeeds once storage is back"
    );
}

#[tokio::test]
async fn unicode_and_newlines_are_stored_byte_for_byte() {
    let deps = deps();
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead["request"]["description"] = json!("Fenêtre cassée 🪟\r\nSecond line\t\"quoted\" \\ back");
    let body = serde_json::to_string_pretty(&lead).unwrap();
    let response = handle(
        &deps,
        send(
            Gateway::RestV1,
            body.as_bytes(),
            Encoding::Base64,
            auth().as_deref(),
        ),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(deps.store.lead_raw("299614694480093245"), Some(body));
}

fn response_text(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

#[tokio::test]
async fn each_delivery_counts_as_received_duplicate_or_quarantined_in_the_metrics() {
    let deps = deps();
    for body in [LEAD.as_bytes(), LEAD.as_bytes(), b"{}"] {
        handle(
            &deps,
            send(Gateway::HttpV2, body, Encoding::Text, auth().as_deref()),
        )
        .await;
    }
    let lines: Vec<Value> = deps
        .metrics
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["LeadsReceived"], 1.0);
    assert_eq!(lines[1]["Duplicates"], 1.0);
    assert_eq!(lines[1]["Route"], "lead");
    assert_eq!(lines[2]["Quarantined"], 1.0);
    assert_eq!(
        lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "test"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the body, the answer is 200 or a 4xx that names a field, never a 5xx.
        #[test]
        fn any_body_gets_200_or_a_4xx_naming_a_field(
            body in prop::collection::vec(any::<u8>(), 0..2048),
            base64 in any::<bool>(),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let response = runtime.block_on(async {
                let deps = deps();
                let encoding = if base64 { Encoding::Base64 } else { Encoding::Text };
                let body = if base64 { body.clone() } else { String::from_utf8_lossy(&body).into_owned().into_bytes() };
                handle(&deps, send(Gateway::HttpV2, &body, encoding, auth().as_deref())).await
            });
            let status = response.status().as_u16();
            prop_assert!(status == 200 || (400..500).contains(&status), "status {status}");
            if status == 400 {
                let answer = json_body(&response);
                prop_assert!(!answer["fields"].as_array().unwrap().is_empty());
                prop_assert!(answer["fields"][0]["path"].as_str().is_some());
            }
        }
    }
}
