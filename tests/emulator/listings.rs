//! The list routes' queries against the emulator: a business's leads on GSI1, the changes feed on
//! GSI2, and what each index copies.

use crate::support::*;
use adapters::DynamoStore;
use adapters::dynamo::schema::{GSI2_PK, GSI2_PROJECTED, GSI2_SK, PK, SK};
use app::LeadStore;
use app::events::{Fact, FeedEntry, LeadFacts};
use app::ports::{
    Claim, CreatedWindow, Cursor, Listings, NewLead, NewLeadUpdate, NewMessage, NewReview,
    NewRevision, Page, Quarantined, ReplyClaim, ReplyLedger, Route,
};
use models::{
    FieldProblem, InboundMessage, Lead, LeadUpdate, Problems, ReplyRequest, ReplyStatus,
    ReviewDelivery, RevisionOf,
};
use serde_json::json;

async fn insert_lead(
    store: &DynamoStore,
    id: &str,
    business: &str,
    created: u64,
    received_at_ms: u64,
) {
    let raw = with_field(LEAD, "/leadID", json!(id));
    let raw = with_field(&raw, "/business/businessID", json!(business));
    let raw = with_field(&raw, "/createTimestamp", json!(created.to_string()));
    insert_raw_lead(store, &raw, received_at_ms).await;
}

async fn insert_raw_lead(store: &DynamoStore, raw: &str, received_at_ms: u64) {
    let lead = Lead::parse(raw.as_bytes()).unwrap().value;
    at(store, received_at_ms)
        .insert_lead(NewLead {
            lead: &lead,
            warnings: &Problems::NONE,
            raw,
            marks: models::v4::stored::marks(raw),
            received_at_ms,
        })
        .await
        .unwrap();
}

async fn insert_message(store: &DynamoStore, lead_id: &str, message_id: &str, received_at_ms: u64) {
    let raw = with_field(MESSAGE, "/leadID", json!(lead_id));
    let raw = with_field(&raw, "/message/messageID", json!(message_id));
    let message = InboundMessage::parse(raw.as_bytes()).unwrap().value;
    at(store, received_at_ms)
        .insert_message(NewMessage {
            message: &message,
            warnings: &Problems::NONE,
            raw: &raw,
            received_at_ms,
        })
        .await
        .unwrap();
}

fn reply(reply_id: &str, lead_id: &str) -> ReplyRequest {
    ReplyRequest {
        reply_id: reply_id.to_owned(),
        business_id: "b-1".to_owned(),
        lead_id: lead_id.to_owned(),
        text: "Hi Jay, Tuesday at 10 works for me.".to_owned(),
    }
}

/// Claims `reply` at `now_ms` (with a lease of a minute) and returns the attempt.
async fn claim(store: &DynamoStore, reply: &ReplyRequest, now_ms: u64) -> u32 {
    let claimed = store
        .claim(ReplyClaim {
            reply,
            enqueued_at_ms: now_ms,
            sequence: None,
            now_ms,
            lease_until_ms: now_ms + 60_000,
        })
        .await
        .unwrap();
    match claimed {
        Claim::Claimed { attempt } => attempt,
        other => panic!("{other:?}"),
    }
}

async fn quarantine(store: &DynamoStore, digest: &str, received_at_ms: u64) {
    let problems = Problems::from(vec![FieldProblem {
        path: "leadID".into(),
        reason: "is required".into(),
    }]);
    at(store, received_at_ms)
        .quarantine(Quarantined {
            route: Route::Lead,
            digest,
            raw: br#"{"customer": {"name": "Jay J."}}"#,
            problems: &problems,
            received_at_ms,
        })
        .await
        .unwrap();
}

/// The whole feed from the start, before `before_ms`, `limit` at a time.
async fn walk(store: &DynamoStore, before_ms: u64, limit: usize) -> Vec<FeedEntry> {
    let mut all = Vec::new();
    let mut after: Option<Cursor> = None;
    for _ in 0..50 {
        let page = store
            .changes(0, before_ms, limit, after.as_ref())
            .await
            .unwrap();
        assert!(page.items.len() <= limit);
        let done = page.items.is_empty();
        all.extend(page.items);
        after = Some(page.next.expect("the feed always says where it goes on"));
        if done {
            return all;
        }
    }
    panic!("the walk does not end")
}

