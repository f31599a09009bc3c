//! The pull routes of the read function over the DynamoDB adapter and the emulator, on real API
//! Gateway events: what the partner's systems list and replay, and what they never see.

use crate::support::*;
use adapters::DynamoStore;
use app::deps::{InboundDeps, ReadDeps};
use app::memory::StaticCredentials;
use app::paging::CursorKey;
use app::pull::PullSettings;
use harness::faults::{Fault, FaultPlan};
use http_api::testing::{
    Encoding, GATEWAYS, Gateway, basic, get_business_leads, get_changes, post,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

type Inbound = InboundDeps<DynamoStore, StaticCredentials>;

async fn post_lead(deps: &Inbound, body: &str) -> (u16, Value) {
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        body.as_bytes(),
        Encoding::Text,
        Some(&basic(USERNAME, PASSWORD)),
    );
    let response = lead_inbound::handler::handle(deps, request).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap();
    (response.status().as_u16(), body)
}

async fn post_message(deps: &Inbound, body: &str) -> (u16, Value) {
    let request = post(
        Gateway::RestV1,
        "/v1/message",
        body.as_bytes(),
        Encoding::Base64,
        Some(&basic(USERNAME, PASSWORD)),
    );
    let response = message_inbound::handler::handle(deps, request).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap();
    (response.status().as_u16(), body)
}

/// A lead of `business` with its own id and createTimestamp, stored through the lead route.
async fn stored_lead(deps: &Inbound, id: &str, business: &str, created: u64) {
    let body = with_field(LEAD, "/leadID", json!(id));
    let body = with_field(&body, "/business/businessID", json!(business));
    let body = with_field(&body, "/createTimestamp", json!(created.to_string()));
    let (status, answer) = post_lead(deps, &body).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("stored")),
        "{answer}"
    );
}

/// A lead and its message delivered as Thumbtack does: again after a 5xx, until a 200.
async fn delivered(deps: &Inbound, lead_id: &str, message_id: &str) {
    let lead = with_field(LEAD, "/leadID", json!(lead_id));
    let message = with_field(MESSAGE, "/leadID", json!(lead_id));
    let message = with_field(&message, "/message/messageID", json!(message_id));
    for _ in 0..20 {
        match post_lead(deps, &lead).await {
            (200, _) => break,
            (status, answer) => assert!(status >= 500, "{status} {answer}"),
        }
    }
    for _ in 0..20 {
        match post_message(deps, &message).await {
            (200, _) => return,
            (status, answer) => assert!(status >= 500, "{status} {answer}"),
        }
    }
    panic!("{lead_id} was never delivered");
}

/// The inbound functions' dependencies on `table`, through a proxy that throttles a share of the
/// calls: the SDK's retries then land a write well after the time it took (its receipt).
async fn throttled(table: &str) -> (Inbound, harness::faults::RunningProxy) {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let plan = FaultPlan {
        share: 0.3,
        kinds: vec![Fault::Throttle],
        hold: Duration::ZERO,
    };
    let proxy = harness::faults::start(&endpoint, plan).await.unwrap();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk().await)
        .endpoint_url(&proxy.url)
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(250)),
        )
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table);
    let deps = InboundDeps {
        store,
        credentials: credentials(),
        metrics: app::metrics::Metrics::off(),
    };
    (deps, proxy)
}

fn reader(store: &DynamoStore) -> ReadDeps<DynamoStore> {
    ReadDeps {
        store: store.clone(),
        pull: pull_settings(),
    }
}

async fn get(deps: &ReadDeps<DynamoStore>, request: lambda_http::Request) -> (u16, Value) {
    let response = partner_api::handler::handle(deps, request).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap();
    (response.status().as_u16(), body)
}

fn lead_ids(page: &Value) -> Vec<String> {
    page["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["leadID"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of a business's leads for `query`, `limit` at a time, and how many pages it took.
async fn walk_leads(
    deps: &ReadDeps<DynamoStore>,
    gateway: Gateway,
    business: &str,
    query: &[(&str, &str)],
) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=50 {
        let mut asked = query.to_vec();
        if let Some(cursor) = &cursor {
            asked.push(("cursor", cursor));
        }
        let (status, page) = get(deps, get_business_leads(gateway, business, &asked)).await;
        assert_eq!(status, 200, "{page}");
        ids.extend(lead_ids(&page));
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (ids, pages),
        }
    }
    panic!("the walk does not end")
}

