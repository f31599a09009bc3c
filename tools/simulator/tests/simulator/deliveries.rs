use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A partner answering every delivery with `status`.
pub async fn partner(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// Registers a webhook of `BUSINESS` for every v4 event, with `auth`: the access token.
pub async fn subscribe(sim: &simulator::Simulator, partner: &MockServer, auth: Value) -> String {
    let token = access_token(sim).await;
    let mut hook = json!({"webhookURL": format!("{}/thumbtack", partner.uri()),
        "eventTypes": ["NegotiationCreatedV4", "MessageCreatedV4", "ReviewCreatedV4"], "enabled": true});
    if !auth.is_null() {
        hook["auth"] = auth;
    }
    let response = api(
        sim,
        Method::POST,
        &format!("/api/v4/businesses/{BUSINESS}/webhooks"),
        &token,
        Some(hook),
    )
    .await;
    assert_eq!(response.status(), 201);
    token
}

pub async fn bodies(partner: &MockServer) -> Vec<Value> {
    partner
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("json body"))
        .collect()
}

fn event_types(bodies: &[Value]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| b["event"]["eventType"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn new_lead(sim: &simulator::Simulator, body: Value) -> Value {
    let response = control(
        sim,
        &format!("/sim/v4/businesses/{BUSINESS}/requests"),
        body,
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_new_lead_is_a_message_then_a_negotiation_in_the_v4_envelope() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    let lead = new_lead(&sim, json!({})).await;
    let bodies = bodies(&partner).await;
    assert_eq!(
        event_types(&bodies),
        ["MessageCreatedV4", "NegotiationCreatedV4"]
    );
    let envelope = &bodies[1];
    assert_eq!(envelope["event"]["description"], "");
    assert!(envelope["event"]["webhookID"].is_string());
    assert!(
        envelope["event"]["triggeredAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(envelope["data"]["negotiationID"], lead["negotiationID"]);
    assert_eq!(bodies[0]["data"]["negotiationID"], lead["negotiationID"]);
    assert_eq!(bodies[0]["data"]["from"], "Customer");
    assert_eq!(envelope["data"]["business"]["businessID"], BUSINESS);
}

#[tokio::test]
async fn a_new_lead_can_come_negotiation_first_and_about_the_gap_apart() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    let started = std::time::Instant::now();
    new_lead(&sim, json!({"order": "negotiationFirst", "gapMs": 300})).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(
        event_types(&bodies(&partner).await),
        ["NegotiationCreatedV4", "MessageCreatedV4"]
    );
}

#[tokio::test]
async fn a_basic_webhook_is_delivered_with_its_credential() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, json!({"username": "tt", "password": "pw"})).await;
    new_lead(&sim, json!({"gapMs": 0})).await;
    let requests = partner.received_requests().await.unwrap_or_default();
    let header = requests[0]
        .headers
        .get("authorization")
        .expect("authorization");
    assert_eq!(header, "Basic dHQ6cHc=");
}

#[tokio::test]
async fn a_custom_header_webhook_is_delivered_with_its_header() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(
        &sim,
        &partner,
        json!({"header": "Authorization", "value": "s3cret"}),
    )
    .await;
    new_lead(&sim, json!({"gapMs": 0})).await;
    let requests = partner.received_requests().await.unwrap_or_default();
    assert_eq!(
        requests[0].headers.get("authorization").expect("header"),
        "s3cret"
    );
}

#[tokio::test]
async fn a_webhook_without_auth_is_delivered_without_an_authorization_header() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    new_lead(&sim, json!({"gapMs": 0})).await;
    let requests = partner.received_requests().await.unwrap_or_default();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("authorization").is_none())
    );
}

