//! Outbound replies end to end: the reply queue on the emulator (SQS FIFO), the ledger in DynamoDB,
//! a real HTTP server standing in for Thumbtack (wiremock), driven by the same worker `make dev`
//! runs (receive → handler → delete what succeeded).

use crate::support::*;
use adapters::provision::ensure_queues;
use adapters::secrets::{SecretReader, ThumbtackCredentials};
use adapters::sqs::PARKED_REASON;
use adapters::thumbtack::ThumbtackSettings;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue};
use app::auth::Credential;
use app::metrics::Metrics;
use app::replies::{ReplyDeps, RetryPolicy};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use devstack::worker::{Poll, Worker};
use models::ReplyRequest;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const BUSINESS: &str = "286845156044809661";
const TT_USER: &str = "partner";
const TT_PASSWORD: &str = "tt-secret";

struct Rig {
    thumbtack: MockServer,
    worker: Worker<DynamoStore, HttpThumbtack>,
    arn: String,
    /// The test's own client and the queues' URLs, to look at the queues past the adapter.
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    dlq_url: String,
}

impl Rig {
    async fn new(adjust: impl FnOnce(&mut RetryPolicy)) -> Rig {
        Self::with_timeout(Duration::from_secs(5), adjust).await
    }

    async fn with_timeout(timeout: Duration, adjust: impl FnOnce(&mut RetryPolicy)) -> Rig {
        let credentials = ThumbtackCredentials::fixed(Credential::new(TT_USER, TT_PASSWORD));
        Self::build(timeout, credentials, adjust).await
    }

    async fn build(
        timeout: Duration,
        credentials: ThumbtackCredentials,
        adjust: impl FnOnce(&mut RetryPolicy),
    ) -> Rig {
        let store = fresh_store().await;
        let sdk = sdk().await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let mut policy = RetryPolicy {
            backoff_base: Duration::from_millis(20),
            backoff_cap: Duration::from_millis(100),
            redelivery_base: Duration::from_secs(1),
            redelivery_cap: Duration::from_secs(2),
            attempt_budget: timeout + Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        adjust(&mut policy);
        let (queue_url, dlq_url) = ensure_queues(
            &sdk,
            &format!("{}.fifo", unique_name("replies")),
            Duration::from_secs(1),
            // The queue's maxReceiveCount: a backstop well above the ledger's count of tries.
            policy.max_attempts.saturating_mul(10),
        )
        .await
        .unwrap();
        let thumbtack = MockServer::start().await;
        let client = HttpThumbtack::new(
            &ThumbtackSettings {
                base_url: thumbtack.uri(),
                connect_timeout: Duration::from_secs(1),
                timeout,
            },
            credentials,
        )
        .unwrap();
        let worker = Worker {
            deps: ReplyDeps {
                ledger: store,
                thumbtack: client,
                queue: SqsReplyQueue::new(sqs.clone(), &queue_url, &dlq_url),
                policy,
                metrics: Metrics::in_memory("test", "reply-outbound"),
            },
            invocation_timeout: Duration::from_secs(60),
            wait: Duration::from_secs(1),
            batch_size: 1,
            lanes: 1,
        };
        let arn = worker.queue_arn().await;
        Rig {
            thumbtack,
            worker,
            arn,
            sqs,
            queue_url,
            dlq_url,
        }
    }

    fn queue(&self) -> &SqsReplyQueue {
        &self.worker.deps.queue
    }

    fn store(&self) -> &DynamoStore {
        &self.worker.deps.ledger
    }

    async fn enqueue(&self, lead: &str, reply_id: &str, text: &str) {
        let reply = ReplyRequest {
            reply_id: reply_id.into(),
            business_id: BUSINESS.into(),
            lead_id: lead.into(),
            text: text.into(),
        };
        self.queue().enqueue(&reply).await.unwrap();
    }

    /// Sends a raw body to the reply queue (bypassing the producer's checks).
    async fn enqueue_raw(&self, group: &str, dedup: &str, body: &str) {
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id(dedup)
            .send()
            .await
            .unwrap();
    }

    async fn poll(&self) -> Poll {
        self.worker.poll_once(&self.arn).await.unwrap()
    }

    /// Polls until `done` holds or `limit` passes.
    async fn poll_until(&self, limit: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            self.poll().await;
            let replies = self.replies("lead-1").await;
            if done(&replies) || started.elapsed() > limit {
                return replies;
            }
        }
    }