#[tokio::test]
async fn a_business_leads_are_summarised_from_the_index_with_type_place_and_first_reply() {
    let store = fresh_store().await;
    let typed = with_field(LEAD, "/leadType", json!("INSTANT_BOOK"));
    let typed = with_field(&typed, "/leadID", json!("l-typed"));
    let typed = with_field(&typed, "/business/businessID", json!("b-1"));
    insert_raw_lead(&store, &typed, 5_000).await;
    insert_lead(&store, "l-plain", "b-1", 1_700_000_000, 6_000).await;
    assert_eq!(
        store.first_reply("l-typed", true, 7_000).await.unwrap(),
        Some(1_498_760_294)
    );
    let leads = store
        .business_leads("b-1", CreatedWindow::default(), 10, None)
        .await
        .unwrap()
        .items;
    assert_eq!(leads.len(), 2);
    let (plain, typed) = (&leads[0], &leads[1]);
    assert_eq!(plain.lead_id, "l-plain");
    assert_eq!(
        (plain.lead_type.as_deref(), plain.first_reply_sent_at_ms),
        (None, None)
    );
    assert_eq!(typed.lead_id, "l-typed");
    assert_eq!(typed.business_id, "b-1");
    assert_eq!(typed.create_timestamp, 1_498_760_294);
    assert_eq!(typed.received_at_ms, 5_000);
    assert_eq!(typed.category.as_deref(), Some("Interior Painting"));
    assert_eq!(typed.title.as_deref(), Some("Interior Painting"));
    assert_eq!(
        (
            typed.city.as_deref(),
            typed.state.as_deref(),
            typed.zip_code.as_deref()
        ),
        (Some("San Jose"), Some("CA"), Some("95125"))
    );
    assert_eq!(typed.lead_type.as_deref(), Some("INSTANT_BOOK"));
    assert_eq!(typed.first_reply_sent_at_ms, Some(7_000));
    assert_eq!(
        (typed.first_reply_automatic, plain.first_reply_automatic),
        (Some(true), None)
    );
}

