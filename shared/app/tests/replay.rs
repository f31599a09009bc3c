//! Replaying quarantined payloads over the in-memory store: what today's rules take is stored as
//! a delivery would be, the record notes the outcome, and a second replay changes nothing.
#![allow(clippy::unwrap_used)]

use app::conversation;
use app::ingest::Arrival;
use app::memory::MemoryStore;
use app::metrics::Metrics;
use app::ports::{LeadStore, QuarantineDesk, Quarantined, ReplayNote, Route};
use app::replay::{ReplayError, Replayed, replay_all, replay_digest};
use models::{FieldProblem, Problems};
use serde_json::Value;

const LEAD_ID: &str = "437282017264173057";

/// Keeps `raw` in quarantine as an older version of the rules would have (a ZIP+4 or an empty
/// string refused a lead once), under `digest`.
async fn quarantined_before(store: &MemoryStore, route: Route, digest: &str, raw: &str) {
    let mut problems = Problems::default();
    problems.push(FieldProblem {
        path: "request.location.zipCode".into(),
        reason: "must be a 5-digit ZIP code".into(),
    });
    store
        .quarantine(Quarantined {
            route,
            digest,
            raw: raw.as_bytes(),
            problems: &problems,
            received_at_ms: 1_000,
        })
        .await
        .unwrap();
}

async fn json(store: &MemoryStore) -> Value {
    let view = conversation::view(store, LEAD_ID).await.unwrap().unwrap();
    serde_json::to_value(view).unwrap()
}

async fn note(store: &MemoryStore, digest: &str) -> Option<ReplayNote> {
    store.quarantined(digest).await.unwrap().unwrap().replay
}

#[tokio::test]
async fn a_lead_refused_by_older_rules_is_stored_by_its_replay_as_if_thumbtack_sent_it() {
    let store = MemoryStore::new();
    quarantined_before(&store, Route::Lead, "d-lead", fixtures::LEAD_2025).await;
    assert!(conversation::view(&store, LEAD_ID).await.unwrap().is_none());

    let replayed = replay_digest(&store, &Metrics::off(), "d-lead", 5_000).await;
    assert_eq!(replayed.unwrap(), Replayed::Taken(Arrival::Stored));

    let view = conversation::view(&store, LEAD_ID).await.unwrap().unwrap();
    assert_eq!(
        view.lead.get(),
        fixtures::LEAD_2025.trim_end(),
        "stored as received"
    );
    let note = note(&store, "d-lead").await.unwrap();
    assert_eq!((note.outcome.as_str(), note.at_ms), ("stored", 5_000));
}

#[tokio::test]
async fn replaying_a_payload_twice_changes_nothing() {
    let store = MemoryStore::new();
    quarantined_before(&store, Route::Lead, "d-lead", fixtures::LEAD_2025).await;
    let metrics = Metrics::off();
    replay_digest(&store, &metrics, "d-lead", 5_000)
        .await
        .unwrap();
    let before = json(&store).await;

    let again = replay_digest(&store, &metrics, "d-lead", 9_000)
        .await
        .unwrap();
    let first = ReplayNote {
        outcome: "stored".into(),
        at_ms: 5_000,
    };
    assert_eq!(again, Replayed::AlreadyTaken(first.clone()));
    assert_eq!(note(&store, "d-lead").await, Some(first));
    assert_eq!(json(&store).await, before);
}

#[tokio::test]
async fn a_lead_thumbtack_delivered_again_after_its_quarantine_replays_as_a_duplicate() {
    let store = MemoryStore::new();
    quarantined_before(&store, Route::Lead, "d-lead", fixtures::LEAD_2025).await;
    let metrics = Metrics::off();
    let delivered = app::ingest::ingest::<models::Lead, _>(
        &store,
        &metrics,
        fixtures::LEAD_2025.as_bytes(),
        2_000,
    )
    .await
    .unwrap();
    assert_eq!(delivered.arrival, Arrival::Stored);

    let replayed = replay_digest(&store, &metrics, "d-lead", 5_000).await;
    assert_eq!(replayed.unwrap(), Replayed::Taken(Arrival::Duplicate));
    assert_eq!(note(&store, "d-lead").await.unwrap().outcome, "duplicate");
}

