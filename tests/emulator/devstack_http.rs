//! The local stack's HTTP front over real sockets: the router `make dev` serves, on an ephemeral
//! loopback port.

use crate::support::*;
use std::sync::Arc;
use tools::devstack::{Stack, router};

async fn serve() -> String {
    let stack = Stack::new(fresh_store().await, credentials());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(stack))).await });
    base
}

#[tokio::test]
async fn the_local_routes_store_and_read_back_a_lead_and_its_message() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let lead = http
        .post(format!("{base}/v1/lead"))
        .basic_auth(USERNAME, Some(PASSWORD))
        .header("content-type", "application/json")
        .body(LEAD)
        .send()
        .await
        .unwrap();
    assert_eq!(lead.status(), 200);
    let message = http
        .post(format!("{base}/v1/message"))
        .basic_auth(USERNAME, Some(PASSWORD))
        .body(MESSAGE)
        .send()
        .await
        .unwrap();
    assert_eq!(message.status(), 200);

    let view: serde_json::Value = http
        .get(format!("{base}/v1/leads/{LEAD_ID}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["lead"]["leadID"], LEAD_ID);
    assert_eq!(view["messages"][0]["direction"], "inbound");
}

#[tokio::test]
async fn the_local_routes_answer_401_with_a_challenge_and_404_for_unknown_leads() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{base}/v1/lead"))
        .body(LEAD)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Basic realm="));

    let response = http
        .get(format!("{base}/v1/leads/unknown-lead"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn an_oversized_body_gets_413_through_the_local_stack() {
    let base = serve().await;
    let body = with_field(
        LEAD,
        "/request/description",
        serde_json::json!("x".repeat(300_000)),
    );
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/lead"))
        .basic_auth(USERNAME, Some(PASSWORD))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}