#[tokio::test]
async fn a_disabled_webhook_or_one_without_the_event_type_gets_nothing() {
    let sim = start().await;
    let partner = partner(200).await;
    let token = access_token(&sim).await;
    let base = format!("/api/v4/businesses/{BUSINESS}/webhooks");
    let url = format!("{}/x", partner.uri());
    api(
        &sim,
        Method::POST,
        &base,
        &token,
        Some(json!({"webhookURL": url, "eventTypes": ["MessageCreatedV4"], "enabled": false})),
    )
    .await;
    api(
        &sim,
        Method::POST,
        &base,
        &token,
        Some(json!({"webhookURL": url, "eventTypes": ["ReviewCreatedV4"], "enabled": true})),
    )
    .await;
    new_lead(&sim, json!({"gapMs": 0})).await;
    assert!(bodies(&partner).await.is_empty());
}

#[tokio::test]
async fn the_pro_writing_in_the_app_arrives_from_business() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    let lead = new_lead(&sim, json!({"gapMs": 0})).await;
    let id = lead["negotiationID"].as_str().expect("id");
    control(
        &sim,
        &format!("/sim/v4/negotiations/{id}/pro-messages"),
        json!({"text": "On my way"}),
    )
    .await;
    control(
        &sim,
        &format!("/sim/v4/negotiations/{id}/customer-messages"),
        json!({"text": "Thanks"}),
    )
    .await;
    let bodies = bodies(&partner).await;
    assert_eq!(bodies[2]["data"]["from"], "Business");
    assert_eq!(bodies[2]["data"]["text"], "On my way");
    assert_eq!(bodies[3]["data"]["from"], "Customer");
    assert!(bodies[2]["data"]["customer"].is_object() && bodies[2]["data"]["business"].is_object());
}

#[tokio::test]
async fn a_review_is_delivered_with_its_review_id_at_the_top_of_data() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    let lead = new_lead(&sim, json!({"gapMs": 0})).await;
    let id = lead["negotiationID"].as_str().expect("id");
    let review: Value = control(
        &sim,
        &format!("/sim/v4/negotiations/{id}/reviews"),
        json!({"rating": 4}),
    )
    .await
    .json()
    .await
    .expect("json");
    let bodies = bodies(&partner).await;
    assert_eq!(bodies[2]["event"]["eventType"], "ReviewCreatedV4");
    assert_eq!(bodies[2]["data"]["reviewID"], review["reviewID"]);
    assert_eq!(bodies[2]["data"]["rating"], 4);
}

#[tokio::test]
async fn the_test_webhook_fixture_carries_the_test_name_and_the_real_business_id() {
    let sim = start().await;
    let partner = partner(200).await;
    let token = subscribe(&sim, &partner, Value::Null).await;
    control(
        &sim,
        &format!("/sim/v4/businesses/{BUSINESS}/test-webhook"),
        json!({}),
    )
    .await;
    let path = format!("/api/v4/businesses/{BUSINESS}/webhooks/test-negotiation");
    assert_eq!(
        api(&sim, Method::POST, &path, &token, None).await.status(),
        200
    );
    let bodies = bodies(&partner).await;
    assert_eq!(bodies.len(), 2);
    for body in bodies {
        assert_eq!(body["event"]["eventType"], "NegotiationCreatedV4");
        assert_eq!(
            body["data"]["business"]["name"],
            "Test Business for Webhooks"
        );
        assert_eq!(body["data"]["business"]["businessID"], BUSINESS);
        assert_eq!(body["data"]["customer"]["phone"], "1234567890");
    }
}

#[tokio::test]
async fn a_message_sent_through_the_api_is_echoed_with_its_message_id() {
    let sim = start().await;
    let partner = partner(200).await;
    let token = subscribe(&sim, &partner, Value::Null).await;
    let lead = new_lead(&sim, json!({"gapMs": 0})).await;
    let id = lead["negotiationID"].as_str().expect("id");
    let sent: Value = api(
        &sim,
        Method::POST,
        &format!("/api/v4/negotiations/{id}/messages"),
        &token,
        Some(json!({"text": "Hi"})),
    )
    .await
    .json()
    .await
    .expect("json");
    let delivered = deliveries(&sim, 3).await;
    let echo = delivered[2].body.as_ref().expect("body");
    assert_eq!(echo["data"]["messageID"], sent["messageID"]);
    assert_eq!(echo["data"]["from"], "Business");
}

