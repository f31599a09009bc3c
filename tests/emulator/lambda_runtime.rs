//! The real function binaries under a small Lambda Runtime API of our own (the
//! `/2018-06-01/runtime/invocation/next`, `/response` and `/error` protocol), with real event
//! shapes: API Gateway REST (v1) and HTTP API (v2) with base64 bodies, SQS batches.

use crate::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use harness::runtime_api::{Answer, RuntimeApi};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;

const REST_POST: &str = fixtures::events::REST_POST;
const HTTP_POST: &str = fixtures::events::HTTP_POST;
const REST_GET: &str = fixtures::events::REST_GET;
const HTTP_GET: &str = fixtures::events::HTTP_GET;
const SQS_EVENT: &str = fixtures::events::SQS_FIFO_REPLIES;

async fn start_runtime() -> RuntimeApi {
    RuntimeApi::start().await.unwrap()
}

/// A function process polling `runtime`, with the environment Lambda and our template give it.
fn launch(name: &str, runtime: &RuntimeApi, env: &[(&str, String)]) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(binary(name));
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &runtime.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env(
            "AWS_ENDPOINT_URL",
            std::env::var("AWS_ENDPOINT_URL").unwrap(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // An empty value takes the variable away (the emulator's `AWS_ENDPOINT_URL`, say).
    for (key, value) in env {
        if value.is_empty() {
            command.env_remove(key);
        } else {
            command.env(key, value);
        }
    }
    command.spawn().unwrap()
}

fn inbound_env(table: &str) -> Vec<(&'static str, String)> {
    vec![
        ("TABLE_NAME", table.to_owned()),
        ("PARTNER_API_USERNAME", USERNAME.to_owned()),
        ("PARTNER_API_PASSWORD", PASSWORD.to_owned()),
        ("METRICS_NAMESPACE", "ThumbtackPartner/test".to_owned()),
        ("LAMBDA_TEST_SEAMS", "1".to_owned()),
    ]
}

fn authorization() -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{USERNAME}:{PASSWORD}"))
    )
}

fn rest_post(body: &str, base64: bool) -> Value {
    let mut event: Value = serde_json::from_str(REST_POST).unwrap();
    event["headers"]["Authorization"] = json!(authorization());
    event["multiValueHeaders"]["Authorization"] = json!([authorization()]);
    event["body"] = json!(if base64 {
        STANDARD.encode(body)
    } else {
        body.to_owned()
    });
    event["isBase64Encoded"] = json!(base64);
    event
}

fn http_post(path: &str, body: &str, base64: bool, authorization: &str) -> Value {
    let mut event: Value = serde_json::from_str(HTTP_POST).unwrap();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["headers"]["authorization"] = json!(authorization);
    event["body"] = json!(if base64 {
        STANDARD.encode(body)
    } else {
        body.to_owned()
    });
    event["isBase64Encoded"] = json!(base64);
    event
}

fn response_of(answer: Option<Answer>) -> Value {
    match answer {
        Some(Answer::Response(value)) => value,
        Some(Answer::Error(error)) => panic!("the function failed: {error}"),
        None => panic!("the function did not answer in time"),
    }
}