#[tokio::test]
async fn a_business_leads_come_newest_first_within_since_and_until() {
    let (table, deps) = inbound_deps().await;
    for (id, created) in [("l-a", 100), ("l-b", 300), ("l-c", 200), ("l-d", 400)] {
        stored_lead(&deps, id, "b-1", created).await;
    }
    stored_lead(&deps, "l-other", "b-2", 250).await;
    let read = reader(&table.store);
    for gateway in GATEWAYS {
        let (status, all) = get(&read, get_business_leads(gateway, "b-1", &[])).await;
        assert_eq!(status, 200, "{all}");
        assert_eq!(lead_ids(&all), ["l-d", "l-b", "l-c", "l-a"]);
        assert_eq!(all["next"], Value::Null);
        let (_, window) = get(
            &read,
            get_business_leads(gateway, "b-1", &[("since", "200"), ("until", "400")]),
        )
        .await;
        assert_eq!(
            lead_ids(&window),
            ["l-b", "l-c"],
            "since inclusive, until not"
        );
        let (_, unknown) = get(&read, get_business_leads(gateway, "b-none", &[])).await;
        assert_eq!(unknown, json!({"leads": [], "next": null}));
    }
}

#[tokio::test]
async fn limit_is_bounded_and_a_cursor_walks_many_pages_listing_each_lead_once() {
    let (table, deps) = inbound_deps().await;
    for n in 1..=7 {
        stored_lead(&deps, &format!("l-{n}"), "b-1", 1_000 + n).await;
    }
    let read = reader(&table.store);
    let (ids, pages) = walk_leads(&read, Gateway::RestV1, "b-1", &[("limit", "2")]).await;
    assert_eq!(ids, ["l-7", "l-6", "l-5", "l-4", "l-3", "l-2", "l-1"]);
    assert!(pages >= 4, "{pages} pages");
    let (ids, _) = walk_leads(&read, Gateway::HttpV2, "b-1", &[("limit", "100")]).await;
    assert_eq!(ids.len(), 7);
    let (_, first) = get(&read, get_business_leads(Gateway::HttpV2, "b-1", &[])).await;
    assert_eq!(
        lead_ids(&first).len(),
        7,
        "the default page (25) holds them"
    );
    for limit in ["0", "101", "-1", "many"] {
        let (status, body) = get(
            &read,
            get_business_leads(Gateway::HttpV2, "b-1", &[("limit", limit)]),
        )
        .await;
        assert_eq!(status, 400, "{limit}: {body}");
        assert_eq!(
            body["fields"],
            json!([{"path": "limit", "reason": "must be a whole number from 1 to 100"}])
        );
    }
}

