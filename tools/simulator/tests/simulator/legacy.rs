use crate::common::*;
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn reply(
    sim: &simulator::Simulator,
    user: &str,
    password: &str,
    body: &str,
) -> reqwest::Response {
    http()
        .post(format!(
            "{}/v1/business/{BUSINESS}/lead/42/message",
            sim.url()
        ))
        .basic_auth(user, Some(password))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn a_legacy_reply_with_the_right_credential_is_answered_success_and_kept() {
    let sim = start().await;
    let response = reply(&sim, "partner", "sandbox-password", r#"{"text": "Hello"}"#).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"status": "success"})
    );
    let kept: Value = http()
        .get(format!("{}/sandbox/messages", sim.url()))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        kept,
        json!([{"businessID": BUSINESS, "leadID": "42", "text": "Hello"}])
    );
}

#[tokio::test]
async fn a_legacy_reply_with_a_wrong_credential_is_a_401_as_the_sandbox_answers() {
    let sim = start().await;
    let response = reply(&sim, "partner", "wrong", r#"{"text": "Hello"}"#).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"status": "error", "message": "invalid credentials"})
    );
}

#[tokio::test]
async fn a_legacy_reply_without_text_is_a_400() {
    let sim = start().await;
    let response = reply(
        &sim,
        "partner",
        "sandbox-password",
        r#"{"message": "Hello"}"#,
    )
    .await;
    assert_eq!(response.status(), 400);
}

async fn legacy_partner(sim: &simulator::Simulator) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(basic_auth("thumbtack", "thumbtack-password"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    settings(sim, json!({"legacyPartnerUrl": server.uri()})).await;
    server
}

#[tokio::test]
async fn a_2025_lead_is_posted_to_v1_lead_with_basic_and_the_later_fields() {
    let sim = start().await;
    let partner = legacy_partner(&sim).await;
    let response = control(
        &sim,
        "/sim/legacy/leads",
        json!({"shape": "2025", "leadID": "777"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let requests = partner.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.path(), "/v1/lead");
    let body: Value = serde_json::from_slice(&requests[0].body).expect("json");
    assert_eq!(body["leadID"], "777");
    assert_eq!(body["leadType"], "INSTANT_BOOK");
    assert_eq!(body["request"]["location"]["address1"], "");
    let log = deliveries(&sim, 1).await;
    assert_eq!(
        log[0].status,
        Some(200),
        "the partner accepted the simulator's Basic credential"
    );
}

#[tokio::test]
async fn a_2017_lead_has_the_spec_sample_s_fields_only() {
    let sim = start().await;
    let partner = legacy_partner(&sim).await;
    control(&sim, "/sim/legacy/leads", json!({"shape": "2017"})).await;
    let requests = partner.received_requests().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&requests[0].body).expect("json");
    assert!(body.get("leadType").is_none());
    assert_eq!(body["request"]["title"], "Interior Painting");
}

#[tokio::test]
async fn messages_updates_and_reviews_go_to_their_legacy_routes() {
    let sim = start().await;
    let server = MockServer::start().await;
    for (verb, route) in [
        ("POST", "/v1/message"),
        ("PUT", "/v1/lead/update"),
        ("POST", "/v1/review"),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
    }
    settings(&sim, json!({"legacyPartnerUrl": server.uri()})).await;
    let message: Value = control(
        &sim,
        "/sim/legacy/messages",
        json!({"leadID": "777", "text": "Is Friday ok?"}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(message["message"]["text"], "Is Friday ok?");
    assert_eq!(message["leadID"], "777");
    control(&sim, "/sim/legacy/lead-updates", json!({"leadID": "777"})).await;
    let review: Value = control(&sim, "/sim/legacy/reviews", json!({"leadID": "777"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(review["reviewEventType"], "REVIEW_ADDED");
    server.verify().await;
}

#[tokio::test]
async fn a_legacy_delivery_without_a_partner_url_is_refused() {
    let sim = start().await;
    assert_eq!(
        control(&sim, "/sim/legacy/leads", json!({})).await.status(),
        400
    );
}

#[tokio::test]
async fn a_fault_on_the_legacy_reply_route_answers_instead_of_it() {
    let sim = start().await;
    control(
        &sim,
        "/sim/faults",
        json!({"endpoint": "POST /v1/business/{businessID}/lead/{leadID}/message",
        "fault": {"kind": "status", "status": 503}}),
    )
    .await;
    let response = reply(&sim, "partner", "sandbox-password", r#"{"text": "Hello"}"#).await;
    assert_eq!(response.status(), 503);
    let kept: Value = http()
        .get(format!("{}/sandbox/messages", sim.url()))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(kept, json!([]), "nothing kept");
}

#[tokio::test]
async fn a_failed_legacy_delivery_is_retried_under_the_retry_policy() {
    let sim = start().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    settings(
        &sim,
        json!({"legacyPartnerUrl": server.uri(), "retry": {"maxAttempts": 2, "backoffMs": 10}}),
    )
    .await;
    control(&sim, "/sim/legacy/leads", json!({})).await;
    let log = deliveries(&sim, 2).await;
    assert_eq!(
        log.iter()
            .map(|e| (e.attempt, e.status))
            .collect::<Vec<_>>(),
        [(Some(1), Some(500)), (Some(2), Some(500))]
    );
    assert_eq!(log[0].event_type.as_deref(), Some("POST /v1/lead"));
}
