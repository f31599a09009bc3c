//! The changes feed against writers that are late: each kind of writer (an inbound delivery, an
//! operator's replay, a reply's outcome, an unanswered lead) carries a time taken twice the settle
//! window before its write, while a reader pages the feed. A fact's place is the time its write
//! was sent, whatever time the writer carries: every fact is read once.

use crate::support::*;
use adapters::DynamoStore;
use app::events::{Fact, FeedEntry};
use app::metrics::Metrics;
use app::ports::{
    BusinessDesk, Claim, Cursor, Listings, Quarantined, ReplyClaim, ReplyLedger, Route,
};
use app::{LeadStore, now_millis};
use models::{Lead, Problems, ReplyRequest};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const SETTLE_MS: u64 = 1_000;
/// How far behind its write each late writer's time is.
const LAG_MS: u64 = 2 * SETTLE_MS + 500;

/// What identifies a fact in the feed, whatever its place.
fn fact(entry: &FeedEntry) -> String {
    match &entry.fact {
        Fact::LeadStored { lead_id, .. } => format!("lead {lead_id}"),
        Fact::PayloadQuarantined { digest, .. } => format!("quarantined {digest}"),
        Fact::ReplyFailed {
            reply_id, attempt, ..
        } => format!("reply {reply_id} Failed {attempt}"),
        Fact::ReplySent {
            reply_id, attempt, ..
        } => format!("reply {reply_id} Sent {attempt}"),
        Fact::LeadUnanswered { lead_id, .. } => format!("unanswered {lead_id}"),
        other => format!("{other:?}"),
    }
}

fn lead_body(lead_id: &str) -> String {
    let raw = with_field(LEAD, "/leadID", json!(lead_id));
    // Fresh leads: a stale one is stored all the same, but keep the fixture's other fields.
    with_field(
        &raw,
        "/createTimestamp",
        json!((now_millis() / 1000).to_string()),
    )
}

/// One late write of each kind; the facts they make.
async fn late_writers(store: &DynamoStore, round: u32) -> Vec<String> {
    let metrics = Metrics::off();
    let late = || now_millis() - LAG_MS;
    let mut facts = Vec::new();

    // Inbound: a delivery whose receipt time was taken long before its write.
    let lead_id = format!("{}", 700_000_000_000 + u64::from(round));
    let body = lead_body(&lead_id);
    app::ingest::ingest::<Lead, _>(store, &metrics, body.as_bytes(), late())
        .await
        .unwrap();
    facts.push(format!("lead {lead_id}"));

    // Replay: a body quarantined under older rules that passes today's, replayed by a run whose
    // time is old (the quarantine itself is a fact too).
    let replayed_id = format!("{}", 800_000_000_000 + u64::from(round));
    let digest = format!("late-{round}");
    let problems = Problems::NONE;
    store
        .quarantine(Quarantined {
            route: Route::Lead,
            digest: &digest,
            raw: lead_body(&replayed_id).as_bytes(),
            problems: &problems,
            received_at_ms: late(),
        })
        .await
        .unwrap();
    facts.push(format!("quarantined {digest}"));
    app::replay::replay_all(store, &metrics, late, |_, replayed| {
        assert!(replayed.is_ok(), "{replayed:?}");
    })
    .await
    .unwrap();
    facts.push(format!("lead {replayed_id}"));

    // A reply's outcome: a failure, then the send of its redrive, each written with a time
    // taken before a long retry.
    let reply = ReplyRequest {
        reply_id: format!("late-reply-{round}"),
        business_id: fixtures::BUSINESS_ID.to_owned(),
        lead_id: lead_id.clone(),
        text: "On my way.".to_owned(),
    };
    let claim = |now_ms: u64| ReplyClaim {
        reply: &reply,
        enqueued_at_ms: now_ms,
        sequence: None,
        now_ms,
        lease_until_ms: now_ms,
    };
    assert_eq!(
        store.claim(claim(now_millis())).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    store
        .mark_failed(&reply, 1, "timed out", "gave_up", None, late())
        .await
        .unwrap();
    assert_eq!(
        store.claim(claim(now_millis() + 1)).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    store.mark_sent(&reply, 2, 201, late()).await.unwrap();
    facts.push(format!("reply {} Failed 1", reply.reply_id));
    facts.push(format!("reply {} Sent 2", reply.reply_id));

    // Unanswered: a check whose time was taken before its write.
    store
        .mark_unanswered(&lead_id, fixtures::BUSINESS_ID, late())
        .await
        .unwrap();
    facts.push(format!("unanswered {lead_id}"));
    facts
}

/// Pages the feed as the read route does (up to `now - settle`), two entries a page.
async fn page(store: &DynamoStore, cursor: &mut Option<Cursor>, seen: &mut Vec<String>) {
    let before = now_millis() - SETTLE_MS;
    let page = store.changes(0, before, 2, cursor.as_ref()).await.unwrap();
    seen.extend(page.items.iter().map(fact));
    *cursor = page.next;
}

#[tokio::test]
async fn writers_whose_time_lags_their_write_by_twice_the_settle_window_are_each_read_once() {
    let store = fresh_store().await;
    let done = Arc::new(AtomicBool::new(false));
    // On time: leads delivered now, so that the reader's position keeps moving past the late
    // writers' times.
    let timely = {
        let (store, done) = (store.clone(), Arc::clone(&done));
        tokio::spawn(async move {
            let mut facts = Vec::new();
            let mut n = 0u64;
            while !done.load(Ordering::SeqCst) && n < 200 {
                let lead_id = format!("{}", 600_000_000_000 + n);
                let body = lead_body(&lead_id);
                app::ingest::ingest::<Lead, _>(
                    &store,
                    &Metrics::off(),
                    body.as_bytes(),
                    now_millis(),
                )
                .await
                .unwrap();
                facts.push(format!("lead {lead_id}"));
                n += 1;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            facts
        })
    };
    let late = {
        let (store, done) = (store.clone(), Arc::clone(&done));
        tokio::spawn(async move {
            // Past the first settle window, so that the reader has moved on.
            tokio::time::sleep(Duration::from_millis(2 * SETTLE_MS)).await;
            let mut facts = Vec::new();
            for round in 0..3 {
                facts.extend(late_writers(&store, round).await);
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            done.store(true, Ordering::SeqCst);
            facts
        })
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    while !done.load(Ordering::SeqCst) {
        page(&store, &mut cursor, &mut seen).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut expected = late.await.unwrap();
    expected.extend(timely.await.unwrap());
    // Once the writers are done, one settle window more brings everything in.
    tokio::time::sleep(Duration::from_millis(SETTLE_MS + 200)).await;
    loop {
        let before = seen.len();
        page(&store, &mut cursor, &mut seen).await;
        if seen.len() == before {
            break;
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for fact in &seen {
        *counts.entry(fact).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "read twice: {repeated:?}");
    let skipped: Vec<&String> = expected
        .iter()
        .filter(|fact| !counts.contains_key(fact.as_str()))
        .collect();
    assert!(skipped.is_empty(), "never read: {skipped:?}");
    assert_eq!(counts.len(), expected.len(), "{counts:?}");
}