fn body_of(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn the_lead_binary_answers_rest_and_http_api_events_with_text_and_base64_bodies() {
    let table = fresh_table().await;
    let runtime = start_runtime().await;
    let _function = launch("lead-inbound", &runtime, &inbound_env(&table.name));

    let first = response_of(runtime.invoke(rest_post(LEAD, false)).await);
    assert_eq!(first["statusCode"], 200, "{first}");
    assert_eq!(body_of(&first)["status"], "stored");

    let again = response_of(
        runtime
            .invoke(http_post("/v1/lead", LEAD, true, &authorization()))
            .await,
    );
    assert_eq!(again["statusCode"], 200, "{again}");
    assert_eq!(body_of(&again)["status"], "duplicate");

    let refused = response_of(
        runtime
            .invoke(http_post("/v1/lead", LEAD, false, "Basic d3Jvbmc6d3Jvbmc="))
            .await,
    );
    assert_eq!(refused["statusCode"], 401);
    assert!(
        refused["headers"]["www-authenticate"]
            .as_str()
            .unwrap()
            .starts_with("Basic realm=")
    );

    let invalid = response_of(
        runtime
            .invoke(http_post(
                "/v1/lead",
                "{\"leadID\": 5}",
                true,
                &authorization(),
            ))
            .await,
    );
    assert_eq!(invalid["statusCode"], 400);
    assert_eq!(body_of(&invalid)["fields"][0]["path"], "leadID");
}

#[tokio::test]
async fn the_message_and_read_binaries_answer_their_events() {
    let table = fresh_table().await;
    let inbound = start_runtime().await;
    let _lead = launch("lead-inbound", &inbound, &inbound_env(&table.name));
    response_of(inbound.invoke(rest_post(LEAD, false)).await);
    let messages = start_runtime().await;
    let _message = launch("message-inbound", &messages, &inbound_env(&table.name));
    let stored = response_of(
        messages
            .invoke(http_post("/v1/message", MESSAGE, true, &authorization()))
            .await,
    );
    assert_eq!(stored["statusCode"], 200, "{stored}");

    let reads = start_runtime().await;
    let read_env = [
        ("TABLE_NAME", table.name.clone()),
        ("CURSOR_KEY", "lambda runtime tests' cursor key".to_owned()),
    ];
    let _read = launch("partner-api", &reads, &read_env);
    let view = response_of(reads.invoke(serde_json::from_str(REST_GET).unwrap()).await);
    assert_eq!(view["statusCode"], 200, "{view}");
    let body = body_of(&view);
    assert_eq!(body["lead"]["leadID"], LEAD_ID);
    assert_eq!(body["messages"][0]["id"], "8699842694484326245");

    // The same binary serves the list route (an HTTP API event with a query string).
    let mut list: Value = serde_json::from_str(HTTP_GET).unwrap();
    let path = format!("/v1/businesses/{}/leads", fixtures::BUSINESS_ID);
    list["routeKey"] = json!("GET /v1/businesses/{businessID}/leads");
    list["rawPath"] = json!(path);
    list["requestContext"]["http"]["path"] = json!(path);
    list["rawQueryString"] = json!("limit=1");
    list["queryStringParameters"] = json!({"limit": "1"});
    list["pathParameters"] = json!({"businessID": fixtures::BUSINESS_ID});
    let listed = response_of(reads.invoke(list).await);
    assert_eq!(listed["statusCode"], 200, "{listed}");
    assert_eq!(body_of(&listed)["leads"][0]["leadID"], LEAD_ID);
}

#[tokio::test]
async fn a_panic_fails_only_its_own_invocation_and_the_next_one_is_served() {
    let table = fresh_table().await;
    let runtime = start_runtime().await;
    let mut function = launch("lead-inbound", &runtime, &inbound_env(&table.name));
    let mut panicking = http_post("/v1/lead", LEAD, false, &authorization());
    panicking["headers"]["x-test-panic"] = json!("1");
    match runtime.invoke(panicking).await {
        Some(Answer::Error(error)) => assert!(error.to_string().contains("panic"), "{error}"),
        other => panic!("expected an error, got {other:?}"),
    }
    let next = response_of(
        runtime
            .invoke(http_post("/v1/lead", LEAD, false, &authorization()))
            .await,
    );
    assert_eq!(
        next["statusCode"], 200,
        "the same process served the next request"
    );
    assert!(function.try_wait().unwrap().is_none(), "still running");
}

#[tokio::test]
async fn a_missing_setting_fails_init_with_a_message_that_names_it() {
    let runtime = start_runtime().await;
    let function = launch(
        "lead-inbound",
        &runtime,
        &[("PARTNER_API_USERNAME", "thumbtack".to_owned())],
    );
    let output = tokio::time::timeout(Duration::from_secs(20), function.wait_with_output())
        .await
        .expect("init ends")
        .unwrap();
    assert!(!output.status.success());
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(logs.contains("TABLE_NAME must be set"), "{logs}");
    assert!(logs.contains("init failed"), "{logs}");
}

#[tokio::test]
async fn the_reply_binary_answers_an_sqs_batch_with_exactly_its_failed_records() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let table = fresh_table().await;
    let (queue_url, dlq_url) = adapters::provision::ensure_queues(
        &sdk().await,
        &format!("{}.fifo", unique_name("runtime-replies")),
        Duration::from_secs(30),
        100,
    )
    .await
    .unwrap();
    let thumbtack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/business/286845156044809661/lead/lead-a/message"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&thumbtack)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&thumbtack)
        .await;
    let runtime = start_runtime().await;
    let _function = launch(
        "reply-outbound",
        &runtime,
        &[
            ("TABLE_NAME", table.name.clone()),
            ("REPLY_QUEUE_URL", queue_url),
            ("REPLY_DLQ_URL", dlq_url),
            ("THUMBTACK_API_BASE_URL", thumbtack.uri()),
            ("THUMBTACK_API_USERNAME", "partner".to_owned()),
            ("THUMBTACK_API_PASSWORD", "secret".to_owned()),
            ("THUMBTACK_TIMEOUT_SECONDS", "2".to_owned()),
            ("REPLY_MAX_ATTEMPTS", "5".to_owned()),
            ("REPLY_RETRY_BASE_SECONDS", "1".to_owned()),
        ],
    );
    // The fixture's receipt handles are not the queue's: the delays fail and are only logged.
    let response = response_of(
        runtime
            .invoke(serde_json::from_str(SQS_EVENT).unwrap())
            .await,
    );
    let mut failed: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    failed.sort_unstable();
    assert_eq!(
        failed,
        [
            "11111111-1111-4111-8111-111111111111",
            "33333333-3333-4333-8333-333333333333"
        ],
        "lead-a failed and held its second reply back; lead-b was sent; the poison record was parked"
    );
    let requests = thumbtack.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "POST"),
        "credentials from the environment: init has nothing to wait for, so no warm-up HEAD"
    );
    let sent: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path().contains("lead-b"))
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(
        sent,
        [
            r#"{"text":"First reply to B"}"#,
            r#"{"text":"Second reply to B"}"#
        ]
    );
}

