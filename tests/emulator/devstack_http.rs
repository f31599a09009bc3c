//! The local stack's HTTP front over real sockets: the router `make dev` serves, on an ephemeral
//! loopback port.

use crate::support::*;
use app::paging::CursorKey;
use app::pull::PullSettings;
use devstack::{Stack, router};
use std::sync::Arc;
use std::time::Duration;

async fn serve() -> String {
    let credentials = adapters::secrets::PartnerCredentials::fixed(&[app::auth::Credential::new(
        USERNAME, PASSWORD,
    )]);
    let pull = PullSettings {
        cursors: CursorKey::new(b"devstack http tests".to_vec()),
        // As short as can be: these tests read the feed right after writing.
        settle: Duration::from_millis(1),
    };
    let stack = Stack::new(fresh_store().await, credentials, pull);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(stack))).await });
    base
}

/// `body` posted to `url` with Thumbtack's credentials.
async fn post_as_thumbtack(
    http: &reqwest::Client,
    url: String,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    http.post(url)
        .basic_auth(USERNAME, Some(PASSWORD))
        .body(body)
        .send()
        .await
        .unwrap()
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
    let message = post_as_thumbtack(&http, format!("{base}/v1/message"), MESSAGE).await;
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
async fn the_local_routes_take_a_lead_update_by_put_and_a_review_by_post() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, body: &'static str| {
        http.request(method, format!("{base}{path}"))
            .basic_auth(USERNAME, Some(PASSWORD))
            .body(body)
            .send()
    };
    use reqwest::Method;
    let update = send(Method::PUT, "/v1/lead/update", fixtures::LEAD_UPDATE);
    assert_eq!(
        update.await.unwrap().status(),
        202,
        "its lead is not stored yet"
    );
    let lead = send(Method::POST, "/v1/lead", fixtures::LEAD_2025);
    assert_eq!(lead.await.unwrap().status(), 200);
    let review = send(Method::POST, "/v1/review", fixtures::REVIEW);
    assert_eq!(review.await.unwrap().status(), 200);
    let wrong_method = send(Method::POST, "/v1/lead/update", fixtures::LEAD_UPDATE);
    assert_eq!(wrong_method.await.unwrap().status(), 405);

    let view: serde_json::Value = http
        .get(format!("{base}/v1/leads/437282017264173057"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["leadPrice"], "$25.00");
    assert_eq!(view["chargeState"], "Charged");
    assert_eq!(view["priceUpdates"].as_array().unwrap().len(), 1);
    assert_eq!(view["reviews"][0]["reviewID"], "441190338474795011");
    assert_eq!(view["summary"]["leadType"], "INSTANT_BOOK");
}

