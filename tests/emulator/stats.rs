//! A business's daily figures on DynamoDB: each lead counted once in the UTC day of its creation,
//! its first reply and its first person's reply each once, whatever the repeats.

use crate::support::*;
use adapters::DynamoStore;
use app::LeadStore;
use app::ports::{NewLead, ReplyLedger, StatsDesk};
use app::speed::stats::{WAIT_BOUNDS, business_stats, stats_day, wait_bucket};
use models::{Lead, Problems};
use serde_json::json;

/// A lead of `business` created at `created` (unix seconds), received at `received_ms`.
async fn stored_lead(
    store: &DynamoStore,
    lead_id: &str,
    business: &str,
    created: u64,
    received_ms: u64,
) {
    let raw = with_field(LEAD, "/leadID", json!(lead_id));
    let raw = with_field(&raw, "/business/businessID", json!(business));
    let raw = with_field(&raw, "/createTimestamp", json!(created.to_string()));
    let lead = Lead::parse(raw.as_bytes()).unwrap().value;
    store
        .insert_lead(NewLead {
            lead: &lead,
            warnings: &Problems::NONE,
            raw: &raw,
            marks: models::v4::stored::marks(&raw),
            received_at_ms: received_ms,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_lead_and_its_first_replies_are_counted_once_in_its_business_day() {
    let store = fresh_store().await;
    let created = 1_796_640_000; // 2026-12-07T10:40:00Z
    let received = created * 1000 + 2_000;
    stored_lead(&store, "700000000001", "b-stats", created, received).await;
    stored_lead(
        &store,
        "700000000002",
        "b-stats",
        created + 60,
        received + 60_000,
    )
    .await;
    // Counted once, however often Lead Received comes.
    assert!(store.count_lead("700000000001").await.unwrap());
    assert!(!store.count_lead("700000000001").await.unwrap());
    assert!(store.count_lead("700000000002").await.unwrap());
    assert!(!store.count_lead("not-stored").await.unwrap());
    // The acknowledgement after 5 s is the first reply, not a person's.
    let first = store
        .first_reply("700000000001", true, received + 5_000)
        .await;
    assert_eq!(first.unwrap(), Some(created));
    assert_eq!(
        store
            .first_reply("700000000001", true, received + 6_000)
            .await
            .unwrap(),
        None
    );
    // A person two hours later: their first reply, not the lead's.
    for _ in 0..2 {
        let person = store
            .first_reply("700000000001", false, received + 7_200_000)
            .await;
        assert_eq!(person.unwrap(), None);
    }

    let day = stats_day(created);
    let days = store.daily_stats("b-stats", &day, &day).await.unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    let figures = &days[0];
    assert_eq!((figures.day.as_str(), figures.leads), (day.as_str(), 2));
    assert_eq!(
        (
            figures.replied,
            figures.automatic_first,
            figures.person_replied
        ),
        (1, 1, 1)
    );
    let mut first_reply = vec![0; WAIT_BOUNDS.len()];
    first_reply[wait_bucket(5)] = 1;
    let mut person_reply = vec![0; WAIT_BOUNDS.len()];
    person_reply[wait_bucket(7_200)] = 1;
    assert_eq!(figures.first_reply, first_reply);
    assert_eq!(figures.first_person_reply, person_reply);
    // Another business's day, and the days around, are apart.
    assert!(
        store
            .daily_stats("b-other", &day, &day)
            .await
            .unwrap()
            .is_empty()
    );
    let next = stats_day(created + 86_400);
    assert!(
        store
            .daily_stats("b-stats", &next, &next)
            .await
            .unwrap()
            .is_empty()
    );

    // The route's figures, from that one item.
    let stats = business_stats(&store, "b-stats", Some("1"), (created + 3_600) * 1000)
        .await
        .unwrap();
    assert_eq!(
        (
            stats.leads,
            stats.leads_replied,
            stats.leads_replied_by_person
        ),
        (2, 1, 1)
    );
    assert_eq!(stats.median_first_reply_seconds, Some(10));
    assert_eq!(stats.median_first_person_reply_seconds, Some(7_200));
}

#[tokio::test]
async fn a_first_reply_counted_from_the_replys_context_reads_nothing_and_a_stale_one_counts_once() {
    let table = fresh_table().await;
    let created = 1_796_640_000;
    let received = created * 1000 + 2_000;
    stored_lead(&table.store, "700000000011", "b-known", created, received).await;
    let (store, proxy) = counted_store(&table.name).await;
    let context = store.reply_context("700000000011", false).await.unwrap();
    let known = context
        .first_reply
        .expect("the context read takes the lead's count fields");
    assert_eq!(proxy.counts.calls("GetItem"), 1, "the context's one read");

    let first = store
        .first_reply_known("700000000011", false, received + 5_000, Some(&known))
        .await;
    assert_eq!(first.unwrap(), Some(created));
    assert_eq!(proxy.counts.calls("GetItem"), 1, "the count read nothing");
    assert_eq!(proxy.counts.calls("TransactWriteItems"), 1);

    // Another reply that read the context before the first was counted: its count fails its
    // conditions, reads the lead and finds it answered.
    let again = store
        .first_reply_known("700000000011", false, received + 6_000, Some(&known))
        .await;
    assert_eq!(again.unwrap(), None);
    assert_eq!(proxy.counts.calls("GetItem"), 2);
    let day = stats_day(created);
    let days = store.daily_stats("b-known", &day, &day).await.unwrap();
    assert_eq!(
        (days[0].replied, days[0].person_replied),
        (1, 1),
        "counted once"
    );
}
