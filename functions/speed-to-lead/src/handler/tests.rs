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
    }
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
            business_id: BUSINESS_ID.into()
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
    let parsed = Lead::parse(fixtures::LEAD_2025.as_bytes()).unwrap();
    ingest::store_parsed(&deps.store, &parsed, fixtures::LEAD_2025, 1)
        .await
        .unwrap();
    let mut settings = BusinessSettings::default();
    settings.auto_acknowledgement.enabled = true;
    deps.store
        .save_settings(BUSINESS_ID, &settings, 1)
        .await
        .unwrap();
    handle(&deps, lead_received()).await.unwrap();
    handle(&deps, lead_received()).await.unwrap();
    let replies = deps.outbox.replies();
    assert!(!replies.is_empty());
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
