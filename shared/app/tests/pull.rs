//! The pull APIs' decisions over the in-memory twin of the indexes: bounds, cursors bound to their
//! query, the order of each listing, and the changes feed's settle window.
#![allow(clippy::unwrap_used)]

use app::events::{Fact, FeedEntry, LeadFacts};
use app::ingest::{self, Payload};
use app::memory::MemoryStore;
use app::paging::CursorKey;
use app::ports::{Claim, ReplyClaim, ReplyLedger};
use app::pull::{self, ChangesAsked, ChangesPage, LeadsAsked, LeadsPage, PullError, PullSettings};
use models::{InboundMessage, Lead, ReplyRequest};
use serde_json::{Value, json};
use std::time::Duration;

const SETTLE_MS: u64 = 30_000;

fn settings() -> PullSettings {
    PullSettings {
        cursors: CursorKey::new(b"pull tests".to_vec()),
        settle: Duration::from_millis(SETTLE_MS),
    }
}

async fn store<P: Payload>(store: &MemoryStore, raw: &str, received_at_ms: u64) {
    let parsed = P::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(store, &parsed, raw, received_at_ms)
        .await
        .unwrap();
}

fn lead(id: &str, business: &str, created: u64) -> String {
    let mut lead: Value = serde_json::from_str(fixtures::LEAD).unwrap();
    lead["leadID"] = json!(id);
    lead["business"]["businessID"] = json!(business);
    lead["createTimestamp"] = json!(created.to_string());
    lead.to_string()
}

fn message(lead_id: &str, message_id: &str) -> String {
    let mut message: Value = serde_json::from_str(fixtures::MESSAGE).unwrap();
    message["leadID"] = json!(lead_id);
    message["message"]["messageID"] = json!(message_id);
    message.to_string()
}

fn leads_of(business_id: &str) -> LeadsAsked<'_> {
    LeadsAsked {
        business_id,
        ..LeadsAsked::default()
    }
}

async fn list(store: &MemoryStore, asked: LeadsAsked<'_>) -> LeadsPage {
    pull::business_leads(store, &settings(), asked)
        .await
        .unwrap()
}

fn ids(page: &LeadsPage) -> Vec<&str> {
    page.leads.iter().map(|l| l.lead_id.as_str()).collect()
}

/// The paths and reasons of a refusal.
fn refused(error: PullError) -> Vec<(String, String)> {
    match error {
        PullError::Invalid(invalid) => {
            assert_eq!(invalid.kind.code(), "invalid_parameters");
            invalid
                .problems
                .listed()
                .iter()
                .map(|p| (p.path.clone(), p.reason.to_string()))
                .collect()
        }
        PullError::Store(error) => panic!("a store error: {error}"),
    }
}

#[tokio::test]
async fn a_business_leads_come_newest_first_as_summaries_with_their_first_reply() {
    let memory = MemoryStore::new();
    store::<Lead>(&memory, &lead("l-old", "b-1", 1_700_000_100), 5_000).await;
    store::<Lead>(&memory, &lead("l-new", "b-1", 1_700_000_300), 6_000).await;
    store::<Lead>(&memory, &lead("l-other", "b-2", 1_700_000_200), 7_000).await;
    memory
        .first_reply("l-old", false, 1_764_600_470_123)
        .await
        .unwrap();

    let page = list(&memory, leads_of("b-1")).await;
    assert_eq!(ids(&page), ["l-new", "l-old"]);
    assert_eq!(page.next, None);
    let old = serde_json::to_value(&page.leads[1]).unwrap();
    assert_eq!(
        old,
        json!({
            "leadID": "l-old",
            "businessID": "b-1",
            "contract": "legacy",
            "createTimestamp": 1_700_000_100,
            "receivedAt": "1970-01-01T00:00:05.000Z",
            "category": "Interior Painting",
            "title": "Interior Painting",
            "city": "San Jose",
            "state": "CA",
            "zipCode": "95125",
            "replySent": true,
            "firstReplySentAt": "2025-12-01T14:47:50.123Z",
        })
    );
    let new = serde_json::to_value(&page.leads[0]).unwrap();
    assert_eq!(new["replySent"], false);
    assert_eq!(new.get("firstReplySentAt"), None);
    assert_eq!(
        new.get("name"),
        None,
        "no customer's name, no description: {new}"
    );
}

