use super::*;
use app::ingest;
use app::memory::{MemoryStore, RecordingOutbox, RecordingScheduler};
use app::metrics::Metrics;
use app::ports::{BusinessDesk, WakeupKind};
use app::speed::BusinessSettings;
use models::Lead;
use serde_json::json;

const LEAD_ID: &str = "437282017264173057";
const BUSINESS_ID: &str = "286845156044809661";

fn deps() -> SpeedDeps<MemoryStore, RecordingOutbox, RecordingScheduler> {
    SpeedDeps {
        store: MemoryStore::new(),
        outbox: RecordingOutbox::default(),
        scheduler: RecordingScheduler::default(),
        metrics: Metrics::off(),
        fresh_within: app::speed::DEFAULT_FRESH_WITHIN,
    }
}

/// The 2025 sample lead, created a minute ago, stored; acknowledgements on for its business.
async fn a_fresh_lead_of_a_business_with_acknowledgements(
    deps: &SpeedDeps<MemoryStore, RecordingOutbox, RecordingScheduler>,
) {
    let created = app::now_millis() / 1000 - 60;
    let raw = fixtures::LEAD_2025.replace("1748530800", &created.to_string());
    let parsed = Lead::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(&deps.store, &parsed, &raw, 1)
        .await
        .unwrap();
    let mut settings = BusinessSettings::default();
    settings.auto_acknowledgement.enabled = true;
    deps.store
        .save_settings(BUSINESS_ID, &settings, 1)
        .await
        .unwrap();
}

/// The lead's acknowledgement note.
async fn note(
    deps: &SpeedDeps<MemoryStore, RecordingOutbox, RecordingScheduler>,
) -> Option<app::ports::AckNote> {
    use app::ports::LeadStore;
    deps.store
        .conversation(LEAD_ID)
        .await
        .unwrap()
        .acknowledgement
}

/// `Lead Received` as the bus's rule delivers it to a function.
fn lead_received() -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Lead Received",
        "source": "thumbtack.partner",
        "account": "123456789012",
        "time": "2026-12-01T18:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"leadID": LEAD_ID, "businessID": BUSINESS_ID, "createTimestamp": 1748530800,
                   "eventID": "e", "occurredAt": "2026-12-01T18:00:00.000Z"}
    })
}

#[test]
fn a_bus_event_a_wake_up_and_anything_else_are_told_apart() {
    assert_eq!(
        invocation(&lead_received()),
        Invocation::LeadReceived {
            lead_id: LEAD_ID.into(),
            business_id: BUSINESS_ID.into(),
            origin: EventOrigin::Live,
        }
    );
    let mut replayed = lead_received();
    replayed["replay-name"] = json!("catch-up");
    assert_eq!(
        invocation(&replayed),
        Invocation::LeadReceived {
            lead_id: LEAD_ID.into(),
            business_id: BUSINESS_ID.into(),
            origin: EventOrigin::Replay,
        }
    );
    let wakeup = json!({"kind": "unanswered", "leadID": LEAD_ID, "businessID": BUSINESS_ID});
    assert!(matches!(
        invocation(&wakeup),
        Invocation::Wakeup(Wakeup {
            kind: WakeupKind::Unanswered,
            ..
        })
    ));
    let mut other = lead_received();
    other["detail-type"] = json!("Message Received");
    assert_eq!(invocation(&other), Invocation::Other);
    assert_eq!(
        invocation(&json!({"detail-type": "Lead Received"})),
        Invocation::Other
    );
    assert_eq!(invocation(&json!([1, 2])), Invocation::Other);
}

#[tokio::test]
async fn lead_received_twice_enqueues_the_same_acknowledgement_and_notes_it_once() {
    let deps = deps();
    a_fresh_lead_of_a_business_with_acknowledgements(&deps).await;
    handle(&deps, lead_received()).await.unwrap();
    let first = note(&deps).await.expect("noted");
    handle(&deps, lead_received()).await.unwrap();
    // Noted once: the second delivery leaves the first note as it was.
    assert_eq!(note(&deps).await, Some(first.clone()));
    assert_eq!(first.status, app::ports::AckStatus::Enqueued);
    let replies = deps.outbox.replies();
    assert!(!replies.is_empty());
    assert_eq!(first.text.as_deref(), Some(replies[0].text.as_str()));
    assert!(
        replies
            .iter()
            .all(|r| r.reply_id == format!("auto-{LEAD_ID}"))
    );
    let wakeups = deps.scheduler.wakeups();
    assert!(!wakeups.is_empty());
    // The unanswered check: one name, so one schedule however often it is asked for.
    assert!(
        wakeups
            .iter()
            .all(|(w, _)| w.name() == format!("unanswered-{LEAD_ID}"))
    );
}

#[tokio::test]
async fn a_storage_fault_fails_the_invocation_so_it_is_retried() {
    let deps = deps();
    deps.store.fail_all_calls(true);
    assert!(handle(&deps, lead_received()).await.is_err());
    // What cannot be read is dropped, not retried for ever.
    assert!(handle(&deps, json!({"nonsense": true})).await.is_ok());
}

#[tokio::test]
async fn an_archive_replay_of_lead_received_is_noted_and_neither_acknowledged_nor_scheduled() {
    let deps = deps();
    a_fresh_lead_of_a_business_with_acknowledgements(&deps).await;
    let mut replayed = lead_received();
    replayed["replay-name"] = json!("consumer-catch-up");
    handle(&deps, replayed).await.unwrap();
    assert!(deps.outbox.replies().is_empty(), "no acknowledgement");
    assert!(deps.scheduler.wakeups().is_empty(), "no unanswered check");
    let note = note(&deps).await.expect("the skip is noted");
    assert_eq!(note.status, app::ports::AckStatus::Skipped);
    assert_eq!(note.reason.as_deref(), Some("replayed-event"));
}
