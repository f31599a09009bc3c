//! The read route on real API Gateway GET events over the in-memory store.

use super::handle;
use app::deps::ReadDeps;
use app::ingest;
use app::memory::MemoryStore;
use app::paging::CursorKey;
use app::pull::PullSettings;
use http_api::testing::{
    GATEWAYS, Gateway, get, get_business_leads, get_business_reviews, get_changes, get_lead,
};
use lambda_http::Request;
use models::{InboundMessage, Lead, LeadUpdate, ReviewDelivery};
use serde_json::{Value, json};
use std::time::Duration;

const LEAD: &str = fixtures::LEAD;
const MESSAGE: &str = fixtures::MESSAGE;
const LEAD_ID: &str = fixtures::LEAD_ID;

async fn store_message(store: &MemoryStore, id: &str, created: &str, text: &str, received_at: u64) {
    let mut message: Value = serde_json::from_str(MESSAGE).unwrap();
    message["message"]["messageID"] = json!(id);
    message["message"]["createTimestamp"] = json!(created);
    message["message"]["text"] = json!(text);
    let raw = serde_json::to_string(&message).unwrap();
    let parsed = InboundMessage::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(store, &parsed, &raw, received_at)
        .await
        .unwrap();
}

async fn store_lead(store: &MemoryStore) {
    let lead = Lead::parse(LEAD.as_bytes()).unwrap();
    ingest::store_parsed(store, &lead, LEAD, 1).await.unwrap();
}

/// The read function over an empty in-memory store, with a settle window of 30 s.
fn deps() -> ReadDeps<MemoryStore> {
    ReadDeps {
        store: MemoryStore::new(),
        pull: PullSettings {
            cursors: CursorKey::new(b"handler tests' key".to_vec()),
            settle: Duration::from_secs(30),
        },
    }
}

async fn read(deps: &ReadDeps<MemoryStore>, gateway: Gateway, lead_id: &str) -> (u16, Value) {
    let response = handle(deps, get_lead(gateway, lead_id)).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap();
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn a_stored_lead_is_answered_as_received_with_its_messages_in_time_order() {
    let deps = deps();
    store_lead(&deps.store).await;
    store_message(&deps.store, "m-late", "1498760400", "Second", 10).await;
    store_message(
        &deps.store,
        "m-early",
        "1498760300",
        "First\nline two 🎨",
        20,
    )
    .await;
    store_message(&deps.store, "m-same-second", "1498760400", "Third", 30).await;
    for gateway in GATEWAYS {
        let (status, body) = read(&deps, gateway, LEAD_ID).await;
        assert_eq!(status, 200, "{gateway:?}");
        assert_eq!(body["lead"], serde_json::from_str::<Value>(LEAD).unwrap());
        assert_eq!(
            body["messages"],
            json!([
                {"direction": "inbound", "id": "m-early", "text": "First\nline two 🎨", "createTimestamp": "1498760300"},
                {"direction": "inbound", "id": "m-late", "text": "Second", "createTimestamp": "1498760400"},
                {"direction": "inbound", "id": "m-same-second", "text": "Third", "createTimestamp": "1498760400"},
            ])
        );
        assert_eq!(body["revisions"], json!([]));
        assert_eq!(body["warnings"], json!([]));
        assert_eq!(body["warningCount"], 0);
    }
}

#[tokio::test]
async fn warnings_are_shown_for_the_lead_and_on_each_message_that_has_some() {
    let deps = deps();
    let metrics = app::metrics::Metrics::off();
    let lead = LEAD.replace("\"95125\"", "\"951\"");
    ingest::ingest::<Lead, _>(&deps.store, &metrics, lead.as_bytes(), 1)
        .await
        .unwrap();
    let mut message: Value = serde_json::from_str(MESSAGE).unwrap();
    message.as_object_mut().unwrap().remove("customerID");
    let message = message.to_string();
    ingest::ingest::<InboundMessage, _>(&deps.store, &metrics, message.as_bytes(), 2)
        .await
        .unwrap();
    store_message(&deps.store, "m-clean", "1498760400", "Clean", 3).await;
    let (status, body) = read(&deps, Gateway::HttpV2, LEAD_ID).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["warnings"],
        json!([{"path": "request.location.zipCode", "reason": "must be a five-digit ZIP code or a ZIP+4"}])
    );
    assert_eq!(body["warningCount"], 1);
    assert_eq!(
        body["messages"][0]["warnings"],
        json!([{"path": "customerID", "reason": "is required"}])
    );
    assert_eq!(body["messages"][1]["id"], "m-clean");
    assert_eq!(body["messages"][1].get("warnings"), None);
}

