//! The calls Thumbtack added to the contract (`PUT /v1/lead/update`, `POST /v1/review`) through
//! the Lambda handlers over the DynamoDB adapter: concurrency, order, redeliveries, hostile bodies.

use crate::support::*;
use adapters::DynamoStore;
use app::deps::InboundDeps;
use app::deps::ReadDeps;
use app::memory::StaticCredentials;
use app::ports::QuarantineDesk;
use http_api::testing::{Encoding, Gateway, basic, get_lead, send};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

const LEAD_2025: &str = fixtures::LEAD_2025;
const LEAD_ID: &str = "437282017264173057";
const REVIEW_ID: &str = "441190338474795011";

type Deps = InboundDeps<DynamoStore, StaticCredentials>;

async fn call(deps: &Deps, method: &str, path: &str, body: &[u8]) -> Response<Body> {
    let auth = basic(USERNAME, PASSWORD);
    let request = send(
        Gateway::RestV1,
        method,
        path,
        body,
        Encoding::Base64,
        Some(&auth),
    );
    if path.starts_with("/v1/lead") {
        lead_inbound::handler::handle(deps, request).await
    } else {
        message_inbound::handler::handle(deps, request).await
    }
}

fn update(price: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"leadID": LEAD_ID, "leadPrice": price, "chargeState": "Charged"}))
        .unwrap()
}

fn status_of(response: &Response<Body>) -> (u16, String) {
    let answer: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    let status = answer["status"].as_str().unwrap_or_default().to_owned();
    (response.status().as_u16(), status)
}

