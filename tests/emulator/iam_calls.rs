//! What each function calls in AWS against what infra/template.yaml allows it. The emulator checks
//! no IAM, so a call added to the code without its permission passes every other test and is
//! refused only in AWS. Here the functions' paths run over real connections through a recording
//! proxy in front of the emulator, and the actions they took must be exactly those their policy
//! allows (the event source mapping's own actions and the logs aside).

use crate::support::*;
use adapters::dynamo::stream::TableStream;
use adapters::{DynamoStore, EventBridgeBus, provision};
use app::deps::InboundDeps;
use app::events::{EventsDeps, PublishPolicy};
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http_api::testing::{
    Encoding, Gateway, basic, get, get_business_leads, get_business_reviews, get_changes, get_lead,
    put_business_settings, send,
};
use serde_norway::Value;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const TEMPLATE: &str = include_str!("../../infra/template.yaml");

/// A loopback proxy to the emulator that notes the IAM action of every call it forwards
/// (`X-Amz-Target: DynamoDB_20120810.PutItem` is `dynamodb:PutItem`).
struct Recorder {
    url: String,
    actions: Arc<Mutex<BTreeSet<String>>>,
    written: Arc<Mutex<BTreeSet<String>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Forward {
    upstream: String,
    client: reqwest::Client,
    actions: Arc<Mutex<BTreeSet<String>>>,
    /// The partition key of every item written (what `dynamodb:LeadingKeys` is checked on).
    written: Arc<Mutex<BTreeSet<String>>>,
}

impl Recorder {
    async fn start() -> Recorder {
        let upstream = std::env::var("AWS_ENDPOINT_URL").unwrap();
        let actions = Arc::new(Mutex::new(BTreeSet::new()));
        let written = Arc::new(Mutex::new(BTreeSet::new()));
        let state = Forward {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            actions: Arc::clone(&actions),
            written: Arc::clone(&written),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Recorder {
            url,
            actions,
            written,
            task,
        }
    }

    /// An SDK configuration pointed at this proxy. Set on the loader: an endpoint set on a
    /// loaded configuration loses to AWS_ENDPOINT_URL when a client is built from it.
    async fn sdk(&self) -> adapters::aws::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .load()
            .await
    }

    fn actions(&self) -> BTreeSet<String> {
        self.actions.lock().unwrap().clone()
    }

    fn written(&self) -> BTreeSet<String> {
        self.written.lock().unwrap().clone()
    }
}

/// A store as in AWS, where DynamoDB has an endpoint of its own, so that init's warm-up read is
/// made (behind one endpoint for every service it is not: `DynamoStore::warm_up`).
async fn store_with_its_own_endpoint(recorder: &Recorder, table: &str) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&recorder.sdk().await), table)
}

/// The partition keys a DynamoDB write request writes under, whatever its kind.
fn written_keys(action: &str, body: &[u8]) -> Vec<String> {
    let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let pk = |item: &serde_json::Value| item["PK"]["S"].as_str().map(str::to_owned);
    match action {
        "PutItem" => pk(&body["Item"]).into_iter().collect(),
        "UpdateItem" | "DeleteItem" => pk(&body["Key"]).into_iter().collect(),
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                pk(&item["Put"]["Item"])
                    .or_else(|| pk(&item["Update"]["Key"]))
                    .or_else(|| pk(&item["Delete"]["Key"]))
                    .or_else(|| pk(&item["ConditionCheck"]["Key"]))
            })
            .collect(),
        "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|tables| tables.values())
            .filter_map(serde_json::Value::as_array)
            .flatten()
            .filter_map(|r| pk(&r["PutRequest"]["Item"]).or_else(|| pk(&r["DeleteRequest"]["Key"])))
            .collect(),
        _ => Vec::new(),
    }
}