#[tokio::test]
async fn messages_waiting_for_a_lead_thumbtack_really_sends_become_visible() {
    // A ZIP+4 and empty strings once sent the lead to quarantine, and its messages stayed behind a
    // 404 for ever.
    let deps = deps();
    store_message(&deps.store, "m-1", "1498760300", "Early bird", 5).await;
    let mut lead: Value = serde_json::from_str(LEAD).unwrap();
    lead["request"]["location"]["zipCode"] = json!("95125-4321");
    lead["request"]["title"] = json!("");
    let lead = lead.to_string();
    let metrics = app::metrics::Metrics::off();
    ingest::ingest::<Lead, _>(&deps.store, &metrics, lead.as_bytes(), 6)
        .await
        .unwrap();
    let (status, body) = read(&deps, Gateway::RestV1, LEAD_ID).await;
    assert_eq!(status, 200);
    assert_eq!(body["messages"][0]["id"], "m-1");
    assert_eq!(body["warnings"][0]["path"], "request.title");
}

#[tokio::test]
async fn an_unknown_or_malformed_lead_id_is_404() {
    let deps = deps();
    for lead_id in ["404404", "bad#id"] {
        let (status, body) = read(&deps, Gateway::HttpV2, lead_id).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test]
async fn a_message_that_arrived_before_its_lead_appears_once_the_lead_arrives() {
    let deps = deps();
    store_message(&deps.store, "m-1", "1498760300", "Early bird", 5).await;
    let (status, _) = read(&deps, Gateway::RestV1, LEAD_ID).await;
    assert_eq!(status, 404, "no lead yet");
    store_lead(&deps.store).await;
    let (status, body) = read(&deps, Gateway::RestV1, LEAD_ID).await;
    assert_eq!(status, 200);
    assert_eq!(body["messages"][0]["id"], "m-1");
}

#[tokio::test]
async fn a_revision_of_the_lead_is_listed_beside_the_first_version() {
    let deps = deps();
    store_lead(&deps.store).await;
    let mut changed: Value = serde_json::from_str(LEAD).unwrap();
    changed["price"] = json!("$99");
    let raw = changed.to_string();
    let lead = Lead::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(&deps.store, &lead, &raw, 2)
        .await
        .unwrap();
    let (_, body) = read(&deps, Gateway::HttpV2, LEAD_ID).await;
    assert_eq!(
        body["lead"].get("price"),
        None,
        "the first version stays the record"
    );
    assert_eq!(body["revisions"][0]["of"], "lead");
    assert_eq!(body["revisions"][0]["body"]["price"], "$99");
}

/// Leads `l-1` (oldest) to `l-<count>` of business `b-1`, received long ago (1970: well past the
/// settle window).
async fn store_leads(store: &MemoryStore, count: u64) {
    for n in 1..=count {
        let mut lead: Value = serde_json::from_str(LEAD).unwrap();
        lead["leadID"] = json!(format!("l-{n}"));
        lead["business"]["businessID"] = json!("b-1");
        lead["createTimestamp"] = json!((1_700_000_000 + n).to_string());
        lead["leadType"] = json!("REQUEST_A_QUOTE");
        let raw = lead.to_string();
        let parsed = Lead::parse(raw.as_bytes()).unwrap();
        ingest::store_parsed(store, &parsed, &raw, n).await.unwrap();
    }
}

async fn answer(deps: &ReadDeps<MemoryStore>, request: Request) -> (u16, Value) {
    let response = handle(deps, request).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{response:?}"
    );
    let body = serde_json::from_slice(response.body().as_ref()).unwrap();
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn a_business_leads_are_answered_newest_first_a_page_at_a_time() {
    let deps = deps();
    store_leads(&deps.store, 3).await;
    for gateway in GATEWAYS {
        let (status, first) = answer(
            &deps,
            get_business_leads(gateway, "b-1", &[("limit", "2"), ("since", "1700000001")]),
        )
        .await;
        assert_eq!(status, 200, "{gateway:?}: {first}");
        let ids: Vec<&str> = first["leads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["leadID"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["l-3", "l-2"], "{gateway:?}");
        assert_eq!(
            first["leads"][0],
            json!({
                "leadID": "l-3",
                "businessID": "b-1",
                "contract": "legacy",
                "createTimestamp": 1_700_000_003,
                "receivedAt": "1970-01-01T00:00:00.003Z",
                "category": "Interior Painting",
                "title": "Interior Painting",
                "city": "San Jose",
                "state": "CA",
                "zipCode": "95125",
                "leadType": "REQUEST_A_QUOTE",
                "replySent": false,
            })
        );
        let next = first["next"].as_str().unwrap();
        let (status, second) = answer(
            &deps,
            get_business_leads(
                gateway,
                "b-1",
                &[("limit", "2"), ("since", "1700000001"), ("cursor", next)],
            ),
        )
        .await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["leads"][0]["leadID"], "l-1");
        assert_eq!(second["next"], Value::Null);
    }
}

#[tokio::test]
async fn the_changes_feed_answers_stored_facts_in_order_with_a_cursor_to_go_on() {
    let deps = deps();
    store_leads(&deps.store, 3).await;
    for gateway in GATEWAYS {
        let (status, first) = answer(&deps, get_changes(gateway, &[("limit", "2")])).await;
        assert_eq!(status, 200, "{gateway:?}: {first}");
        let kinds: Vec<(&str, &str)> = first["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["type"].as_str().unwrap(), c["leadID"].as_str().unwrap()))
            .collect();
        assert_eq!(kinds, [("Lead Received", "l-1"), ("Lead Received", "l-2")]);
        let next = first["next"].as_str().unwrap();
        let (_, second) = answer(
            &deps,
            get_changes(gateway, &[("limit", "2"), ("cursor", next)]),
        )
        .await;
        assert_eq!(second["changes"][0]["leadID"], "l-3");
        let next = second["next"].as_str().unwrap();
        let (status, caught_up) = answer(&deps, get_changes(gateway, &[("cursor", next)])).await;
        assert_eq!(status, 200);
        assert_eq!(caught_up["changes"], json!([]));
        assert_eq!(
            caught_up["next"], next,
            "caught up: ask again later with it"
        );
    }
}

/// Reviews `r-1` (oldest `createTime`) to `r-<count>` of business `b-1`, received in the other
/// order, so the list's order is seen to be the reviews' own times.
async fn store_reviews(store: &MemoryStore, count: u64) {
    for n in 1..=count {
        let mut review: Value = serde_json::from_str(fixtures::REVIEW).unwrap();
        review["review"]["reviewID"] = json!(format!("r-{n}"));
        review["review"]["businessID"] = json!("b-1");
        review["review"]["createTime"] = json!(format!("2025-06-0{n}T10:00:00Z"));
        let raw = review.to_string();
        let parsed = ReviewDelivery::parse(raw.as_bytes()).unwrap();
        ingest::store_parsed(store, &parsed, &raw, 100 - n)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_business_reviews_are_answered_newest_first_with_their_words_a_page_at_a_time() {
    let deps = deps();
    store_reviews(&deps.store, 3).await;
    for gateway in GATEWAYS {
        let (status, first) = answer(
            &deps,
            get_business_reviews(gateway, "b-1", &[("limit", "2")]),
        )
        .await;
        assert_eq!(status, 200, "{gateway:?}: {first}");
        let ids: Vec<&str> = first["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reviewID"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["r-3", "r-2"], "{gateway:?}");
        assert_eq!(first["reviews"][0]["rating"], 5);
        assert_eq!(first["reviews"][0]["reviewerName"], "Maria G.");
        let next = first["next"].as_str().unwrap();
        let (status, second) = answer(
            &deps,
            get_business_reviews(gateway, "b-1", &[("limit", "2"), ("cursor", next)]),
        )
        .await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["reviews"][0]["reviewID"], "r-1");
        assert_eq!(second["next"], Value::Null);
        // Another business's cursor, and a bad limit: 400s naming them.
        let (status, refused) = answer(
            &deps,
            get_business_reviews(gateway, "b-2", &[("limit", "0"), ("cursor", next)]),
        )
        .await;
        assert_eq!(status, 400, "{refused}");
        assert_eq!(refused["fields"][0]["path"], "limit");
        let (status, refused) = answer(
            &deps,
            get_business_reviews(gateway, "b-2", &[("cursor", next)]),
        )
        .await;
        assert_eq!(
            (status, &refused["fields"][0]["path"]),
            (400, &json!("cursor"))
        );
    }
}

#[tokio::test]
async fn a_lead_update_shows_in_the_list_and_updates_and_reviews_in_the_changes() {
    let deps = deps();
    store_leads(&deps.store, 1).await;
    let raw = r#"{"leadID": "l-1", "leadPrice": "$14.00", "chargeState": "Charged"}"#;
    let update = LeadUpdate::parse(raw.as_bytes()).unwrap();
    ingest::store_parsed(&deps.store, &update, raw, 2)
        .await
        .unwrap();
    store_reviews(&deps.store, 1).await;

    let (_, leads) = answer(&deps, get_business_leads(Gateway::HttpV2, "b-1", &[])).await;
    assert_eq!(leads["leads"][0]["leadPrice"], "$14.00", "{leads}");
    assert_eq!(leads["leads"][0]["chargeState"], "Charged");
    let (_, feed) = answer(&deps, get_changes(Gateway::HttpV2, &[])).await;
    let kinds: Vec<&str> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Lead Received", "Lead Updated", "Review Received"]);
    let updated = &feed["changes"][1];
    assert_eq!(updated["leadID"], "l-1");
    assert_eq!(updated["leadPrice"], "$14.00");
    assert_eq!(updated["updateID"].as_str().unwrap().len(), 64, "{updated}");
    let reviewed = &feed["changes"][2];
    assert_eq!(reviewed["reviewID"], "r-1");
    assert_eq!(reviewed["businessID"], "b-1");
    assert!(!reviewed.to_string().contains("Maria"), "{reviewed}");
}

#[tokio::test]
async fn bad_parameters_are_400s_that_name_each_of_them() {
    let deps = deps();
    for gateway in GATEWAYS {
        let request = get_business_leads(
            gateway,
            "b-1",
            &[("since", "last week"), ("until", "2"), ("limit", "1000")],
        );
        let (status, body) = answer(&deps, request).await;
        assert_eq!(status, 400, "{gateway:?}: {body}");
        assert_eq!(body["error"], "invalid_parameters");
        assert_eq!(body["message"], "2 problem(s) in the request's parameters");
        assert_eq!(
            body["fields"],
            json!([
                {"path": "since", "reason": "must be unix seconds (digits only)"},
                {"path": "limit", "reason": "must be a whole number from 1 to 100"},
            ])
        );
        assert_eq!(body["fieldCount"], 2);
        let (status, body) = answer(&deps, get_changes(gateway, &[("since", "-1")])).await;
        assert_eq!(status, 400);
        assert_eq!(body["fields"][0]["path"], "since");
        let (status, body) = answer(&deps, get_business_leads(gateway, "b 1", &[])).await;
        assert_eq!(status, 400);
        assert_eq!(body["fields"][0]["path"], "businessID");
    }
}

#[tokio::test]
async fn a_changed_cursor_or_one_of_another_query_is_a_400_naming_cursor() {
    let deps = deps();
    store_leads(&deps.store, 3).await;
    let (_, first) = answer(
        &deps,
        get_business_leads(Gateway::HttpV2, "b-1", &[("limit", "1")]),
    )
    .await;
    let cursor = first["next"].as_str().unwrap().to_owned();
    let mut changed = cursor.clone();
    changed.insert(3, 'x');
    let (_, feed) = answer(&deps, get_changes(Gateway::HttpV2, &[("limit", "1")])).await;
    let feed_cursor = feed["next"].as_str().unwrap().to_owned();
    for request in [
        get_business_leads(Gateway::RestV1, "b-1", &[("cursor", &changed)]),
        get_business_leads(Gateway::HttpV2, "b-2", &[("cursor", &cursor)]),
        get_business_leads(
            Gateway::RestV1,
            "b-1",
            &[("cursor", &cursor), ("until", "9")],
        ),
        get_business_leads(Gateway::HttpV2, "b-1", &[("cursor", &feed_cursor)]),
        get_changes(Gateway::RestV1, &[("cursor", &cursor)]),
        get_changes(Gateway::HttpV2, &[("cursor", &feed_cursor), ("since", "5")]),
    ] {
        let (status, body) = answer(&deps, request).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body["fields"],
            json!([{"path": "cursor", "reason": "was not issued for this query, or was changed"}])
        );
    }
}

#[tokio::test]
async fn a_route_the_read_function_does_not_serve_is_404() {
    let deps = deps();
    for gateway in GATEWAYS {
        for path in ["/v1/businesses", "/v1/changes/all", "/v2/changes"] {
            let (status, body) = answer(&deps, get(gateway, path, path, &[], &[])).await;
            assert_eq!(
                (status, &body["error"]),
                (404, &json!("not_found")),
                "{path}"
            );
        }
    }
}

fn get_settings(gateway: Gateway, business_id: &str) -> Request {
    get(
        gateway,
        "/v1/businesses/{businessID}/settings",
        &format!("/v1/businesses/{business_id}/settings"),
        &[("businessID", business_id)],
        &[],
    )
}

#[tokio::test]
async fn a_business_never_configured_gets_the_defaults_and_put_takes_the_same_document_back() {
    let deps = deps();
    for (gateway, business) in GATEWAYS.into_iter().zip(["b-1", "b-2"]) {
        let (status, defaults) = answer(&deps, get_settings(gateway, business)).await;
        assert_eq!(status, 200, "{defaults}");
        assert_eq!(defaults["configured"], false);
        assert_eq!(defaults["autoAcknowledgement"]["enabled"], false);
        assert!(
            defaults["autoAcknowledgement"]["template"]
                .as_str()
                .unwrap()
                .contains("{customerFirstName}")
        );
        assert_eq!(defaults["templateVariables"].as_array().unwrap().len(), 3);

        let mut changed = defaults.clone();
        changed["autoAcknowledgement"]["enabled"] = json!(true);
        changed["unansweredAfterMinutes"] = json!(15);
        let body = serde_json::to_vec(&changed).unwrap();
        let request = http_api::testing::put_business_settings(gateway, business, &body);
        let (status, saved) = answer(&deps, request).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["configured"], true);
        let (_, read_back) = answer(&deps, get_settings(gateway, business)).await;
        assert_eq!(read_back["autoAcknowledgement"]["enabled"], true);
        assert_eq!(read_back["unansweredAfterMinutes"], 15);
    }
}

#[tokio::test]
async fn settings_with_an_unknown_variable_get_400_naming_the_field_and_change_nothing() {
    let deps = deps();
    let (_, mut doc) = answer(&deps, get_settings(Gateway::HttpV2, "b-1")).await;
    doc["autoAcknowledgement"]["template"] = json!("Hello {name}");
    doc["quietHours"]["timeZone"] = json!("Nowhere/Special");
    let body = serde_json::to_vec(&doc).unwrap();
    let request = http_api::testing::put_business_settings(Gateway::RestV1, "b-1", &body);
    let (status, refused) = answer(&deps, request).await;
    assert_eq!(status, 400, "{refused}");
    let paths: Vec<&str> = refused["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["autoAcknowledgement.template", "quietHours.timeZone"]
    );
    let (_, after) = answer(&deps, get_settings(Gateway::HttpV2, "b-1")).await;
    assert_eq!(after["configured"], false);
}

#[tokio::test]
async fn the_stats_count_leads_and_replies_and_refuse_a_window_out_of_bounds() {
    let deps = deps();
    let now_s = app::now_millis() / 1000;
    for n in 0..3u64 {
        let mut lead: Value = serde_json::from_str(LEAD).unwrap();
        lead["leadID"] = json!(format!("s-{n}"));
        lead["business"]["businessID"] = json!("b-s");
        lead["createTimestamp"] = json!((now_s - 3600 * (n + 1)).to_string());
        let raw = lead.to_string();
        let parsed = Lead::parse(raw.as_bytes()).unwrap();
        ingest::store_parsed(&deps.store, &parsed, &raw, (now_s - 3600 * (n + 1)) * 1000)
            .await
            .unwrap();
        // Counted as speed to lead counts it: once, however often its event comes.
        for _ in 0..2 {
            app::ports::StatsDesk::count_lead(&deps.store, &format!("s-{n}"))
                .await
                .unwrap();
        }
    }
    // s-0 answered by the acknowledgement after 10 s and by a person after an hour, s-1 by a
    // person after 2 hours.
    use app::ports::ReplyLedger;
    deps.store
        .first_reply("s-0", true, (now_s - 3600) * 1000 + 10_000)
        .await
        .unwrap();
    deps.store
        .first_reply("s-0", false, (now_s - 3600) * 1000 + 3_600_000)
        .await
        .unwrap();
    deps.store
        .first_reply("s-1", false, (now_s - 7200) * 1000 + 7_200_000)
        .await
        .unwrap();
    let request = get(
        Gateway::HttpV2,
        "/v1/businesses/{businessID}/stats",
        "/v1/businesses/b-s/stats",
        &[("businessID", "b-s")],
        &[("days", "7")],
    );
    let (status, stats) = answer(&deps, request).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["leads"], 3);
    assert_eq!(stats["leadsReplied"], 2);
    assert_eq!(stats["medianFirstReplySeconds"], 10);
    assert_eq!(stats["p90FirstReplySeconds"], 7200);
    assert_eq!(stats["automaticFirstReplies"], 1);
    assert_eq!(stats["humanFirstReplies"], 1);
    // A person's replies alone: what Lead Unanswered watches.
    assert_eq!(stats["leadsRepliedByPerson"], 2);
    assert_eq!(stats["medianFirstPersonReplySeconds"], 3600);
    assert_eq!(stats["p90FirstPersonReplySeconds"], 7200);
    let bad = get(
        Gateway::RestV1,
        "/v1/businesses/{businessID}/stats",
        "/v1/businesses/b-s/stats",
        &[("businessID", "b-s")],
        &[("days", "365")],
    );
    let (status, refused) = answer(&deps, bad).await;
    assert_eq!(
        (status, &refused["fields"][0]["path"]),
        (400, &json!("days"))
    );
}