async fn view(store: &DynamoStore) -> Value {
    let deps = ReadDeps {
        store: store.clone(),
        pull: pull_settings(),
    };
    let response = partner_api::handler::handle(&deps, get_lead(Gateway::HttpV2, LEAD_ID)).await;
    assert_eq!(response.status(), 200);
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_identical_updates_at_the_same_moment_before_their_lead_are_stored_once() {
    let (table, deps) = inbound_deps().await;
    let body = update("$30.00");
    let calls = (0..10).map(|_| call(&deps, "PUT", "/v1/lead/update", &body));
    let answers: Vec<_> = futures::future::join_all(calls)
        .await
        .iter()
        .map(status_of)
        .collect();
    let stored = answers.iter().filter(|a| a.1 == "stored").count();
    assert_eq!(stored, 1, "{answers:?}");
    assert!(answers.iter().all(|a| a.0 == 202), "{answers:?}");
    assert_eq!(table.count_items_with_sk_prefix("UPD#").await, 1);

    let lead = call(&deps, "POST", "/v1/lead", LEAD_2025.as_bytes()).await;
    assert_eq!(lead.status(), 200);
    let view = view(&deps.store).await;
    assert_eq!(
        view["leadPrice"], "$30.00",
        "the update came after the lead was sent"
    );
    assert_eq!(view["priceUpdates"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_redelivered_older_update_does_not_take_the_price_back() {
    let (_, deps) = inbound_deps().await;
    assert_eq!(
        call(&deps, "POST", "/v1/lead", LEAD_2025.as_bytes())
            .await
            .status(),
        200
    );
    let (charged, refunded) = (update("$25.00"), update("$0.00"));
    for (body, expected) in [
        (&charged, "stored"),
        (&refunded, "stored"),
        (&charged, "duplicate"),
    ] {
        let answer = status_of(&call(&deps, "PUT", "/v1/lead/update", body).await);
        assert_eq!(answer, (200, expected.to_owned()));
        // Distinct arrival times, whatever the clock's resolution.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let view = view(&deps.store).await;
    assert_eq!(view["leadPrice"], "$0.00");
    let history: Vec<&str> = view["priceUpdates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["leadPrice"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["$25.00", "$0.00"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_review_before_its_lead_delivered_ten_times_at_once_shows_once_when_the_lead_arrives() {
    let (table, deps) = inbound_deps().await;
    let calls = (0..10).map(|_| call(&deps, "POST", "/v1/review", fixtures::REVIEW.as_bytes()));
    let answers: Vec<_> = futures::future::join_all(calls)
        .await
        .iter()
        .map(status_of)
        .collect();
    assert_eq!(
        answers.iter().filter(|a| a.1 == "stored").count(),
        1,
        "{answers:?}"
    );
    assert!(answers.iter().all(|a| a.0 == 200), "{answers:?}");
    let changed = with_field(fixtures::REVIEW, "/review/text", json!("Changed my mind."));
    let answer = status_of(&call(&deps, "POST", "/v1/review", changed.as_bytes()).await);
    assert_eq!(answer, (200, "revision".to_owned()));

    assert_eq!(
        call(&deps, "POST", "/v1/lead", LEAD_2025.as_bytes())
            .await
            .status(),
        200
    );
    let view = view(&table.store).await;
    let reviews = view["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "{view}");
    assert_eq!(reviews[0]["reviewID"], REVIEW_ID);
    assert_ne!(
        reviews[0]["text"], "Changed my mind.",
        "the first delivery is the record"
    );
}

#[tokio::test]
async fn hostile_bodies_on_the_new_routes_get_a_bounded_4xx_and_are_kept_in_quarantine() {
    let (_, deps) = inbound_deps().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge_price = format!(
        r#"{{"leadID": "{LEAD_ID}", "leadPrice": "{}"}}"#,
        "9".repeat(300_000)
    );
    let mut not_utf8 = br#"{"leadID": "1", "x": ""#.to_vec();
    not_utf8.extend_from_slice(&[0xff, 0xfe]);
    not_utf8.extend_from_slice(br#""}"#);
    let bodies: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("PUT", "/v1/lead/update", deep.clone().into_bytes(), 400),
        ("POST", "/v1/review", deep.into_bytes(), 400),
        ("PUT", "/v1/lead/update", huge_price.into_bytes(), 413),
        ("PUT", "/v1/lead/update", not_utf8, 400),
        (
            "PUT",
            "/v1/lead/update",
            br#"{"leadID": null}"#.to_vec(),
            400,
        ),
        ("POST", "/v1/review", br#"{"review": []}"#.to_vec(), 400),
        (
            "POST",
            "/v1/review",
            br#"{"review": {"reviewID": "1"}}"#.to_vec(),
            400,
        ),
        ("POST", "/v1/review", b"[1, 2, 3]".to_vec(), 400),
    ];
    for (method, path, body, expected) in &bodies {
        let response = call(&deps, method, path, body).await;
        assert_eq!(
            response.status(),
            *expected,
            "{path} {}",
            String::from_utf8_lossy(&body[..40.min(body.len())])
        );
        let answer: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert!(
            response.body().len() < 16 * 1024,
            "bounded: {} bytes",
            response.body().len()
        );
        if *expected == 400 {
            assert!(answer["fields"][0]["path"].is_string(), "{answer}");
        }
    }
    let kept = deps.store.list_quarantine(100, None).await.unwrap().items;
    assert_eq!(kept.len(), bodies.len());
    for (method, path, body, _) in &bodies {
        let route = if *method == "PUT" {
            "lead-update"
        } else {
            "review"
        };
        assert!(
            kept.iter().any(|k| k.route == route && k.raw == *body),
            "{path}: kept byte for byte"
        );
    }
}

#[tokio::test]
async fn an_update_without_a_price_leaves_the_stored_price_and_null_clears_it() {
    let (_, deps) = inbound_deps().await;
    let deps = &deps;
    let put = |body: Value| async move {
        let body = serde_json::to_vec(&body).unwrap();
        status_of(&call(deps, "PUT", "/v1/lead/update", &body).await)
    };
    // Two updates before the lead: it takes the price of the first and the charge of the second.
    for body in [
        json!({"leadID": LEAD_ID, "leadPrice": "$31.50", "chargeState": "Charged"}),
        json!({"leadID": LEAD_ID, "chargeState": "Refunded"}),
    ] {
        assert_eq!(put(body).await, (202, "stored".to_owned()));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let lead = call(deps, "POST", "/v1/lead", LEAD_2025.as_bytes()).await;
    assert_eq!(lead.status(), 200);
    let shown = view(&deps.store).await;
    assert_eq!(
        (&shown["leadPrice"], &shown["chargeState"]),
        (&json!("$31.50"), &json!("Refunded"))
    );
    for (body, price, charge) in [
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
            json!({"leadID": LEAD_ID, "chargeState": "Charged"}),
            Value::Null,
            json!("Charged"),
        ),
    ] {
        assert_eq!(
            put(body.clone()).await,
            (200, "stored".to_owned()),
            "{body}"
        );
        let shown = view(&deps.store).await;
        assert_eq!(
            (&shown["leadPrice"], &shown["chargeState"]),
            (&price, &charge),
            "after {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn updates_applied_out_of_order_keep_the_newest_value_of_each_field() {
    use app::ports::{LeadStore, Price};
    use models::Patch;
    let (_, deps) = inbound_deps().await;
    let lead = call(&deps, "POST", "/v1/lead", LEAD_2025.as_bytes()).await;
    assert_eq!(lead.status(), 200);
    // Stored in this order: a price and a charge (at 1), a refund that gives the charge only (at
    // 2); applied the other way round, as a first delivery that stopped between its writes and
    // is redelivered would.
    let refund = Price {
        lead_price: Patch::Unchanged,
        charge_state: Patch::Set("Refunded"),
        at_ms: 2,
    };
    let first = Price {
        lead_price: Patch::Set("$31.50"),
        charge_state: Patch::Set("Charged"),
        at_ms: 1,
    };
    for price in [refund, first] {
        assert!(deps.store.apply_price(LEAD_ID, price).await.unwrap());
    }
    let shown = view(&deps.store).await;
    assert_eq!(
        (&shown["leadPrice"], &shown["chargeState"]),
        (&json!("$31.50"), &json!("Refunded"))
    );
    let cleared = Price {
        lead_price: Patch::Cleared,
        charge_state: Patch::Unchanged,
        at_ms: 3,
    };
    assert!(deps.store.apply_price(LEAD_ID, cleared).await.unwrap());
    let shown = view(&deps.store).await;
    assert_eq!(
        (&shown["leadPrice"], &shown["chargeState"]),
        (&Value::Null, &json!("Refunded"))
    );
    // Nothing given: nothing set, and the lead is known (an unknown one is not).
    let nothing = Price {
        lead_price: Patch::Unchanged,
        charge_state: Patch::Unchanged,
        at_ms: 4,
    };
    assert!(deps.store.apply_price(LEAD_ID, nothing).await.unwrap());
    assert!(
        !deps
            .store
            .apply_price("no-such-lead", nothing)
            .await
            .unwrap()
    );
}
