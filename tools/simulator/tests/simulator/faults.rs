use crate::common::*;
use crate::deliveries::{bodies, partner, subscribe};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SEND: &str = "POST /api/v4/negotiations/{negotiationID}/messages";

async fn arm(sim: &simulator::Simulator, endpoint: &str, fault: Value) {
    let response = control(
        sim,
        "/sim/faults",
        json!({"endpoint": endpoint, "fault": fault}),
    )
    .await;
    assert_eq!(response.status(), 204);
}

/// A lead on `BUSINESS` and a token: the messages path.
async fn thread(sim: &simulator::Simulator) -> (String, String) {
    let token = access_token(sim).await;
    let lead: Value = control(
        sim,
        &format!("/sim/v4/businesses/{BUSINESS}/requests"),
        json!({"gapMs": 0}),
    )
    .await
    .json()
    .await
    .expect("json");
    (
        token,
        format!(
            "/api/v4/negotiations/{}/messages",
            lead["negotiationID"].as_str().expect("id")
        ),
    )
}

async fn stored_messages(sim: &simulator::Simulator, token: &str, path: &str) -> usize {
    let listed: Value = api(sim, Method::GET, path, token, None)
        .await
        .json()
        .await
        .expect("json");
    listed["data"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_429_with_retry_after_is_answered_once_and_nothing_is_stored() {
    let sim = start().await;
    let (token, path) = thread(&sim).await;
    arm(
        &sim,
        SEND,
        json!({"kind": "status", "status": 429, "retryAfter": 7}),
    )
    .await;
    let response = api(
        &sim,
        Method::POST,
        &path,
        &token,
        Some(json!({"text": "Hi"})),
    )
    .await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        response.headers().get("retry-after").expect("retry-after"),
        "7"
    );
    assert_eq!(
        stored_messages(&sim, &token, &path).await,
        1,
        "only the lead's message"
    );
    let next = api(
        &sim,
        Method::POST,
        &path,
        &token,
        Some(json!({"text": "Hi"})),
    )
    .await;
    assert_eq!(next.status(), 201, "the fault was used up");
}

#[tokio::test]
async fn a_429_without_retry_after_has_no_such_header() {
    let sim = start().await;
    let token = access_token(&sim).await;
    arm(
        &sim,
        "GET /api/v4/businesses",
        json!({"kind": "status", "status": 429}),
    )
    .await;
    let response = api(&sim, Method::GET, "/api/v4/businesses", &token, None).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_none());
}

#[tokio::test]
async fn a_5xx_fault_lasts_as_many_calls_as_asked() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let response = control(
        &sim,
        "/sim/faults",
        json!({"endpoint": "GET /api/v4/users/self",
        "fault": {"kind": "status", "status": 503}, "times": 2}),
    )
    .await;
    assert_eq!(response.status(), 204);
    let statuses = [
        api(&sim, Method::GET, "/api/v4/users/self", &token, None)
            .await
            .status(),
        api(&sim, Method::GET, "/api/v4/users/self", &token, None)
            .await
            .status(),
        api(&sim, Method::GET, "/api/v4/users/self", &token, None)
            .await
            .status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [503, 503, 200]);
}

#[tokio::test]
async fn the_waf_challenge_answers_202_stores_nothing_and_echoes_nothing() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    let (token, path) = thread(&sim).await;
    arm(&sim, SEND, json!({"kind": "wafChallenge"})).await;
    let response = api(
        &sim,
        Method::POST,
        &path,
        &token,
        Some(json!({"text": "Hi"})),
    )
    .await;
    assert_eq!(response.status(), 202);
    assert_eq!(stored_messages(&sim, &token, &path).await, 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(bodies(&partner).await.len(), 2, "the lead's pair only");
}

