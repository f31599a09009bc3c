//! The batch handler on a real SQS FIFO event, over in-memory ports.

use super::{handle, process};
use app::memory::{MemoryStore, RecordingQueue, unavailable};
use app::metrics::Metrics;
use app::ports::{Accepted, SendError, Thumbtack};
use app::replies::{ReplyDeps, RetryPolicy};
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Context, LambdaEvent};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const EVENT: &str = fixtures::events::SQS_FIFO_REPLIES;

/// Answers 503 (with `retry_after`, if any) for the leads in `failing`, 200 for the others, and
/// records the texts it got.
#[derive(Debug, Default)]
struct Leads {
    failing: Vec<&'static str>,
    retry_after: Option<Duration>,
    sent: Mutex<Vec<String>>,
}

impl Thumbtack for Leads {
    async fn send_message(
        &self,
        _business: &str,
        lead: &str,
        text: &str,
    ) -> Result<Accepted, SendError> {
        if self.failing.contains(&lead) {
            return Err(match self.retry_after {
                None => unavailable(),
                Some(wait) => SendError::Transient {
                    status: Some(503),
                    retry_after: Some(wait),
                    detail: "Thumbtack answered 503".to_owned(),
                },
            });
        }
        self.sent.lock().unwrap().push(text.to_owned());
        Ok(Accepted::legacy(200))
    }
}

fn deps(failing: Vec<&'static str>) -> ReplyDeps<MemoryStore, Leads, RecordingQueue> {
    ReplyDeps {
        ledger: MemoryStore::new(),
        thumbtack: Leads {
            failing,
            ..Leads::default()
        },
        queue: RecordingQueue::default(),
        policy: RetryPolicy::default(),
        metrics: Metrics::in_memory("test", "reply-outbound"),
    }
}

fn event() -> SqsEvent {
    serde_json::from_str(EVENT).unwrap()
}

fn failures(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    let mut ids: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    ids.sort();
    ids
}

fn later() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

#[tokio::test(start_paused = true)]
async fn a_batch_of_good_replies_reports_no_failures_and_keeps_each_lead_in_order() {
    let deps = deps(vec![]);
    let response = process(&deps, &event().records, later()).await;
    // Only the malformed record of lead-c is parked; it is not a failure for the queue.
    assert!(failures(&response).is_empty());
    let sent = deps.thumbtack.sent.lock().unwrap().clone();
    let a: Vec<&String> = sent.iter().filter(|t| t.ends_with(" A")).collect();
    let b: Vec<&String> = sent.iter().filter(|t| t.ends_with(" B")).collect();
    assert_eq!(a, ["First reply to A", "Second reply to A"]);
    assert_eq!(b, ["First reply to B", "Second reply to B"]);
    assert_eq!(deps.queue.parked().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_mixed_batch_returns_exactly_the_failed_ids_and_the_rest_of_their_group() {
    let deps = deps(vec!["lead-a"]);
    let response = process(&deps, &event().records, later()).await;
    assert_eq!(
        failures(&response),
        [
            "11111111-1111-4111-8111-111111111111",
            "33333333-3333-4333-8333-333333333333",
        ]
    );
    // lead-b went out whole although lead-a failed, and the poison record of lead-c was parked.
    assert_eq!(
        deps.thumbtack.sent.lock().unwrap().clone(),
        ["First reply to B", "Second reply to B"]
    );
    assert_eq!(
        deps.queue.parked()[0].0,
        "44444444-4444-4444-8444-444444444444"
    );
    // The second reply of lead-a was not even tried: it must not overtake the first, and the queue
    // holds it back exactly as long as the first.
    assert!(deps.ledger.reply("reply-a2").is_none());
    let delays = deps.queue.delays();
    assert_eq!(delays.len(), 2, "{delays:?}");
    assert_eq!(delays[0].0, "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a-receipt-1");
    assert_eq!(delays[1].0, "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a-receipt-3");
    assert_eq!(delays[0].1, delays[1].1);
}

#[tokio::test]
async fn an_invocation_without_time_left_sends_nothing_and_fails_every_record() {
    let deps = deps(vec![]);
    let mut context = Context::default();
    context.deadline = 0;
    let response = handle(&deps, LambdaEvent::new(event(), context))
        .await
        .unwrap();
    assert_eq!(response.batch_item_failures.len(), 5);
    assert!(deps.thumbtack.sent.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_lambda_entry_point_answers_with_batch_item_failures_as_json() {
    let deps = deps(vec!["lead-b"]);
    let mut context = Context::default();
    context.deadline = u64::try_from(
        (std::time::SystemTime::now() + Duration::from_secs(60))
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let response = handle(&deps, LambdaEvent::new(event(), context))
        .await
        .unwrap();
    let json = serde_json::to_value(&response).unwrap();
    let ids: Vec<&str> = json["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"22222222-2222-4222-8222-222222222222"));
    assert!(ids.contains(&"55555555-5555-4555-8555-555555555555"));
}

#[tokio::test(start_paused = true)]
async fn sent_replies_and_failures_by_reason_are_counted_in_the_metrics() {
    let deps = deps(vec![]);
    process(&deps, &event().records, later()).await;
    let lines: Vec<serde_json::Value> = deps
        .metrics
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |name: &str| lines.iter().filter(|l| l.get(name).is_some()).count();
    assert_eq!(count("RepliesSent"), 4);
    assert_eq!(count("SendLatency"), 4);
    let failure = lines
        .iter()
        .find(|l| l.get("ReplyFailures").is_some())
        .unwrap();
    assert_eq!(failure["Reason"], "invalid");
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_duration_max_for_one_lead_does_not_stop_the_other_leads_replies() {
    let mut deps = deps(vec!["lead-a"]);
    deps.thumbtack.retry_after = Some(Duration::MAX);
    let response = process(&deps, &event().records, later()).await;
    assert_eq!(
        failures(&response),
        [
            "11111111-1111-4111-8111-111111111111",
            "33333333-3333-4333-8333-333333333333",
        ]
    );
    assert_eq!(
        deps.thumbtack.sent.lock().unwrap().clone(),
        ["First reply to B", "Second reply to B"]
    );
    let twelve_hours = Duration::from_secs(12 * 3600);
    assert!(
        deps.queue.delays().iter().all(|(_, d)| *d == twelve_hours),
        "{:?}",
        deps.queue.delays()
    );
}
