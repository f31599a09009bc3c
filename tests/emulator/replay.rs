//! `partnerctl quarantine replay` against the emulator: an operator recovers what older rules
//! refused, and running it again changes nothing.

use crate::support::*;
use app::ports::{LeadStore, Quarantined, Route};
use aws_sdk_dynamodb::types::AttributeValue;
use models::{FieldProblem, Problems};

const DIGEST: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const LEAD_2025_ID: &str = "437282017264173057";

/// The 2025 lead kept in quarantine as the first version of the rules did (a ZIP+4 refused it).
async fn quarantined_by_older_rules(table: &TestTable) {
    let mut problems = Problems::default();
    problems.push(FieldProblem {
        path: "request.location.zipCode".into(),
        reason: "must be a 5-digit ZIP code".into(),
    });
    table
        .store
        .quarantine(Quarantined {
            route: Route::Lead,
            digest: DIGEST,
            raw: fixtures::LEAD_2025.as_bytes(),
            problems: &problems,
            received_at_ms: 1_000,
        })
        .await
        .unwrap();
}

async fn quarantine_item(table: &TestTable) -> std::collections::HashMap<String, AttributeValue> {
    let items = table.all_items().await;
    items
        .into_iter()
        .find(|item| item["PK"].as_s().unwrap().starts_with("QUARANTINE#"))
        .unwrap()
}

#[tokio::test]
async fn an_operator_replays_a_lead_refused_before_and_it_is_stored_once_with_its_outcome_noted() {
    let table = fresh_table().await;
    quarantined_by_older_rules(&table).await;

    let first = partnerctl(&table.name, &["quarantine", "replay", "--all"]);
    assert!(first.contains(&format!("- {DIGEST}: stored")), "{first}");
    assert!(
        first.contains("replayed the quarantine: stored: 1"),
        "{first}"
    );
    let conversation = table.store.conversation(LEAD_2025_ID).await.unwrap();
    assert_eq!(
        conversation.lead_raw.as_deref(),
        Some(fixtures::LEAD_2025),
        "stored byte for byte"
    );
    // Stored as a delivery would be: in the changes feed, so consumers and events see it.
    let in_feed = table.changes_index().await;
    assert!(
        in_feed
            .iter()
            .any(|item| item["SK"].as_s().unwrap() == "LEAD"),
        "{in_feed:?}"
    );
    let noted = quarantine_item(&table).await;
    assert_eq!(noted["replayOutcome"].as_s().unwrap(), "stored");
    let replayed_at = noted["replayedAt"].as_n().unwrap().to_owned();

    let again = partnerctl(&table.name, &["quarantine", "replay", DIGEST]);
    assert!(
        again.contains("left alone, replayed before (stored"),
        "{again}"
    );
    let listed = partnerctl(&table.name, &["quarantine"]);
    assert!(listed.contains("replayed=stored"), "{listed}");
    let items = table.all_items().await;
    let leads = items
        .iter()
        .filter(|item| item["SK"].as_s().unwrap() == "LEAD")
        .count();
    assert_eq!(leads, 1);
    let noted = quarantine_item(&table).await;
    assert_eq!(noted["replayedAt"].as_n().unwrap(), &replayed_at);
}

#[tokio::test]
async fn a_payload_today_s_rules_still_refuse_stays_in_quarantine_noted_as_refused() {
    let table = fresh_table().await;
    let problems = Problems::default();
    table
        .store
        .quarantine(Quarantined {
            route: Route::Message,
            digest: DIGEST,
            raw: br#"{"leadID": "l-1"}"#,
            problems: &problems,
            received_at_ms: 1_000,
        })
        .await
        .unwrap();

    let out = partnerctl(&table.name, &["quarantine", "replay", DIGEST]);
    assert!(out.contains("still refused (businessID"), "{out}");
    let noted = quarantine_item(&table).await;
    assert_eq!(noted["replayOutcome"].as_s().unwrap(), "refused");
    assert_eq!(noted["deliveries"].as_n().unwrap(), "1");
    let unknown = run_partnerctl(&table.name, &["quarantine", "replay", "no-such-digest"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-digest"));
}