    /// The outbound entries of a lead's conversation, as the read API shows them.
    async fn replies(&self, lead: &str) -> Vec<Value> {
        let records = app::LeadStore::conversation(self.store(), lead)
            .await
            .unwrap();
        let mut replies: Vec<Value> = records
            .replies
            .into_iter()
            .map(|r| {
                json!({
                    "id": r.reply_id,
                    "text": r.text,
                    "status": serde_json::to_value(r.status).unwrap(),
                    "error": r.error,
                    "attempts": r.attempts,
                })
            })
            .collect();
        replies.sort_by_key(|r| r["id"].as_str().unwrap().to_owned());
        replies
    }

    /// (message body, parked reason) of what is in the dead-letter queue.
    async fn parked(&self) -> Vec<(String, String)> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let reason = m
                    .message_attributes
                    .and_then(|a| a.get(PARKED_REASON).and_then(|v| v.string_value.clone()))
                    .unwrap_or_default();
                (m.body.unwrap_or_default(), reason)
            })
            .collect()
    }

    async fn visible_messages(&self) -> i64 {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        attributes[&QueueAttributeName::ApproximateNumberOfMessages]
            .parse()
            .unwrap()
    }
}

fn message_path(lead: &str) -> String {
    format!("/v1/business/{BUSINESS}/lead/{lead}/message")
}

fn success() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"status": "success"}))
}

#[tokio::test]
async fn a_reply_is_sent_with_the_spec_credentials_and_body_and_recorded_as_sent() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .and(path(message_path("lead-1")))
        .and(header("authorization", "Basic cGFydG5lcjp0dC1zZWNyZXQ="))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"text": "Hi Jay,\nTuesday 10:00 works 👍"}),
        ))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "Hi Jay,\nTuesday 10:00 works 👍")
        .await;
    assert_eq!(
        rig.poll().await,
        Poll {
            received: 1,
            deleted: 1
        }
    );
    let replies = rig.replies("lead-1").await;
    assert_eq!(replies[0]["status"], "sent");
    assert_eq!(replies[0]["attempts"], 1);
    assert_eq!(rig.visible_messages().await, 0);
}

#[tokio::test]
async fn two_503_answers_then_200_make_one_successful_send() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&rig.thumbtack)
        .await;
    Mock::given(method("POST"))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    assert_eq!(
        rig.poll().await,
        Poll {
            received: 1,
            deleted: 1
        }
    );
    assert_eq!(rig.replies("lead-1").await[0]["status"], "sent");
}

#[tokio::test]
async fn a_429_with_a_short_retry_after_is_waited_before_trying_again() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&rig.thumbtack)
        .await;
    Mock::given(method("POST"))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    let started = Instant::now();
    assert_eq!(rig.poll().await.deleted, 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not respected"
    );
}

#[tokio::test]
async fn a_429_with_a_long_retry_after_returns_the_message_to_the_queue_for_that_long() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    let started = Instant::now();
    assert_eq!(
        rig.poll().await,
        Poll {
            received: 1,
            deleted: 0
        }
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the function was not held for 30 s"
    );
    // Invisible for 30 s, not for the queue's 1 s visibility timeout.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rig.poll().await.received, 0);
    let reply = &rig.replies("lead-1").await[0];
    assert_eq!(reply["status"], "sending");
    assert_eq!(reply["error"], "Thumbtack answered 429");
}

#[tokio::test]
async fn a_400_fails_the_reply_is_not_retried_and_is_parked_with_its_reason() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("{\"error\": \"unknown lead\"}"))
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    assert_eq!(
        rig.poll().await,
        Poll {
            received: 1,
            deleted: 1
        }
    );
    let reply = &rig.replies("lead-1").await[0];
    assert_eq!(reply["status"], "failed");
    assert_eq!(
        reply["error"],
        "Thumbtack answered 400: {\"error\": \"unknown lead\"}"
    );
    let parked = rig.parked().await;
    assert_eq!(parked.len(), 1);
    assert!(parked[0].0.contains("\"replyID\":\"r-1\""));
    assert!(parked[0].1.starts_with("Thumbtack answered 400"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rig.poll().await.received, 0, "not retried");
}

