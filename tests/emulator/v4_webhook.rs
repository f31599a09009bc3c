//! Thumbtack v4's webhook end to end: a pro connected in the simulator through our connect flow,
//! the simulator delivering to our webhook URL with the header secret it was registered with,
//! a gateway of ours turning each request into the HTTP API event API Gateway would send, and the
//! real lead-inbound binary under our Lambda Runtime API answering it. What it stored is read
//! back through the read API.

use crate::support::*;
use adapters::connect::{HttpThumbtackV4, KmsVault, OAuthUrls};
use adapters::secrets::ThumbtackCredentials;
use adapters::thumbtack::{ThumbtackClient, ThumbtackSettings};
use adapters::{DynamoStore, provision};
use app::auth::Credential;
use app::connections::state::StateKey;
use app::connections::{
    CallbackQuery, ConnectDeps, ConnectSettings, Outcome, ReturnUrls, StartAsked,
    WEBHOOK_SECRET_HEADER, callback, start,
};
use app::deps::ReadDeps;
use app::ports::QuarantineDesk;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use harness::runtime_api::{Answer, RuntimeApi};
use serde_json::{Value, json};
use simulator::{Decision, Simulator};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const RETURN: &str = "http://127.0.0.1:3998/connected";
/// The simulator's pro's first business (the fixtures' business).
const BUSINESS: &str = fixtures::BUSINESS_ID;

/// lead-inbound under a Runtime API, behind a gateway on loopback that records the webhook
/// secret each business's deliveries carry (as a capture of Thumbtack's traffic would).
struct Edge {
    url: String,
    secrets: Arc<Mutex<BTreeMap<String, String>>>,
    _runtime: Arc<RuntimeApi>,
    _function: tokio::process::Child,
    _server: tokio::task::JoinHandle<()>,
}

impl Edge {
    /// The secret the simulator presented on its deliveries to `business_id`'s webhook.
    fn secret_of(&self, business_id: &str) -> String {
        self.secrets
            .lock()
            .unwrap()
            .get(business_id)
            .cloned()
            .expect("the simulator delivered to this business")
    }

    /// A delivery of our own to the webhook of `business_id`.
    async fn post(&self, business_id: &str, secret: Option<&str>, body: &str) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}/v4/webhooks/{business_id}", self.url))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(secret) = secret {
            request = request.header(WEBHOOK_SECRET_HEADER, secret);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

