//! Replies through v4, end to end on the local stack `make dev` runs (routes, reply worker, the
//! Thumbtack simulator): a pro connected through our connect flow, a customer's request
//! delivered to our v4 webhook, a reply enqueued as the partner enqueues any reply, and what the
//! simulator received and answered.

use crate::devstack_http::launch_stack_with;
use crate::support::*;
use serde_json::{Value, json};
use simulator::Simulator;
use std::time::{Duration, Instant};

const BUSINESS: &str = fixtures::BUSINESS_ID;

/// The local stack with its own table (returned, to read the ledger past the API), and the
/// simulator's pro connected through `POST /v1/connections`, the consent page and our callback.
async fn connected_stack() -> (devstack::Launched, String) {
    let (stack, table) = stack().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let started: Value = http
        .post(format!("{}/v1/connections", stack.base_url))
        .json(&json!({"reference": "pro-v4"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let back = stack
        .simulator()
        .unwrap()
        .consent(
            started["authorizeURL"].as_str().unwrap(),
            simulator::Decision::Approve,
        )
        .await
        .unwrap();
    assert_eq!(http.get(&back).send().await.unwrap().status(), 200);
    (stack, table)
}

/// The local stack (v4 configured: the simulator runs) with its own table.
async fn stack() -> (devstack::Launched, String) {
    let table = unique_name("dev-v4");
    (
        launch_stack_with(&[("TABLE_NAME", table.clone())]).await,
        table,
    )
}

/// A customer's request to the business, delivered to our webhook and stored: its leadID.
async fn v4_lead(stack: &devstack::Launched) -> String {
    let lead = stack.simulator().unwrap().new_lead(BUSINESS).await.unwrap();
    let id = lead.negotiation_id;
    let started = Instant::now();
    loop {
        let (status, view) = read(stack, &id).await;
        if status == 200 {
            assert_eq!(view["contract"], "v4", "{view}");
            return id;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn read(stack: &devstack::Launched, lead: &str) -> (u16, Value) {
    let answer = reqwest::get(format!("{}/v1/leads/{lead}", stack.base_url))
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or_default())
}

async fn enqueue(stack: &devstack::Launched, business: &str, lead: &str, id: &str, text: &str) {
    let queue = adapters::SqsReplyQueue::new(
        aws_sdk_sqs::Client::new(&sdk().await),
        &stack.queue_url,
        &stack.dlq_url,
    );
    let reply = models::ReplyRequest {
        reply_id: id.into(),
        business_id: business.into(),
        lead_id: lead.into(),
        text: text.into(),
    };
    queue.enqueue(&reply).await.unwrap();
}

/// The reply's entry in the lead's conversation once it is sent or failed.
async fn settled(stack: &devstack::Launched, lead: &str, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let (_, view) = read(stack, lead).await;
        let entry = view["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["id"] == id && (m["status"] == "sent" || m["status"] == "failed"))
            .cloned();
        if let Some(entry) = entry {
            return entry;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not settled: {view}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The statuses the simulator answered our sends to the negotiation with, in order.
fn sends(sim: &Simulator, lead: &str) -> Vec<u16> {
    let path = format!("/api/v4/negotiations/{lead}/messages");
    sim.log()
        .into_iter()
        .filter(|e| e.kind == "received" && e.method == "POST" && e.target == path)
        .map(|e| e.status.unwrap_or_default())
        .collect()
}

fn token_calls(sim: &Simulator) -> usize {
    sim.log()
        .iter()
        .filter(|e| e.kind == "received" && e.target == "/oauth2/token")
        .count()
}

/// What the ledger keeps of the reply (past the read API): its contract and message id.
async fn ledger_record(table: &str, lead: &str, id: &str) -> app::ports::ReplyRecord {
    let store = adapters::DynamoStore::from_config(&sdk().await, table);
    let records = app::LeadStore::conversation(&store, lead).await.unwrap();
    records
        .replies
        .into_iter()
        .find(|r| r.reply_id == id)
        .unwrap()
}

/// The simulator's delivery of the message `message_id` to our webhook (its echo of a send).
async fn echo_of(sim: &Simulator, message_id: &str) -> Value {
    let started = Instant::now();
    loop {
        let log = sim.log();
        let found = log
            .iter()
            .filter(|e| e.kind == "delivered")
            .filter_map(|e| e.body.clone())
            .find(|body| body["data"]["messageID"] == message_id);
        if let Some(body) = found {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no delivery of {message_id}: {:?}",
            log.iter()
                .map(|e| (&e.kind, &e.target, &e.event_type, &e.body))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn arm(sim: &Simulator, fault: Value) {
    sim.control(
        "/sim/faults",
        json!({"endpoint": "POST /api/v4/negotiations/{negotiationID}/messages", "fault": fault}),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_reply_to_a_v4_lead_reaches_the_negotiation_with_the_pros_token_and_keeps_its_message_id()
{
    let (stack, table) = connected_stack().await;
    let sim = stack.simulator().unwrap();
    let lead = v4_lead(&stack).await;
    enqueue(&stack, BUSINESS, &lead, "v4-reply-1", "Hi! Tuesday at 10?").await;

    let entry = settled(&stack, &lead, "v4-reply-1").await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(entry["contract"], "v4", "{entry}");
    // The simulator takes a send only with a token of the pro who owns the negotiation.
    assert_eq!(sends(sim, &lead), [201]);
    let record = ledger_record(&table, &lead, "v4-reply-1").await;
    let kept = record.sent_message_id.expect("the created message's id");
    // The message Thumbtack created is ours: the same id, the business's side, our text.
    let echo = echo_of(sim, &kept).await;
    assert_eq!(echo["data"]["from"], "Business");
    assert_eq!(echo["data"]["text"], "Hi! Tuesday at 10?");
    // Its echo, answered by our webhook, adds nothing: the reply is in the conversation once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, view) = read(&stack, &lead).await;
    let texts: Vec<&Value> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["text"] == "Hi! Tuesday at 10?")
        .collect();
    assert_eq!(texts.len(), 1, "{view}");
    assert_eq!(texts[0]["id"], "v4-reply-1");
    assert_eq!(texts[0]["delivered"], true, "the echo marks it delivered");
    assert!(
        ledger_record(&table, &lead, "v4-reply-1")
            .await
            .delivered_at_ms
            .is_some()
    );
    assert!(
        sim.log()
            .iter()
            .all(|e| !e.target.contains("/v1/business/")),
        "nothing went through legacy"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_202_waf_challenge_is_not_a_delivery_and_the_reply_is_sent_on_the_next_try() {
    let (stack, table) = connected_stack().await;
    let sim = stack.simulator().unwrap();
    let lead = v4_lead(&stack).await;
    arm(sim, json!({"kind": "wafChallenge"})).await;
    enqueue(&stack, BUSINESS, &lead, "v4-reply-2", "After the challenge").await;

    let entry = settled(&stack, &lead, "v4-reply-2").await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(sends(sim, &lead), [202, 201]);
    let record = ledger_record(&table, &lead, "v4-reply-2").await;
    assert!(record.sent_message_id.is_some());
    assert_eq!(record.attempts, 1, "tried again within the delivery");
    stack.stop().await;
}

#[tokio::test]
async fn a_token_refused_mid_send_is_refreshed_once_and_the_reply_sent_with_the_new_one() {
    let (stack, _table) = connected_stack().await;
    let sim = stack.simulator().unwrap();
    let lead = v4_lead(&stack).await;
    // The first reply caches the token; Thumbtack then refuses it (expired early, say).
    enqueue(&stack, BUSINESS, &lead, "v4-reply-3", "First").await;
    settled(&stack, &lead, "v4-reply-3").await;
    let before = token_calls(sim);
    arm(sim, json!({"kind": "status", "status": 401})).await;
    enqueue(&stack, BUSINESS, &lead, "v4-reply-4", "Second").await;

    let entry = settled(&stack, &lead, "v4-reply-4").await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(sends(sim, &lead), [201, 401, 201]);
    assert_eq!(token_calls(sim), before + 1, "one refresh");
    stack.stop().await;
}

#[tokio::test]
async fn a_pro_who_revoked_access_gets_reply_failed_with_the_reason_and_a_broken_connection() {
    let (stack, _table) = connected_stack().await;
    let sim = stack.simulator().unwrap();
    let lead = v4_lead(&stack).await;
    let user = simulator::Config::default().users[0].user_id.clone();
    sim.control(&format!("/sim/users/{user}/revoke"), json!({}))
        .await
        .unwrap();
    enqueue(&stack, BUSINESS, &lead, "v4-reply-5", "Anyone there?").await;

    let entry = settled(&stack, &lead, "v4-reply-5").await;
    assert_eq!(entry["status"], "failed", "{entry}");
    let reason = entry["error"].as_str().unwrap();
    assert!(reason.contains("connection is broken"), "{reason}");
    let view: Value = reqwest::get(format!("{}/v1/connections/{user}", stack.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "broken", "{view}");
    // Failed for good: not tried again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sends(sim, &lead), [401]);
    stack.stop().await;
}

#[tokio::test]
async fn text_over_16384_characters_fails_before_anything_is_sent() {
    let (stack, _table) = connected_stack().await;
    let sim = stack.simulator().unwrap();
    let lead = v4_lead(&stack).await;
    enqueue(&stack, BUSINESS, &lead, "v4-reply-6", &"x".repeat(16_385)).await;

    let entry = settled(&stack, &lead, "v4-reply-6").await;
    assert_eq!(entry["status"], "failed", "{entry}");
    assert!(
        entry["error"].as_str().unwrap().contains("16384"),
        "{entry}"
    );
    assert!(sends(sim, &lead).is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn a_legacy_lead_of_a_business_that_never_connected_is_answered_through_legacy() {
    // Nobody connected: the stack has v4 configured, the business no connection.
    let (stack, table) = stack().await;
    let http = reqwest::Client::new();
    let lead = http
        .post(format!("{}/v1/lead", stack.base_url))
        .basic_auth(USERNAME, Some(PASSWORD))
        .header("content-type", "application/json")
        .body(LEAD)
        .send()
        .await
        .unwrap();
    assert_eq!(lead.status(), 200);
    let business = "286845156044809661";
    enqueue(&stack, business, LEAD_ID, "legacy-reply-1", "Hi Jay").await;

    let entry = settled(&stack, LEAD_ID, "legacy-reply-1").await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(entry["contract"], "legacy", "{entry}");
    let received: Value = reqwest::get(format!(
        "{}/sandbox/messages",
        stack.simulator_url.as_deref().unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        received,
        json!([{"businessID": business, "leadID": LEAD_ID, "text": "Hi Jay"}])
    );
    let record = ledger_record(&table, LEAD_ID, "legacy-reply-1").await;
    assert_eq!(record.sent_message_id, None);
    stack.stop().await;
}

#[tokio::test]
async fn a_new_v4_lead_is_acknowledged_through_v4_when_the_business_turned_it_on() {
    let (stack, table) = connected_stack().await;
    let sim = stack.simulator().unwrap();
    crate::support::turn_on_acknowledgement(&stack.base_url, BUSINESS).await;

    // A customer requests the business now: the lead is new, so speed to lead answers it.
    let lead = v4_lead(&stack).await;
    let ack = format!("auto-{lead}");
    let entry = settled(&stack, &lead, &ack).await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(entry["automatic"], true, "{entry}");
    assert_eq!(entry["contract"], "v4", "{entry}");
    assert_eq!(sends(sim, &lead), [201], "one send, to the negotiation");
    let record = ledger_record(&table, &lead, &ack).await;
    assert!(record.sent_message_id.is_some());
    stack.stop().await;
}