#[tokio::test]
async fn replies_outcomes_reach_the_changes_feed_without_their_text_or_thumbtacks_answer() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .and(body_json(json!({"text": "Tuesday at 10 works"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"status": "success"})))
        .mount(&rig.thumbtack)
        .await;
    Mock::given(method("POST"))
        .and(body_json(json!({"text": "Call me on 555-0100"})))
        .respond_with(
            ResponseTemplate::new(400).set_body_string("{\"error\": \"no phone numbers\"}"),
        )
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-sent", "Tuesday at 10 works").await;
    rig.enqueue("lead-2", "r-failed", "Call me on 555-0100")
        .await;
    let started = Instant::now();
    while rig.poll().await.received > 0 || started.elapsed() < Duration::from_secs(2) {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    past_settle().await;
    let read = app::deps::ReadDeps {
        store: rig.store().clone(),
        pull: pull_settings(),
    };
    let request = http_api::testing::get_changes(http_api::testing::Gateway::HttpV2, &[]);
    let response = partner_api::handler::handle(&read, request).await;
    assert_eq!(response.status(), 200);
    let page: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    let mut outcomes: Vec<Value> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            json!([
                entry["type"],
                entry["replyID"],
                entry["leadID"],
                entry["status"],
                entry["httpStatus"],
                entry["attempt"]
            ])
        })
        .collect();
    outcomes.sort_by_key(|o| o[1].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        outcomes,
        [
            json!(["Reply Failed", "r-failed", "lead-2", "failed", 400, 1]),
            json!(["Reply Sent", "r-sent", "lead-1", "sent", 201, 1]),
        ]
    );
    let shown = page.to_string();
    for private in ["Tuesday", "555-0100", "no phone numbers"] {
        assert!(!shown.contains(private), "{private} in {shown}");
    }
}

#[tokio::test]
async fn a_thumbtack_that_answers_too_late_is_a_timeout_and_the_reply_is_retried_later() {
    let rig = Rig::with_timeout(Duration::from_millis(300), |p| p.quick_attempts = 2).await;
    Mock::given(method("POST"))
        .respond_with(success().set_delay(Duration::from_secs(3)))
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    let started = Instant::now();
    assert_eq!(
        rig.poll().await,
        Poll {
            received: 1,
            deleted: 0
        }
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the client gave up at its timeout"
    );
    let reply = &rig.replies("lead-1").await[0];
    assert_eq!(reply["status"], "sending");
    assert_eq!(reply["error"], "timed out waiting for Thumbtack");
}

#[tokio::test]
async fn the_same_reply_id_delivered_twice_is_sent_once() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    let body =
        json!({"replyID": "r-1", "businessID": BUSINESS, "leadID": "lead-1", "text": "hello"});
    // Two deliveries SQS cannot deduplicate (another deduplication id, as after its 5-minute window).
    rig.enqueue_raw("lead-1", "first", &body.to_string()).await;
    rig.enqueue_raw("lead-1", "second", &body.to_string()).await;
    let mut deleted = 0;
    for _ in 0..3 {
        deleted += rig.poll().await.deleted;
    }
    assert_eq!(deleted, 2, "both deliveries acknowledged");
    assert_eq!(rig.replies("lead-1").await[0]["status"], "sent");
}

#[tokio::test]
async fn a_reply_id_reused_with_another_text_reaches_the_handler_and_is_parked_as_a_conflict() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(success())
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "text A").await;
    rig.enqueue("lead-1", "r-1", "text B").await;
    // An identical resend is still deduplicated by the queue (and would be by the ledger).
    rig.enqueue("lead-1", "r-1", "text A").await;
    let mut received = 0;
    for _ in 0..4 {
        received += rig.poll().await.received;
    }
    assert_eq!(received, 2, "A once, and B: nothing silently dropped");
    let requests = rig.thumbtack.received_requests().await.unwrap();
    let texts: Vec<String> = requests
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(texts, [r#"{"text":"text A"}"#], "A sent once, B never");
    let reply = &rig.replies("lead-1").await[0];
    assert_eq!(reply["status"], "sent");
    assert_eq!(reply["text"], "text A");
    let parked = rig.parked().await;
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert!(parked[0].0.contains("text B"));
    assert_eq!(parked[0].1, "replyID already used for a different reply");
}

#[tokio::test]
async fn a_producer_may_omit_the_deduplication_id_and_the_queue_uses_the_bodys_digest() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    let body =
        json!({"replyID": "r-1", "businessID": BUSINESS, "leadID": "lead-1", "text": "hello"})
            .to_string();
    for _ in 0..2 {
        rig.sqs
            .send_message()
            .queue_url(&rig.queue_url)
            .message_group_id("lead-1")
            .message_body(&body)
            .send()
            .await
            .unwrap();
    }
    // The same body with the contract's explicit id is the same message.
    rig.enqueue_raw("lead-1", &adapters::sqs::deduplication_id(&body), &body)
        .await;
    let mut received = 0;
    for _ in 0..3 {
        received += rig.poll().await.received;
    }
    assert_eq!(received, 1);
    assert_eq!(rig.replies("lead-1").await[0]["status"], "sent");
}