#[tokio::test]
async fn a_payload_still_refused_is_noted_once_with_the_problems_of_today() {
    let store = MemoryStore::new();
    let keyless = r#"{"createTimestamp": "1498760294", "business": {"businessID": "b-1"}}"#;
    quarantined_before(&store, Route::Lead, "d-bad", keyless).await;
    let metrics = Metrics::off();

    let Replayed::Refused(problems) = replay_digest(&store, &metrics, "d-bad", 5_000)
        .await
        .unwrap()
    else {
        panic!("a lead without a leadID is refused today too");
    };
    assert_eq!(problems.listed()[0].path, "leadID");
    // Refused again later: the note keeps the time the outcome was first seen.
    replay_digest(&store, &metrics, "d-bad", 9_000)
        .await
        .unwrap();
    let note = note(&store, "d-bad").await.unwrap();
    assert_eq!((note.outcome.as_str(), note.at_ms), ("refused", 5_000));
    assert_eq!(
        store
            .quarantined("d-bad")
            .await
            .unwrap()
            .unwrap()
            .deliveries,
        1
    );
}

#[tokio::test]
async fn replaying_everything_takes_each_route_and_reports_each_payload() {
    let store = MemoryStore::new();
    quarantined_before(&store, Route::Lead, "d-lead", fixtures::LEAD_2025).await;
    quarantined_before(&store, Route::Message, "d-message", fixtures::MESSAGE).await;
    quarantined_before(&store, Route::LeadUpdate, "d-update", fixtures::LEAD_UPDATE).await;
    quarantined_before(&store, Route::Review, "d-review", fixtures::REVIEW).await;
    quarantined_before(&store, Route::Lead, "d-bad", "[1, 2]").await;

    let mut seen = Vec::new();
    replay_all(
        &store,
        &Metrics::off(),
        || 5_000,
        |record, replayed| {
            seen.push((
                record.digest.clone(),
                replayed.as_ref().unwrap().outcome().to_owned(),
            ));
        },
    )
    .await
    .unwrap();
    seen.sort();
    let expected = [
        ("d-bad", "refused"),
        ("d-lead", "stored"),
        ("d-message", "stored"),
        ("d-review", "stored"),
        ("d-update", "stored"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(digest, outcome)| ((*digest).to_owned(), (*outcome).to_owned()))
        .collect();
    assert_eq!(seen, expected);
    let view = conversation::view(&store, LEAD_ID).await.unwrap().unwrap();
    assert_eq!(view.lead_price.as_deref(), Some("$25.00"));
    assert_eq!(view.reviews.len(), 1);
}

#[tokio::test]
async fn a_storage_fault_during_a_replay_is_an_error_and_notes_nothing() {
    let store = MemoryStore::new();
    quarantined_before(&store, Route::Lead, "d-lead", fixtures::LEAD_2025).await;
    // Reading the record works; storing the lead fails.
    store.fail_after(1);
    let replayed = replay_digest(&store, &Metrics::off(), "d-lead", 5_000).await;
    assert!(
        matches!(replayed, Err(ReplayError::Store(_))),
        "{replayed:?}"
    );
    store.fail_all_calls(false);
    assert_eq!(note(&store, "d-lead").await, None);
}

#[tokio::test]
async fn an_unknown_digest_is_named_in_the_error() {
    let store = MemoryStore::new();
    let replayed = replay_digest(&store, &Metrics::off(), "nothing-here", 5_000).await;
    let error = replayed.unwrap_err();
    assert!(matches!(error, ReplayError::NotFound(_)));
    assert!(error.to_string().contains("nothing-here"));
}

/// Issue 18, item 1: a long replay run stamped every record with its start, which put its later
/// facts behind every reader of the changes feed. Each record is stamped when it is stored.
#[tokio::test]
async fn replaying_everything_stamps_each_record_when_it_is_stored() {
    let store = MemoryStore::new();
    let leads: Vec<String> = (0..3)
        .map(|n| fixtures::LEAD_2025.replace(LEAD_ID, &format!("43728201726417305{n}")))
        .collect();
    for (n, lead) in leads.iter().enumerate() {
        quarantined_before(&store, Route::Lead, &format!("d-{n}"), lead).await;
    }
    // A clock that moves a minute at every reading: a slow run.
    let clock = std::sync::atomic::AtomicU64::new(5_000);
    let now = || clock.fetch_add(60_000, std::sync::atomic::Ordering::SeqCst);
    replay_all(&store, &Metrics::off(), now, |_, replayed| {
        assert_eq!(replayed.as_ref().unwrap().outcome(), "stored");
    })
    .await
    .unwrap();
    let mut stamps = Vec::new();
    for n in 0..3 {
        let records = store
            .conversation(&format!("43728201726417305{n}"))
            .await
            .unwrap();
        stamps.push(records.lead_received_at_ms.unwrap());
    }
    stamps.sort();
    stamps.dedup();
    assert_eq!(stamps.len(), 3, "each its own time: {stamps:?}");
}
