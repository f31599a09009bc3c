//! The function's two kinds of invocation on real event shapes: an HTTP API request (the
//! fixture's, on a connection route) and the daily schedule's event.

use super::{Invocation, handle, invocation};
use app::connections::state::StateKey;
use app::connections::{ConnectDeps, ConnectSettings, ReturnUrls};
use app::memory::{FakeThumbtackV4, MemoryConnections, PlainVault};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::{Value, json};

type Deps = ConnectDeps<MemoryConnections, FakeThumbtackV4, PlainVault>;

fn deps() -> Deps {
    ConnectDeps {
        store: MemoryConnections::default(),
        thumbtack: FakeThumbtackV4::new("u-1", &[("b-1", "Tim's Painting")]),
        vault: PlainVault,
        settings: ConnectSettings {
            state_key: StateKey::new(vec![7; 32]),
            return_urls: ReturnUrls::parse(["https://partner.example/app"]).unwrap(),
            webhook_base_url: "https://api.partner.example/v4/webhooks".into(),
        },
        metrics: app::metrics::Metrics::off(),
    }
}

fn raw(event: &Value) -> Box<RawValue> {
    RawValue::from_string(event.to_string()).unwrap()
}

/// The HTTP API fixture, as `POST /v1/connections` with `body`.
fn start_request(body: &Value) -> Value {
    let mut event: Value = serde_json::from_str(fixtures::events::HTTP_POST).unwrap();
    event["routeKey"] = json!("POST /v1/connections");
    event["rawPath"] = json!("/v1/connections");
    event["requestContext"]["http"]["path"] = json!("/v1/connections");
    event["requestContext"]["routeKey"] = json!("POST /v1/connections");
    event["body"] = json!(body.to_string());
    event
}

/// EventBridge's event for a scheduled rule, as the daily sweep's schedule sends it.
fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-08T04:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/thumbtack-partner-dev-sweep"],
        "detail": {}
    })
}

#[tokio::test]
async fn a_start_request_is_answered_in_the_http_api_s_shape_with_the_consent_link() {
    let event = start_request(&json!({
        "reference": "pro-42",
        "returnURL": "https://partner.example/app/done"
    }));
    let answer = handle(&deps(), LambdaEvent::new(raw(&event), Context::default()))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 201, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert!(
        body["authorizeURL"].as_str().unwrap().contains("state="),
        "{body}"
    );
    assert!(body["expiresAt"].is_string(), "{body}");
}

#[tokio::test]
async fn a_request_for_a_route_of_another_function_is_a_404() {
    let event: Value = serde_json::from_str(fixtures::events::HTTP_GET).unwrap();
    let answer = handle(&deps(), LambdaEvent::new(raw(&event), Context::default()))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 404, "{answer}");
}

#[test]
fn the_schedule_s_event_is_the_sweep_and_a_gateway_request_is_not() {
    assert!(matches!(
        invocation(&raw(&scheduled_event())).unwrap(),
        Invocation::Sweep
    ));
    let request = start_request(&json!({"reference": "pro-42"}));
    assert!(matches!(
        invocation(&raw(&request)).unwrap(),
        Invocation::Http(_)
    ));
    // Another source's event with the same detail-type is not the schedule's.
    let mut other = scheduled_event();
    other["source"] = json!("thumbtack.partner");
    assert!(!matches!(invocation(&raw(&other)), Ok(Invocation::Sweep)));
}

#[tokio::test]
async fn the_daily_schedule_s_invocation_sweeps_and_answers_what_it_did() {
    let answer = handle(
        &deps(),
        LambdaEvent::new(raw(&scheduled_event()), Context::default()),
    )
    .await
    .unwrap();
    // An empty registry: nothing to refresh (app::connections::sweep's tests refresh).
    assert_eq!(
        answer,
        json!({"checked": 0, "refreshed": 0, "broken": 0, "failed": 0})
    );
}

#[tokio::test]
async fn an_event_that_is_neither_fails_the_invocation() {
    let error = handle(
        &deps(),
        LambdaEvent::new(raw(&json!({"hello": "world"})), Context::default()),
    )
    .await
    .unwrap_err();
    assert!(!error.to_string().contains("hello"), "{error}");
}