/// Thumbtack that records accepted texts in order and refuses `flaky` the first `failures` times.
struct Recorder {
    accepted: Arc<Mutex<Vec<String>>>,
    flaky: &'static str,
    failures: Mutex<u32>,
}

impl Respond for Recorder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let text = serde_json::from_slice::<Value>(&request.body).unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut failures = self.failures.lock().unwrap();
        if text == self.flaky && *failures > 0 {
            *failures -= 1;
            return ResponseTemplate::new(503);
        }
        self.accepted.lock().unwrap().push(text);
        success()
    }
}

#[tokio::test]
async fn six_replies_to_one_lead_reach_thumbtack_in_order_even_when_one_needs_a_retry() {
    let rig = Rig::new(|_| {}).await;
    let accepted = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .respond_with(Recorder {
            accepted: Arc::clone(&accepted),
            flaky: "reply 3",
            // More than the quick tries of one delivery: reply 3 goes back to the queue once.
            failures: Mutex::new(4),
        })
        .mount(&rig.thumbtack)
        .await;
    for n in 1..=6 {
        rig.enqueue("lead-1", &format!("r-{n}"), &format!("reply {n}"))
            .await;
    }
    let replies = rig
        .poll_until(Duration::from_secs(30), |r| {
            r.len() == 6 && r.iter().all(|r| r["status"] == "sent")
        })
        .await;
    assert!(replies.iter().all(|r| r["status"] == "sent"), "{replies:?}");
    let order = accepted.lock().unwrap().clone();
    assert_eq!(
        order,
        [
            "reply 1", "reply 2", "reply 3", "reply 4", "reply 5", "reply 6"
        ]
    );
}

#[tokio::test]
async fn a_poison_message_is_parked_and_does_not_block_other_leads() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .and(path(message_path("lead-1")))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue_raw("lead-0", "poison", "{\"replyID\": \"r-0\", \"text\": 5")
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    let mut deleted = 0;
    for _ in 0..3 {
        deleted += rig.poll().await.deleted;
    }
    assert_eq!(deleted, 2);
    assert_eq!(rig.replies("lead-1").await[0]["status"], "sent");
    let parked = rig.parked().await;
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].1, "not a valid reply: $");
}

#[tokio::test]
async fn a_mixed_batch_reports_exactly_the_failed_records() {
    let rig = Rig::new(|p| p.quick_attempts = 1).await;
    Mock::given(method("POST"))
        .and(path(message_path("lead-a")))
        .respond_with(ResponseTemplate::new(503))
        .mount(&rig.thumbtack)
        .await;
    Mock::given(method("POST"))
        .and(path(message_path("lead-b")))
        .respond_with(success())
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-a", "a-1", "first to a").await;
    rig.enqueue("lead-b", "b-1", "first to b").await;
    rig.enqueue("lead-a", "a-2", "second to a").await;
    rig.enqueue_raw("lead-c", "c-1", "not json").await;
    let received = rig
        .sqs
        .receive_message()
        .queue_url(&rig.queue_url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 4, "one batch");
    let id_of = |text: &str| {
        received
            .iter()
            .find(|m| m.body.as_deref().unwrap().contains(text))
            .and_then(|m| m.message_id.clone())
            .unwrap()
    };
    let event = devstack::worker::sqs_event(&received, &rig.arn);
    let mut context = lambda_runtime::Context::default();
    context.deadline = app::now_millis() + 60_000;
    let response = reply_outbound::handler::handle(
        &rig.worker.deps,
        lambda_runtime::LambdaEvent::new(event, context),
    )
    .await
    .unwrap();
    let mut failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    failed.sort();
    let mut expected = vec![id_of("first to a"), id_of("second to a")];
    expected.sort();
    assert_eq!(failed, expected);
}

