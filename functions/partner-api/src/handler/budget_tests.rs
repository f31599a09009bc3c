//! The read routes' answers under Lambda's response limit whatever was stored: a list route goes
//! on from where its byte budget ran out, and a lead whose conversation is over it is read a
//! page at a time (issue 18 item 19).

use super::handle;
use app::deps::ReadDeps;
use app::ingest;
use app::memory::MemoryStore;
use app::paging::CursorKey;
use app::pull::PullSettings;
use http_api::testing::{GATEWAYS, Gateway, get, get_business_reviews};
use lambda_http::Request;
use models::{InboundMessage, Lead, ReviewDelivery};
use serde_json::{Value, json};
use std::time::Duration;

const LEAD_ID: &str = fixtures::LEAD_ID;
/// Lambda's response payload limit, the envelope included.
const LAMBDA_RESPONSE_LIMIT: usize = 6_291_556;

fn deps() -> ReadDeps<MemoryStore> {
    ReadDeps {
        store: MemoryStore::new(),
        pull: PullSettings {
            cursors: CursorKey::new(b"budget tests' key".to_vec()),
            settle: Duration::from_secs(30),
        },
    }
}

/// 200 KB of a customer's words, with quotes (each costs twice once the body is in the envelope).
fn words() -> String {
    "Spotless \"like new\" kitchen, on time. ".repeat(200_000 / 38)
}

async fn store_lead(store: &MemoryStore) {
    let lead = Lead::parse(fixtures::LEAD.as_bytes()).unwrap();
    ingest::store_parsed(store, &lead, fixtures::LEAD, 1)
        .await
        .unwrap();
}

/// Message `m-<n>` of the sample lead, `n` seconds after the first, with `text`.
async fn store_message(store: &MemoryStore, n: u64, text: &str) {
    let mut message: Value = serde_json::from_str(fixtures::MESSAGE).unwrap();
    message["message"]["messageID"] = json!(format!("m-{n:02}"));
    message["message"]["createTimestamp"] = json!((1_498_760_000 + n).to_string());
    message["message"]["text"] = json!(text);
    let raw = message.to_string();
    let parsed = InboundMessage::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(store, &parsed, &raw, 10 + n)
        .await
        .unwrap();
}

/// Review `r-<n>` of business `b-1` on the sample lead, with `text`.
async fn store_review(store: &MemoryStore, n: u64, text: &str) {
    let mut review: Value = serde_json::from_str(fixtures::REVIEW).unwrap();
    review["review"]["reviewID"] = json!(format!("r-{n:02}"));
    review["review"]["businessID"] = json!("b-1");
    review["review"]["leadID"] = json!(LEAD_ID);
    review["review"]["createTime"] = json!(1_749_000_000 + n);
    review["review"]["text"] = json!(text);
    let raw = review.to_string();
    let parsed = ReviewDelivery::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(store, &parsed, &raw, 1000 + n)
        .await
        .unwrap();
}

fn get_lead_page(gateway: Gateway, lead_id: &str, cursor: Option<&str>) -> Request {
    let query: Vec<(&str, &str)> = cursor
        .map(|cursor| ("cursor", cursor))
        .into_iter()
        .collect();
    get(
        gateway,
        "/v1/leads/{leadID}",
        &format!("/v1/leads/{lead_id}"),
        &[("leadID", lead_id)],
        &query,
    )
}

/// The status, the body, and the bytes the answer takes in Lambda's response payload (its body
/// is a JSON string there, so each quote and backslash is escaped once more).
async fn answer(deps: &ReadDeps<MemoryStore>, request: Request) -> (u16, Value, usize) {
    let response = handle(deps, request).await;
    let text = std::str::from_utf8(response.body().as_ref())
        .unwrap()
        .to_owned();
    let envelope = json!({"statusCode": 200, "headers": {}, "body": text}).to_string();
    let body = serde_json::from_str(&text).unwrap();
    (response.status().as_u16(), body, envelope.len())
}

/// Every page from the first to the last `next`, each answered 200 within Lambda's limit.
async fn walk(deps: &ReadDeps<MemoryStore>, page: impl Fn(Option<&str>) -> Request) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (status, body, size) = answer(deps, page(cursor.as_deref())).await;
        assert_eq!(status, 200, "{body}");
        assert!(size < LAMBDA_RESPONSE_LIMIT, "an answer of {size} bytes");
        cursor = body["next"].as_str().map(str::to_owned);
        pages.push(body);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 40, "the walk does not end");
    }
}