/// A stand-in for AWS and Thumbtack that answers a secret's read at once (`USERNAME` and
/// `PASSWORD`) and every other call (`200 {}`) only once the function has asked `runtime` for its
/// first event. Returns its URL and how many of those other calls it has had.
async fn answering_after_the_first_poll(
    runtime: std::sync::Arc<RuntimeApi>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&calls);
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let (runtime, counted) = (
            std::sync::Arc::clone(&runtime),
            std::sync::Arc::clone(&counted),
        );
        async move {
            let target = headers.get("x-amz-target").and_then(|t| t.to_str().ok());
            if target == Some("secretsmanager.GetSecretValue") {
                let secret = json!({"username": USERNAME, "password": PASSWORD}).to_string();
                let answer = json!({
                    "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:held",
                    "Name": "held",
                    "SecretString": secret,
                    "VersionId": "v1",
                    "VersionStages": ["AWSCURRENT"],
                });
                return (
                    [("content-type", "application/x-amz-json-1.1")],
                    answer.to_string(),
                );
            }
            counted.fetch_add(1, Ordering::SeqCst);
            runtime.first_poll(Duration::from_secs(60)).await;
            (
                [("content-type", "application/x-amz-json-1.0")],
                "{}".to_owned(),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

/// How the functions find AWS: one endpoint for every service (`AWS_ENDPOINT_URL`, the
/// emulator's way), or one per service, as in AWS.
#[derive(Clone, Copy, PartialEq)]
enum Endpoints {
    One,
    PerService,
}

/// Starts `name` against a stand-in that answers only after its first poll (a secret's read
/// excepted), with its credentials from a secret or from the environment; returns once it has
/// polled, with the function and the count of the stand-in's held calls.
async fn started_against_a_held_stand_in(
    name: &str,
    secret: bool,
    endpoints: Endpoints,
) -> (
    tokio::process::Child,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let runtime = std::sync::Arc::new(start_runtime().await);
    let (held, calls) = answering_after_the_first_poll(std::sync::Arc::clone(&runtime)).await;
    let mut env = vec![
        ("TABLE_NAME", unique_name("held")),
        ("PARTNER_API_USERNAME", USERNAME.to_owned()),
        ("PARTNER_API_PASSWORD", PASSWORD.to_owned()),
        ("EVENT_BUS_NAME", unique_name("held")),
        ("CURSOR_KEY", "lambda runtime tests' cursor key".to_owned()),
        ("THUMBTACK_API_BASE_URL", held.clone()),
        ("THUMBTACK_API_USERNAME", "partner".to_owned()),
        ("THUMBTACK_API_PASSWORD", "secret".to_owned()),
        ("REPLY_QUEUE_URL", format!("{held}/123456789012/held.fifo")),
        (
            "REPLY_DLQ_URL",
            format!("{held}/123456789012/held-dlq.fifo"),
        ),
        ("SCHEDULE_GROUP", unique_name("held")),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/held".to_owned(),
        ),
        (
            "SCHEDULE_DEAD_LETTER_ARN",
            "arn:aws:sqs:us-east-1:123456789012:held-speed-to-lead-failed".to_owned(),
        ),
    ];
    if secret {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:held".to_owned();
        env.retain(|(key, _)| !key.ends_with("_USERNAME") && !key.ends_with("_PASSWORD"));
        env.push(("PARTNER_CREDENTIALS_SECRET_ARN", arn.clone()));
        env.push(("THUMBTACK_CREDENTIALS_SECRET_ARN", arn));
    }
    env.retain(|(key, _)| match name {
        "reply-outbound" => !key.starts_with("PARTNER"),
        "speed-to-lead" => !key.starts_with("THUMBTACK") && !key.starts_with("PARTNER"),
        "partner-api" => !key.starts_with("THUMBTACK") && !key.starts_with("REPLY"),
        _ => !key.starts_with("THUMBTACK") && !key.starts_with("REPLY") && *key != "CURSOR_KEY",
    });
    match endpoints {
        Endpoints::One => env.push(("AWS_ENDPOINT_URL", held.clone())),
        Endpoints::PerService => env.extend(
            [("AWS_ENDPOINT_URL", String::new())].into_iter().chain(
                [
                    "AWS_ENDPOINT_URL_DYNAMODB",
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                    "AWS_ENDPOINT_URL_SQS",
                    "AWS_ENDPOINT_URL_EVENTBRIDGE",
                    "AWS_ENDPOINT_URL_SCHEDULER",
                ]
                .map(|key| (key, held.clone())),
            ),
        ),
    }
    let function = launch(name, &runtime, &env);
    assert!(
        runtime.first_poll(Duration::from_secs(30)).await.is_some(),
        "{name} asked for its first event"
    );
    (function, calls)
}

/// The function's logs once it is stopped.
async fn stopped(mut function: tokio::process::Child) -> String {
    function.start_kill().unwrap();
    let output = function.wait_with_output().await.unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Asks for its first event while its warm-up calls are still out, and makes exactly those.
async fn polls_before_its_warm_up_calls_are_answered(
    name: &str,
    endpoints: Endpoints,
    warm_up_calls: usize,
) {
    let (function, calls) = started_against_a_held_stand_in(name, true, endpoints).await;
    let started = tokio::time::Instant::now();
    while calls.load(std::sync::atomic::Ordering::SeqCst) < warm_up_calls
        && started.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Time for one more, had init started one more.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let made = calls.load(std::sync::atomic::Ordering::SeqCst);
    let logs = stopped(function).await;
    assert_eq!(
        made, warm_up_calls,
        "{name}'s warm-up calls before its first event"
    );
    // A function whose init waits for them gives up on them first (the stand-in answers only
    // after the poll), and says so before it polls.
    assert!(
        !logs.contains("warm-up call timed out"),
        "{name} waited for its warm-up calls before asking for an event: {logs}"
    );
}

#[tokio::test]
async fn a_function_that_reads_a_secret_in_init_asks_for_its_first_event_while_its_warm_ups_are_out()
 {
    futures::future::join_all([
        polls_before_its_warm_up_calls_are_answered("lead-inbound", Endpoints::PerService, 1),
        polls_before_its_warm_up_calls_are_answered("message-inbound", Endpoints::PerService, 1),
        polls_before_its_warm_up_calls_are_answered("reply-outbound", Endpoints::PerService, 2),
    ])
    .await;
}

/// Behind one endpoint (an emulator, a proxy) the clients share one host and one pool: the
/// connection the secret's read opens is the one the first write takes, and a DynamoDB warm-up
/// would only hold up that read on the same server. Thumbtack has a host of its own.
#[tokio::test]
async fn a_function_whose_services_share_one_endpoint_warms_up_only_what_the_secret_s_read_does_not()
 {
    futures::future::join_all([
        polls_before_its_warm_up_calls_are_answered("lead-inbound", Endpoints::One, 0),
        polls_before_its_warm_up_calls_are_answered("message-inbound", Endpoints::One, 0),
        polls_before_its_warm_up_calls_are_answered("reply-outbound", Endpoints::One, 1),
    ])
    .await;
}

/// Polls and makes no call before its first event (credentials, if any, from the environment).
async fn calls_nothing_before_its_first_event(name: &str) {
    let (function, calls) = started_against_a_held_stand_in(name, false, Endpoints::One).await;
    // A warm-up starts in init, before the poll: had there been one, it would be here by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let made = calls.load(std::sync::atomic::Ordering::SeqCst);
    let logs = stopped(function).await;
    assert_eq!(made, 0, "{name} called out before its first event: {logs}");
}

/// A warm-up pays off only while init waits for something else: on a cold start the first event
/// is already waiting, and the request's own connection is ready before a warm-up's call is done.
#[tokio::test]
async fn a_function_with_nothing_to_wait_for_in_init_makes_no_warm_up_call() {
    futures::future::join_all([
        calls_nothing_before_its_first_event("partner-api"),
        calls_nothing_before_its_first_event("events-out"),
        calls_nothing_before_its_first_event("speed-to-lead"),
        calls_nothing_before_its_first_event("lead-inbound"),
        calls_nothing_before_its_first_event("message-inbound"),
        calls_nothing_before_its_first_event("reply-outbound"),
    ])
    .await;
}

/// Starts `name` with a credentials secret that does not exist in the emulator; returns whether
/// it asked for an event and its logs once it has exited.
async fn started_without_its_secret(
    name: &str,
) -> (String, bool, std::process::ExitStatus, String) {
    let runtime = start_runtime().await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let absent = format!(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:{}",
        unique_name("absent")
    );
    let env = match name {
        "reply-outbound" => vec![
            ("TABLE_NAME", unique_name("no-secret")),
            ("THUMBTACK_CREDENTIALS_SECRET_ARN", absent.clone()),
            ("THUMBTACK_API_BASE_URL", "http://127.0.0.1:9".to_owned()),
            (
                "REPLY_QUEUE_URL",
                format!("{endpoint}/123456789012/no-secret.fifo"),
            ),
            (
                "REPLY_DLQ_URL",
                format!("{endpoint}/123456789012/no-secret-dlq.fifo"),
            ),
        ],
        _ => vec![
            ("TABLE_NAME", unique_name("no-secret")),
            ("PARTNER_CREDENTIALS_SECRET_ARN", absent.clone()),
        ],
    };
    let function = launch(name, &runtime, &env);
    let output = tokio::time::timeout(Duration::from_secs(30), function.wait_with_output())
        .await
        .expect("init ends")
        .unwrap();
    let polled = runtime.first_poll(Duration::ZERO).await.is_some();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (absent, polled, output.status, logs)
}

#[tokio::test]
async fn a_function_that_cannot_read_its_credentials_secret_fails_init() {
    for name in ["lead-inbound", "message-inbound", "reply-outbound"] {
        let (secret, polled, status, logs) = started_without_its_secret(name).await;
        assert!(!status.success(), "{name} exited with {status}: {logs}");
        assert!(!polled, "{name} asked for an event without credentials");
        assert!(logs.contains("init failed"), "{name}: {logs}");
        assert!(
            logs.contains(&format!("Missing(\"{secret}\")")),
            "{name} failed for want of its secret: {logs}"
        );
    }
}

/// An HTTP API GET of `path` (the route `route_key`) with its path parameters and `query`.
fn http_get(route_key: &str, path: &str, parameters: Value, query: &[(&str, &str)]) -> Value {
    let mut event: Value = serde_json::from_str(HTTP_GET).unwrap();
    event["routeKey"] = json!(format!("GET {route_key}"));
    event["requestContext"]["routeKey"] = json!(format!("GET {route_key}"));
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["pathParameters"] = parameters;
    let raw: Vec<String> = query
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    event["rawQueryString"] = json!(raw.join("&"));
    let map: serde_json::Map<String, Value> = query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    event["queryStringParameters"] = if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    };
    event
}

/// Every page of a read route, from the first to the last `next`: each answer's size as the
/// function posted it to the Runtime API (envelope included), and its body.
async fn walk(reads: &RuntimeApi, page: impl Fn(Option<&str>) -> Value) -> Vec<(usize, Value)> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let answer = response_of(reads.invoke(page(cursor.as_deref())).await);
        assert_eq!(answer["statusCode"], 200, "{}", answer["body"]);
        let body = body_of(&answer);
        cursor = body["next"].as_str().map(str::to_owned);
        pages.push((serde_json::to_vec(&answer).unwrap().len(), body));
        if cursor.is_none() || pages.len() > 40 {
            return pages;
        }
    }
}

