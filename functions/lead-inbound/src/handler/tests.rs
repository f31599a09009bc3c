//! The lead route on real API Gateway events (REST v1 and HTTP v2, text and base64 bodies) over
//! the in-memory store. The DynamoDB adapter is tested against the emulator in `tests/`.

use super::handle;
use app::auth::Credential;
use app::deps::InboundDeps;
use app::memory::MemoryStore;
use app::memory::StaticCredentials;
use app::metrics::Metrics;
use http_api::testing::{Encoding, GATEWAYS, Gateway, basic, post};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

const LEAD: &str = fixtures::LEAD;

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
async fn a_lead_with_unusable_fields_is_stored_with_warnings_and_answered_200() {
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
    assert_eq!(response.status(), 200);
    let answer = json_body(&response);
    assert_eq!(answer["status"], "stored");
    let paths: Vec<&str> = answer["warnings"]
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
    assert_eq!(answer["warningCount"], 3);
    let raw = String::from_utf8(body).unwrap();
    assert_eq!(deps.store.lead_raw("299614694480093245"), Some(raw));
    let stored = deps.store.lead_warnings("299614694480093245").unwrap();
    assert_eq!(stored.paths(), paths);
    assert!(deps.store.quarantine_records().is_empty());
}

#[tokio::test]
async fn a_real_2025_lead_with_a_zip_plus_four_and_empty_strings_is_stored() {
    let deps = deps();
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead["request"]["location"]["zipCode"] = json!("95125-1234");
    lead["request"]["location"]["address1"] = json!("");
    lead["request"]["description"] = json!("");
    lead["request"]["title"] = json!("");
    let body = serde_json::to_vec(&lead).unwrap();
    let response = handle(
        &deps,
        send(Gateway::RestV1, &body, Encoding::Text, auth().as_deref()),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(deps.store.lead_count(), 1);
    let stored = deps.store.lead_warnings("299614694480093245").unwrap();
    assert_eq!(stored.paths(), ["request.title"], "a ZIP+4 is a ZIP code");
}

#[tokio::test]
async fn a_lead_without_usable_keys_gets_400_naming_them_and_is_quarantined() {
    let deps = deps();
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead.as_object_mut().unwrap().remove("leadID");
    lead["business"]["businessID"] = json!(5);
    lead["request"]["location"]["zipCode"] = json!("951");
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
    assert_eq!(paths, ["leadID", "business.businessID"]);
    assert_eq!(answer["fieldCount"], 2);

    let quarantined = deps.store.quarantine_records();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].route, "lead");
    assert_eq!(quarantined[0].raw, body);
    assert_eq!(quarantined[0].problems.total(), 2);
    assert_eq!(deps.store.lead_count(), 0);
}

#[tokio::test]
async fn invalid_utf8_in_an_unknown_field_is_answered_400_and_kept_in_quarantine_byte_for_byte() {
    // The typed parse skips unknown strings without checking them: this was answered 400 and
    // neither stored nor quarantined.
    let mut body = b"{\"extra\": \"caf\xE9\", ".to_vec();
    body.extend_from_slice(&LEAD.as_bytes()[1..]);
    for gateway in GATEWAYS {
        let deps = deps();
        let response = handle(
            &deps,
            send(gateway, &body, Encoding::Base64, auth().as_deref()),
        )
        .await;
        assert_eq!(response.status(), 400, "{gateway:?}");
        assert_eq!(json_body(&response)["error"], "invalid_json");
        let quarantined = deps.store.quarantine_records();
        assert_eq!(quarantined.len(), 1, "{gateway:?}");
        assert_eq!(quarantined[0].raw, body);
        assert_eq!(deps.store.lead_count(), 0);
    }
}

#[tokio::test]
async fn a_body_with_a_hundred_thousand_problems_gets_a_bounded_answer() {
    // 240 KB of `details: [1, 1, ...]` once made a 7.5 MB answer, over Lambda's 6 MB limit.
    let deps = deps();
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead["request"]["details"] = Value::Array(vec![json!(1); 118_000]);
    let body = serde_json::to_vec(&lead).unwrap();
    assert!(body.len() > 230_000 && body.len() <= http_api::MAX_BODY_BYTES);
    let response = handle(
        &deps,
        send(Gateway::RestV1, &body, Encoding::Text, auth().as_deref()),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.body().len() < 16 * 1024,
        "{} bytes",
        response.body().len()
    );
    let answer = json_body(&response);
    assert_eq!(answer["warningCount"], 118_000);
    assert_eq!(
        answer["warnings"].as_array().unwrap().len(),
        models::MAX_LISTED_PROBLEMS
    );
    let stored = deps.store.lead_warnings("299614694480093245").unwrap();
    assert_eq!(stored.total(), 118_000);
    assert_eq!(stored.listed().len(), models::MAX_LISTED_PROBLEMS);
}