/// The single-item actions of a `TransactWriteItems` request; none for any other request.
fn transaction_actions(action: &str, body: &[u8]) -> Vec<String> {
    if action != "TransactWriteItems" {
        return Vec::new();
    }
    let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    body["TransactItems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            [
                ("Put", "PutItem"),
                ("Update", "UpdateItem"),
                ("Delete", "DeleteItem"),
                ("ConditionCheck", "ConditionCheckItem"),
            ]
            .into_iter()
            .find(|(kind, _)| item.get(*kind).is_some())
            .map(|(_, action)| action.to_owned())
        })
        .collect()
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(state): State<Forward>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap();
    if let Some(target) = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        let (service, action) = target.split_once('.').unwrap();
        let prefix = match service {
            "DynamoDB_20120810" => "dynamodb",
            "AWSEvents" => "events",
            "TrentService" => "kms",
            other => panic!("a call to {other}"),
        };
        // IAM has no action for a transaction: each of its items is authorised as the
        // single-item action it is.
        let mut actions = transaction_actions(action, &body);
        if actions.is_empty() {
            actions.push(action.to_owned());
        }
        state.actions.lock().unwrap().extend(
            actions
                .into_iter()
                .map(|action| format!("{prefix}:{action}")),
        );
        state
            .written
            .lock()
            .unwrap()
            .extend(written_keys(action, &body));
    }
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut upstream = state
        .client
        .request(parts.method.clone(), format!("{}{path}", state.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap();
    let mut response = (status, bytes).into_response();
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// The actions the template lets a function's code call: its inline statements, or its own
/// role's, less what the event source mapping does with that role (read the stream, send to the
/// on-failure queue) and the logs.
fn allowed(function: &str) -> BTreeSet<String> {
    let template: Value = serde_norway::from_str(TEMPLATE).unwrap();
    let properties = &template["Resources"][function]["Properties"];
    let mut statements = Vec::new();
    if let Some(policies) = properties["Policies"].as_sequence() {
        statements.extend(policies.iter().map(|p| p["Statement"].clone()));
    }
    if let Value::Tagged(role) = &properties["Role"] {
        let role = role.value.as_str().unwrap().trim_end_matches(".Arn");
        for policy in template["Resources"][role]["Properties"]["Policies"]
            .as_sequence()
            .unwrap()
        {
            statements.push(policy["PolicyDocument"]["Statement"].clone());
        }
    }
    let mapping = [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ];
    statements
        .iter()
        .filter_map(Value::as_sequence)
        .flatten()
        .flat_map(|statement| match &statement["Action"] {
            Value::Sequence(actions) => actions.clone(),
            action => vec![action.clone()],
        })
        .map(|action| action.as_str().unwrap().to_owned())
        .filter(|action| {
            ["dynamodb:", "events:", "kms:"]
                .iter()
                .any(|service| action.starts_with(service))
        })
        .filter(|action| !mapping.contains(&action.as_str()))
        .collect()
}

/// The `dynamodb:LeadingKeys` patterns of a function's statements that allow a write (its role's).
fn leading_keys(function: &str) -> Vec<String> {
    let template: Value = serde_norway::from_str(TEMPLATE).unwrap();
    let Value::Tagged(role) = &template["Resources"][function]["Properties"]["Role"] else {
        panic!("{function} names its role")
    };
    let role = role.value.as_str().unwrap().trim_end_matches(".Arn");
    let mut patterns = Vec::new();
    for policy in template["Resources"][role]["Properties"]["Policies"]
        .as_sequence()
        .unwrap()
    {
        for statement in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
            let text = serde_norway::to_string(&statement["Action"]).unwrap();
            if text.contains("PutItem") || text.contains("UpdateItem") {
                let keys =
                    &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
                patterns.extend(
                    keys.as_sequence()
                        .unwrap_or_else(|| panic!("{function}: a write without LeadingKeys"))
                        .iter()
                        .map(|k| k.as_str().unwrap().to_owned()),
                );
            }
        }
    }
    patterns
}

/// IAM's `StringLike`: `*` matches any run of characters (the patterns use no `?`).
fn like(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, rest)) => {
            let Some(tail) = value.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && like(rest, &tail[i..]))
        }
    }
}

/// Issue 18, item 15: every item the function wrote is under a partition its policy allows, so
/// the `dynamodb:LeadingKeys` condition refuses none of the code's writes in AWS.
fn assert_written_where_allowed(function: &str, recorder: &Recorder) {
    let patterns = leading_keys(function);
    let written = recorder.written();
    assert!(!written.is_empty(), "{function} wrote something");
    for key in written {
        assert!(
            patterns.iter().any(|p| like(p, &key)),
            "{function} wrote under {key}, outside {patterns:?}"
        );
    }
}

