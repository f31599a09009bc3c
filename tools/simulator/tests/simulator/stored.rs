//! The deployed variant's state in DynamoDB (moto at `AWS_ENDPOINT_URL`): two simulators on one
//! table behave as two Lambda instances of one stage.

use crate::common::config;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::{Value, json};
use simulator::Simulator;
use simulator::store::{DynamoStore, SnapshotStore};
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A table of the stage's key schema, named for the test (moto is shared).
async fn table(name: &str) -> (Client, String) {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = Client::new(&aws);
    let table = format!("sim-{name}-{}", fastrand::u32(..));
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key")
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .attribute_definitions(attribute("PK"))
        .attribute_definitions(attribute("SK"))
        .send()
        .await
        .expect("the emulator at AWS_ENDPOINT_URL creates the table");
    (client, table)
}

async fn instance(client: &Client, table: &str) -> Simulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let store: Arc<dyn SnapshotStore> = Arc::new(DynamoStore::new(client.clone(), table));
    Simulator::serve_stored(listener, config(), store).expect("simulator serves")
}

async fn reply(sim: &Simulator, lead: usize) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/v1/business/b1/lead/{lead}/message", sim.url()))
        .basic_auth("partner", Some("sandbox-password"))
        .json(&json!({"text": format!("reply {lead}")}))
        .send()
        .await
        .expect("reply sent")
        .status()
        .as_u16()
}

async fn get(sim: &Simulator, route: &str) -> Value {
    reqwest::get(format!("{}{route}", sim.url()))
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn what_one_instance_keeps_another_instance_on_the_same_table_sees() {
    let (client, table) = table("shared").await;
    let (a, b) = (
        instance(&client, &table).await,
        instance(&client, &table).await,
    );
    assert_eq!(reply(&a, 1).await, 200);
    let fault = json!({"endpoint": "GET /api/v4/businesses", "fault": {"kind": "wafChallenge"}});
    reqwest::Client::new()
        .post(format!("{}/sim/faults", a.url()))
        .json(&fault)
        .send()
        .await
        .expect("fault armed");

    let replies = get(&b, "/sandbox/messages").await;
    assert_eq!(
        replies,
        json!([{"businessID": "b1", "leadID": "1", "text": "reply 1"}])
    );
    let faults = get(&b, "/sim/faults").await;
    assert_eq!(faults["endpoints"][0]["endpoint"], "GET /api/v4/businesses");
    let log = get(&b, "/sim/log").await;
    let received: Vec<&str> = log
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    assert!(
        received.contains(&"/v1/business/b1/lead/1/message"),
        "{log}"
    );
}

#[tokio::test]
async fn concurrent_requests_to_two_instances_lose_no_write() {
    let (client, table) = table("concurrent").await;
    let (a, b) = (
        instance(&client, &table).await,
        instance(&client, &table).await,
    );
    let sends = (0..16).map(|lead| {
        let sim = if lead % 2 == 0 { &a } else { &b };
        reply(sim, lead)
    });
    let statuses = futures::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    let replies = get(&a, "/sandbox/messages").await;
    let mut leads: Vec<u64> = replies
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|r| r["leadID"].as_str()?.parse().ok())
        .collect();
    leads.sort_unstable();
    assert_eq!(leads, (0..16).collect::<Vec<u64>>());
    let seqs: Vec<u64> = get(&b, "/sim/log")
        .await
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    let mut unique = seqs.clone();
    unique.dedup();
    assert_eq!(unique.len(), seqs.len(), "log numbers repeat: {seqs:?}");
}

#[tokio::test]
async fn a_stored_simulator_makes_a_delayed_delivery_before_it_answers() {
    let (client, table) = table("delayed").await;
    let sim = instance(&client, &table).await;
    let partner = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/lead"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&partner)
        .await;
    let http = reqwest::Client::new();
    let settings = json!({"legacyPartnerUrl": partner.uri()});
    http.put(format!("{}/sim/settings", sim.url()))
        .json(&settings)
        .send()
        .await
        .expect("settings");
    http.post(format!("{}/sim/faults/deliveries", sim.url()))
        .json(&json!({"delayMs": 300}))
        .send()
        .await
        .expect("fault armed");

    let answer = http
        .post(format!("{}/sim/legacy/leads", sim.url()))
        .json(&json!({}))
        .send()
        .await
        .expect("lead sent");

    assert_eq!(answer.status(), 200);
    let received = partner.received_requests().await.expect("recorded");
    assert_eq!(
        received.len(),
        1,
        "the delayed lead arrived before the answer"
    );
}

#[tokio::test]
async fn a_write_from_a_stale_version_is_refused() {
    let (client, table) = table("stale").await;
    let store = DynamoStore::new(client, &table);
    assert!(store.load().await.expect("loads").is_none());
    assert!(store.save("{}".into(), None).await.expect("first write"));
    assert!(
        !store
            .save("{}".into(), None)
            .await
            .expect("second first write")
    );
    let stored = store.load().await.expect("loads").expect("stored");
    assert!(
        store
            .save("{\"a\":1}".into(), Some(stored.version))
            .await
            .expect("write")
    );
    assert!(
        !store
            .save("{\"b\":1}".into(), Some(stored.version))
            .await
            .expect("stale")
    );
    assert_eq!(
        store.load().await.expect("loads").expect("stored").body,
        "{\"a\":1}"
    );
}