#[tokio::test]
async fn latency_delays_the_answer_and_then_serves_it() {
    let sim = start().await;
    let token = access_token(&sim).await;
    arm(
        &sim,
        "GET /api/v4/users/self",
        json!({"kind": "latency", "ms": 300}),
    )
    .await;
    let started = Instant::now();
    let response = api(&sim, Method::GET, "/api/v4/users/self", &token, None).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_timeout_outlasts_a_client_that_gives_up() {
    let sim = start().await;
    let token = access_token(&sim).await;
    arm(
        &sim,
        "GET /api/v4/users/self",
        json!({"kind": "timeout", "ms": 2000}),
    )
    .await;
    let result = http()
        .get(format!("{}/api/v4/users/self", sim.url()))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
}

#[tokio::test]
async fn a_fault_on_the_token_endpoint_answers_there() {
    let sim = start().await;
    let code = code_for(&sim, &authorize_params(EVERY_SCOPE)).await;
    arm(
        &sim,
        "POST /oauth2/token",
        json!({"kind": "status", "status": 500}),
    )
    .await;
    assert_eq!(exchange(&sim, &code).await.status(), 500);
    assert_eq!(
        exchange(&sim, &code).await.status(),
        200,
        "the code was not used by the failed call"
    );
}

#[tokio::test]
async fn invalid_grant_on_the_next_refresh_happens_once() {
    let sim = start().await;
    let tokens = connect(&sim, EVERY_SCOPE).await;
    let refresh_token = tokens["refresh_token"].as_str().expect("rt");
    assert_eq!(
        control(&sim, &format!("/sim/users/{USER}/invalid-grant"), json!({}))
            .await
            .status(),
        204
    );
    let refused = refresh(&sim, refresh_token).await;
    assert_eq!(
        refused.json::<Value>().await.expect("json")["error"],
        "invalid_grant"
    );
    assert_eq!(refresh(&sim, refresh_token).await.status(), 200);
}

#[tokio::test]
async fn a_duplicate_delivery_arrives_twice() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    assert_eq!(
        control(&sim, "/sim/faults/deliveries", json!({"duplicate": true}))
            .await
            .status(),
        204
    );
    control(
        &sim,
        &format!("/sim/v4/businesses/{BUSINESS}/test-webhook"),
        json!({}),
    )
    .await;
    let bodies = bodies(&partner).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["data"], bodies[1]["data"]);
}

#[tokio::test]
async fn a_delayed_delivery_is_overtaken_by_the_next_one() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    control(&sim, "/sim/faults/deliveries", json!({"delayMs": 300})).await;
    let lead: Value = control(
        &sim,
        &format!("/sim/v4/businesses/{BUSINESS}/requests"),
        json!({"gapMs": 0}),
    )
    .await
    .json()
    .await
    .expect("json");
    let id = lead["negotiationID"].as_str().expect("id");
    control(
        &sim,
        &format!("/sim/v4/negotiations/{id}/customer-messages"),
        json!({"text": "later"}),
    )
    .await;
    deliveries(&sim, 3).await;
    let kinds: Vec<String> = bodies(&partner)
        .await
        .iter()
        .map(|b| {
            format!(
                "{} {}",
                b["event"]["eventType"].as_str().unwrap_or(""),
                b["data"]["text"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds[0], "NegotiationCreatedV4 ",
        "the lead's first message was held back: {kinds:?}"
    );
    assert_eq!(kinds[2], "MessageCreatedV4 Need Full Service Lawn Care");
}

#[tokio::test]
async fn the_log_records_requests_and_deliveries_with_their_status() {
    let sim = start().await;
    let partner = partner(202).await;
    subscribe(&sim, &partner, Value::Null).await;
    control(
        &sim,
        &format!("/sim/v4/businesses/{BUSINESS}/test-webhook"),
        json!({}),
    )
    .await;
    let log: Vec<Value> = http()
        .get(format!("{}/sim/log", sim.url()))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    assert!(
        log.iter().any(|e| e["kind"] == "received"
            && e["target"] == "/oauth2/token"
            && e["status"] == 200)
    );
    assert!(log.iter().any(|e| e["kind"] == "received"
        && e["method"] == "POST"
        && e["target"] == format!("/api/v4/businesses/{BUSINESS}/webhooks")
        && e["status"] == 201));
    let delivery = log
        .iter()
        .find(|e| e["kind"] == "delivered")
        .expect("a delivery");
    assert_eq!(delivery["status"], 202);
    assert_eq!(delivery["eventType"], "NegotiationCreatedV4");
    assert!(delivery["webhookID"].is_string());
}