#[tokio::test]
async fn a_503_with_a_retry_after_of_u64_max_for_one_lead_does_not_stop_another_leads_reply() {
    let rig = Rig::new(|p| p.quick_attempts = 1).await;
    Mock::given(method("POST"))
        .and(path(message_path("lead-a")))
        .respond_with(
            ResponseTemplate::new(503).insert_header("retry-after", "18446744073709551615"),
        )
        .mount(&rig.thumbtack)
        .await;
    Mock::given(method("POST"))
        .and(path(message_path("lead-b")))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-a", "a-1", "to a").await;
    rig.enqueue("lead-b", "b-1", "to b").await;
    let received = rig
        .sqs
        .receive_message()
        .queue_url(&rig.queue_url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 2, "one batch");
    let event = devstack::worker::sqs_event(&received, &rig.arn);
    let mut context = lambda_runtime::Context::default();
    context.deadline = app::now_millis() + 60_000;
    let response = reply_outbound::handler::handle(
        &rig.worker.deps,
        lambda_runtime::LambdaEvent::new(event, context),
    )
    .await
    .unwrap();
    assert_eq!(response.batch_item_failures.len(), 1, "lead-a only");
    assert_eq!(rig.replies("lead-b").await[0]["status"], "sent");
    let a = &rig.replies("lead-a").await[0];
    assert_eq!(a["status"], "sending");
    assert_eq!(a["error"], "Thumbtack answered 503");
}

#[tokio::test]
async fn a_401_during_a_rotation_of_thumbtacks_credentials_is_sent_with_the_new_secret_unparked() {
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk().await);
    let credential =
        |password: &str| json!({"username": TT_USER, "password": password}).to_string();
    let arn = secrets
        .create_secret()
        .name(unique_name("thumbtack-api"))
        .secret_string(credential("old-password"))
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let credentials = ThumbtackCredentials::secret(
        SecretReader::new(secrets.clone(), &arn),
        Duration::from_secs(3600),
    );
    let rig = Rig::build(Duration::from_secs(5), credentials, |_| {}).await;
    // Init reads the secret: the old password is cached for an hour.
    rig.worker.deps.thumbtack.warm_up().await.unwrap();
    // Thumbtack switched to the new password; the old one gets 401 from now on.
    Mock::given(method("POST"))
        .and(header(
            "authorization",
            "Basic cGFydG5lcjpuZXctcGFzc3dvcmQ=",
        ))
        .respond_with(success())
        .with_priority(1)
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&rig.thumbtack)
        .await;
    secrets
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(credential("new-password"))
        .send()
        .await
        .unwrap();
    rig.enqueue("lead-1", "r-1", "hello").await;
    assert_eq!(
        rig.poll().await,
        Poll {
            received: 1,
            deleted: 1
        }
    );
    let reply = &rig.replies("lead-1").await[0];
    assert_eq!(reply["status"], "sent", "{reply}");
    assert!(rig.parked().await.is_empty(), "nothing parked");
}

#[tokio::test]
async fn replies_held_back_behind_a_failing_reply_get_their_own_tries_and_a_reason_when_parked() {
    let mut rig = Rig::new(|p| {
        p.quick_attempts = 1;
        p.max_attempts = 3;
    })
    .await;
    // Batches of several records, as Lambda receives them: the second reply of the lead is held
    // back (and received again) each time the first fails.
    rig.worker.batch_size = 10;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "head").await;
    rig.enqueue("lead-1", "r-2", "next").await;
    let started = Instant::now();
    let mut replies = rig.replies("lead-1").await;
    while !(replies.len() == 2 && replies.iter().all(|r| r["status"] == "failed")) {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        rig.poll().await;
        replies = rig.replies("lead-1").await;
    }
    let requests = rig.thumbtack.received_requests().await.unwrap();
    let tries = |text: &str| {
        requests
            .iter()
            .filter(|r| String::from_utf8_lossy(&r.body).contains(text))
            .count()
    };
    assert_eq!(
        (tries("head"), tries("next")),
        (3, 3),
        "each reply gets its own three tries: {replies:?}"
    );
    assert_eq!(replies.len(), 2, "{replies:?}");
    for reply in &replies {
        assert_eq!(reply["status"], "failed", "{reply}");
        assert_eq!(
            reply["error"], "gave up after 3 tries: Thumbtack answered 503",
            "{reply}"
        );
    }
    let parked = rig.parked().await;
    assert_eq!(parked.len(), 2, "{parked:?}");
    assert!(
        parked
            .iter()
            .all(|(_, reason)| reason.starts_with("gave up")),
        "nothing in the DLQ without a reason: {parked:?}"
    );
}

