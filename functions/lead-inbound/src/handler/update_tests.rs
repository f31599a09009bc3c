//! `PUT /v1/lead/update` on real API Gateway events over the in-memory store.

use super::handle;
use app::auth::Credential;
use app::conversation;
use app::deps::InboundDeps;
use app::memory::{MemoryStore, StaticCredentials};
use app::metrics::Metrics;
use http_api::testing::{Encoding, GATEWAYS, Gateway, basic, send};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

const LEAD: &str = fixtures::LEAD_2025;
const UPDATE: &str = fixtures::LEAD_UPDATE;
const LEAD_ID: &str = "437282017264173057";

fn deps() -> InboundDeps<MemoryStore, StaticCredentials> {
    InboundDeps {
        store: MemoryStore::new(),
        credentials: StaticCredentials::new(&[Credential::new("thumbtack", "pw")]),
        metrics: Metrics::in_memory("test", "lead-inbound"),
    }
}

fn put_update(gateway: Gateway, body: &[u8], encoding: Encoding) -> lambda_http::Request {
    let auth = basic("thumbtack", "pw");
    send(
        gateway,
        "PUT",
        "/v1/lead/update",
        body,
        encoding,
        Some(&auth),
    )
}

fn post_lead(body: &str) -> lambda_http::Request {
    let auth = basic("thumbtack", "pw");
    let (gateway, text) = (Gateway::HttpV2, Encoding::Text);
    send(
        gateway,
        "POST",
        "/v1/lead",
        body.as_bytes(),
        text,
        Some(&auth),
    )
}

fn update(price: &str, charge: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"leadID": LEAD_ID, "leadPrice": price, "chargeState": charge}))
        .unwrap()
}

fn json_body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("the answer is JSON")
}

async fn view(deps: &InboundDeps<MemoryStore, StaticCredentials>) -> Value {
    let view = conversation::view(&deps.store, LEAD_ID).await.unwrap();
    serde_json::to_value(view.expect("the lead is stored")).unwrap()
}

#[tokio::test]
async fn an_update_for_a_stored_lead_is_answered_200_and_sets_its_price_on_every_gateway() {
    for gateway in GATEWAYS {
        for encoding in [Encoding::Text, Encoding::Base64] {
            let deps = deps();
            assert_eq!(handle(&deps, post_lead(LEAD)).await.status(), 200);
            let body = update("$31.50", json!("Refunded"));
            let response = handle(&deps, put_update(gateway, &body, encoding)).await;
            assert_eq!(response.status(), 200, "{gateway:?} {encoding:?}");
            assert_eq!(
                json_body(&response),
                json!({"status": "stored", "leadID": LEAD_ID, "leadKnown": true})
            );
            let view = view(&deps).await;
            assert_eq!(view["leadPrice"], "$31.50");
            assert_eq!(view["chargeState"], "Refunded");
            assert_eq!(view["priceUpdates"].as_array().unwrap().len(), 1);
        }
    }
}

#[tokio::test]
async fn an_update_before_its_lead_is_answered_202_and_shows_once_the_lead_arrives() {
    let deps = deps();
    let body = update("$40.00", json!("Charged"));
    let response = handle(&deps, put_update(Gateway::RestV1, &body, Encoding::Text)).await;
    assert_eq!(response.status(), 202);
    assert_eq!(json_body(&response)["leadKnown"], false);
    assert!(
        conversation::view(&deps.store, LEAD_ID)
            .await
            .unwrap()
            .is_none()
    );

    // The lead itself says $25.00; the update came later in Thumbtack's time and wins.
    assert_eq!(handle(&deps, post_lead(LEAD)).await.status(), 200);
    let view = view(&deps).await;
    assert_eq!(view["leadPrice"], "$40.00");
    assert_eq!(view["priceUpdates"][0]["leadPrice"], "$40.00");
}

