use super::*;
use crate::ingest;
use crate::memory::{MemoryStore, RecordingOutbox, RecordingScheduler};
use crate::ports::{ReplyClaim, ReplyLedger};
use serde_json::{Value, json};

const LEAD_ID: &str = "437282017264173057";
const BUSINESS_ID: &str = "286845156044809661";
/// 2026-12-01T18:00:00Z: noon in Chicago, 19:00 in Paris.
const NOW: u64 = 1_796_148_000_000;

type Deps = SpeedDeps<MemoryStore, RecordingOutbox, RecordingScheduler>;

fn deps() -> Deps {
    SpeedDeps {
        store: MemoryStore::new(),
        outbox: RecordingOutbox::default(),
        scheduler: RecordingScheduler::default(),
        metrics: Metrics::off(),
        fresh_within: DEFAULT_FRESH_WITHIN,
    }
}

async fn lead_arrives(deps: &Deps, change: impl FnOnce(&mut Value)) {
    let mut lead: Value = serde_json::from_str(fixtures::LEAD_2025).unwrap();
    // Created a minute before NOW: a new lead.
    lead["createTimestamp"] = json!((NOW / 1000 - 60).to_string());
    change(&mut lead);
    let raw = lead.to_string();
    let parsed = Lead::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(&deps.store, &parsed, &raw, NOW - 1_000)
        .await
        .unwrap();
}

async fn turned_on(deps: &Deps, change: impl FnOnce(&mut BusinessSettings)) {
    let mut settings = BusinessSettings::default();
    settings.auto_acknowledgement.enabled = true;
    change(&mut settings);
    deps.store
        .save_settings(BUSINESS_ID, &settings, NOW)
        .await
        .unwrap();
}

/// The acknowledgement's note on the lead, if any.
async fn ack_note(deps: &Deps) -> Option<AckNote> {
    deps.store
        .conversation(LEAD_ID)
        .await
        .unwrap()
        .acknowledgement
}