#[tokio::test]
async fn with_echoes_off_a_sent_message_is_not_delivered() {
    let sim = start().await;
    settings(&sim, json!({"echoSentMessages": false})).await;
    let partner = partner(200).await;
    let token = subscribe(&sim, &partner, Value::Null).await;
    let lead = new_lead(&sim, json!({"gapMs": 0})).await;
    let id = lead["negotiationID"].as_str().expect("id");
    api(
        &sim,
        Method::POST,
        &format!("/api/v4/negotiations/{id}/messages"),
        &token,
        Some(json!({"text": "Hi"})),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(bodies(&partner).await.len(), 2);
}

#[tokio::test]
async fn by_default_a_failed_delivery_is_not_retried() {
    let sim = start().await;
    let partner = partner(500).await;
    subscribe(&sim, &partner, Value::Null).await;
    new_lead(&sim, json!({"gapMs": 0})).await;
    assert_eq!(bodies(&partner).await.len(), 2, "one attempt per event");
    let log = deliveries(&sim, 2).await;
    assert!(
        log.iter()
            .all(|e| e.status == Some(500) && e.attempt == Some(1))
    );
}

#[tokio::test]
async fn a_retry_policy_retries_a_failed_delivery_up_to_its_attempts() {
    let sim = start().await;
    settings(&sim, json!({"retry": {"maxAttempts": 3, "backoffMs": 10}})).await;
    let partner = partner(503).await;
    subscribe(&sim, &partner, Value::Null).await;
    control(
        &sim,
        &format!("/sim/v4/businesses/{BUSINESS}/test-webhook"),
        json!({}),
    )
    .await;
    let log = deliveries(&sim, 3).await;
    let attempts: Vec<_> = log.iter().map(|e| e.attempt).collect();
    assert_eq!(attempts, [Some(1), Some(2), Some(3)]);
    assert_eq!(bodies(&partner).await.len(), 3);
}

#[tokio::test]
async fn a_delivery_that_times_out_is_logged_as_a_timeout() {
    let sim = start().await;
    settings(&sim, json!({"deliveryTimeoutMs": 100})).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_millis(500)))
        .mount(&server)
        .await;
    subscribe(&sim, &server, Value::Null).await;
    control(
        &sim,
        &format!("/sim/v4/businesses/{BUSINESS}/test-webhook"),
        json!({}),
    )
    .await;
    let log = deliveries(&sim, 1).await;
    assert_eq!(log[0].error.as_deref(), Some("timeout"));
    assert_eq!(log[0].status, None);
}

#[tokio::test]
async fn every_enabled_webhook_of_the_business_gets_the_event_with_its_own_auth() {
    let sim = start().await;
    let (basic, header) = (partner(200).await, partner(200).await);
    subscribe(&sim, &basic, json!({"username": "a", "password": "b"})).await;
    subscribe(
        &sim,
        &header,
        json!({"header": "X-Thumbtack-Secret", "value": "c"}),
    )
    .await;
    control(
        &sim,
        &format!("/sim/v4/businesses/{BUSINESS}/test-webhook"),
        json!({}),
    )
    .await;
    let to_basic = basic.received_requests().await.unwrap_or_default();
    let to_header = header.received_requests().await.unwrap_or_default();
    assert_eq!((to_basic.len(), to_header.len()), (1, 1));
    assert_eq!(
        to_basic[0].headers.get("authorization").expect("basic"),
        "Basic YTpi"
    );
    assert_eq!(
        to_header[0]
            .headers
            .get("x-thumbtack-secret")
            .expect("header"),
        "c"
    );
    assert!(to_header[0].headers.get("authorization").is_none());
    let ids = |r: &wiremock::Request| {
        serde_json::from_slice::<Value>(&r.body).expect("json")["event"]["webhookID"].clone()
    };
    assert_ne!(
        ids(&to_basic[0]),
        ids(&to_header[0]),
        "each delivery names its own webhook"
    );
}