#[tokio::test]
async fn a_redelivered_update_is_a_duplicate_and_a_different_one_is_another_price() {
    let deps = deps();
    assert_eq!(handle(&deps, post_lead(LEAD)).await.status(), 200);
    let first = update("$25.00", Value::Null);
    for expected in ["stored", "duplicate"] {
        let response = handle(&deps, put_update(Gateway::HttpV2, &first, Encoding::Text)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(json_body(&response)["status"], expected);
    }
    // The later update wins by its arrival time: a millisecond apart at least.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let refunded = update("$0.00", json!("Refunded"));
    let response = handle(
        &deps,
        put_update(Gateway::HttpV2, &refunded, Encoding::Text),
    )
    .await;
    assert_eq!(json_body(&response)["status"], "stored");

    let view = view(&deps).await;
    assert_eq!(view["priceUpdates"].as_array().unwrap().len(), 2);
    assert_eq!(view["leadPrice"], "$0.00");
    assert_eq!(view["chargeState"], "Refunded");
    assert_eq!(view["revisions"], json!([]), "an update is not a revision");
}

#[tokio::test]
async fn an_update_without_a_usable_lead_id_gets_400_naming_it_and_is_quarantined() {
    let deps = deps();
    let body = br#"{"leadID": "not an id!", "leadPrice": "$1"}"#;
    let response = handle(&deps, put_update(Gateway::HttpV2, body, Encoding::Text)).await;
    assert_eq!(response.status(), 400);
    let answer = json_body(&response);
    assert_eq!(answer["fields"][0]["path"], "leadID", "{answer}");
    let kept = deps.store.quarantine_records();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].route, "lead-update");
    assert_eq!(kept[0].raw, body);
}

#[tokio::test]
async fn an_update_with_a_price_of_the_wrong_type_is_kept_with_a_warning() {
    let deps = deps();
    let body = serde_json::to_vec(&json!({"leadID": LEAD_ID, "leadPrice": 25})).unwrap();
    let response = handle(&deps, put_update(Gateway::HttpV2, &body, Encoding::Text)).await;
    assert_eq!(response.status(), 202);
    let answer = json_body(&response);
    assert_eq!(answer["warnings"][0]["path"], "leadPrice", "{answer}");
}

#[tokio::test]
async fn an_update_without_credentials_gets_401_and_stores_nothing() {
    let deps = deps();
    let request = send(
        Gateway::HttpV2,
        "PUT",
        "/v1/lead/update",
        UPDATE.as_bytes(),
        Encoding::Text,
        None,
    );
    let response = handle(&deps, request).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic realm="), "{challenge}");
    assert!(deps.store.quarantine_records().is_empty());
}

#[tokio::test]
async fn an_update_without_a_field_leaves_it_as_it_was_and_null_clears_it() {
    let deps = deps();
    let put = |body: Value| {
        let body = serde_json::to_vec(&body).unwrap();
        handle(&deps, put_update(Gateway::HttpV2, &body, Encoding::Text))
    };
    assert_eq!(handle(&deps, post_lead(LEAD)).await.status(), 200);
    for (body, price, charge) in [
        (
            json!({"leadID": LEAD_ID, "leadPrice": "$31.50", "chargeState": "Charged"}),
            json!("$31.50"),
            json!("Charged"),
        ),
        (
            json!({"leadID": LEAD_ID, "chargeState": "Refunded"}),
            json!("$31.50"),
            json!("Refunded"),
        ),
        (
            json!({"leadID": LEAD_ID, "leadPrice": "$12.00"}),
            json!("$12.00"),
            json!("Refunded"),
        ),
        (
            json!({"leadID": LEAD_ID, "leadPrice": null}),
            Value::Null,
            json!("Refunded"),
        ),
        (
            json!({"leadID": LEAD_ID, "chargeState": null}),
            Value::Null,
            Value::Null,
        ),
    ] {
        let response = put(body.clone()).await;
        assert_eq!(response.status(), 200, "{body}");
        assert_eq!(json_body(&response).get("warnings"), None, "{body}");
        let view = view(&deps).await;
        assert_eq!(
            (&view["leadPrice"], &view["chargeState"]),
            (&price, &charge),
            "after {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
}

#[tokio::test]
async fn a_lead_after_its_updates_takes_from_each_the_fields_it_gave() {
    let deps = deps();
    for body in [
        json!({"leadID": LEAD_ID, "leadPrice": "$31.50", "chargeState": "Charged"}),
        json!({"leadID": LEAD_ID, "chargeState": "Refunded"}),
    ] {
        let body = serde_json::to_vec(&body).unwrap();
        let response = handle(&deps, put_update(Gateway::RestV1, &body, Encoding::Text)).await;
        assert_eq!(response.status(), 202);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    assert_eq!(handle(&deps, post_lead(LEAD)).await.status(), 200);
    let view = view(&deps).await;
    assert_eq!(view["leadPrice"], "$31.50");
    assert_eq!(view["chargeState"], "Refunded");
}