#[tokio::test]
async fn a_lead_with_32_reviews_of_200_kb_is_read_whole_in_answers_lambda_can_return() {
    let (table, deps) = inbound_deps().await;
    let request = http_api::testing::post(
        http_api::testing::Gateway::RestV1,
        "/v1/lead",
        LEAD.as_bytes(),
        http_api::testing::Encoding::Text,
        Some(&authorization()),
    );
    let stored = lead_inbound::handler::handle(&deps, request).await;
    assert_eq!(stored.status(), 200, "{:?}", stored.body());
    // 200 KB of a reviewer's words, quotes among them (each costs twice in the envelope).
    let words = "Spotless \"like new\" kitchen, on time. ".repeat(200_000 / 38);
    for n in 0..32 {
        let review = with_field(
            fixtures::REVIEW,
            "/review/reviewID",
            json!(format!("r-{n}")),
        );
        let review = with_field(&review, "/review/leadID", json!(LEAD_ID));
        let review = with_field(&review, "/review/businessID", json!(fixtures::BUSINESS_ID));
        let review = with_field(&review, "/review/text", json!(words));
        let request = http_api::testing::send(
            http_api::testing::Gateway::HttpV2,
            "POST",
            "/v1/review",
            review.as_bytes(),
            http_api::testing::Encoding::Text,
            Some(&authorization()),
        );
        let response = message_inbound::handler::handle(&deps, request).await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
    }
    let reads = start_runtime().await;
    let read_env = [
        ("TABLE_NAME", table.name.clone()),
        ("CURSOR_KEY", "lambda runtime tests' cursor key".to_owned()),
    ];
    let _read = launch("partner-api", &reads, &read_env);

    let business = fixtures::BUSINESS_ID;
    let reviews_path = format!("/v1/businesses/{business}/reviews");
    let listed = walk(&reads, |cursor| {
        let mut query = vec![("limit", "100")];
        query.extend(cursor.map(|cursor| ("cursor", cursor)));
        http_get(
            "/v1/businesses/{businessID}/reviews",
            &reviews_path,
            json!({"businessID": business}),
            &query,
        )
    })
    .await;
    let lead_path = format!("/v1/leads/{LEAD_ID}");
    let viewed = walk(&reads, |cursor| {
        let query: Vec<(&str, &str)> = cursor
            .map(|cursor| ("cursor", cursor))
            .into_iter()
            .collect();
        http_get(
            "/v1/leads/{leadID}",
            &lead_path,
            json!({"leadID": LEAD_ID}),
            &query,
        )
    })
    .await;

    for (route, pages) in [("reviews", &listed), ("lead", &viewed)] {
        let sizes: Vec<usize> = pages.iter().map(|(size, _)| *size).collect();
        println!("{route}: answers of {sizes:?} bytes");
        let mut seen: Vec<String> = Vec::new();
        for (_, body) in pages {
            for review in body["reviews"].as_array().unwrap() {
                assert_eq!(review["text"].as_str(), Some(words.as_str()), "{route}");
                seen.push(review["reviewID"].as_str().unwrap().to_owned());
            }
        }
        seen.sort();
        let mut all: Vec<String> = (0..32).map(|n| format!("r-{n}")).collect();
        all.sort();
        assert_eq!(seen, all, "{route}: every review once, whole");
        assert!(pages.len() > 1, "{route}: 6.4 MB of reviews in one answer");
    }
    assert_eq!(viewed[0].1["lead"]["leadID"], LEAD_ID);
}
