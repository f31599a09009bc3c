//! The reply state machine over in-memory ports, on tokio's paused clock (waits take no time).
#![allow(clippy::unwrap_used)]

use app::memory::{MemoryStore, RecordingQueue, ScriptedThumbtack, unavailable};
use app::metrics::Metrics;
use app::ports::{Accepted, SendError};
use app::replies::{Delivery, Disposition, FailureKind, Outcome, ReplyDeps, RetryPolicy, deliver};
use models::ReplyStatus;
use std::time::Duration;
use tokio::time::Instant;

const BODY: &str =
    r#"{"replyID":"r-1","businessID":"b-1","leadID":"l-1","text":"Yes, Tuesday works."}"#;

fn deps(
    answers: Vec<Result<Accepted, SendError>>,
) -> ReplyDeps<MemoryStore, ScriptedThumbtack, RecordingQueue> {
    ReplyDeps {
        ledger: MemoryStore::new(),
        thumbtack: ScriptedThumbtack::answering(answers),
        queue: RecordingQueue::default(),
        policy: RetryPolicy::default(),
        metrics: Metrics::off(),
    }
}

fn delivery(body: &str, receive_count: u32) -> Delivery<'_> {
    Delivery {
        message_id: "msg-1",
        receipt_handle: "receipt-1",
        body,
        group_id: "l-1",
        receive_count,
        sent_timestamp_ms: 1_700_000_000_123,
        sequence: Some("18887"),
    }
}

fn far() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(600)
}

