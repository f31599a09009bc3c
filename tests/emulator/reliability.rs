//! Nothing acknowledged is lost and nothing is stored twice, with a share of DynamoDB calls failing
//! (500, throttling, timeouts, answers lost after the write) and Thumbtack retrying every non-2xx.
//! `make reliability` runs the same experiment bigger and prints the figures.

use crate::support::*;
use harness::faults::ALL_FAULTS;
use harness::reliability::{StorageRun, storage_faults};

async fn run_at(share: f64) -> harness::reliability::StorageReport {
    let run = StorageRun {
        leads: 40,
        messages_per_lead: 2,
        share,
        kinds: ALL_FAULTS.to_vec(),
        concurrency: 16,
        max_deliveries: 60,
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let report = storage_faults(&run, &sdk().await, &endpoint, &unique_name("faults"))
        .await
        .unwrap();
    println!("{report:?}");
    assert_eq!(report.payloads, 120);
    assert_eq!(
        report.acknowledged, report.payloads,
        "Thumbtack's retries got every payload in"
    );
    assert_eq!(report.acknowledged_but_missing, 0);
    assert_eq!(report.stored_differently, 0);
    assert_eq!(report.stored_twice, 0);
    assert_eq!(
        report.stored_leads + report.stored_messages,
        report.payloads
    );
    assert_eq!(
        report.answers_4xx, 0,
        "a fault is never answered as the caller's fault"
    );
    assert!(
        report.faults_injected > 0 && report.lost_answers > 0,
        "the faults happened"
    );
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_ten_percent_of_storage_calls_failing_nothing_acknowledged_is_lost_or_doubled() {
    run_at(0.10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_half_of_storage_calls_failing_nothing_acknowledged_is_lost_or_doubled() {
    let report = run_at(0.50).await;
    // At this rate the SDK's own retries run out: Thumbtack sees 5xx and delivers again.
    assert!(report.answers_5xx > 0, "{report:?}");
}

use harness::faults::ThumbtackFault;
use harness::reliability::{ReplyRun, reply_faults};
use std::time::Duration;

fn reply_run(kinds: Vec<ThumbtackFault>) -> ReplyRun {
    ReplyRun {
        replies: 40,
        leads: 8,
        share: 0.3,
        kinds,
        client_timeout: Duration::from_millis(300),
        max_attempts: 5,
        limit: Duration::from_secs(90),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_thumbtack_failing_every_reply_ends_sent_once_or_failed_and_in_order() {
    let run = reply_run(vec![
        ThumbtackFault::Unavailable,
        ThumbtackFault::TooManyRequests,
        ThumbtackFault::SlowBeforeTaking,
        ThumbtackFault::Reset,
    ]);
    let report = reply_faults(&run, &sdk().await, &unique_name("reply-faults"))
        .await
        .unwrap();
    println!("{report:?}");
    assert!(report.faults > 0, "the faults happened");
    assert_eq!(
        report.unfinished, 0,
        "none lost: every reply ends sent or failed"
    );
    assert_eq!(report.sent + report.failed, run.replies);
    assert_eq!(report.taken_twice, 0, "none sent twice");
    assert_eq!(report.sent_not_taken, 0);
    assert_eq!(report.failed_but_taken, 0);
    assert_eq!(report.leads_out_of_order, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_lost_to_a_timeout_is_the_only_way_a_reply_is_taken_twice() {
    let run = reply_run(vec![ThumbtackFault::SlowAfterTaking]);
    let report = reply_faults(&run, &sdk().await, &unique_name("reply-slow"))
        .await
        .unwrap();
    println!("{report:?}");
    assert!(report.slow_after_taking > 0, "the faults happened");
    assert_eq!(report.unfinished, 0);
    assert_eq!(report.sent_not_taken, 0);
    // Thumbtack took the message and answered after our timeout: the retry sends it again. Every
    // extra take is one of those, as the README says; none comes from anywhere else.
    assert!(
        report.extra_takes as u64 <= report.slow_after_taking,
        "{report:?}"
    );
    assert_eq!(report.leads_out_of_order, 0);
}