/// lead-inbound on `table`, its AWS endpoint `endpoint` (the emulator, or a faulty proxy).
async fn edge(table: &str, endpoint: &str) -> Edge {
    let runtime = Arc::new(RuntimeApi::start().await.unwrap());
    let function = tokio::process::Command::new(binary("lead-inbound"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &runtime.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "lead-inbound")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/lead-inbound")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("TABLE_NAME", table)
        .env("PARTNER_API_USERNAME", USERNAME)
        .env("PARTNER_API_PASSWORD", PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let secrets = Arc::new(Mutex::new(BTreeMap::new()));
    let gateway = Gateway {
        runtime: Arc::clone(&runtime),
        secrets: Arc::clone(&secrets),
    };
    let app = axum::Router::new()
        .route(
            "/v4/webhooks/{businessID}",
            axum::routing::post(to_function),
        )
        .with_state(Arc::new(gateway));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Edge {
        url,
        secrets,
        _runtime: runtime,
        _function: function,
        _server: server,
    }
}

struct Gateway {
    runtime: Arc<RuntimeApi>,
    secrets: Arc<Mutex<BTreeMap<String, String>>>,
}

/// The request as API Gateway's HTTP API hands it to the function (headers lower-cased, the body
/// in base64, the path parameter decoded), and the function's answer as API Gateway returns it.
async fn to_function(
    State(gateway): State<Arc<Gateway>>,
    Path(business_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(secret) = headers
        .get(WEBHOOK_SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        gateway
            .secrets
            .lock()
            .unwrap()
            .insert(business_id.clone(), secret.to_owned());
    }
    let path = format!("/v4/webhooks/{business_id}");
    let mut event: Value = serde_json::from_str(fixtures::events::HTTP_POST).unwrap();
    event["routeKey"] = json!("POST /v4/webhooks/{businessID}");
    event["requestContext"]["routeKey"] = json!("POST /v4/webhooks/{businessID}");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["pathParameters"] = json!({"businessID": business_id});
    let mut forwarded = serde_json::Map::new();
    for (name, value) in &headers {
        if let Ok(value) = value.to_str() {
            forwarded.insert(name.as_str().to_owned(), json!(value));
        }
    }
    event["headers"] = Value::Object(forwarded);
    event["body"] = json!(STANDARD.encode(&body));
    event["isBase64Encoded"] = json!(true);
    match gateway.runtime.invoke(event).await {
        Some(Answer::Response(answer)) => {
            let status = answer["statusCode"].as_u64().unwrap_or(502) as u16;
            let text = answer["body"].as_str().unwrap_or_default();
            let body = if answer["isBase64Encoded"] == true {
                STANDARD.decode(text).unwrap_or_default()
            } else {
                text.as_bytes().to_vec()
            };
            (StatusCode::from_u16(status).unwrap(), body).into_response()
        }
        _ => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// The simulator, its OAuth client redirecting to our callback at `public`.
async fn simulator_for(public: &str) -> Simulator {
    let mut config = simulator::Config::default();
    config.clients[0].redirect_uris = vec![format!("{public}/v1/connections/callback")];
    Simulator::start(config).await.unwrap()
}

/// The simulator's pro connected through our connect flow, our webhooks at `public`.
async fn connect(sim: &Simulator, table: &TestTable, public: &str) {
    let sdk = sdk().await;
    let alias = provision::ensure_token_key(&sdk, &unique_name("tokens"))
        .await
        .unwrap();
    let api = ThumbtackClient::new(&ThumbtackSettings {
        base_url: format!("{}/api", sim.url()),
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let oauth = OAuthUrls::new(
        &format!("{}/oauth2/auth", sim.url()),
        &format!("{}/oauth2/token", sim.url()),
        &format!("{public}/v1/connections/callback"),
    )
    .unwrap();
    let deps: ConnectDeps<DynamoStore, HttpThumbtackV4, KmsVault> = ConnectDeps {
        store: table.store.clone(),
        thumbtack: HttpThumbtackV4::new(
            api,
            oauth,
            ThumbtackCredentials::fixed(Credential::new("sim-client", "sim-secret")),
        ),
        vault: KmsVault::from_config(&sdk, alias),
        settings: ConnectSettings {
            state_key: StateKey::new(unique_name("state-key-of-at-least-32-bytes").into_bytes()),
            return_urls: ReturnUrls::parse([RETURN]).unwrap(),
            webhook_base_url: format!("{public}/v4/webhooks"),
        },
        metrics: app::metrics::Metrics::off(),
    };
    let asked = StartAsked {
        reference: Some("pro-42"),
        return_url: Some(RETURN),
    };
    let started = start(&deps, asked, app::now_millis()).await.unwrap();
    let back = sim
        .consent(&started.authorize_url, Decision::Approve)
        .await
        .unwrap();
    let back = reqwest::Url::parse(&back).unwrap();
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (code, state) = (param("code"), param("state"));
    let query = CallbackQuery {
        code: code.as_deref(),
        state: state.as_deref(),
        error: None,
    };
    let outcome = callback(&deps, query, app::now_millis()).await;
    assert!(matches!(outcome, Outcome::Connected { .. }), "{outcome:?}");
}

/// A table, lead-inbound on it behind the gateway, and the simulator's pro connected to it.
async fn connected() -> (TestTable, Edge, Simulator) {
    let table = fresh_table().await;
    let edge = edge(&table.name, &std::env::var("AWS_ENDPOINT_URL").unwrap()).await;
    let sim = simulator_for(&edge.url).await;
    connect(&sim, &table, &edge.url).await;
    (table, edge, sim)
}

/// `GET /v1/leads/{leadID}` through the read function's handler.
async fn read_lead(table: &TestTable, lead_id: &str) -> (u16, Value) {
    let deps = ReadDeps {
        store: table.store.clone(),
        pull: pull_settings(),
    };
    let request = http_api::testing::get_lead(http_api::testing::Gateway::HttpV2, lead_id);
    let response = partner_api::handler::handle(&deps, request).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap();
    (response.status().as_u16(), body)
}

/// The simulator's deliveries to our webhooks, (event type, status) in order.
fn delivered(sim: &Simulator) -> Vec<(String, Option<u16>)> {
    sim.log()
        .into_iter()
        .filter(|e| e.kind == "delivered")
        .map(|e| (e.event_type.unwrap_or_default(), e.status))
        .collect()
}

fn types_in(
    items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>],
) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| item.get("type").and_then(|t| t.as_s().ok()).cloned())
        .collect()
}

#[tokio::test]
async fn a_customer_s_request_to_a_connected_pro_is_stored_by_the_binary_and_read_back_as_v4() {
    let (table, _edge, sim) = connected().await;
    let lead = sim.new_lead(BUSINESS).await.unwrap();
    assert_eq!(
        delivered(&sim),
        [
            ("MessageCreatedV4".to_owned(), Some(202)),
            ("NegotiationCreatedV4".to_owned(), Some(200)),
        ],
        "the message first, before its lead (202), then the lead"
    );
    let (status, view) = read_lead(&table, &lead.negotiation_id).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["contract"], "v4", "{view}");
    assert_eq!(
        view["summary"]["leadID"],
        lead.negotiation_id.as_str(),
        "{view}"
    );
    assert_eq!(view["summary"]["business"]["businessID"], BUSINESS);
    assert_eq!(view["v4"]["status"], "Open");
    // The envelope as Thumbtack sent it.
    assert_eq!(view["lead"]["event"]["eventType"], "NegotiationCreatedV4");
    let messages = view["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{view}");
    assert_eq!(messages[0]["id"], lead.message_id.as_str());
    assert_eq!(messages[0]["direction"], "inbound");

    // A review names no business: it is the business of the webhook it came through.
    sim.control(
        &format!("/sim/v4/negotiations/{}/reviews", lead.negotiation_id),
        json!({"rating": 5, "text": "Great work."}),
    )
    .await
    .unwrap();
    let (_, view) = read_lead(&table, &lead.negotiation_id).await;
    let reviews = view["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "{view}");
    assert_eq!(reviews[0]["businessID"], BUSINESS, "{view}");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_wrong_secret_and_an_unknown_business_get_the_same_401_and_nothing_is_kept() {
    let (table, edge, sim) = connected().await;
    sim.new_lead(BUSINESS).await.unwrap();
    let secret = edge.secret_of(BUSINESS);
    let items_before = table.all_items().await.len();
    let body = fixtures::v4::NEGOTIATION_CREATED.replace("586100000000000001", BUSINESS);

    let wrong = edge.post(BUSINESS, Some("not-the-secret"), &body).await;
    let missing = edge.post(BUSINESS, None, &body).await;
    let unknown = edge.post("5009999999999999999", Some(&secret), &body).await;
    for answer in [&wrong, &missing, &unknown] {
        assert_eq!(*answer, (401, json!({"error": "unauthorized"})));
    }
    // Only the refusal log's counts were written: no lead, nothing in quarantine.
    let items = table.all_items().await;
    assert!(
        types_in(&items).iter().all(|t| t != "quarantine"),
        "{:?}",
        types_in(&items)
    );
    assert_eq!(
        items.len() - items_before,
        types_in(&items).iter().filter(|t| *t == "refused").count()
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_lead_without_its_negotiation_id_is_kept_byte_for_byte_and_refused_with_its_path() {
    let (table, edge, sim) = connected().await;
    sim.new_lead(BUSINESS).await.unwrap();
    let secret = edge.secret_of(BUSINESS);
    let mut lead: Value = serde_json::from_str(fixtures::v4::NEGOTIATION_CREATED).unwrap();
    lead["data"]["business"]["businessID"] = json!(BUSINESS);
    lead["data"]
        .as_object_mut()
        .unwrap()
        .remove("negotiationID");
    let body = format!("{}\n", serde_json::to_string_pretty(&lead).unwrap());

    let (status, answer) = edge.post(BUSINESS, Some(&secret), &body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["fields"][0]["path"], "data.negotiationID");
    let page = table.store.list_quarantine(10, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let kept = &page.items[0];
    assert_eq!(kept.raw, body.as_bytes());
    assert_eq!(kept.route, "v4-webhook");
    assert_eq!(kept.problems.paths(), ["data.negotiationID"]);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unknown_event_type_is_answered_200_and_kept_where_the_quarantine_lists_it() {
    let (table, edge, sim) = connected().await;
    sim.new_lead(BUSINESS).await.unwrap();
    let secret = edge.secret_of(BUSINESS);
    let body = json!({
        "event": {"eventType": "PresetJobMatchedV4", "description": "",
                  "webhookID": "587754774977404932", "triggeredAt": "2026-08-16T17:13:05Z"},
        "data": {"presetJobID": "1"}
    })
    .to_string();

    let (status, answer) = edge.post(BUSINESS, Some(&secret), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "kept");
    assert_eq!(answer["eventType"], "PresetJobMatchedV4");
    let page = table.store.list_quarantine(10, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].raw, body.as_bytes());
    assert_eq!(page.items[0].problems.paths(), ["event.eventType"]);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_lead_delivered_twice_is_stored_once_and_enters_the_changes_feed_once() {
    let (table, _edge, sim) = connected().await;
    sim.control(
        "/sim/faults/deliveries",
        json!({"duplicate": true, "times": 2}),
    )
    .await
    .unwrap();
    let lead = sim.new_lead(BUSINESS).await.unwrap();
    let statuses: Vec<Option<u16>> = delivered(&sim).into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses.len(), 4, "each of the pair delivered twice");
    assert!(
        statuses.iter().all(|s| matches!(s, Some(200 | 202))),
        "{statuses:?}"
    );

    let types = types_in(&table.all_items().await);
    assert_eq!(
        types.iter().filter(|t| *t == "lead").count(),
        1,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "message").count(),
        1,
        "{types:?}"
    );
    assert!(!types.iter().any(|t| t == "revision"), "{types:?}");
    // The events function publishes what enters the changes feed: one entry per fact.
    let feed = table.changes_index().await;
    let about_the_lead = feed
        .iter()
        .filter(|entry| {
            entry
                .get("PK")
                .and_then(|pk| pk.as_s().ok())
                .is_some_and(|pk| pk.contains(&lead.negotiation_id))
        })
        .count();
    assert_eq!(about_the_lead, 2, "the lead and its message, once each");
    // Both entries say which contract carried them, as the read API does.
    let page = app::ports::Listings::changes(&table.store, 0, u64::MAX, 100, None)
        .await
        .unwrap();
    let contracts: Vec<(String, Value)> = page
        .items
        .iter()
        .map(|entry| entry.fact.event().detail)
        .filter(|detail| detail["leadID"] == lead.negotiation_id.as_str())
        .map(|detail| (detail["leadID"].to_string(), detail["contract"].clone()))
        .collect();
    assert_eq!(contracts.len(), 2, "{contracts:?}");
    assert!(contracts.iter().all(|(_, c)| c == "v4"), "{contracts:?}");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_storage_fault_is_answered_5xx_so_that_the_delivery_is_made_again() {
    let table = fresh_table().await;
    let proxy = harness::faults::start(
        &std::env::var("AWS_ENDPOINT_URL").unwrap(),
        harness::faults::FaultPlan {
            share: 1.0,
            kinds: vec![harness::faults::Fault::ServerError],
            hold: Duration::from_secs(5),
        },
    )
    .await
    .unwrap();
    let faulty = edge(&table.name, &proxy.url).await;
    let body = fixtures::v4::NEGOTIATION_CREATED;
    let (status, answer) = faulty
        .post("586100000000000001", Some("any-secret"), body)
        .await;
    assert!((500..600).contains(&status), "{status} {answer}");
    assert!(
        proxy
            .counts
            .dynamodb_calls
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    assert!(
        types_in(&table.all_items().await)
            .iter()
            .all(|t| t != "lead")
    );
}

#[tokio::test]
async fn what_the_pro_types_in_the_app_is_their_reply_in_the_conversation_once() {
    use app::ports::ReplyLedger;
    let (table, _edge, sim) = connected().await;
    let lead = sim.new_lead(BUSINESS).await.unwrap();
    sim.control(
        "/sim/faults/deliveries",
        json!({"duplicate": true, "times": 1}),
    )
    .await
    .unwrap();
    let written = sim
        .control(
            &format!("/sim/v4/negotiations/{}/pro-messages", lead.negotiation_id),
            json!({"text": "I can come Saturday."}),
        )
        .await
        .unwrap();
    let message_id = written["messageID"].as_str().unwrap();
    let statuses: Vec<Option<u16>> = delivered(&sim).into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses[2..], [Some(200), Some(200)], "delivered twice");

    let (_, view) = read_lead(&table, &lead.negotiation_id).await;
    let outbound: Vec<&Value> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    assert_eq!(outbound.len(), 1, "{view}");
    assert_eq!(outbound[0]["text"], "I can come Saturday.", "{view}");
    assert_eq!(
        outbound[0]["id"],
        format!("{}{message_id}", app::ingest::APP_PREFIX),
        "{view}"
    );
    // What the acknowledgement asks before it goes: a person answered.
    assert!(
        table
            .store
            .person_replied(&lead.negotiation_id)
            .await
            .unwrap()
    );
    sim.shutdown().await.unwrap();
}

/// The stored body of the one item of `kind` about `lead_id`.
fn stored_raw(
    items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>],
    kind: &str,
    lead_id: &str,
) -> String {
    let found: Vec<&String> = items
        .iter()
        .filter(|item| {
            item.get("type")
                .and_then(|t| t.as_s().ok())
                .map(String::as_str)
                == Some(kind)
        })
        .filter(|item| {
            item.get("PK")
                .and_then(|pk| pk.as_s().ok())
                .is_some_and(|pk| pk.contains(lead_id))
        })
        .filter_map(|item| item.get("raw").and_then(|raw| raw.as_s().ok()))
        .collect();
    assert_eq!(found.len(), 1, "one {kind} of {lead_id}");
    found[0].clone()
}

/// The same envelope as delivered by another subscription of the business (the pro's
/// self-serve webhook beside ours): another webhookID, a later triggeredAt, the same data.
fn through_another_webhook(raw: &str) -> String {
    let mut envelope: Value = serde_json::from_str(raw).unwrap();
    assert_ne!(envelope["event"]["webhookID"], "999000000000000001");
    envelope["event"]["webhookID"] = json!("999000000000000001");
    envelope["event"]["triggeredAt"] = json!("2030-01-01T00:00:00Z");
    envelope.to_string()
}

/// Each fact's items and changes-feed entries about `lead_id`: (leads, messages, revisions,
/// feed entries).
async fn counted_about(table: &TestTable, lead_id: &str) -> (usize, usize, usize, usize) {
    let items = table.all_items().await;
    let about: Vec<_> = items
        .iter()
        .filter(|item| {
            item.get("PK")
                .and_then(|pk| pk.as_s().ok())
                .is_some_and(|pk| pk.contains(lead_id))
        })
        .cloned()
        .collect();
    let types = types_in(&about);
    let count = |kind: &str| types.iter().filter(|t| *t == kind).count();
    let feed = table
        .changes_index()
        .await
        .iter()
        .filter(|entry| {
            entry
                .get("PK")
                .and_then(|pk| pk.as_s().ok())
                .is_some_and(|pk| pk.contains(lead_id))
        })
        .count();
    (count("lead"), count("message"), count("revision"), feed)
}

#[tokio::test]
async fn a_pair_delivered_by_two_webhooks_of_the_business_is_stored_once_in_either_order() {
    let (table, edge, sim) = connected().await;
    for order in ["messageFirst", "negotiationFirst"] {
        let made = sim
            .control(
                &format!("/sim/v4/businesses/{BUSINESS}/requests"),
                json!({"order": order}),
            )
            .await
            .unwrap();
        let lead_id = made["negotiationID"].as_str().unwrap();
        let secret = edge.secret_of(BUSINESS);
        let items = table.all_items().await;
        let lead = stored_raw(&items, "lead", lead_id);
        let message = stored_raw(&items, "message", lead_id);
        // The other subscription delivers the pair too, in the other order.
        let again = if order == "messageFirst" {
            [&lead, &message]
        } else {
            [&message, &lead]
        };
        for raw in again {
            let (status, answer) = edge
                .post(BUSINESS, Some(&secret), &through_another_webhook(raw))
                .await;
            assert_eq!(status, 200, "{order}: {answer}");
        }
        assert_eq!(
            counted_about(&table, lead_id).await,
            (1, 1, 0, 2),
            "{order}: one lead, one message, no revision, one feed entry (one event) each"
        );
        let (_, view) = read_lead(&table, lead_id).await;
        assert_eq!(
            view["messages"].as_array().unwrap().len(),
            1,
            "{order}: {view}"
        );
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn thumbtacks_test_delivery_is_stored_marked_test_in_its_event_and_kept_out_of_the_figures() {
    use app::ports::StatsDesk;
    let (table, _edge, sim) = connected().await;
    let test = sim
        .control(
            &format!("/sim/v4/businesses/{BUSINESS}/test-webhook"),
            json!({}),
        )
        .await
        .unwrap();
    let test_id = test["negotiationID"].as_str().unwrap().to_owned();
    let real = sim.new_lead(BUSINESS).await.unwrap();
    assert!(
        delivered(&sim)
            .iter()
            .all(|(_, status)| matches!(status, Some(200 | 202))),
        "{:?}",
        delivered(&sim)
    );
    let items = table.all_items().await;
    let lead_item = |lead_id: &str| {
        items
            .iter()
            .find(|item| {
                item.get("type")
                    .and_then(|t| t.as_s().ok())
                    .map(String::as_str)
                    == Some("lead")
                    && item
                        .get("leadID")
                        .and_then(|l| l.as_s().ok())
                        .map(String::as_str)
                        == Some(lead_id)
            })
            .cloned()
            .expect("the lead is stored")
    };
    // Its event (the stream's image of the stored item) says so; a real lead's says nothing.
    let event = |lead_id: &str| {
        adapters::dynamo::changes::fact(&lead_item(lead_id), None)
            .unwrap()
            .expect("a lead is a fact")
            .event()
            .detail
    };
    assert_eq!(event(&test_id)["test"], true, "{}", event(&test_id));
    assert!(event(&real.negotiation_id).get("test").is_none());
    assert_eq!(event(&real.negotiation_id)["contract"], "v4");
    // Never acknowledged, and out of the business's figures.
    let records = app::LeadStore::conversation(&table.store, &test_id)
        .await
        .unwrap();
    assert!(app::speed::is_test_lead(&records));
    assert!(!table.store.count_lead(&test_id).await.unwrap());
    assert!(table.store.count_lead(&real.negotiation_id).await.unwrap());
    // A reply on it (the pro answering the test in the app) counts in no figure either.
    let answered =
        app::ports::ReplyLedger::first_reply(&table.store, &test_id, false, app::now_millis())
            .await
            .unwrap();
    assert_eq!(answered, None);
    let days = table
        .store
        .daily_stats(BUSINESS, "2000-01-01", "2999-12-31")
        .await
        .unwrap();
    let leads: u64 = days.iter().map(|day| day.leads).sum();
    let replied: u64 = days
        .iter()
        .map(|day| day.replied + day.person_replied)
        .sum();
    assert_eq!((leads, replied), (1, 0), "the real lead alone: {days:?}");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn thumbtacks_quick_reply_with_its_lead_is_kept_and_the_lead_still_unanswered_by_a_person() {
    use app::ports::ReplyLedger;
    let (table, edge, sim) = connected().await;
    let lead = sim.new_lead(BUSINESS).await.unwrap();
    let secret = edge.secret_of(BUSINESS);
    let stored: Value = serde_json::from_str(&stored_raw(
        &table.all_items().await,
        "message",
        &lead.negotiation_id,
    ))
    .unwrap();
    let created: Value = serde_json::from_str(&stored_raw(
        &table.all_items().await,
        "lead",
        &lead.negotiation_id,
    ))
    .unwrap();
    // Thumbtack's own message on the business side, made with the lead (its `from` undocumented,
    // here `Business`).
    let mut quick = stored.clone();
    quick["data"]["messageID"] = json!("999000000000000777");
    quick["data"]["from"] = json!("Business");
    quick["data"]["text"] = json!("Thanks for reaching out! We'll reply soon.");
    quick["data"]["sentAt"] = created["data"]["createdAt"].clone();
    let (status, answer) = edge.post(BUSINESS, Some(&secret), &quick.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "kept", "{answer}");
    assert_eq!(answer["reason"], "quick-reply", "{answer}");
    assert!(
        !table
            .store
            .person_replied(&lead.negotiation_id)
            .await
            .unwrap()
    );
    let (_, view) = read_lead(&table, &lead.negotiation_id).await;
    assert!(
        view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["direction"] == "inbound"),
        "not in the conversation as the pro's reply: {view}"
    );
    let page = table.store.list_quarantine(10, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        page.items[0].raw,
        quick.to_string().as_bytes(),
        "kept as sent"
    );
    assert_eq!(page.items[0].problems.paths(), ["data.sentAt"]);
    sim.shutdown().await.unwrap();
}