fn too_many_requests(retry_after: u64) -> SendError {
    SendError::Transient {
        status: Some(429),
        retry_after: Some(Duration::from_secs(retry_after)),
        detail: "Thumbtack answered 429".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_reply_is_sent_once_and_recorded_as_sent() {
    let deps = deps(vec![]);
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert!(
        matches!(
            outcome,
            Outcome::Sent {
                attempt: 1,
                status: 200,
                first_response: None,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(outcome.disposition(), Disposition::Done);
    assert_eq!(
        deps.thumbtack.calls(),
        [(
            "b-1".to_owned(),
            "l-1".to_owned(),
            "Yes, Tuesday works.".to_owned()
        )]
    );
    let record = deps.ledger.reply("r-1").unwrap();
    assert_eq!(record.status, ReplyStatus::Sent);
    assert_eq!(record.enqueued_at_ms, 1_700_000_000_123);
}

#[tokio::test(start_paused = true)]
async fn the_same_reply_delivered_again_is_acknowledged_without_a_second_send() {
    let deps = deps(vec![]);
    deliver(&deps, &delivery(BODY, 1), far()).await;
    let again = deliver(&deps, &delivery(BODY, 2), far()).await;
    assert_eq!(again, Outcome::AlreadySent);
    assert_eq!(again.disposition(), Disposition::Done);
    assert_eq!(deps.thumbtack.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn two_unavailable_answers_then_success_make_one_successful_send() {
    let deps = deps(vec![Err(unavailable()), Err(unavailable())]);
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert!(
        matches!(
            outcome,
            Outcome::Sent {
                attempt: 1,
                status: 200,
                first_response: None,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(deps.thumbtack.calls().len(), 3);
    assert!(deps.queue.delays().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_short_retry_after_is_waited_in_place() {
    let deps = deps(vec![Err(too_many_requests(2))]);
    let started = Instant::now();
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert!(matches!(outcome, Outcome::Sent { .. }));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_long_retry_after_sends_the_message_back_to_the_queue_for_that_long() {
    let deps = deps(vec![Err(too_many_requests(120))]);
    let started = Instant::now();
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert_eq!(outcome.disposition(), Disposition::RetryLater);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "did not hold the function"
    );
    assert_eq!(deps.thumbtack.calls().len(), 1);
    assert_eq!(
        deps.queue.delays(),
        [("receipt-1".to_owned(), Duration::from_secs(120))]
    );
    let record = deps.ledger.reply("r-1").unwrap();
    assert_eq!(record.status, ReplyStatus::Sending);
    assert_eq!(record.error.as_deref(), Some("Thumbtack answered 429"));
}

#[tokio::test(start_paused = true)]
async fn a_client_error_fails_the_reply_parks_it_and_is_not_retried() {
    let deps = deps(vec![Err(SendError::Permanent {
        status: 400,
        excerpt: "text too long".into(),
    })]);
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert_eq!(
        outcome,
        Outcome::Failed {
            reason: "Thumbtack answered 400: text too long".into(),
            kind: FailureKind::Refused
        }
    );
    assert_eq!(outcome.disposition(), Disposition::Done);
    assert_eq!(deps.thumbtack.calls().len(), 1);
    assert_eq!(
        deps.queue.parked(),
        [(
            "msg-1".to_owned(),
            "Thumbtack answered 400: text too long".to_owned()
        )]
    );
    let record = deps.ledger.reply("r-1").unwrap();
    assert_eq!(record.status, ReplyStatus::Failed);
    assert_eq!(
        record.error.as_deref(),
        Some("Thumbtack answered 400: text too long")
    );
}

#[tokio::test(start_paused = true)]
async fn transient_failures_go_back_to_the_queue_with_a_growing_delay() {
    let deps = deps(vec![Err(unavailable()); 6]);
    let first = deliver(&deps, &delivery(BODY, 1), far()).await;
    let second = deliver(&deps, &delivery(BODY, 2), far()).await;
    assert_eq!(first.disposition(), Disposition::RetryLater);
    assert_eq!(second.disposition(), Disposition::RetryLater);
    let delays: Vec<Duration> = deps.queue.delays().into_iter().map(|(_, d)| d).collect();
    assert_eq!(delays, [Duration::from_secs(30), Duration::from_secs(60)]);
    assert_eq!(
        deps.thumbtack.calls().len(),
        6,
        "three quick tries per delivery"
    );
}

#[tokio::test(start_paused = true)]
async fn a_redriven_failed_reply_is_sent_on_its_next_delivery() {
    let deps = deps(vec![Err(SendError::Permanent {
        status: 403,
        excerpt: "forbidden".into(),
    })]);
    deliver(&deps, &delivery(BODY, 1), far()).await;
    assert_eq!(
        deps.ledger.reply("r-1").unwrap().status,
        ReplyStatus::Failed
    );
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert!(
        matches!(
            outcome,
            Outcome::Sent {
                attempt: 2,
                status: 200,
                first_response: None,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(deps.ledger.reply("r-1").unwrap().status, ReplyStatus::Sent);
}

#[tokio::test(start_paused = true)]
async fn a_body_that_is_not_a_reply_is_parked_without_a_send() {
    let deps = deps(vec![]);
    for body in ["not json", r#"{"replyID":"r-1","leadID":"l-1"}"#] {
        let outcome = deliver(&deps, &delivery(body, 1), far()).await;
        assert!(matches!(outcome, Outcome::Parked { .. }), "{outcome:?}");
        assert_eq!(outcome.disposition(), Disposition::Done);
    }
    assert!(deps.thumbtack.calls().is_empty());
    let reasons: Vec<String> = deps.queue.parked().into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        reasons,
        [
            "not a valid reply: $",
            "not a valid reply: businessID, text"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_reply_id_reused_for_another_text_is_parked_and_never_sent() {
    let deps = deps(vec![]);
    deliver(&deps, &delivery(BODY, 1), far()).await;
    let other = BODY.replace("Tuesday", "Friday");
    let outcome = deliver(&deps, &delivery(&other, 1), far()).await;
    assert!(matches!(outcome, Outcome::Parked { .. }), "{outcome:?}");
    assert_eq!(deps.thumbtack.calls().len(), 1);
    assert_eq!(
        deps.ledger.reply("r-1").unwrap().text,
        "Yes, Tuesday works."
    );
}

#[tokio::test(start_paused = true)]
async fn when_the_ledger_is_down_nothing_is_sent_and_the_message_stays_queued() {
    let deps = deps(vec![]);
    deps.ledger.fail_all_calls(true);
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert!(
        matches!(outcome, Outcome::StorageUnavailable { .. }),
        "{outcome:?}"
    );
    assert_eq!(outcome.disposition(), Disposition::RetryLater);
    assert!(deps.thumbtack.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn when_parking_fails_the_message_is_not_acknowledged() {
    let deps = deps(vec![]);
    deps.queue.fail_all_calls(true);
    let outcome = deliver(&deps, &delivery("not json", 1), far()).await;
    assert_eq!(outcome.disposition(), Disposition::RetryLater);
}

#[tokio::test(start_paused = true)]
async fn with_no_time_left_a_transient_failure_is_not_retried_in_place() {
    let deps = deps(vec![Err(too_many_requests(2))]);
    // Time for one try and its record, not for a 2 s wait and another.
    let deadline = std::time::Instant::now() + deps.policy.try_budget() + Duration::from_secs(1);
    let outcome = deliver(&deps, &delivery(BODY, 1), deadline).await;
    assert_eq!(outcome.disposition(), Disposition::RetryLater);
    assert_eq!(deps.thumbtack.calls().len(), 1);
}

#[test]
fn redelivery_delays_double_up_to_the_cap_and_honour_retry_after() {
    let policy = RetryPolicy::default();
    let delays: Vec<u64> = (1..=7)
        .map(|n| policy.redelivery_delay(n, None).as_secs())
        .collect();
    assert_eq!(delays, [30, 60, 120, 240, 480, 900, 900]);
    assert_eq!(
        policy
            .redelivery_delay(1, Some(Duration::from_secs(200)))
            .as_secs(),
        200
    );
    assert_eq!(
        policy
            .redelivery_delay(3, Some(Duration::from_secs(5)))
            .as_secs(),
        120
    );
}

#[tokio::test(start_paused = true)]
async fn the_first_reply_sent_for_a_lead_reports_the_time_since_the_lead_was_created() {
    let deps = deps(vec![]);
    lead_l1_of_b1_stored(&deps).await;
    let Outcome::Sent { first_response, .. } = deliver(&deps, &delivery(BODY, 1), far()).await
    else {
        panic!("not sent");
    };
    let since_creation = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH + Duration::from_secs(1_498_760_294))
        .unwrap();
    let measured = first_response.expect("first reply");
    assert!(
        measured.abs_diff(since_creation) < Duration::from_secs(5),
        "{measured:?}"
    );
    let second = BODY.replace("r-1", "r-2");
    let Outcome::Sent { first_response, .. } = deliver(&deps, &delivery(&second, 1), far()).await
    else {
        panic!("not sent");
    };
    assert_eq!(first_response, None, "only the first reply counts");
}

#[tokio::test(start_paused = true)]
async fn a_send_that_cannot_be_recorded_at_once_is_recorded_on_a_later_try_without_a_second_send() {
    let deps = deps(vec![]);
    deps.ledger.fail_recording_sent(2);
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
    assert_eq!(deps.ledger.reply("r-1").unwrap().status, ReplyStatus::Sent);
    assert_eq!(deps.thumbtack.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_send_that_can_never_be_recorded_is_still_acknowledged_and_never_sent_again() {
    let deps = deps(vec![]);
    deps.ledger.fail_recording_sent(u32::MAX);
    // The deadline is a real-clock instant: keep it close so the retries end quickly.
    let deadline =
        std::time::Instant::now() + deps.policy.try_budget() + Duration::from_millis(200);
    let outcome = deliver(&deps, &delivery(BODY, 1), deadline).await;
    assert_eq!(
        outcome.disposition(),
        Disposition::Done,
        "acknowledged: a second send is worse"
    );
    assert_eq!(
        deps.ledger.reply("r-1").unwrap().status,
        ReplyStatus::Sending,
        "the record lags"
    );
    assert_eq!(deps.thumbtack.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_duration_max_does_not_panic_and_delays_at_most_twelve_hours() {
    let deps = deps(vec![Err(SendError::Transient {
        status: Some(503),
        retry_after: Some(Duration::MAX),
        detail: "Thumbtack answered 503".into(),
    })]);
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert_eq!(outcome.disposition(), Disposition::RetryLater);
    assert_eq!(deps.thumbtack.calls().len(), 1, "not waited in place");
    assert_eq!(
        deps.queue.delays(),
        [("receipt-1".to_owned(), Duration::from_secs(12 * 3600))],
        "SQS's longest visibility timeout"
    );
}

#[tokio::test(start_paused = true)]
async fn a_reply_whose_ids_are_only_dots_is_parked_without_a_send() {
    let deps = deps(vec![]);
    for body in [
        BODY.replace(r#""leadID":"l-1""#, r#""leadID":"..""#),
        BODY.replace(r#""businessID":"b-1""#, r#""businessID":".""#),
    ] {
        let outcome = deliver(&deps, &delivery(&body, 1), far()).await;
        assert!(
            matches!(
                outcome,
                Outcome::Parked {
                    kind: FailureKind::Invalid,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
    assert!(deps.thumbtack.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn in_memory_a_delivery_that_lost_its_claim_changes_nothing_with_its_outcome_writes() {
    use app::ports::{Claim, Recorded, ReplyClaim, ReplyLedger};
    let ledger = MemoryStore::new();
    let reply = models::ReplyRequest::parse(BODY.as_bytes()).unwrap();
    let claim = |now_ms: u64| ReplyClaim {
        reply: &reply,
        enqueued_at_ms: 1,
        sequence: None,
        now_ms,
        lease_until_ms: now_ms + 120_000,
    };
    assert_eq!(
        ledger.claim(claim(0)).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    assert_eq!(
        ledger.claim(claim(130_000)).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    assert!(matches!(
        ledger.mark_retrying(&reply, 1, "late", 140_000).await,
        Ok(Recorded::Superseded)
    ));
    assert!(matches!(
        ledger
            .mark_failed(&reply, 1, "late", "refused", Some(400), 140_000)
            .await,
        Ok(Recorded::Superseded)
    ));
    assert!(matches!(
        ledger.mark_sent(&reply, 1, 200, 140_000).await,
        Ok(Recorded::Superseded)
    ));
    assert_eq!(
        ledger.claim(claim(150_000)).await.unwrap(),
        Claim::Busy {
            lease_until_ms: 250_000
        }
    );
    let record = ledger.reply("r-1").unwrap();
    assert_eq!(record.status, ReplyStatus::Sending);
    assert_eq!(record.error, None);
    assert_eq!(record.attempts, 2);
}

#[tokio::test(start_paused = true)]
async fn a_reply_held_back_for_many_deliveries_still_gets_its_own_tries() {
    let deps = deps(vec![Err(unavailable()); 3]);
    // Held back behind a failing reply of its lead, it was received five times before its first
    // try: the queue's receive count says nothing about how often it was tried.
    let outcome = deliver(&deps, &delivery(BODY, 5), far()).await;
    assert!(matches!(outcome, Outcome::Retrying { .. }), "{outcome:?}");
    let record = deps.ledger.reply("r-1").unwrap();
    assert_eq!(record.status, ReplyStatus::Sending);
    assert!(deps.queue.parked().is_empty());
}

#[tokio::test(start_paused = true)]
async fn after_max_attempts_tries_a_transient_failure_fails_the_reply_and_parks_it() {
    let deps = deps(vec![Err(unavailable()); 15]);
    for _ in 1..5 {
        let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
        assert!(matches!(outcome, Outcome::Retrying { .. }), "{outcome:?}");
    }
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert_eq!(
        outcome,
        Outcome::Failed {
            reason: "gave up after 5 tries: Thumbtack answered 503".into(),
            kind: FailureKind::GaveUp
        }
    );
    assert_eq!(deps.thumbtack.calls().len(), 15);
    let record = deps.ledger.reply("r-1").unwrap();
    assert_eq!(record.status, ReplyStatus::Failed);
    assert_eq!(record.attempts, 5);
    assert_eq!(deps.queue.parked().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_reply_claimed_by_another_delivery_comes_back_no_sooner_than_the_claims_lease_ends() {
    use app::ports::{ReplyClaim, ReplyLedger};
    let deps = deps(vec![]);
    let reply = models::ReplyRequest::parse(BODY.as_bytes()).unwrap();
    let now = app::now_millis();
    let lease = Duration::from_secs(100);
    deps.ledger
        .claim(ReplyClaim {
            reply: &reply,
            enqueued_at_ms: now,
            sequence: None,
            now_ms: now,
            lease_until_ms: now + lease.as_millis() as u64,
        })
        .await
        .unwrap();
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    let Outcome::Busy { delay } = outcome else {
        panic!("{outcome:?}");
    };
    // What is left of the lease now is no more than what was left when the delivery ran.
    let left_now = Duration::from_millis((now + lease.as_millis() as u64) - app::now_millis());
    assert!(
        delay >= left_now && delay <= lease,
        "{delay:?}: the remaining lease ({left_now:?}), not the 30 s backoff"
    );
    assert!(deps.thumbtack.calls().is_empty());
}

/// The in-memory ledger, with claims that take `delay` (a slow or throttled DynamoDB), a context
/// that carries [`KNOWN`] for a stored lead, and a note of what each first-reply count was given.
struct Observed {
    inner: MemoryStore,
    delay: Duration,
    known_given: std::sync::Mutex<Vec<Option<app::ports::LeadFirstReply>>>,
}

impl Observed {
    fn new(delay: Duration) -> Self {
        Observed {
            inner: MemoryStore::new(),
            delay,
            known_given: std::sync::Mutex::default(),
        }
    }
}

/// What [`Observed`]'s context read says of a stored lead's first reply.
fn known() -> app::ports::LeadFirstReply {
    app::ports::LeadFirstReply {
        business_id: "b-1".into(),
        created_s: 1_764_600_000,
        received_at_ms: 1_764_600_001_000,
        replied: false,
        person_replied: false,
        test: false,
    }
}

impl app::ports::ReplyLedger for Observed {
    async fn claim(
        &self,
        claim: app::ports::ReplyClaim<'_>,
    ) -> Result<app::ports::Claim, app::StoreError> {
        tokio::time::sleep(self.delay).await;
        self.inner.claim(claim).await
    }

    async fn mark_sent(
        &self,
        reply: &models::ReplyRequest,
        attempt: u32,
        http_status: u16,
        now_ms: u64,
    ) -> Result<app::ports::Recorded, app::StoreError> {
        self.inner
            .mark_sent(reply, attempt, http_status, now_ms)
            .await
    }

    async fn mark_delivered(
        &self,
        lead_id: &str,
        reply_id: &str,
        echo_message_id: &str,
        at_ms: u64,
    ) -> Result<(), app::StoreError> {
        self.inner
            .mark_delivered(lead_id, reply_id, echo_message_id, at_ms)
            .await
    }

    async fn mark_retrying(
        &self,
        reply: &models::ReplyRequest,
        attempt: u32,
        error: &str,
        now_ms: u64,
    ) -> Result<app::ports::Recorded, app::StoreError> {
        self.inner
            .mark_retrying(reply, attempt, error, now_ms)
            .await
    }

    async fn mark_failed(
        &self,
        reply: &models::ReplyRequest,
        attempt: u32,
        error: &str,
        category: &str,
        http_status: Option<u16>,
        now_ms: u64,
    ) -> Result<app::ports::Recorded, app::StoreError> {
        self.inner
            .mark_failed(reply, attempt, error, category, http_status, now_ms)
            .await
    }

    async fn release(
        &self,
        reply: &models::ReplyRequest,
        attempt: u32,
        now_ms: u64,
    ) -> Result<app::ports::Recorded, app::StoreError> {
        self.inner.release(reply, attempt, now_ms).await
    }

    async fn person_replied(&self, lead_id: &str) -> Result<bool, app::StoreError> {
        self.inner.person_replied(lead_id).await
    }

    async fn reply_context(
        &self,
        lead_id: &str,
        acknowledgement: bool,
    ) -> Result<app::ports::ReplyContext, app::StoreError> {
        let mut context = self.inner.reply_context(lead_id, acknowledgement).await?;
        context.first_reply = context.lead_business_id.as_ref().map(|_| known());
        Ok(context)
    }

    async fn first_reply(
        &self,
        lead_id: &str,
        automatic: bool,
        now_ms: u64,
    ) -> Result<Option<u64>, app::StoreError> {
        self.inner.first_reply(lead_id, automatic, now_ms).await
    }

    async fn first_reply_known(
        &self,
        lead_id: &str,
        automatic: bool,
        now_ms: u64,
        known: Option<&app::ports::LeadFirstReply>,
    ) -> Result<Option<u64>, app::StoreError> {
        self.known_given.lock().unwrap().push(known.cloned());
        self.inner.first_reply(lead_id, automatic, now_ms).await
    }
}

#[tokio::test(start_paused = true)]
async fn after_a_slow_claim_nothing_is_sent_without_time_for_the_send_and_its_record() {
    use app::ports::{Claim, ReplyClaim, ReplyLedger};
    let policy = RetryPolicy::default();
    let deps = ReplyDeps {
        ledger: Observed::new(Duration::from_secs(20)),
        thumbtack: ScriptedThumbtack::default(),
        queue: RecordingQueue::default(),
        policy,
        metrics: Metrics::off(),
    };
    // Room for a try and the `sent` write when the delivery starts; the claim takes 20 s of it.
    let deadline = std::time::Instant::now()
        + policy.attempt_budget
        + policy.record_budget
        + Duration::from_secs(10);
    let outcome = deliver(&deps, &delivery(BODY, 1), deadline).await;
    assert_eq!(outcome, Outcome::NoTimeLeft);
    assert_eq!(outcome.disposition(), Disposition::RetryLater);
    assert!(deps.thumbtack.calls().is_empty(), "not sent");
    assert_eq!(
        deps.queue.delays(),
        [("receipt-1".to_owned(), Duration::ZERO)],
        "redelivered at once"
    );
    // The claim was released: the next delivery need not wait out its lease.
    let reply = models::ReplyRequest::parse(BODY.as_bytes()).unwrap();
    let now = app::now_millis();
    let next = deps
        .ledger
        .inner
        .claim(ReplyClaim {
            reply: &reply,
            enqueued_at_ms: now,
            sequence: None,
            now_ms: now,
            lease_until_ms: now + 120_000,
        })
        .await
        .unwrap();
    assert_eq!(next, Claim::Claimed { attempt: 2 });
}

#[tokio::test(start_paused = true)]
async fn a_first_try_needs_room_for_the_http_timeout_and_the_sent_write() {
    let deps = deps(vec![]);
    // More than one HTTP try can take, less than that plus the `sent` write.
    let deadline = std::time::Instant::now() + deps.policy.attempt_budget + Duration::from_secs(1);
    let outcome = deliver(&deps, &delivery(BODY, 1), deadline).await;
    assert_eq!(outcome, Outcome::NoTimeLeft);
    assert!(deps.thumbtack.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_acknowledgement_behind_a_person_s_reply_is_recorded_skipped_and_never_sent() {
    // The person's reply came first in the lead's group (enqueued before the acknowledgement).
    let deps = deps(vec![]);
    let person = r#"{"replyID":"pro-1","businessID":"b-1","leadID":"l-1","text":"On my way."}"#;
    assert!(matches!(
        deliver(&deps, &delivery(person, 1), far()).await,
        Outcome::Sent { .. }
    ));
    let automatic = r#"{"replyID":"auto-l-1","businessID":"b-1","leadID":"l-1","text":"Thanks for reaching out!"}"#;
    acknowledgement_noted(&deps.ledger, "Thanks for reaching out!").await;
    let outcome = deliver(&deps, &delivery(automatic, 1), far()).await;
    assert!(matches!(outcome, Outcome::Skipped { .. }), "{outcome:?}");
    assert_eq!(outcome.disposition(), Disposition::Done);
    assert_eq!(
        deps.thumbtack.calls().len(),
        1,
        "only the person's reply was sent"
    );
    let record = deps.ledger.reply("auto-l-1").unwrap();
    assert_eq!(record.status, ReplyStatus::Failed);
    assert!(
        record
            .error
            .as_deref()
            .unwrap()
            .contains("a person replied"),
        "{record:?}"
    );
    // Not parked: nothing for an operator to do.
    assert!(deps.queue.parked().is_empty());

    // With no person's reply, the acknowledgement goes out as any reply.
    let deps = self::deps(vec![]);
    acknowledgement_noted(&deps.ledger, "Thanks for reaching out!").await;
    let outcome = deliver(&deps, &delivery(automatic, 1), far()).await;
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
}

/// Speed-to-lead's note on lead `l-1`: its acknowledgement, enqueued with `text`.
async fn acknowledgement_noted(store: &MemoryStore, text: &str) {
    use app::ports::BusinessDesk;
    let note = models::AckNote {
        status: models::AckStatus::Enqueued,
        reason: None,
        at_ms: 1,
        due_at_ms: None,
        text: Some(text.to_owned()),
    };
    store.note_acknowledgement("l-1", &note).await.unwrap();
}

/// The sample lead stored as lead `l-1` of business `b-1`, as the replies above name it.
async fn lead_l1_of_b1_stored(deps: &ReplyDeps<MemoryStore, ScriptedThumbtack, RecordingQueue>) {
    lead_l1_of_b1_stored_in(&deps.ledger).await;
}

async fn lead_l1_of_b1_stored_in(store: &MemoryStore) {
    let body = fixtures::LEAD
        .replace("299614694480093245", "l-1")
        .replace("286845156044809661", "b-1");
    let lead = models::Lead::parse(body.as_bytes()).unwrap();
    app::ingest::store_parsed(store, &lead, &body, 1)
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_reply_naming_another_business_than_its_stored_lead_is_parked_and_never_sent() {
    let deps = deps(vec![]);
    lead_l1_of_b1_stored(&deps).await;
    let other_business = BODY.replace("\"b-1\"", "\"b-2\"");
    let outcome = deliver(&deps, &delivery(&other_business, 1), far()).await;
    assert!(
        matches!(
            &outcome,
            Outcome::Parked { reason, kind: FailureKind::Invalid } if reason.contains("businessID")
        ),
        "{outcome:?}"
    );
    assert!(deps.thumbtack.calls().is_empty(), "never sent");
    assert!(deps.ledger.reply("r-1").is_none(), "nothing in the ledger");
    assert_eq!(deps.queue.parked().len(), 1);

    // Its own business's reply goes out, and so does a reply whose lead is not stored yet.
    assert!(matches!(
        deliver(&deps, &delivery(BODY, 1), far()).await,
        Outcome::Sent { .. }
    ));
    let unknown_lead = BODY.replace("l-1", "l-9").replace("r-1", "r-9");
    assert!(matches!(
        deliver(&deps, &delivery(&unknown_lead, 1), far()).await,
        Outcome::Sent { .. }
    ));
}

#[tokio::test(start_paused = true)]
async fn a_partner_reply_with_the_acknowledgement_prefix_is_parked_as_reserved_and_never_sent() {
    let deps = deps(vec![]);
    lead_l1_of_b1_stored(&deps).await;
    // Enqueued before the lead's own acknowledgement: no note says it is ours.
    let forged =
        r#"{"replyID":"auto-l-1","businessID":"b-1","leadID":"l-1","text":"Call me maybe"}"#;
    let outcome = deliver(&deps, &delivery(forged, 1), far()).await;
    assert!(
        matches!(&outcome, Outcome::Parked { reason, kind: FailureKind::Invalid } if reason.contains("reserved")),
        "{outcome:?}"
    );
    // Another id with the prefix, and one whose note names other text, are refused the same way.
    let other = forged.replace("auto-l-1", "auto-mine-7");
    let outcome = deliver(&deps, &delivery(&other, 1), far()).await;
    assert!(matches!(outcome, Outcome::Parked { .. }), "{outcome:?}");
    acknowledgement_noted(&deps.ledger, "Thanks for reaching out!").await;
    let outcome = deliver(&deps, &delivery(forged, 1), far()).await;
    assert!(matches!(outcome, Outcome::Parked { .. }), "{outcome:?}");
    assert!(deps.thumbtack.calls().is_empty(), "none was sent");
    assert!(
        deps.ledger.reply("auto-l-1").is_none(),
        "the ledger holds none"
    );

    // Ours, as its note says, goes out.
    let ours = forged.replace("Call me maybe", "Thanks for reaching out!");
    let outcome = deliver(&deps, &delivery(&ours, 1), far()).await;
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
}

/// Issue 18, item 12: the lead's first-reply time was written once beside `sent`, never again if
/// that write failed: the lead showed no reply and was later called unanswered.
#[tokio::test(start_paused = true)]
async fn a_first_reply_time_that_cannot_be_written_at_once_is_written_on_a_later_try() {
    use app::ports::LeadStore;
    let deps = deps(vec![]);
    lead_l1_of_b1_stored(&deps).await;
    deps.ledger.fail_marking_answered(2);
    let outcome = deliver(&deps, &delivery(BODY, 1), far()).await;
    assert!(
        matches!(
            outcome,
            Outcome::Sent {
                first_response: Some(_),
                ..
            }
        ),
        "{outcome:?}"
    );
    let listed = deps.ledger.stored_lead("l-1").await.unwrap();
    assert!(listed.is_some());
    assert_eq!(deps.thumbtack.calls().len(), 1, "sent once");
    // The lead is answered: a second reply is not its first.
    let second = BODY.replace("r-1", "r-2");
    assert!(matches!(
        deliver(&deps, &delivery(&second, 1), far()).await,
        Outcome::Sent {
            first_response: None,
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn a_sent_reply_s_first_reply_count_goes_by_what_the_check_read_of_its_lead() {
    let deps = ReplyDeps {
        ledger: Observed::new(Duration::ZERO),
        thumbtack: ScriptedThumbtack::default(),
        queue: RecordingQueue::default(),
        policy: RetryPolicy::default(),
        metrics: Metrics::off(),
    };
    // A lead not stored: nothing read of it, the count reads for itself.
    let unknown_lead = BODY.replace("l-1", "l-9").replace("r-1", "r-9");
    assert!(matches!(
        deliver(&deps, &delivery(&unknown_lead, 1), far()).await,
        Outcome::Sent { .. }
    ));
    lead_l1_of_b1_stored_in(&deps.ledger.inner).await;
    assert!(matches!(
        deliver(&deps, &delivery(BODY, 1), far()).await,
        Outcome::Sent { .. }
    ));
    assert_eq!(
        *deps.ledger.known_given.lock().unwrap(),
        [None, Some(known())]
    );
}
