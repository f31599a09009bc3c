//! `POST /v1/review` on real API Gateway events over the in-memory store.

use super::handle;
use app::auth::Credential;
use app::conversation;
use app::deps::InboundDeps;
use app::memory::{MemoryStore, StaticCredentials};
use app::metrics::Metrics;
use http_api::testing::{Encoding, GATEWAYS, Gateway, basic, post};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

const REVIEW: &str = fixtures::REVIEW;
const REVIEW_ID: &str = "441190338474795011";
const LEAD_ID: &str = "437282017264173057";

fn deps() -> InboundDeps<MemoryStore, StaticCredentials> {
    InboundDeps {
        store: MemoryStore::new(),
        credentials: StaticCredentials::new(&[Credential::new("thumbtack", "pw")]),
        metrics: Metrics::in_memory("test", "message-inbound"),
    }
}

fn send(gateway: Gateway, path: &str, body: &[u8], encoding: Encoding) -> lambda_http::Request {
    post(
        gateway,
        path,
        body,
        encoding,
        Some(&basic("thumbtack", "pw")),
    )
}

fn review(pointer: &str, value: Value) -> Vec<u8> {
    let mut review: Value = serde_json::from_str(REVIEW).unwrap();
    *review.pointer_mut(pointer).expect("the field exists") = value;
    serde_json::to_vec(&review).unwrap()
}

fn json_body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("the answer is JSON")
}

/// The lead route is another function's; its store is the same table.
async fn post_lead(deps: &InboundDeps<MemoryStore, StaticCredentials>) {
    let stored = app::ingest::ingest::<models::Lead, _>(
        &deps.store,
        &deps.metrics,
        fixtures::LEAD_2025.as_bytes(),
        0,
    )
    .await
    .unwrap();
    assert_eq!(stored.parsed.value.lead_id, LEAD_ID);
}

async fn view(deps: &InboundDeps<MemoryStore, StaticCredentials>) -> Value {
    let view = conversation::view(&deps.store, LEAD_ID).await.unwrap();
    serde_json::to_value(view.expect("the lead is stored")).unwrap()
}

#[tokio::test]
async fn a_review_is_stored_and_answered_200_on_every_gateway_and_encoding() {
    for gateway in GATEWAYS {
        for encoding in [Encoding::Text, Encoding::Base64] {
            let deps = deps();
            let response = handle(
                &deps,
                send(gateway, "/v1/review", REVIEW.as_bytes(), encoding),
            )
            .await;
            assert_eq!(response.status(), 200, "{gateway:?} {encoding:?}");
            assert_eq!(
                json_body(&response),
                json!({"status": "stored", "leadID": LEAD_ID, "reviewID": REVIEW_ID})
            );
            assert_eq!(deps.store.message_count(), 0, "a review is not a message");
        }
    }
}

#[tokio::test]
async fn a_review_of_a_lead_shows_in_its_conversation_whichever_came_first() {
    for review_first in [true, false] {
        let deps = deps();
        let request = || {
            send(
                Gateway::HttpV2,
                "/v1/review",
                REVIEW.as_bytes(),
                Encoding::Text,
            )
        };
        if review_first {
            assert_eq!(handle(&deps, request()).await.status(), 200);
            post_lead(&deps).await;
        } else {
            post_lead(&deps).await;
            assert_eq!(handle(&deps, request()).await.status(), 200);
        }
        let view = view(&deps).await;
        let reviews = view["reviews"].as_array().unwrap();
        assert_eq!(reviews.len(), 1, "review first: {review_first}");
        assert_eq!(reviews[0]["reviewID"], REVIEW_ID);
        assert_eq!(reviews[0]["rating"], 5);
        assert_eq!(reviews[0]["photoCount"], 1);
    }
}

#[tokio::test]
async fn a_redelivered_review_is_a_duplicate_and_a_changed_one_a_revision() {
    let deps = deps();
    post_lead(&deps).await;
    let changed = review("/review/rating", json!(4));
    for (body, expected) in [
        (REVIEW.as_bytes().to_vec(), "stored"),
        (REVIEW.as_bytes().to_vec(), "duplicate"),
        (changed.clone(), "revision"),
        (changed, "revision"),
    ] {
        let response = handle(
            &deps,
            send(Gateway::RestV1, "/v1/review", &body, Encoding::Text),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(json_body(&response)["status"], expected);
    }
    let view = view(&deps).await;
    assert_eq!(view["reviews"].as_array().unwrap().len(), 1);
    assert_eq!(view["reviews"][0]["rating"], 5, "the first is the record");
    assert_eq!(
        deps.store.revision_count(),
        1,
        "the same revision is kept once"
    );
    // The revision belongs to the review, not to the lead's conversation.
    assert_eq!(view["revisions"], json!([]));
}

#[tokio::test]
async fn a_review_without_its_keys_gets_400_naming_them_and_is_quarantined() {
    let deps = deps();
    let body = review("/review/reviewID", json!(441190338474795011_u64));
    let body = serde_json::to_vec(&{
        let mut value: Value = serde_json::from_slice(&body).unwrap();
        value["review"]
            .as_object_mut()
            .unwrap()
            .remove("businessID");
        value
    })
    .unwrap();
    let response = handle(
        &deps,
        send(Gateway::HttpV2, "/v1/review", &body, Encoding::Text),
    )
    .await;
    assert_eq!(response.status(), 400);
    let answer = json_body(&response);
    let paths: Vec<&str> = answer["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["review.reviewID", "review.businessID"], "{answer}");
    let kept = deps.store.quarantine_records();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].route, "review");
    assert_eq!(kept[0].raw, body);
}

#[tokio::test]
async fn a_review_of_no_lead_or_with_a_bad_rating_is_kept_and_says_so() {
    let deps = deps();
    let mut value: Value = serde_json::from_str(REVIEW).unwrap();
    value["review"].as_object_mut().unwrap().remove("leadID");
    value["review"]["rating"] = json!("five");
    let body = serde_json::to_vec(&value).unwrap();
    let response = handle(
        &deps,
        send(Gateway::HttpV2, "/v1/review", &body, Encoding::Base64),
    )
    .await;
    assert_eq!(response.status(), 200);
    let answer = json_body(&response);
    assert_eq!(answer["status"], "stored");
    assert!(answer.get("leadID").is_none(), "{answer}");
    assert_eq!(answer["warnings"][0]["path"], "review.rating", "{answer}");
}