#[tokio::test]
async fn a_tampered_cursor_or_one_of_another_business_is_a_400_naming_cursor() {
    let (table, deps) = inbound_deps().await;
    for n in 1..=3 {
        stored_lead(&deps, &format!("a-{n}"), "b-a", 1_000 + n).await;
        stored_lead(&deps, &format!("b-{n}"), "b-b", 1_000 + n).await;
    }
    let read = reader(&table.store);
    let (_, first) = get(
        &read,
        get_business_leads(Gateway::HttpV2, "b-a", &[("limit", "1")]),
    )
    .await;
    let cursor = first["next"].as_str().unwrap();
    // Its position, re-sealed with a key that is not ours: pointing into another business.
    let (position, _) = cursor.split_once('.').unwrap();
    let forged = CursorKey::new(b"not the function's key".to_vec()).seal("leads|b-b||", position);
    let mut flipped = cursor.as_bytes().to_vec();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for (business, cursor) in [
        ("b-a", flipped.as_str()),
        ("b-b", cursor),
        ("b-b", forged.as_str()),
        ("b-a", "bm90IGEgY3Vyc29y.AAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let (status, body) = get(
            &read,
            get_business_leads(Gateway::RestV1, business, &[("cursor", cursor)]),
        )
        .await;
        assert_eq!(status, 400, "{business} {cursor}: {body}");
        assert_eq!(body["error"], "invalid_parameters");
        assert_eq!(
            body["fields"],
            json!([{"path": "cursor", "reason": "was not issued for this query, or was changed"}])
        );
    }
    let (status, next) = get(
        &read,
        get_business_leads(Gateway::RestV1, "b-a", &[("cursor", cursor)]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(lead_ids(&next), ["a-2", "a-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paging_a_business_leads_while_leads_arrive_skips_none_there_before_and_repeats_none() {
    let (table, deps) = inbound_deps().await;
    let deps = Arc::new(deps);
    // Before: every tenth second. During: in between, older and newer than the reader's place.
    let before: Vec<String> = (1..=12).map(|n| format!("before-{n}")).collect();
    for (n, id) in before.iter().enumerate() {
        stored_lead(&deps, id, "b-c", 1_000 + 10 * (n as u64 + 1)).await;
    }
    let writing = {
        let deps = Arc::clone(&deps);
        tokio::spawn(async move {
            let mut written = Vec::new();
            for n in 0..=13u64 {
                let id = format!("during-{n}");
                stored_lead(&deps, &id, "b-c", 1_005 + 10 * n).await;
                written.push(id);
                tokio::time::sleep(Duration::from_millis(7)).await;
            }
            written
        })
    };
    let read = reader(&table.store);
    let mut listed: Vec<(u64, String)> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut asked = vec![("limit", "2")];
        if let Some(cursor) = &cursor {
            asked.push(("cursor", cursor));
        }
        let (status, page) = get(&read, get_business_leads(Gateway::HttpV2, "b-c", &asked)).await;
        assert_eq!(status, 200, "{page}");
        for lead in page["leads"].as_array().unwrap() {
            listed.push((
                lead["createTimestamp"].as_u64().unwrap(),
                lead["leadID"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let during = writing.await.unwrap();
    let ids: Vec<&String> = listed.iter().map(|(_, id)| id).collect();
    let unique: BTreeSet<&String> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a lead listed twice: {ids:?}");
    for id in &before {
        assert!(unique.contains(id), "{id} was there before and was skipped");
    }
    for id in &unique {
        assert!(
            before.contains(id) || during.contains(id),
            "{id} was never written"
        );
    }
    assert!(
        listed.windows(2).all(|w| w[0].0 > w[1].0),
        "newest first throughout: {listed:?}"
    );
}

/// Every entry of the changes feed from `cursor` (or the start) up to an empty page, `limit` at a
/// time: the entries and the cursor to go on from.
async fn drain(
    read: &ReadDeps<DynamoStore>,
    gateway: Gateway,
    cursor: Option<String>,
    limit: &str,
) -> (Vec<Value>, String) {
    let mut entries = Vec::new();
    let mut cursor = cursor;
    loop {
        let mut asked = vec![("limit", limit)];
        if let Some(cursor) = &cursor {
            asked.push(("cursor", cursor));
        }
        let (status, page) = get(read, get_changes(gateway, &asked)).await;
        assert_eq!(status, 200, "{page}");
        let next = page["next"].as_str().unwrap().to_owned();
        let changes = page["changes"].as_array().unwrap().clone();
        if changes.is_empty() {
            return (entries, next);
        }
        entries.extend(changes);
        cursor = Some(next);
    }
}

/// An entry as (type, leadID, messageID): what fact it is.
fn fact(entry: &Value) -> (String, String, String) {
    let text = |name: &str| entry[name].as_str().unwrap_or_default().to_owned();
    (text("type"), text("leadID"), text("messageID"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reading_the_changes_while_facts_arrive_late_skips_none_and_repeats_none() {
    let (table, deps) = inbound_deps().await;
    let mut expected = BTreeSet::new();
    let fact_of = |lead: &str, message: &str| {
        [
            ("Lead Received".to_owned(), lead.to_owned(), String::new()),
            (
                "Message Received".to_owned(),
                lead.to_owned(),
                message.to_owned(),
            ),
        ]
    };
    for n in 0..4 {
        let (lead, message) = (format!("early-{n}"), format!("early-m-{n}"));
        delivered(&deps, &lead, &message).await;
        expected.extend(fact_of(&lead, &message));
    }
    // Four writers at once through a throttling proxy: a write whose time was taken first may
    // land a second later, behind writes timed after it. That is what the settle window is for.
    let (slow, _proxy) = throttled(&table.name).await;
    let slow = Arc::new(slow);
    let writers_done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let deps = Arc::clone(&slow);
            tokio::spawn(async move {
                let mut facts = Vec::new();
                for n in 0..6 {
                    let (lead, message) = (format!("w{w}-{n}"), format!("w{w}-m-{n}"));
                    delivered(&deps, &lead, &message).await;
                    facts.push((lead, message));
                }
                facts
            })
        })
        .collect();
    let watching = {
        let done = Arc::clone(&writers_done);
        tokio::spawn(async move {
            let mut all = Vec::new();
            for writer in writers {
                all.extend(writer.await.unwrap());
            }
            done.store(true, Ordering::SeqCst);
            all
        })
    };
    let read = ReadDeps {
        store: table.store.clone(),
        pull: PullSettings {
            cursors: CursorKey::new(b"concurrent feed test".to_vec()),
            // Longer than a throttled write takes with its retries (under a second here).
            settle: Duration::from_secs(3),
        },
    };
    let mut seen: Vec<Value> = Vec::new();
    let mut cursor = None;
    let mut quiet_since: Option<std::time::Instant> = None;
    loop {
        let (entries, next) = drain(&read, Gateway::HttpV2, cursor, "3").await;
        seen.extend(entries);
        cursor = Some(next);
        if writers_done.load(Ordering::SeqCst) {
            // Once the writers are done, one settle window more brings everything in.
            let since = *quiet_since.get_or_insert_with(std::time::Instant::now);
            if since.elapsed() > read.pull.settle + Duration::from_millis(500) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (lead, message) in watching.await.unwrap() {
        expected.extend(fact_of(&lead, &message));
    }
    let facts: Vec<(String, String, String)> = seen.iter().map(fact).collect();
    let mut counts: BTreeMap<&(String, String, String), usize> = BTreeMap::new();
    for fact in &facts {
        *counts.entry(fact).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "repeated: {repeated:?}");
    let unique: BTreeSet<(String, String, String)> = facts.iter().cloned().collect();
    let skipped: Vec<_> = expected.difference(&unique).collect();
    assert!(skipped.is_empty(), "skipped: {skipped:?}");
    assert_eq!(unique, expected);
    let times: Vec<&str> = seen
        .iter()
        .map(|e| e["occurredAt"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "in order of receipt"
    );
}

#[tokio::test]
async fn a_quarantined_payload_is_in_the_feed_and_no_entry_shows_anything_personal() {
    let (table, deps) = inbound_deps().await;
    let lead = with_field(LEAD, "/customer/name", json!("Zoë Personal"));
    let lead = with_field(&lead, "/request/description", json!("Secret stain story"));
    let (status, _) = post_lead(&deps, &lead).await;
    assert_eq!(status, 200);
    let message = with_field(MESSAGE, "/message/text", json!("Private words here"));
    assert_eq!(post_message(&deps, &message).await.0, 200);
    let revised = with_field(&lead, "/price", json!("$300"));
    assert_eq!(post_lead(&deps, &revised).await.1["status"], "revision");
    let refused = with_field(&lead, "/leadID", json!("not an id"));
    let (status, answer) = post_lead(&deps, &refused).await;
    assert_eq!(status, 400, "{answer}");
    past_settle().await;

    let read = reader(&table.store);
    let (entries, _) = drain(&read, Gateway::RestV1, None, "10").await;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Lead Received",
            "Message Received",
            "Lead Revised",
            "Payload Quarantined"
        ]
    );
    let quarantined = &entries[3];
    assert_eq!(quarantined["route"], "lead");
    assert_eq!(quarantined["problemCount"], 1);
    assert_eq!(quarantined["digest"].as_str().unwrap().len(), 64);
    let (_, leads) = get(
        &read,
        get_business_leads(Gateway::HttpV2, fixtures::BUSINESS_ID, &[]),
    )
    .await;
    let shown = format!("{entries:?}{leads}");
    for personal in [
        "Zoë",
        "Personal",
        "stain",
        "Private words",
        "Tim's Painting",
        "$300",
    ] {
        assert!(!shown.contains(personal), "{personal} shown: {shown}");
    }
}

/// A review of `business` with its own id and createTime, stored through the review route.
async fn stored_review(deps: &Inbound, id: &str, business: &str, created: &str) {
    let body = with_field(fixtures::REVIEW, "/review/reviewID", json!(id));
    let body = with_field(&body, "/review/businessID", json!(business));
    let body = with_field(&body, "/review/createTime", json!(created));
    let request = http_api::testing::send(
        Gateway::HttpV2,
        "POST",
        "/v1/review",
        body.as_bytes(),
        Encoding::Text,
        Some(&basic(USERNAME, PASSWORD)),
    );
    let response = message_inbound::handler::handle(deps, request).await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
}

#[tokio::test]
async fn a_business_reviews_come_newest_first_a_page_at_a_time_with_their_words() {
    let (table, deps) = inbound_deps().await;
    // Stored in another order than their times, beside another business's.
    stored_review(&deps, "r-2", "b-1", "2025-06-02T10:00:00Z").await;
    stored_review(&deps, "r-3", "b-1", "1749204000").await;
    stored_review(&deps, "r-1", "b-1", "2025-06-01T10:00:00+02:00").await;
    stored_review(&deps, "r-other", "b-2", "2025-06-05T10:00:00Z").await;
    let reader = reader(&table.store);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let request = http_api::testing::get_business_reviews(Gateway::RestV1, "b-1", &query);
        let (status, page) = get(&reader, request).await;
        assert_eq!(status, 200, "{page}");
        for review in page["reviews"].as_array().unwrap() {
            assert!(!review["text"].as_str().unwrap().is_empty());
            seen.push(review["reviewID"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["r-3", "r-2", "r-1"]);
}

#[tokio::test]
async fn the_list_route_shows_the_price_of_the_newest_lead_update() {
    let (table, deps) = inbound_deps().await;
    let (status, _) = post_lead(&deps, fixtures::LEAD_2025).await;
    assert_eq!(status, 200);
    let update =
        r#"{"leadID": "437282017264173057", "leadPrice": "$31.50", "chargeState": "Refunded"}"#;
    let request = http_api::testing::send(
        Gateway::HttpV2,
        "PUT",
        "/v1/lead/update",
        update.as_bytes(),
        Encoding::Text,
        Some(&basic(USERNAME, PASSWORD)),
    );
    let response = lead_inbound::handler::handle(&deps, request).await;
    assert_eq!(response.status(), 200);
    let request = get_business_leads(Gateway::HttpV2, fixtures::BUSINESS_ID, &[]);
    let (status, page) = get(&reader(&table.store), request).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["leads"][0]["leadPrice"], "$31.50", "{page}");
    assert_eq!(page["leads"][0]["chargeState"], "Refunded");
}

#[tokio::test]
async fn a_cursor_sealed_with_our_key_over_a_position_that_does_not_read_is_a_400_naming_cursor() {
    let (table, deps) = inbound_deps().await;
    stored_lead(&deps, "a-1", "b-a", 1_000).await;
    let read = reader(&table.store);
    let key = pull_settings().cursors;
    let lines = |keys: &[&str]| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(keys.join("\n"))
    };
    let long = "x".repeat(3_000);
    let garbage = [
        "!!! not base64".to_owned(),
        lines(&["LEAD#a-1"]),
        lines(&["LEAD#a-1", "LEAD", ""]),
        lines(&["LEAD#a-1", "LEAD", "000000001000#a-1", "more"]),
        lines(&[long.as_str(), "LEAD", "000000001000#a-1"]),
        lines(&["LEAD#a-1", "LEAD", long.as_str()]),
    ];
    for position in &garbage {
        let leads = key.seal("leads|b-a||", position);
        let reviews = key.seal("reviews|b-a", position);
        for request in [
            get_business_leads(Gateway::HttpV2, "b-a", &[("cursor", &leads)]),
            http_api::testing::get_business_reviews(
                Gateway::RestV1,
                "b-a",
                &[("cursor", &reviews)],
            ),
        ] {
            let (status, body) = get(&read, request).await;
            assert_eq!(status, 400, "{position:?}: {body}");
            assert_eq!(body["fields"][0]["path"], "cursor", "{position:?}: {body}");
        }
    }
    // Bounds the query names: a position outside them is no position of this query.
    let outside = key.seal(
        "leads|b-a|500|2000",
        &lines(&["LEAD#a-9", "LEAD", "000000009000#a-9"]),
    );
    let (status, body) = get(
        &read,
        get_business_leads(
            Gateway::HttpV2,
            "b-a",
            &[("since", "500"), ("until", "2000"), ("cursor", &outside)],
        ),
    )
    .await;
    assert_eq!(
        (status, &body["fields"][0]["path"]),
        (400, &json!("cursor")),
        "{body}"
    );
    for position in ["", "garbage", "12#LEAD#a-1#LEAD", &long] {
        let changes = key.seal("changes|", position);
        let (status, body) =
            get(&read, get_changes(Gateway::HttpV2, &[("cursor", &changes)])).await;
        assert_eq!(status, 400, "{position:?}: {body}");
        assert_eq!(body["fields"][0]["path"], "cursor", "{position:?}: {body}");
    }
}