#[tokio::test]
async fn after_max_attempts_tries_a_failing_reply_is_failed_and_parked() {
    let rig = Rig::new(|p| {
        p.quick_attempts = 1;
        p.max_attempts = 2;
    })
    .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    let replies = rig
        .poll_until(Duration::from_secs(20), |r| {
            r.first().is_some_and(|r| r["status"] == "failed")
        })
        .await;
    assert_eq!(replies[0]["status"], "failed");
    assert_eq!(
        replies[0]["error"],
        "gave up after 2 tries: Thumbtack answered 502"
    );
    assert_eq!(rig.parked().await.len(), 1);
}

#[tokio::test]
async fn a_parked_reply_is_sent_after_a_redrive_once_the_cause_is_fixed() {
    let rig = Rig::new(|_| {}).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&rig.thumbtack)
        .await;
    Mock::given(method("POST"))
        .respond_with(success())
        .expect(1)
        .mount(&rig.thumbtack)
        .await;
    rig.enqueue("lead-1", "r-1", "hello").await;
    rig.poll().await;
    assert_eq!(rig.replies("lead-1").await[0]["status"], "failed");
    assert_eq!(rig.queue().redrive(10).await.unwrap(), 1);
    let replies = rig
        .poll_until(Duration::from_secs(10), |r| r[0]["status"] == "sent")
        .await;
    assert_eq!(replies[0]["status"], "sent");
    assert_eq!(replies[0]["attempts"], 2);
}

/// The process "dies" on the first send: the delivery's future is dropped mid-flight, before the
/// request leaves (`before_send`) or after Thumbtack answered and before `sent` is recorded.
struct DiesOnce {
    inner: HttpThumbtack,
    after_send: bool,
    died: std::sync::atomic::AtomicBool,
}

impl app::ports::Thumbtack for DiesOnce {
    async fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> Result<app::ports::Accepted, app::ports::SendError> {
        if !self.died.swap(true, std::sync::atomic::Ordering::SeqCst) {
            if self.after_send {
                let _ = self.inner.send_message(business_id, lead_id, text).await;
            }
            // The process is gone: nothing after this point runs.
            std::future::pending::<()>().await;
        }
        self.inner.send_message(business_id, lead_id, text).await
    }
}