fn inbound(store: DynamoStore) -> InboundDeps<DynamoStore, app::memory::StaticCredentials> {
    InboundDeps {
        store,
        credentials: credentials(),
        metrics: app::metrics::Metrics::off(),
    }
}

async fn deliver(
    deps: &InboundDeps<DynamoStore, app::memory::StaticCredentials>,
    method: &str,
    path: &str,
    body: &str,
) -> u16 {
    let request = send(
        Gateway::HttpV2,
        method,
        path,
        body.as_bytes(),
        Encoding::Text,
        Some(&basic(USERNAME, PASSWORD)),
    );
    let response = if path.starts_with("/v1/lead") {
        lead_inbound::handler::handle(deps, request).await
    } else {
        message_inbound::handler::handle(deps, request).await
    };
    response.status().as_u16()
}

#[tokio::test]
async fn the_inbound_events_and_read_functions_call_exactly_what_the_template_allows_them() {
    let table = fresh_table().await;
    let stream = TableStream::open(&sdk().await, &table.name).await.unwrap();

    // lead-inbound: its warm-up, a price before its lead, the lead (which applies it), the lead
    // again, a revision, a refused payload twice (quarantined, then counted), a later price.
    let lead_calls = Recorder::start().await;
    let lead = inbound(store_with_its_own_endpoint(&lead_calls, &table.name).await);
    lead.store.warm_up().await;
    let revised = with_field(fixtures::LEAD_2025, "/request/title", "Deep clean".into());
    let refused = r#"{"leadID": "1", "createTimestamp": 5}"#;
    for (method, path, body) in [
        ("PUT", "/v1/lead/update", fixtures::LEAD_UPDATE),
        ("POST", "/v1/lead", fixtures::LEAD_2025),
        ("POST", "/v1/lead", fixtures::LEAD_2025),
        ("POST", "/v1/lead", &revised),
        ("POST", "/v1/lead", refused),
        ("POST", "/v1/lead", refused),
        ("PUT", "/v1/lead/update", fixtures::LEAD_UPDATE),
    ] {
        let answered = deliver(&lead, method, path, body).await;
        assert!(
            [200, 202, 400].contains(&answered),
            "{method} {path}: {answered}"
        );
    }
    assert_eq!(lead_calls.actions(), allowed("LeadInboundFunction"));
    assert_written_where_allowed("LeadInboundFunction", &lead_calls);

    // message-inbound: a message of a stored lead and one of an unknown lead, again, revised, a
    // review of the stored lead, a refused payload twice.
    let message_calls = Recorder::start().await;
    let message = inbound(store_with_its_own_endpoint(&message_calls, &table.name).await);
    message.store.warm_up().await;
    let revised = with_field(fixtures::MESSAGE_2025, "/message/text", "Tuesday?".into());
    let refused = r#"{"leadID": "1"}"#;
    for (path, body) in [
        ("/v1/message", fixtures::MESSAGE_2025),
        ("/v1/message", fixtures::MESSAGE),
        ("/v1/message", fixtures::MESSAGE_2025),
        ("/v1/message", &revised),
        ("/v1/review", fixtures::REVIEW),
        ("/v1/message", refused),
        ("/v1/message", refused),
    ] {
        let answered = deliver(&message, "POST", path, body).await;
        assert!([200, 202, 400].contains(&answered), "{path}: {answered}");
    }
    assert_eq!(message_calls.actions(), allowed("MessageInboundFunction"));
    assert_written_where_allowed("MessageInboundFunction", &message_calls);

    // events-out: every record those writes made, as the mapping delivers them.
    let events_calls = Recorder::start().await;
    let events_sdk = events_calls.sdk().await;
    let bus = unique_name("bus");
    provision::ensure_event_bus(&sdk().await, &bus, &unique_name("events"))
        .await
        .unwrap();
    let deps = EventsDeps {
        store: DynamoStore::from_config(&events_sdk, &table.name),
        bus: EventBridgeBus::from_config(&events_sdk, &bus),
        policy: PublishPolicy::default(),
        metrics: app::metrics::Metrics::off(),
    };
    let mut stream = stream;
    let mut published = 0;
    let mut quiet = 0;
    while quiet < 2 {
        let batches = stream.next(100).await.unwrap();
        quiet = if batches.is_empty() { quiet + 1 } else { 0 };
        for batch in batches {
            let mut event = StreamEvent::default();
            event.records = batch.records;
            published += event.records.len();
            let response = events_out::handler::process(&deps, &event).await;
            assert!(response.batch_item_failures.is_empty());
        }
    }
    assert!(published > 0, "the stream had the writes");
    assert_eq!(events_calls.actions(), allowed("EventsOutFunction"));

    // partner-api: a lead with its conversation, a business's leads and reviews, the
    // changes, a business's settings read and saved, its stats.
    let read_calls = Recorder::start().await;
    let read = app::deps::ReadDeps {
        store: DynamoStore::from_config(&read_calls.sdk().await, &table.name),
        pull: pull_settings(),
    };
    let business = fixtures::BUSINESS_ID;
    for request in [
        get_lead(Gateway::HttpV2, "437282017264173057"),
        get_business_leads(Gateway::HttpV2, business, &[]),
        get_business_reviews(Gateway::HttpV2, business, &[]),
        get_changes(Gateway::HttpV2, &[("since", "0")]),
        get(
            Gateway::HttpV2,
            "/v1/businesses/{businessID}/stats",
            &format!("/v1/businesses/{business}/stats"),
            &[("businessID", business)],
            &[],
        ),
        put_business_settings(
            Gateway::HttpV2,
            business,
            &serde_json::to_vec(&app::speed::SettingsDocument::new(business, None)).unwrap(),
        ),
        get(
            Gateway::HttpV2,
            "/v1/businesses/{businessID}/settings",
            &format!("/v1/businesses/{business}/settings"),
            &[("businessID", business)],
            &[],
        ),
    ] {
        let response = partner_api::handler::handle(&read, request).await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
    }
    assert_eq!(read_calls.actions(), allowed("PartnerApiFunction"));
    assert_written_where_allowed("PartnerApiFunction", &read_calls);
}