#[tokio::test]
async fn since_is_inclusive_and_until_exclusive_of_the_create_timestamp() {
    let memory = MemoryStore::new();
    for (id, created) in [("l-1", 100), ("l-2", 200), ("l-3", 300), ("l-4", 400)] {
        store::<Lead>(&memory, &lead(id, "b-1", created), 1).await;
    }
    let asked = LeadsAsked {
        since: Some("200"),
        until: Some("400"),
        ..leads_of("b-1")
    };
    assert_eq!(ids(&list(&memory, asked).await), ["l-3", "l-2"]);
    let only_since = LeadsAsked {
        since: Some("0300"),
        ..leads_of("b-1")
    };
    assert_eq!(ids(&list(&memory, only_since).await), ["l-4", "l-3"]);
    let only_until = LeadsAsked {
        until: Some("200"),
        ..leads_of("b-1")
    };
    assert_eq!(ids(&list(&memory, only_until).await), ["l-1"]);
}

#[tokio::test]
async fn a_cursor_walk_lists_each_lead_once_across_pages_of_the_limit_asked() {
    let memory = MemoryStore::new();
    for n in 1..=7 {
        store::<Lead>(&memory, &lead(&format!("l-{n}"), "b-1", 100 + n), 1).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let asked = LeadsAsked {
            limit: Some("3"),
            since: Some("101"),
            cursor: cursor.as_deref(),
            ..leads_of("b-1")
        };
        let page = list(&memory, asked).await;
        assert!(page.leads.len() <= 3);
        seen.extend(ids(&page).into_iter().map(str::to_owned));
        pages += 1;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages < 10, "the walk ends");
    }
    assert_eq!(seen, ["l-7", "l-6", "l-5", "l-4", "l-3", "l-2", "l-1"]);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_each_of_them() {
    let memory = MemoryStore::new();
    let asked = LeadsAsked {
        business_id: "not an id",
        since: Some("yesterday"),
        until: Some("-5"),
        limit: Some("0"),
        cursor: None,
    };
    let error = pull::business_leads(&memory, &settings(), asked)
        .await
        .unwrap_err();
    assert_eq!(
        refused(error),
        [
            ("businessID".to_owned(), models::ids::ID_RULE.to_owned()),
            ("since".to_owned(), pull::SECONDS_RULE.to_owned()),
            ("until".to_owned(), pull::SECONDS_RULE.to_owned()),
            (
                "limit".to_owned(),
                "must be a whole number from 1 to 100".to_owned()
            ),
        ]
    );
    for limit in ["101", "1.5", "", "99999999999999999999999", "ten"] {
        let asked = LeadsAsked {
            limit: Some(limit),
            ..leads_of("b-1")
        };
        let error = pull::business_leads(&memory, &settings(), asked)
            .await
            .unwrap_err();
        assert_eq!(refused(error)[0].0, "limit", "{limit:?}");
    }
    let backwards = LeadsAsked {
        since: Some("200"),
        until: Some("200"),
        ..leads_of("b-1")
    };
    let error = pull::business_leads(&memory, &settings(), backwards)
        .await
        .unwrap_err();
    assert_eq!(
        refused(error),
        [("until".to_owned(), "must be after since".to_owned())]
    );
    let error = pull::changes(
        &memory,
        &settings(),
        ChangesAsked {
            since: Some("1e9"),
            limit: Some("500"),
            cursor: None,
        },
        0,
    )
    .await
    .unwrap_err();
    let paths: Vec<String> = refused(error).into_iter().map(|(path, _)| path).collect();
    assert_eq!(paths, ["since", "limit"]);
    let asked = LeadsAsked {
        limit: Some("100"),
        ..leads_of("b-1")
    };
    assert!(
        pull::business_leads(&memory, &settings(), asked)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_changed_cursor_or_one_of_another_query_is_refused_naming_cursor() {
    let memory = MemoryStore::new();
    for n in 1..=3 {
        store::<Lead>(&memory, &lead(&format!("l-{n}"), "b-1", 100 + n), 1).await;
        store::<Lead>(&memory, &lead(&format!("m-{n}"), "b-2", 100 + n), 1).await;
    }
    let first = list(
        &memory,
        LeadsAsked {
            limit: Some("1"),
            ..leads_of("b-1")
        },
    )
    .await;
    let cursor = first.next.unwrap();
    let mut changed = cursor.clone().into_bytes();
    changed[2] = if changed[2] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    let changes_cursor = pull::changes(&memory, &settings(), ChangesAsked::default(), u64::MAX)
        .await
        .unwrap()
        .next;
    let other_queries = [
        // Another business.
        LeadsAsked {
            cursor: Some(&cursor),
            ..leads_of("b-2")
        },
        // Other bounds.
        LeadsAsked {
            cursor: Some(&cursor),
            since: Some("1"),
            ..leads_of("b-1")
        },
        // Changed.
        LeadsAsked {
            cursor: Some(&changed),
            ..leads_of("b-1")
        },
        // Of the changes feed.
        LeadsAsked {
            cursor: Some(&changes_cursor),
            ..leads_of("b-1")
        },
        LeadsAsked {
            cursor: Some("garbage"),
            ..leads_of("b-1")
        },
    ];
    for asked in other_queries {
        let error = pull::business_leads(&memory, &settings(), asked)
            .await
            .unwrap_err();
        assert_eq!(
            refused(error),
            [("cursor".to_owned(), pull::CURSOR_RULE.to_owned())],
            "{asked:?}"
        );
    }
    let error = pull::changes(
        &memory,
        &settings(),
        ChangesAsked {
            cursor: Some(&cursor),
            ..ChangesAsked::default()
        },
        u64::MAX,
    )
    .await
    .unwrap_err();
    assert_eq!(refused(error)[0].0, "cursor");
    // The same query with the limit changed goes on.
    let again = LeadsAsked {
        cursor: Some(&cursor),
        limit: Some("5"),
        ..leads_of("b-1")
    };
    assert_eq!(ids(&list(&memory, again).await), ["l-2", "l-1"]);
}

/// A lead, its message, a revision of each, a quarantined payload and two replies' outcomes, at
/// the receipt (or outcome) times given.
async fn every_kind_of_fact(memory: &MemoryStore) {
    store::<Lead>(memory, &lead("l-1", "b-1", 1_700_000_000), 10_000).await;
    store::<InboundMessage>(memory, &message("l-1", "m-1"), 11_000).await;
    let revised = lead("l-1", "b-1", 1_700_000_000).replace("Jay J.", "Jay K.");
    store::<Lead>(memory, &revised, 12_000).await;
    let metrics = app::metrics::Metrics::off();
    let refused =
        ingest::ingest::<Lead, _>(memory, &metrics, br#"{"leadID": "l-2"}"#, 13_000).await;
    assert!(refused.is_err());
    for (reply_id, sent, at_ms) in [("r-ok", true, 14_000), ("r-no", false, 15_000)] {
        let reply = ReplyRequest {
            reply_id: reply_id.to_owned(),
            business_id: "b-1".to_owned(),
            lead_id: "l-1".to_owned(),
            text: "Tuesday at 10?".to_owned(),
        };
        let claim = ReplyClaim {
            reply: &reply,
            enqueued_at_ms: at_ms - 500,
            sequence: None,
            now_ms: at_ms - 400,
            lease_until_ms: at_ms + 60_000,
        };
        assert_eq!(
            memory.claim(claim).await.unwrap(),
            Claim::Claimed { attempt: 1 }
        );
        if sent {
            memory.mark_sent(&reply, 1, 200, at_ms).await.unwrap();
        } else {
            memory
                .mark_failed(
                    &reply,
                    1,
                    "Thumbtack answered 400",
                    "refused",
                    Some(400),
                    at_ms,
                )
                .await
                .unwrap();
        }
    }
}

async fn feed(memory: &MemoryStore, asked: ChangesAsked<'_>, now_ms: u64) -> ChangesPage {
    pull::changes(memory, &settings(), asked, now_ms)
        .await
        .unwrap()
}

fn kinds(page: &ChangesPage) -> Vec<&str> {
    page.changes.iter().map(|c| c.fact.detail_type()).collect()
}

/// One field of an entry, as the feed shows it (`null` when it shows none).
fn shown(entry: &FeedEntry, name: &str) -> Value {
    serde_json::to_value(entry).unwrap()[name].clone()
}

#[tokio::test]
async fn the_feed_lists_every_kind_of_fact_in_order_of_receipt() {
    let memory = MemoryStore::new();
    every_kind_of_fact(&memory).await;
    let page = feed(&memory, ChangesAsked::default(), 15_001 + SETTLE_MS).await;
    assert_eq!(
        kinds(&page),
        [
            "Lead Received",
            "Message Received",
            "Lead Revised",
            "Payload Quarantined",
            "Reply Sent",
            "Reply Failed",
        ]
    );
    let entries: Vec<Value> = page
        .changes
        .iter()
        .map(|c| {
            let mut entry = serde_json::to_value(c).unwrap();
            entry.as_object_mut().unwrap().remove("eventID");
            entry
        })
        .collect();
    let digest = shown(&page.changes[3], "digest");
    let revision = shown(&page.changes[2], "revisionID");
    assert!(digest.is_string() && revision.is_string());
    assert_eq!(
        entries,
        [
            json!({"type": "Lead Received", "occurredAt": "1970-01-01T00:00:10.000Z",
                   "leadID": "l-1", "businessID": "b-1", "createTimestamp": 1_700_000_000,
                   "contract": "legacy"}),
            json!({"type": "Message Received", "occurredAt": "1970-01-01T00:00:11.000Z",
                   "leadID": "l-1", "businessID": "286845156044809661", "messageID": "m-1",
                   "createTimestamp": 1_498_760_294, "contract": "legacy"}),
            json!({"type": "Lead Revised", "occurredAt": "1970-01-01T00:00:12.000Z",
                   "leadID": "l-1", "revisionID": revision}),
            json!({"type": "Payload Quarantined", "occurredAt": "1970-01-01T00:00:13.000Z",
                   "route": "lead", "digest": digest, "problemCount": 2}),
            json!({"type": "Reply Sent", "occurredAt": "1970-01-01T00:00:14.000Z",
                   "leadID": "l-1", "businessID": "b-1", "replyID": "r-ok", "status": "sent",
                   "httpStatus": 200, "attempt": 1}),
            json!({"type": "Reply Failed", "occurredAt": "1970-01-01T00:00:15.000Z",
                   "leadID": "l-1", "businessID": "b-1", "replyID": "r-no", "status": "failed",
                   "httpStatus": 400, "attempt": 1}),
        ]
    );
    let text = serde_json::to_string(&page).unwrap();
    for personal in ["Jay", "Tuesday", "stain", "Thumbtack answered"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
}

#[tokio::test]
async fn an_entry_carries_the_event_id_the_same_fact_has_on_the_bus() {
    let memory = MemoryStore::new();
    every_kind_of_fact(&memory).await;
    let page = feed(&memory, ChangesAsked::default(), u64::MAX).await;
    let lead = Fact::LeadStored {
        lead_id: "l-1".into(),
        business_id: "b-1".into(),
        at_ms: 10_000,
        lead: LeadFacts {
            category: Some("Interior Painting".into()),
            create_timestamp: 1_700_000_000,
            ..LeadFacts::default()
        },
    };
    assert_eq!(page.changes[0].fact.event_id(), lead.event().id);
    let failed = Fact::ReplyFailed {
        reply_id: "r-no".into(),
        lead_id: "l-1".into(),
        business_id: "b-1".into(),
        status: Some(400),
        reason: "Thumbtack answered 400".into(),
        attempt: 1,
        at_ms: 15_000,
    };
    assert_eq!(page.changes[5].fact.event_id(), failed.event().id);
    let mut ids: Vec<String> = page.changes.iter().map(|c| c.fact.event_id()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 6);
}

#[tokio::test]
async fn the_feed_holds_back_what_is_younger_than_the_settle_window() {
    let memory = MemoryStore::new();
    every_kind_of_fact(&memory).await;
    // At 12.5 s past the settle window, the facts received by 12 s are served, the rest wait.
    let page = feed(&memory, ChangesAsked::default(), 12_500 + SETTLE_MS).await;
    assert_eq!(
        kinds(&page),
        ["Lead Received", "Message Received", "Lead Revised"]
    );
    let later = feed(
        &memory,
        ChangesAsked {
            cursor: Some(&page.next),
            ..ChangesAsked::default()
        },
        20_000 + SETTLE_MS,
    )
    .await;
    assert_eq!(
        kinds(&later),
        ["Payload Quarantined", "Reply Sent", "Reply Failed"]
    );
}

#[tokio::test]
async fn the_feed_always_gives_a_cursor_and_new_facts_come_after_it() {
    let memory = MemoryStore::new();
    let asked = ChangesAsked {
        since: Some("5"),
        limit: Some("2"),
        ..ChangesAsked::default()
    };
    let empty = feed(&memory, asked, 100_000).await;
    assert!(empty.changes.is_empty());
    store::<Lead>(&memory, &lead("l-early", "b-1", 1), 4_999).await;
    every_kind_of_fact(&memory).await;
    let mut seen = Vec::new();
    let mut cursor = empty.next;
    loop {
        let page = feed(
            &memory,
            ChangesAsked {
                cursor: Some(&cursor),
                ..asked
            },
            100_000,
        )
        .await;
        assert!(page.changes.len() <= 2);
        if page.changes.is_empty() {
            assert_eq!(page.next, cursor, "caught up: the same place");
            break;
        }
        seen.extend(page.changes.iter().map(|c| c.fact.detail_type()));
        cursor = page.next;
    }
    assert_eq!(seen.len(), 6, "received before since: not listed; {seen:?}");
}

#[tokio::test]
async fn a_reply_tried_again_keeps_its_failure_in_the_feed_and_its_send_is_a_new_entry() {
    let memory = MemoryStore::new();
    every_kind_of_fact(&memory).await;
    let reply = ReplyRequest {
        reply_id: "r-no".to_owned(),
        business_id: "b-1".to_owned(),
        lead_id: "l-1".to_owned(),
        text: "Tuesday at 10?".to_owned(),
    };
    // Redriven: claimed again, then sent.
    let claim = ReplyClaim {
        reply: &reply,
        enqueued_at_ms: 15_500,
        sequence: None,
        now_ms: 16_000,
        lease_until_ms: 76_000,
    };
    assert_eq!(
        memory.claim(claim).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    let before = feed(&memory, ChangesAsked::default(), u64::MAX).await;
    assert_eq!(before.changes.len(), 6, "{:?}", kinds(&before));
    memory.mark_sent(&reply, 2, 201, 17_000).await.unwrap();
    let page = feed(&memory, ChangesAsked::default(), u64::MAX).await;
    assert_eq!(page.changes[..6], before.changes[..]);
    let failed = page
        .changes
        .iter()
        .find(|entry| shown(entry, "replyID") == "r-no")
        .unwrap();
    assert_eq!(
        (failed.fact.detail_type(), shown(failed, "attempt")),
        ("Reply Failed", json!(1))
    );
    let last = page.changes.last().unwrap();
    assert_eq!(
        (
            last.fact.detail_type(),
            shown(last, "replyID"),
            shown(last, "attempt")
        ),
        ("Reply Sent", json!("r-no"), json!(2))
    );
    assert_eq!(shown(last, "occurredAt"), "1970-01-01T00:00:17.000Z");
}