async fn received(deps: &Deps) -> Acknowledged {
    on_lead_received(deps, LEAD_ID, BUSINESS_ID, EventOrigin::Live, NOW)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_business_that_turned_it_on_gets_one_acknowledgement_however_often_the_event_comes() {
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    turned_on(&deps, |_| {}).await;
    assert_eq!(received(&deps).await, Acknowledged::Enqueued);
    for _ in 0..3 {
        assert_eq!(received(&deps).await, Acknowledged::AlreadyHandled);
    }
    let replies = deps.outbox.replies();
    // Every delivery may enqueue (the ledger sends replyID auto-<leadID> once); all are the same
    // reply.
    assert!(replies.iter().all(|r| r == &replies[0]));
    let reply = &replies[0];
    assert_eq!(reply.reply_id, format!("auto-{LEAD_ID}"));
    assert_eq!(reply.business_id, BUSINESS_ID);
    assert!(
        reply.text.starts_with("Hi Maria, thanks for reaching out to Tim's Cleaning Business about your House Cleaning request"),
        "{}",
        reply.text
    );
    assert_eq!(
        ack_note(&deps).await.map(|n| n.status),
        Some(AckStatus::Enqueued)
    );
}

#[tokio::test]
async fn a_business_that_did_not_turn_it_on_gets_none_and_the_unanswered_check_all_the_same() {
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    assert_eq!(received(&deps).await, Acknowledged::Off);
    assert!(deps.outbox.replies().is_empty());
    let wakeups = deps.scheduler.wakeups();
    assert_eq!(wakeups.len(), 1);
    assert_eq!(wakeups[0].0.kind, WakeupKind::Unanswered);
    // An hour (the default threshold) after the lead arrived.
    assert_eq!(wakeups[0].1, NOW - 1_000 + 3_600_000);
}

#[tokio::test]
async fn a_lead_a_person_already_answered_is_skipped_and_the_skip_noted() {
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    turned_on(&deps, |_| {}).await;
    let reply = ReplyRequest {
        reply_id: "pro-1".into(),
        business_id: BUSINESS_ID.into(),
        lead_id: LEAD_ID.into(),
        text: "On my way".into(),
    };
    let claim = ReplyClaim {
        reply: &reply,
        enqueued_at_ms: NOW - 500,
        sequence: None,
        lease_until_ms: NOW + 30_000,
        now_ms: NOW - 400,
    };
    deps.store.claim(claim).await.unwrap();
    assert_eq!(
        received(&deps).await,
        Acknowledged::Skipped("person-replied")
    );
    assert!(deps.outbox.replies().is_empty());
    let note = ack_note(&deps).await.unwrap();
    assert_eq!(note.status, AckStatus::Skipped);
    assert_eq!(note.reason.as_deref(), Some("person-replied"));
}

#[tokio::test]
async fn test_and_sample_leads_are_never_acknowledged_nor_reported_unanswered() {
    for mark in [
        json!({"isTest": true}),
        json!({"leadID": "test-437282017264173057"}),
    ] {
        let deps = deps();
        lead_arrives(&deps, |lead| {
            for (key, value) in mark.as_object().unwrap() {
                lead[key] = value.clone();
            }
        })
        .await;
        turned_on(&deps, |_| {}).await;
        let lead_id = mark["leadID"].as_str().unwrap_or(LEAD_ID);
        let done = on_lead_received(&deps, lead_id, BUSINESS_ID, EventOrigin::Live, NOW).await;
        assert_eq!(done.unwrap(), Acknowledged::Skipped("test-lead"), "{mark}");
        assert!(deps.outbox.replies().is_empty());
        assert!(deps.scheduler.wakeups().is_empty(), "{mark}");
    }
}

#[tokio::test]
async fn in_quiet_hours_the_acknowledgement_waits_for_their_end_or_goes_at_once() {
    // Noon in Chicago is quiet from 11:00 to 13:00 there: the end is 19:00Z.
    let quiet = |during: QuietPolicy| {
        move |settings: &mut BusinessSettings| {
            settings.quiet_hours = QuietHours {
                enabled: true,
                start: "11:00".into(),
                end: "13:00".into(),
                time_zone: "America/Chicago".into(),
                during,
            };
        }
    };
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    turned_on(&deps, quiet(QuietPolicy::Wait)).await;
    let end = NOW + 3_600_000;
    assert_eq!(received(&deps).await, Acknowledged::Deferred(end));
    assert!(deps.outbox.replies().is_empty());
    let wakeups = deps.scheduler.wakeups();
    let (wakeup, at) = wakeups
        .iter()
        .find(|(w, _)| w.kind == WakeupKind::Acknowledge)
        .unwrap();
    assert_eq!(*at, end);
    // Woken at the end: sent now, once.
    let woken = on_wakeup(&deps, wakeup, end).await.unwrap();
    assert_eq!(woken, WokenUp::Acknowledged(Acknowledged::Enqueued));
    let again = on_wakeup(&deps, wakeup, end + 5).await.unwrap();
    assert_eq!(again, WokenUp::Acknowledged(Acknowledged::AlreadyHandled));
    assert_eq!(
        deps.outbox.replies().len(),
        2,
        "the same reply, sent once by the ledger"
    );

    let deps = self::deps();
    lead_arrives(&deps, |_| {}).await;
    turned_on(&deps, quiet(QuietPolicy::Send)).await;
    assert_eq!(received(&deps).await, Acknowledged::Enqueued);
}

#[tokio::test]
async fn an_unanswered_lead_is_recorded_once_and_an_answered_one_not_at_all() {
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    let wakeup = Wakeup {
        kind: WakeupKind::Unanswered,
        lead_id: LEAD_ID.into(),
        business_id: BUSINESS_ID.into(),
    };
    let later = NOW + 3_600_000;
    assert_eq!(
        on_wakeup(&deps, &wakeup, later).await.unwrap(),
        WokenUp::Unanswered { first: true }
    );
    assert_eq!(
        on_wakeup(&deps, &wakeup, later + 1).await.unwrap(),
        WokenUp::Unanswered { first: false }
    );

    // A lead with a person's reply sent before the threshold: nothing.
    let deps = self::deps();
    lead_arrives(&deps, |_| {}).await;
    let reply = ReplyRequest {
        reply_id: "pro-1".into(),
        business_id: BUSINESS_ID.into(),
        lead_id: LEAD_ID.into(),
        text: "On my way".into(),
    };
    let claim = ReplyClaim {
        reply: &reply,
        enqueued_at_ms: NOW,
        sequence: None,
        lease_until_ms: NOW + 30_000,
        now_ms: NOW,
    };
    let attempt = match deps.store.claim(claim).await.unwrap() {
        crate::ports::Claim::Claimed { attempt } => attempt,
        other => panic!("{other:?}"),
    };
    deps.store
        .mark_sent(&reply, attempt, 201, NOW + 10)
        .await
        .unwrap();
    assert_eq!(
        on_wakeup(&deps, &wakeup, later).await.unwrap(),
        WokenUp::Answered
    );
    assert!(
        deps.store
            .conversation(LEAD_ID)
            .await
            .unwrap()
            .unanswered_at_ms
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_events_racing_a_person_s_reply_acknowledge_once_or_skip_never_both() {
    for round in 0..200u64 {
        let deps = std::sync::Arc::new(deps());
        lead_arrives(&deps, |_| {}).await;
        turned_on(&deps, |_| {}).await;
        let reply = ReplyRequest {
            reply_id: format!("pro-{round}"),
            business_id: BUSINESS_ID.into(),
            lead_id: LEAD_ID.into(),
            text: "On my way".into(),
        };
        let mut tasks = Vec::new();
        for n in 0..8u64 {
            let deps = deps.clone();
            let reply = reply.clone();
            tasks.push(tokio::spawn(async move {
                if n == (round % 8) {
                    // The person's reply, claimed by the reply function somewhere in the race.
                    let claim = ReplyClaim {
                        reply: &reply,
                        enqueued_at_ms: NOW,
                        sequence: None,
                        lease_until_ms: NOW + 30_000,
                        now_ms: NOW,
                    };
                    deps.store.claim(claim).await.unwrap();
                }
                on_lead_received(&*deps, LEAD_ID, BUSINESS_ID, EventOrigin::Live, NOW)
                    .await
                    .unwrap()
            }));
        }
        let outcomes: Vec<Acknowledged> = futures::future::join_all(tasks)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let decided = outcomes
            .iter()
            .filter(|o| !matches!(o, Acknowledged::AlreadyHandled))
            .count();
        assert_eq!(decided, 1, "one delivery decides: {outcomes:?}");
        let note = ack_note(&deps).await.unwrap();
        let replies = deps.outbox.replies();
        match note.status {
            AckStatus::Enqueued => {
                assert!(!replies.is_empty());
                assert!(
                    replies
                        .iter()
                        .all(|r| r.reply_id == acknowledgement_id(LEAD_ID))
                );
            }
            AckStatus::Skipped => assert!(replies.is_empty(), "skipped, yet {replies:?}"),
            AckStatus::Deferred => panic!("no quiet hours here"),
        }
    }
}

#[tokio::test]
async fn a_lead_created_longer_ago_than_the_window_is_neither_acknowledged_nor_checked() {
    let deps = deps();
    // Replayed from quarantine weeks after Thumbtack created it.
    lead_arrives(&deps, |lead| {
        lead["createTimestamp"] = json!((NOW / 1000 - 21 * 86_400).to_string());
    })
    .await;
    turned_on(&deps, |_| {}).await;
    assert_eq!(received(&deps).await, Acknowledged::Skipped("stale-lead"));
    assert!(deps.outbox.replies().is_empty(), "no acknowledgement");
    assert!(deps.scheduler.wakeups().is_empty(), "no unanswered check");
    let note = ack_note(&deps).await.expect("the skip is noted");
    assert_eq!(
        (note.status, note.reason.as_deref()),
        (AckStatus::Skipped, Some("stale-lead"))
    );

    // Just inside the window it is acknowledged.
    let deps = self::deps();
    lead_arrives(&deps, |lead| {
        lead["createTimestamp"] = json!((NOW / 1000 - 14 * 60).to_string());
    })
    .await;
    turned_on(&deps, |_| {}).await;
    assert_eq!(received(&deps).await, Acknowledged::Enqueued);
}

#[tokio::test]
async fn a_replayed_lead_received_event_is_neither_acknowledged_nor_checked() {
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    turned_on(&deps, |_| {}).await;
    let done = on_lead_received(&deps, LEAD_ID, BUSINESS_ID, EventOrigin::Replay, NOW).await;
    assert_eq!(done.unwrap(), Acknowledged::Skipped("replayed-event"));
    assert!(deps.outbox.replies().is_empty());
    assert!(deps.scheduler.wakeups().is_empty());
}

#[tokio::test]
async fn a_duplicate_lead_received_after_the_template_changed_enqueues_the_first_text_again() {
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    turned_on(&deps, |settings| {
        settings.auto_acknowledgement.template = "First words for {customerFirstName}.".into();
    })
    .await;
    assert_eq!(received(&deps).await, Acknowledged::Enqueued);
    turned_on(&deps, |settings| {
        settings.auto_acknowledgement.template = "Other words entirely.".into();
    })
    .await;
    assert_eq!(received(&deps).await, Acknowledged::AlreadyHandled);
    let replies = deps.outbox.replies();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0], replies[1], "the same reply both times");
    assert_eq!(replies[1].text, "First words for Maria.");
}

#[tokio::test]
async fn quiet_hours_ending_after_acknowledgements_were_turned_off_settle_the_deferral() {
    let deps = deps();
    lead_arrives(&deps, |_| {}).await;
    turned_on(&deps, |settings| {
        settings.quiet_hours = QuietHours {
            enabled: true,
            start: "11:00".into(),
            end: "13:00".into(),
            time_zone: "America/Chicago".into(),
            during: QuietPolicy::Wait,
        };
    })
    .await;
    let end = NOW + 3_600_000;
    assert_eq!(received(&deps).await, Acknowledged::Deferred(end));
    // The business turns acknowledgements off before the quiet hours end.
    turned_on(&deps, |settings| {
        settings.auto_acknowledgement.enabled = false
    })
    .await;
    let wakeup = Wakeup {
        kind: WakeupKind::Acknowledge,
        lead_id: LEAD_ID.into(),
        business_id: BUSINESS_ID.into(),
    };
    let woken = on_wakeup(&deps, &wakeup, end).await.unwrap();
    assert_eq!(
        woken,
        WokenUp::Acknowledged(Acknowledged::Skipped("turned-off"))
    );
    let note = ack_note(&deps).await.unwrap();
    assert_eq!(
        (note.status, note.reason.as_deref(), note.due_at_ms),
        (AckStatus::Skipped, Some("turned-off"), None)
    );
    assert!(deps.outbox.replies().is_empty());
}