#[tokio::test]
async fn a_lead_the_store_refuses_as_too_large_gets_413_and_is_quarantined_not_a_5xx() {
    let deps = deps();
    deps.store.refuse_as_too_large(true);
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
    assert_eq!(response.status(), 413);
    let quarantined = deps.store.quarantine_records();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].raw, LEAD.as_bytes());
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
async fn a_body_over_the_limit_gets_413_is_kept_in_quarantine_and_stores_no_lead() {
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
    let quarantined = deps.store.quarantine_records();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].raw, body);
    assert_eq!(quarantined[0].problems.paths(), ["$"]);

    // Not kept, not answered 413: Thumbtack must send it again.
    deps.store.fail_all_calls(true);
    let response = handle(
        &deps,
        send(Gateway::RestV1, &body, Encoding::Text, auth().as_deref()),
    )
    .await;
    assert_eq!(response.status(), 503);
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
    let warned = LEAD
        .replace("\"95125\"", "\"9512\"")
        .replace("299614694480093245", "l-2");
    for body in [LEAD.as_bytes(), LEAD.as_bytes(), b"{}", warned.as_bytes()] {
        handle(
            &deps,
            send(Gateway::HttpV2, body, Encoding::Text, auth().as_deref()),
        )
        .await;
    }
    handle(
        &deps,
        send(
            Gateway::HttpV2,
            LEAD.as_bytes(),
            Encoding::Text,
            Some(&basic("thumbtack", "wrong")),
        ),
    )
    .await;
    let lines: Vec<Value> = deps
        .metrics
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["LeadsReceived"], 1.0);
    assert_eq!(lines[1]["Duplicates"], 1.0);
    assert_eq!(lines[1]["Route"], "lead");
    assert_eq!(lines[2]["Quarantined"], 1.0);
    assert_eq!(lines[3]["LeadsReceived"], 1.0);
    assert_eq!(lines[4]["Warnings"], 1.0);
    assert_eq!(lines[4]["Route"], "lead");
    assert_eq!(lines[5]["AuthFailures"], 1.0);
    assert_eq!(lines[5]["Route"], "lead");
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

        /// Whatever the body, the answer is 200 (and the lead is stored) or a 4xx that names a
        /// field (and the body is in quarantine byte for byte), never a 5xx.
        #[test]
        fn any_body_is_stored_or_quarantined_and_answered_200_or_a_4xx_naming_a_field(
            body in prop::collection::vec(any::<u8>(), 0..2048),
            base64 in any::<bool>(),
        ) {
            // With timers: a refused body is counted under a time bound (app::refusals::note).
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let deps = deps();
            let body = if base64 { body.clone() } else { String::from_utf8_lossy(&body).into_owned().into_bytes() };
            let response = runtime.block_on(async {
                let encoding = if base64 { Encoding::Base64 } else { Encoding::Text };
                handle(&deps, send(Gateway::HttpV2, &body, encoding, auth().as_deref())).await
            });
            let status = response.status().as_u16();
            prop_assert!(status == 200 || (400..500).contains(&status), "status {status}");
            if status == 200 {
                prop_assert_eq!(deps.store.lead_count(), 1);
            } else {
                let answer = json_body(&response);
                prop_assert!(!answer["fields"].as_array().unwrap().is_empty());
                prop_assert!(answer["fields"][0]["path"].as_str().is_some());
                let quarantined = deps.store.quarantine_records();
                prop_assert_eq!(quarantined.len(), 1);
                prop_assert_eq!(&quarantined[0].raw, &body);
            }
        }
    }
}

#[tokio::test]
async fn a_route_of_the_table_that_is_not_this_function_s_is_not_found_and_stores_nothing() {
    for gateway in GATEWAYS {
        let deps = deps();
        // Another function's delivery, and a lead's path with a method the table does not give it.
        for request in [
            post(
                gateway,
                "/v1/message",
                LEAD.as_bytes(),
                Encoding::Text,
                auth().as_deref(),
            ),
            http_api::testing::send(
                gateway,
                "PUT",
                "/v1/lead",
                LEAD.as_bytes(),
                Encoding::Text,
                auth().as_deref(),
            ),
        ] {
            let response = handle(&deps, request).await;
            assert_eq!(response.status(), 404, "{gateway:?}");
            assert_eq!(json_body(&response), json!({"error": "not_found"}));
        }
        assert_eq!(deps.store.lead_raw("299614694480093245"), None);
    }
}
