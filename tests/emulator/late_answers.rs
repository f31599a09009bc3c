//! The emulator answers some calls late and carries them out all the same: moto's PutEvents
//! spends about 0.3 s of CPU on each entry, and one process serves every test, so a put of four
//! events took more than 3 s when the events tests ran together. The SDK then gave up on the
//! attempt and sent the put again, and each event reached the bus two to five times. A proxy here
//! holds each PutEvents answer past that 3 s, after moto has carried the call out.

use crate::support::*;
use adapters::events_queue::EventsQueue;
use adapters::{EventBridgeBus, provision};
use app::events::Event;
use app::ports::{EventBus, Put};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Longer than an attempt may take in AWS (3 s), shorter than a call may take in all (8 s).
const HOLD: Duration = Duration::from_secs(4);

#[derive(Debug)]
struct Late {
    upstream: String,
    client: reqwest::Client,
    puts: AtomicU32,
}

/// Forwards every call to the emulator; answers a PutEvents only [`HOLD`] after it was done.
async fn forward(State(late): State<Arc<Late>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let put = parts
        .headers
        .get("x-amz-target")
        .is_some_and(|target| target == "AWSEvents.PutEvents");
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut upstream = late
        .client
        .request(parts.method.clone(), format!("{}{path}", late.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let Ok(bytes) = answer.bytes().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    if put {
        late.puts.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(HOLD).await;
    }
    let mut response = (status, bytes).into_response();
    if let Some(content_type) = content_type {
        response.headers_mut().insert("content-type", content_type);
    }
    response
}

#[tokio::test]
async fn a_put_the_emulator_answers_late_reaches_the_bus_once() {
    let sdk = sdk().await;
    let bus = unique_name("bus");
    let queue_url = provision::ensure_event_bus(&sdk, &bus, &unique_name("events"))
        .await
        .unwrap();
    let late = Arc::new(Late {
        upstream: sdk.endpoint_url().unwrap().trim_end_matches('/').to_owned(),
        client: reqwest::Client::new(),
        puts: AtomicU32::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(Arc::clone(&late));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // The tests' configuration's timeouts and retries, with the proxy for endpoint (set on the
    // loader: `AWS_ENDPOINT_URL` would win over one set on a built configuration).
    let through_proxy = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&proxy)
        .timeout_config(sdk.timeout_config().unwrap().clone())
        .retry_config(sdk.retry_config().unwrap().clone())
        .load()
        .await;
    let event = Event {
        id: "e-late".to_owned(),
        detail_type: "Lead Received",
        at_ms: app::now_millis(),
        detail: serde_json::json!({"eventID": "e-late", "leadID": LEAD_ID}),
    };
    let answer = EventBridgeBus::from_config(&through_proxy, &bus)
        .put(&[event])
        .await;
    server.abort();

    let queue = EventsQueue::at(&sdk, queue_url);
    let mut delivered = Vec::new();
    loop {
        let received = queue.receive(Duration::from_secs(1)).await.unwrap();
        if received.is_empty() {
            break;
        }
        queue.delete(&received).await.unwrap();
        delivered.extend(received);
    }
    let sent = late.puts.load(Ordering::SeqCst);
    assert_eq!(
        (sent, delivered.len()),
        (1, 1),
        "PutEvents sent {sent} times, answered {answer:?}, delivered {delivered:?}"
    );
    assert_eq!(delivered[0].detail["eventID"], "e-late");
    assert_eq!(answer.unwrap(), [Put::Taken]);
}