/// Issue 22: a pro connected through the simulator (the state used, the connection and its
/// businesses written, the tokens sealed), read back through the routes (one connection, the
/// list), and a business's access token (the tokens opened).
#[tokio::test]
async fn the_connections_function_calls_only_what_the_template_allows_it() {
    use adapters::connect::KmsVault;
    use app::connections::Outcome;
    use app::connections::tokens::{TokenCache, access_token};
    use http_api::testing::get;

    let table = fresh_table().await;
    let sim = crate::connections::simulator().await;
    let calls = Recorder::start().await;
    let recorded = calls.sdk().await;
    let mut deps = crate::connections::deps(&sim, &table).await;
    deps.store = DynamoStore::from_config(&recorded, &table.name);
    let key = provision::ensure_token_key(&sdk().await, &unique_name("tokens"))
        .await
        .unwrap();
    deps.vault = KmsVault::from_config(&recorded, key);

    let outcome = crate::connections::connect(&sim, &deps, simulator::Decision::Approve).await;
    assert!(matches!(outcome, Outcome::Connected { .. }), "{outcome:?}");
    let user = crate::connections::USER;
    for request in [
        get(
            Gateway::HttpV2,
            "/v1/connections/{userID}",
            &format!("/v1/connections/{user}"),
            &[("userID", user)],
            &[],
        ),
        get(
            Gateway::HttpV2,
            "/v1/connections",
            "/v1/connections",
            &[],
            &[],
        ),
    ] {
        let response = http_api::connections::handle(&deps, request).await;
        assert_eq!(response.status(), 200, "{:?}", response.body());
    }
    access_token(
        &deps,
        &TokenCache::default(),
        fixtures::BUSINESS_ID,
        app::now_millis,
    )
    .await
    .unwrap();

    // Everything this path called is allowed; what else the role allows is for the paths it
    // does not take: UpdateItem (a refresh's lease, a broken connection) and DeleteItem (a gone
    // business's record, at a sync or a removal).
    let called = calls.actions();
    let allowed = allowed("ConnectionsFunction");
    assert!(called.is_subset(&allowed), "{called:?} not in {allowed:?}");
    let rest: BTreeSet<&str> = allowed.difference(&called).map(String::as_str).collect();
    assert_eq!(rest, ["dynamodb:DeleteItem", "dynamodb:UpdateItem"].into());
    assert_written_where_allowed("ConnectionsFunction", &calls);
}