#[tokio::test]
async fn a_window_of_create_timestamps_bounds_a_business_leads_across_pages() {
    let store = fresh_store().await;
    for n in 1..=6 {
        insert_lead(&store, &format!("l-{n}"), "b-w", n * 100, 1).await;
    }
    insert_lead(&store, "other", "b-x", 300, 1).await;
    let window = CreatedWindow {
        since: Some(200),
        until: Some(500),
    };
    let mut ids = Vec::new();
    let mut after: Option<Cursor> = None;
    for _ in 0..10 {
        let page = store
            .business_leads("b-w", window, 2, after.as_ref())
            .await
            .unwrap();
        ids.extend(page.items.into_iter().map(|l| l.lead_id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(ids, ["l-4", "l-3", "l-2"]);
    let since_only = CreatedWindow {
        since: Some(500),
        until: None,
    };
    let page = store.business_leads("b-w", since_only, 10, None).await;
    let ids: Vec<String> = page.unwrap().items.into_iter().map(|l| l.lead_id).collect();
    assert_eq!(ids, ["l-6", "l-5"]);
    let until_only = CreatedWindow {
        since: None,
        until: Some(200),
    };
    let page = store.business_leads("b-w", until_only, 10, None).await;
    let ids: Vec<String> = page.unwrap().items.into_iter().map(|l| l.lead_id).collect();
    assert_eq!(ids, ["l-1"]);
}

/// A lead, a message, a revision, a quarantined payload, a reply sent, a reply failed, a reply
/// still being tried, a lead update, a review and its revision, each at its own time.
async fn every_kind_of_fact(store: &DynamoStore) {
    insert_lead(store, "l-1", "b-1", 1_700_000_000, 10_000).await;
    insert_message(store, "l-1", "m-1", 11_000).await;
    at(store, 12_000)
        .insert_revision(NewRevision {
            lead_id: Some("l-1"),
            business_id: "b-1",
            of: RevisionOf::Message,
            id: "m-1",
            digest: "d-rev",
            raw: r#"{"text": "Actually, Wednesday"}"#,
            received_at_ms: 12_000,
        })
        .await
        .unwrap();
    quarantine(store, "d-quarantined", 13_000).await;
    let sent = reply("r-sent", "l-1");
    let attempt = claim(store, &sent, 13_500).await;
    at(store, 14_000)
        .mark_sent(&sent, attempt, 201, 14_000)
        .await
        .unwrap();
    let failed = reply("r-failed", "l-1");
    let attempt = claim(store, &failed, 14_500).await;
    at(store, 15_000)
        .mark_failed(
            &failed,
            attempt,
            "Thumbtack answered 400: Jay's text",
            "refused",
            Some(400),
            15_000,
        )
        .await
        .unwrap();
    let sending = reply("r-sending", "l-1");
    claim(store, &sending, 15_500).await;
    let update = LeadUpdate::parse(br#"{"leadID": "l-1", "leadPrice": "$12.00"}"#)
        .unwrap()
        .value;
    at(store, 16_000)
        .insert_update(NewLeadUpdate {
            update: &update,
            digest: "d-upd",
            warnings: &Problems::NONE,
            raw: r#"{"leadID": "l-1", "leadPrice": "$12.00"}"#,
            received_at_ms: 16_000,
        })
        .await
        .unwrap();
    let review = ReviewDelivery::parse(fixtures::REVIEW.as_bytes())
        .unwrap()
        .value
        .review;
    at(store, 17_000)
        .insert_review(NewReview {
            review: &review,
            warnings: &Problems::NONE,
            raw: fixtures::REVIEW,
            received_at_ms: 17_000,
        })
        .await
        .unwrap();
    at(store, 18_000)
        .insert_revision(NewRevision {
            lead_id: review.lead_id.as_deref(),
            business_id: &review.business_id,
            of: RevisionOf::Review,
            id: &review.review_id,
            digest: "d-review-rev",
            raw: fixtures::REVIEW,
            received_at_ms: 18_000,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn every_stored_fact_has_one_entry_in_the_changes_index_and_nothing_personal() {
    let table = fresh_table().await;
    every_kind_of_fact(&table.store).await;
    let entries = table.changes_index().await;
    assert_eq!(entries.len(), 9, "{entries:?}");
    let keys = [PK, SK, GSI2_PK, GSI2_SK];
    for entry in &entries {
        for attribute in entry.keys() {
            assert!(
                keys.contains(&attribute.as_str()) || GSI2_PROJECTED.contains(&attribute.as_str()),
                "the changes index copies {attribute}"
            );
        }
        let text = format!("{entry:?}");
        for personal in ["Jay", "Tuesday", "Wednesday", "stain", "Maria", "kitchen"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
}

#[tokio::test]
async fn the_changes_come_in_order_of_their_time_as_typed_entries() {
    let store = fresh_store().await;
    every_kind_of_fact(&store).await;
    let all = walk(&store, 100_000, 100).await;
    let expected = [
        FeedEntry {
            at_ms: 10_000,
            fact: Fact::LeadStored {
                lead_id: "l-1".into(),
                business_id: "b-1".into(),
                at_ms: 10_000,
                lead: LeadFacts {
                    create_timestamp: 1_700_000_000,
                    ..LeadFacts::default()
                },
            },
        },
        FeedEntry {
            at_ms: 11_000,
            fact: Fact::MessageStored {
                lead_id: "l-1".into(),
                business_id: fixtures::BUSINESS_ID.into(),
                message_id: "m-1".into(),
                create_timestamp: 1_498_760_294,
                lead_known: false,
                contract: models::Contract::Legacy,
                at_ms: 11_000,
            },
        },
        FeedEntry {
            at_ms: 12_000,
            fact: Fact::MessageRevised {
                lead_id: "l-1".into(),
                business_id: Some("b-1".into()),
                message_id: "m-1".into(),
                digest: "d-rev".into(),
                at_ms: 12_000,
            },
        },
        FeedEntry {
            at_ms: 13_000,
            fact: Fact::PayloadQuarantined {
                route: "lead".into(),
                problem_count: 1,
                digest: "d-quarantined".into(),
                at_ms: 13_000,
            },
        },
        FeedEntry {
            at_ms: 14_000,
            fact: Fact::ReplySent {
                reply_id: "r-sent".into(),
                lead_id: "l-1".into(),
                business_id: "b-1".into(),
                status: 201,
                attempt: 1,
                at_ms: 14_000,
            },
        },
        FeedEntry {
            at_ms: 15_000,
            fact: Fact::ReplyFailed {
                reply_id: "r-failed".into(),
                lead_id: "l-1".into(),
                business_id: "b-1".into(),
                status: Some(400),
                // The index copies no reason: the feed shows none.
                reason: "failed".into(),
                attempt: 1,
                at_ms: 15_000,
            },
        },
        FeedEntry {
            at_ms: 16_000,
            fact: Fact::LeadUpdated {
                lead_id: "l-1".into(),
                business_id: None,
                lead_price: Some("$12.00".into()),
                charge_state: None,
                lead_known: false,
                digest: "d-upd".into(),
                at_ms: 16_000,
            },
        },
        FeedEntry {
            at_ms: 17_000,
            fact: Fact::ReviewReceived {
                review_id: "441190338474795011".into(),
                business_id: fixtures::BUSINESS_ID.into(),
                lead_id: Some("437282017264173057".into()),
                category_id: None,
                rating: None,
                verified: None,
                contract: models::Contract::Legacy,
                at_ms: 17_000,
            },
        },
        FeedEntry {
            at_ms: 18_000,
            fact: Fact::ReviewRevised {
                review_id: "441190338474795011".into(),
                lead_id: Some("437282017264173057".into()),
                business_id: Some(fixtures::BUSINESS_ID.into()),
                digest: "d-review-rev".into(),
                at_ms: 18_000,
            },
        },
    ];
    assert_eq!(all, expected);
    // A page at a time, the same entries in the same order.
    assert_eq!(walk(&store, 100_000, 2).await, expected);
    // From a time on, and before another.
    let page = store.changes(11_000, 14_000, 10, None).await.unwrap();
    assert_eq!(page.items, expected[1..4]);
    assert_eq!(walk(&store, 12_000, 1).await, expected[..2]);
}

#[tokio::test]
async fn a_failed_reply_stays_in_the_feed_when_tried_again_and_its_send_is_a_new_entry() {
    let store = fresh_store().await;
    every_kind_of_fact(&store).await;
    let failed = reply("r-failed", "l-1");
    let listed = |all: &[FeedEntry]| {
        all.iter()
            .filter_map(|c| match &c.fact {
                Fact::ReplyFailed {
                    reply_id, attempt, ..
                } if reply_id == "r-failed" => Some((c.at_ms, ReplyStatus::Failed, *attempt)),
                Fact::ReplySent {
                    reply_id, attempt, ..
                } if reply_id == "r-failed" => Some((c.at_ms, ReplyStatus::Sent, *attempt)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let failure = (15_000, ReplyStatus::Failed, 1);
    // A redrive: the lease long over, the reply is claimed again; its failure was a stored fact
    // (and an event), and stays in the feed...
    let attempt = claim(&store, &failed, 100_000).await;
    assert_eq!(attempt, 2);
    assert_eq!(listed(&walk(&store, 1_000_000, 100).await), [failure]);
    // ...and the send that follows is an entry of its own, at its time.
    at(&store, 101_000)
        .mark_sent(&failed, 2, 200, 101_000)
        .await
        .unwrap();
    assert_eq!(
        listed(&walk(&store, 1_000_000, 100).await),
        [failure, (101_000, ReplyStatus::Sent, 2)]
    );
}

#[tokio::test]
async fn a_quarantined_payload_enters_the_feed_at_its_first_receipt_only() {
    let store = fresh_store().await;
    for received_at_ms in [1_000, 2_000, 3_000] {
        quarantine(&store, "d-again", received_at_ms).await;
    }
    let all = walk(&store, 100_000, 10).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].at_ms, 1_000);
}

#[tokio::test]
async fn a_position_past_the_upper_bound_answers_an_empty_page_that_stays_there() {
    // Lambda hosts' clocks differ: a cursor from one may stand past the bound another computes.
    let store = fresh_store().await;
    insert_lead(&store, "l-1", "b-1", 1, 50_000).await;
    let page = store.changes(0, 60_000, 10, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let next = page.next.unwrap();
    let Page { items, next: again } = store.changes(0, 40_000, 10, Some(&next)).await.unwrap();
    assert!(items.is_empty());
    assert_eq!(again, Some(next));
}