fn ids<'a>(pages: &'a [Value], list: &str, id: &str) -> Vec<&'a str> {
    pages
        .iter()
        .flat_map(|page| page[list].as_array().unwrap())
        .map(|entry| entry[id].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn reviews_past_the_byte_budget_go_on_from_where_it_ran_out_whole_and_once_each() {
    let deps = deps();
    let words = words();
    for n in 1..=32 {
        store_review(&deps.store, n, &words).await;
    }
    for gateway in GATEWAYS {
        let pages = walk(&deps, |cursor| {
            let mut query = vec![("limit", "100")];
            query.extend(cursor.map(|cursor| ("cursor", cursor)));
            get_business_reviews(gateway, "b-1", &query)
        })
        .await;
        assert!(pages.len() > 1, "{gateway:?}: 6.4 MB in one answer");
        let newest_first: Vec<String> = (1..=32).rev().map(|n| format!("r-{n:02}")).collect();
        assert_eq!(
            ids(&pages, "reviews", "reviewID"),
            newest_first,
            "{gateway:?}"
        );
        for page in &pages {
            for review in page["reviews"].as_array().unwrap() {
                assert_eq!(review["text"].as_str(), Some(words.as_str()));
            }
        }
    }
}

#[tokio::test]
async fn a_lead_whose_conversation_is_over_the_byte_budget_is_read_a_page_at_a_time() {
    let deps = deps();
    let words = words();
    store_lead(&deps.store).await;
    for n in 1..=12 {
        store_message(&deps.store, n, &words).await;
    }
    for n in 1..=20 {
        store_review(&deps.store, n, &words).await;
    }
    for gateway in GATEWAYS {
        let pages = walk(&deps, |cursor| get_lead_page(gateway, LEAD_ID, cursor)).await;
        assert!(pages.len() > 1, "{gateway:?}: 6.4 MB in one answer");
        let messages: Vec<String> = (1..=12).map(|n| format!("m-{n:02}")).collect();
        assert_eq!(
            ids(&pages, "messages", "id"),
            messages,
            "in time order, once each"
        );
        let reviews: Vec<String> = (1..=20).map(|n| format!("r-{n:02}")).collect();
        assert_eq!(ids(&pages, "reviews", "reviewID"), reviews);
        for page in &pages {
            assert_eq!(page["lead"]["leadID"], LEAD_ID, "every page is the lead's");
            for message in page["messages"].as_array().unwrap() {
                assert_eq!(message["text"].as_str(), Some(words.as_str()));
            }
        }
    }
}

#[tokio::test]
async fn an_ordinary_lead_is_answered_whole_in_one_answer_without_a_cursor() {
    let deps = deps();
    store_lead(&deps.store).await;
    store_message(&deps.store, 1, "Can you come on Tuesday?").await;
    store_review(&deps.store, 1, "Great work.").await;
    let (status, body, _) = answer(&deps, get_lead_page(Gateway::HttpV2, LEAD_ID, None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body.get("next"),
        None,
        "the shape of a lead that fits: {body}"
    );
    assert_eq!(ids(std::slice::from_ref(&body), "messages", "id"), ["m-01"]);
    assert_eq!(ids(&[body], "reviews", "reviewID"), ["r-01"]);
}

#[tokio::test]
async fn a_lead_page_cursor_of_another_lead_or_a_changed_one_is_refused_naming_cursor() {
    let deps = deps();
    let words = words();
    store_lead(&deps.store).await;
    for n in 1..=32 {
        store_review(&deps.store, n, &words).await;
    }
    let (status, first, _) = answer(&deps, get_lead_page(Gateway::RestV1, LEAD_ID, None)).await;
    assert_eq!(status, 200);
    let next = first["next"]
        .as_str()
        .expect("a lead over the budget has a next page");
    let changed = format!("x{next}");
    for (lead_id, cursor) in [("437282017264173057", next), (LEAD_ID, changed.as_str())] {
        let (status, refused, _) =
            answer(&deps, get_lead_page(Gateway::RestV1, lead_id, Some(cursor))).await;
        assert_eq!(
            (status, &refused["fields"][0]["path"]),
            (400, &json!("cursor")),
            "{lead_id}: {refused}"
        );
    }
}
