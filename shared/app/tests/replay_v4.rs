//! Replaying what the v4 webhook kept in quarantine: a v4 body that today's rules take is stored as
//! its delivery would have been; one they still do not read stays, saying why.
#![allow(clippy::unwrap_used)]

use app::ingest::Arrival;
use app::memory::MemoryStore;
use app::metrics::Metrics;
use app::ports::{LeadStore, Quarantined, Route};
use app::replay::{Replayed, replay_digest};
use models::Problems;
use serde_json::json;

async fn kept(store: &MemoryStore, digest: &str, raw: &str) {
    let mut problems = Problems::default();
    problems.add("data.status", "an older release's rule");
    store
        .quarantine(Quarantined {
            route: Route::V4Webhook,
            digest,
            raw: raw.as_bytes(),
            problems: &problems,
            received_at_ms: 1_000,
        })
        .await
        .unwrap();
}

fn paths(replayed: &Replayed) -> Vec<String> {
    match replayed {
        Replayed::Refused(problems) => problems.paths().into_iter().map(str::to_owned).collect(),
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_kept_v4_lead_is_stored_by_its_replay_and_its_business_is_the_one_it_names() {
    let store = MemoryStore::new();
    kept(&store, "d-lead", fixtures::v4::NEGOTIATION_CREATED).await;
    let metrics = Metrics::off();
    let replayed = replay_digest(&store, &metrics, "d-lead", 2_000)
        .await
        .unwrap();
    assert_eq!(replayed, Replayed::Taken(Arrival::Stored));
    let lead = store
        .stored_lead("587700000000000100")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.business_id, "586100000000000001");
}

#[tokio::test]
async fn what_a_release_still_does_not_read_stays_in_quarantine_saying_why() {
    let store = MemoryStore::new();
    let unknown = json!({"event": {"eventType": "IncentiveUsedV4"}, "data": {}}).to_string();
    kept(&store, "d-unknown", &unknown).await;
    // A review names no business, and the webhook's is not kept with the body.
    kept(&store, "d-review", fixtures::v4::REVIEW_CREATED).await;
    let metrics = Metrics::off();
    let unknown = replay_digest(&store, &metrics, "d-unknown", 2_000)
        .await
        .unwrap();
    assert_eq!(paths(&unknown), ["event.eventType"]);
    let review = replay_digest(&store, &metrics, "d-review", 2_000)
        .await
        .unwrap();
    assert_eq!(paths(&review), ["data"]);
}