#[tokio::test]
async fn the_local_routes_list_a_business_leads_and_the_changes_open_on_loopback() {
    let base = serve().await;
    let http = reqwest::Client::new();
    for body in [LEAD, MESSAGE] {
        let route = if body == LEAD { "lead" } else { "message" };
        let stored = post_as_thumbtack(&http, format!("{base}/v1/{route}"), body).await;
        assert_eq!(stored.status(), 200);
    }
    let business = fixtures::BUSINESS_ID;
    let leads: serde_json::Value = http
        .get(format!(
            "{base}/v1/businesses/{business}/leads?limit=5&since=1498760294"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(leads["leads"][0]["leadID"], LEAD_ID, "{leads}");
    assert_eq!(leads["next"], serde_json::Value::Null);
    // Past the settle window of this stack (1 ms).
    tokio::time::sleep(Duration::from_millis(20)).await;
    let changes: serde_json::Value = http
        .get(format!("{base}/v1/changes?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changes["changes"][0]["type"], "Lead Received", "{changes}");
    let next = changes["next"].as_str().unwrap();
    let after: serde_json::Value = http
        .get(format!("{base}/v1/changes?limit=1&cursor={next}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["changes"][0]["type"], "Message Received", "{after}");
    let refused = http
        .get(format!("{base}/v1/changes?cursor={next}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["fields"][0]["path"], "cursor");
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
    let response =
        post_as_thumbtack(&reqwest::Client::new(), format!("{base}/v1/lead"), body).await;
    assert_eq!(response.status(), 413);
}

/// The whole local stack as `make dev` starts it (routes, reply worker, Thumbtack simulator), on ephemeral
/// ports with its own table and queues.
async fn launch_stack() -> devstack::Launched {
    launch_stack_with(&[]).await
}

/// [`launch_stack`] with more settings (`CONNECT_RETURN_URLS`, say).
pub(crate) async fn launch_stack_with(more: &[(&'static str, String)]) -> devstack::Launched {
    let table = unique_name("dev");
    let queue = format!("{}.fifo", unique_name("dev-replies"));
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let vars = std::collections::HashMap::from([
        ("DEV_ADDR", "127.0.0.1:0".to_owned()),
        ("SANDBOX_ADDR", "127.0.0.1:0".to_owned()),
        ("TABLE_NAME", table),
        ("REPLY_QUEUE_NAME", queue),
        // A bus and queues of its own: another stack's workers must not take its events.
        ("EVENT_BUS_NAME", unique_name("dev-bus")),
        ("EVENTS_QUEUE_NAME", unique_name("dev-events")),
        ("SPEED_QUEUE_NAME", unique_name("dev-speed")),
        ("REPLY_RETRY_BASE_SECONDS", "1".to_owned()),
        ("PARTNER_API_USERNAME", USERNAME.to_owned()),
        ("PARTNER_API_PASSWORD", PASSWORD.to_owned()),
        ("AWS_ENDPOINT_URL", endpoint),
    ]);
    let mut vars = vars;
    vars.extend(more.iter().cloned());
    let env = adapters::config::Env::with(move |var| vars.get(var).cloned());
    let settings = devstack::DevSettings::from_env(env).unwrap();
    devstack::launch(&settings, &sdk().await).await.unwrap()
}

#[tokio::test]
async fn a_pro_connects_through_the_local_stack_and_the_callback_names_their_businesses() {
    let stack = launch_stack().await;
    let base = &stack.base_url;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let started = http
        .post(format!("{base}/v1/connections"))
        .json(&serde_json::json!({"reference": "pro-7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let started: serde_json::Value = started.json().await.unwrap();
    let simulator = stack.simulator().unwrap();
    let back = simulator
        .consent(
            started["authorizeURL"].as_str().unwrap(),
            simulator::Decision::Approve,
        )
        .await
        .unwrap();
    assert!(
        back.starts_with(&format!("{base}/v1/connections/callback?")),
        "{back}"
    );
    let page = http.get(&back).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("<li>Example Lawn Co</li>"), "{page}");
    // The state was used: the same link again is refused.
    let again = http.get(&back).send().await.unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("used_state"));
    // The partner reads the connection back: open on loopback, as the other IAM routes.
    let user = simulator::Config::default().users[0].user_id.clone();
    let view: serde_json::Value = http
        .get(format!("{base}/v1/connections/{user}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "connected");
    assert_eq!(view["reference"], "pro-7");
    assert_eq!(view["businesses"].as_array().unwrap().len(), 2);
    stack.stop().await;
}

#[tokio::test]
async fn a_reply_enqueued_on_the_local_stack_reaches_the_simulator_and_reads_back_as_sent() {
    let stack = launch_stack().await;
    let http = reqwest::Client::new();
    let base = &stack.base_url;
    let lead = post_as_thumbtack(&http, format!("{base}/v1/lead"), LEAD).await;
    assert_eq!(lead.status(), 200);

    let queue = adapters::SqsReplyQueue::new(
        aws_sdk_sqs::Client::new(&sdk().await),
        &stack.queue_url,
        &stack.dlq_url,
    );
    let reply = models::ReplyRequest {
        reply_id: "local-reply-1".into(),
        business_id: "286845156044809661".into(),
        lead_id: LEAD_ID.into(),
        text: "Hi Jay, Tuesday at 10?".into(),
    };
    queue.enqueue(&reply).await.unwrap();

    let started = std::time::Instant::now();
    let outbound = loop {
        let view: serde_json::Value = http
            .get(format!("{base}/v1/leads/{LEAD_ID}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sent = view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["direction"] == "outbound" && m["status"] == "sent")
            .cloned();
        if let Some(entry) = sent {
            break entry;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "not sent: {view}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(outbound["id"], "local-reply-1");
    assert_eq!(outbound["text"], "Hi Jay, Tuesday at 10?");

    let received: serde_json::Value = http
        .get(format!(
            "{}/sandbox/messages",
            stack.simulator_url.as_deref().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        received,
        serde_json::json!([{"businessID": "286845156044809661", "leadID": LEAD_ID, "text": "Hi Jay, Tuesday at 10?"}])
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_smoke_test_passes_against_the_local_stack() {
    let stack = launch_stack().await;
    let settings = harness::smoke::SmokeSettings {
        base_url: stack.base_url.clone(),
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        sign_reads: false,
        region: "us-east-1".to_owned(),
        accept_failed_reply: false,
        reply_timeout: std::time::Duration::from_secs(20),
        simulator_url: stack.simulator_url.clone(),
    };
    let queue = adapters::SqsReplyQueue::new(
        aws_sdk_sqs::Client::new(&sdk().await),
        &stack.queue_url,
        &stack.dlq_url,
    );
    let covered = harness::smoke::run(&settings, &sdk().await, &queue)
        .await
        .unwrap();
    stack.stop().await;
    // Issue 18, item 14: the smoke run calls every route the template serves.
    assert_eq!(covered, template_routes());
}

/// Every API route of infra/template.yaml: `(method, path)` of each function's `HttpApi` events.
fn template_routes() -> harness::smoke::Routes {
    let template: serde_norway::Value =
        serde_norway::from_str(include_str!("../../infra/template.yaml")).unwrap();
    let mut routes = harness::smoke::Routes::new();
    for resource in template["Resources"].as_mapping().unwrap().values() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let route = &event["Properties"];
            routes.insert((
                route["Method"].as_str().unwrap().to_owned(),
                route["Path"].as_str().unwrap().to_owned(),
            ));
        }
    }
    assert!(routes.len() >= 10, "{routes:?}");
    routes
}

#[tokio::test]
async fn a_launch_that_fails_leaves_no_server_behind() {
    let sandbox_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let vars = std::collections::HashMap::from([
        ("DEV_ADDR", "127.0.0.1:0".to_owned()),
        ("SANDBOX_ADDR", format!("127.0.0.1:{sandbox_port}")),
        ("TABLE_NAME", unique_name("dev-failed")),
        (
            "REPLY_QUEUE_NAME",
            format!("{}.fifo", unique_name("dev-failed")),
        ),
        // A secret that does not exist: init reads it, and fails.
        (
            "PARTNER_CREDENTIALS_SECRET_ARN",
            format!(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:{}",
                unique_name("none")
            ),
        ),
        (
            "AWS_ENDPOINT_URL",
            std::env::var("AWS_ENDPOINT_URL").unwrap(),
        ),
    ]);
    let env = adapters::config::Env::with(move |var| vars.get(var).cloned());
    let settings = devstack::DevSettings::from_env(env).unwrap();
    assert!(devstack::launch(&settings, &sdk().await).await.is_err());
    let free = tokio::net::TcpListener::bind(("127.0.0.1", sandbox_port)).await;
    assert!(free.is_ok(), "the simulator still holds its port: {free:?}");
}

#[tokio::test]
async fn a_refusal_through_the_local_stack_is_counted_in_its_table() {
    let store = fresh_store().await;
    let credentials = adapters::secrets::PartnerCredentials::fixed(&[app::auth::Credential::new(
        USERNAME, PASSWORD,
    )]);
    let pull = PullSettings {
        cursors: CursorKey::new(b"devstack http tests".to_vec()),
        settle: Duration::from_millis(1),
    };
    let stack = Stack::new(store.clone(), credentials, pull);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(stack))).await });

    let response = reqwest::Client::new()
        .put(format!("{base}/v1/lead/update"))
        .basic_auth(USERNAME, Some("not-the-password"))
        .body(fixtures::LEAD_UPDATE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let counts = app::ports::RefusalLog::refusals(&store, 10).await.unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(
        (
            counts[0].route.as_str(),
            counts[0].status,
            counts[0].reason.as_str()
        ),
        ("lead-update", 401, "wrong_credentials")
    );
}

/// What the simulator received on its legacy reply route, in order.
async fn sandbox_messages(stack: &devstack::Launched) -> Vec<serde_json::Value> {
    let url = format!(
        "{}/sandbox/messages",
        stack.simulator_url.as_deref().unwrap()
    );
    let received: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    received.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_business_that_turned_it_on_gets_one_acknowledgement_at_the_simulator_per_lead() {
    let stack = launch_stack().await;
    let http = reqwest::Client::new();
    let base = &stack.base_url;
    let business = fixtures::BUSINESS_ID;
    crate::support::turn_on_acknowledgement(base, business).await;

    // A new lead: one created weeks ago is neither acknowledged nor checked.
    let created = app::now_millis() / 1000 - 5;
    let fresh = LEAD.replace("1498760294", &created.to_string());
    for _ in 0..3 {
        let lead = post_as_thumbtack(&http, format!("{base}/v1/lead"), fresh.clone()).await;
        assert_eq!(lead.status(), 200);
    }
    let started = std::time::Instant::now();
    let acknowledgement = loop {
        if let Some(first) = sandbox_messages(&stack).await.first().cloned() {
            break first;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no acknowledgement reached the simulator"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(acknowledgement["leadID"], LEAD_ID);
    let text = acknowledgement["text"].as_str().unwrap();
    assert!(
        text.starts_with("Hi Jay, thanks for reaching out"),
        "{text}"
    );
    // The events of the duplicates, had they made any, would be in by now.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(sandbox_messages(&stack).await.len(), 1);

    let view: serde_json::Value = http
        .get(format!("{base}/v1/leads/{LEAD_ID}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["acknowledgement"]["status"], "enqueued", "{view}");
    let reply = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "outbound")
        .unwrap();
    assert_eq!(reply["id"], format!("auto-{LEAD_ID}"));
    assert_eq!(reply["automatic"], true);
    stack.stop().await;
}

#[tokio::test]
async fn a_conversation_played_by_the_simulator_reaches_the_local_stack_and_the_reply_reaches_the_simulator()
 {
    let stack = launch_stack().await;
    let http = reqwest::Client::new();
    let (base, simulator) = (&stack.base_url, stack.simulator_url.clone().unwrap());
    let control = |path: &str, body: serde_json::Value| {
        let request = http.post(format!("{simulator}{path}")).json(&body);
        let path = path.to_owned();
        async move {
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 200, "{path}");
            answer.json::<serde_json::Value>().await.unwrap()
        }
    };

    // Thumbtack delivers a lead, then the customer writes: each delivered before the call answers.
    let lead = control("/sim/legacy/leads", serde_json::json!({})).await;
    let lead_id = lead["leadID"].as_str().unwrap().to_owned();
    let business_id = lead["business"]["businessID"].as_str().unwrap().to_owned();
    control(
        "/sim/legacy/messages",
        serde_json::json!({"leadID": lead_id, "businessID": business_id, "text": "Is Tuesday free?"}),
    )
    .await;
    let log = get_json(&http, format!("{simulator}/sim/log")).await;
    let delivered: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "delivered")
        .map(|entry| (entry["target"].as_str().unwrap(), entry["status"].as_u64()))
        .collect();
    assert_eq!(
        delivered,
        [
            (format!("{base}/v1/lead").as_str(), Some(200)),
            (format!("{base}/v1/message").as_str(), Some(200)),
        ]
    );
    let view = get_json(&http, format!("{base}/v1/leads/{lead_id}")).await;
    let texts: Vec<_> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap(),
                m["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(texts, [("inbound", "Is Tuesday free?")]);

    // The pro answers through the reply queue: the simulator receives it as Thumbtack would.
    let queue = adapters::SqsReplyQueue::new(
        aws_sdk_sqs::Client::new(&sdk().await),
        &stack.queue_url,
        &stack.dlq_url,
    );
    let reply = models::ReplyRequest {
        reply_id: "simulated-conversation-1".into(),
        business_id: business_id.clone(),
        lead_id: lead_id.clone(),
        text: "Yes, Tuesday at 10.".into(),
    };
    queue.enqueue(&reply).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let received = get_json(&http, format!("{simulator}/sandbox/messages")).await;
        if received.as_array().is_some_and(|r| !r.is_empty()) {
            assert_eq!(
                received,
                serde_json::json!([{"businessID": business_id, "leadID": lead_id, "text": "Yes, Tuesday at 10."}])
            );
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the reply did not reach the simulator"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    stack.stop().await;
}