async fn crash_once(after_send: bool) -> (u64, Value, Duration) {
    let rig = Rig::new(|p| p.lease = Duration::from_secs(2)).await;
    Mock::given(method("POST"))
        .respond_with(success())
        .mount(&rig.thumbtack)
        .await;
    let worker = Worker {
        deps: ReplyDeps {
            ledger: rig.store().clone(),
            thumbtack: DiesOnce {
                inner: rig.worker.deps.thumbtack.clone(),
                after_send,
                died: std::sync::atomic::AtomicBool::new(false),
            },
            queue: rig.queue().clone(),
            policy: rig.worker.deps.policy,
            metrics: Metrics::off(),
        },
        invocation_timeout: Duration::from_secs(60),
        wait: Duration::from_secs(1),
        batch_size: 1,
        lanes: 1,
    };
    rig.enqueue("lead-1", "r-1", "hello").await;
    let died = tokio::time::timeout(Duration::from_millis(500), worker.poll_once(&rig.arn)).await;
    assert!(died.is_err(), "the first delivery died mid-flight");
    assert_eq!(
        rig.replies("lead-1").await[0]["status"],
        "sending",
        "claimed, not settled"
    );
    let started = Instant::now();
    while rig.replies("lead-1").await[0]["status"] != "sent" {
        assert!(started.elapsed() < Duration::from_secs(20), "never sent");
        worker.poll_once(&rig.arn).await.unwrap();
    }
    let requests = rig.thumbtack.received_requests().await.unwrap().len() as u64;
    (
        requests,
        rig.replies("lead-1").await[0].clone(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_crash_after_the_claim_and_before_the_send_ends_in_exactly_one_send() {
    let (requests, reply, waited) = crash_once(false).await;
    assert_eq!(requests, 1, "Thumbtack got it once");
    assert_eq!(reply["attempts"], 2, "the redelivery reclaimed it");
    assert!(
        waited >= Duration::from_secs(1),
        "not before the claim expired: {waited:?}"
    );
}

#[tokio::test]
async fn a_crash_after_the_send_and_before_it_is_recorded_sends_it_twice_as_the_readme_says() {
    let (requests, reply, _) = crash_once(true).await;
    assert_eq!(
        requests, 2,
        "the documented window: sent, not recorded, sent again"
    );
    assert_eq!(reply["status"], "sent");
}

#[tokio::test]
async fn a_delivery_that_lost_its_claim_changes_nothing_with_its_outcome_writes() {
    use app::ports::{Claim, Recorded, ReplyClaim, ReplyLedger};
    let store = fresh_store().await;
    let reply = ReplyRequest {
        reply_id: "r-1".into(),
        business_id: BUSINESS.into(),
        lead_id: "lead-1".into(),
        text: "hello".into(),
    };
    let start = 1_800_000_000_000_u64;
    let claim = |now_ms: u64| ReplyClaim {
        reply: &reply,
        enqueued_at_ms: start,
        sequence: None,
        now_ms,
        lease_until_ms: now_ms + 120_000,
    };
    assert_eq!(
        store.claim(claim(start)).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    // Delivery 1 stalls past its lease; delivery 2 takes the reply over.
    assert_eq!(
        store.claim(claim(start + 130_000)).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    // Delivery 1 wakes up and reports: none of its writes may land.
    let late = start + 140_000;
    assert!(matches!(
        store.mark_retrying(&reply, 1, "late", late).await,
        Ok(Recorded::Superseded)
    ));
    assert!(matches!(
        store
            .mark_failed(&reply, 1, "late", "refused", Some(400), late)
            .await,
        Ok(Recorded::Superseded)
    ));
    assert!(matches!(
        store.mark_sent(&reply, 1, 200, late).await,
        Ok(Recorded::Superseded)
    ));
    assert!(matches!(
        store.release(&reply, 1, late).await,
        Ok(Recorded::Superseded)
    ));
    // Delivery 2's lease is intact: a third delivery must wait.
    assert_eq!(
        store.claim(claim(start + 150_000)).await.unwrap(),
        Claim::Busy {
            lease_until_ms: start + 130_000 + 120_000
        }
    );
    let replies = app::LeadStore::conversation(&store, "lead-1")
        .await
        .unwrap()
        .replies;
    assert_eq!(replies[0].status, models::ReplyStatus::Sending);
    assert_eq!(replies[0].error, None);
    assert_eq!(replies[0].attempts, 2);
    // The holder's own write lands.
    assert!(matches!(
        store.mark_sent(&reply, 2, 200, late).await,
        Ok(Recorded::Yes)
    ));
    assert_eq!(
        store.claim(claim(start + 160_000)).await.unwrap(),
        Claim::AlreadySent
    );
}

#[tokio::test]
async fn a_new_reply_is_claimed_with_two_puts_and_no_read_and_so_is_its_redelivery_found_sent() {
    use app::ports::{Claim, ReplyClaim, ReplyLedger};
    let table = fresh_table().await;
    let (store, proxy) = counted_store(&table.name).await;
    let reply = ReplyRequest {
        reply_id: "r-1".into(),
        business_id: BUSINESS.into(),
        lead_id: "lead-1".into(),
        text: "hello".into(),
    };
    let now = 1_800_000_000_000_u64;
    let claim = ReplyClaim {
        reply: &reply,
        enqueued_at_ms: now,
        sequence: None,
        now_ms: now,
        lease_until_ms: now + 120_000,
    };
    let calls = || {
        let count = |operation| proxy.counts.calls(operation);
        (count("GetItem"), count("PutItem"), count("UpdateItem"))
    };
    assert_eq!(
        store.claim(claim).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    assert_eq!(calls(), (0, 2, 0), "the guard's and the reply's puts");
    store.mark_sent(&reply, 1, 200, now).await.unwrap();
    let before = calls();
    assert_eq!(store.claim(claim).await.unwrap(), Claim::AlreadySent);
    let after = calls();
    assert_eq!(
        (after.0 - before.0, after.1 - before.1, after.2 - before.2),
        (0, 2, 0),
        "the two puts' failed conditions say what is stored"
    );
}
