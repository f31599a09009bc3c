//! Refused deliveries counted in the table (issue 13, item 6): a count per minute and kind, no
//! body, kept 14 days by TTL, listed newest first by the adapter and by `partnerctl refused`.

use crate::support::*;
use app::ports::{Refusal, RefusalLog, RefusalReason, Route};
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use http_api::testing::{Encoding, Gateway, basic, post};
use std::collections::HashMap;

/// The start of the current minute, in unix ms: a test's refusals stay in one minute.
fn this_minute() -> u64 {
    let now = app::now_millis();
    now - now % 60_000
}

fn wrong_password(at_ms: u64) -> Refusal {
    Refusal {
        at_ms,
        route: Route::Lead,
        reason: RefusalReason::WrongCredentials,
    }
}

async fn refused_items(table: &TestTable) -> Vec<HashMap<String, AttributeValue>> {
    table
        .all_items()
        .await
        .into_iter()
        .filter(|item| item["PK"].as_s().unwrap() == "REFUSED")
        .collect()
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> u64 {
    item[name].as_n().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_flood_of_401s_within_a_minute_is_one_item_with_its_count_kept_fourteen_days() {
    let table = fresh_table().await;
    let minute = this_minute();
    // One a second: under the per-process cap, so every one is written.
    for second in 0..8 {
        table
            .store
            .record(&wrong_password(minute + second * 1000 + 7))
            .await
            .unwrap();
    }
    let items = refused_items(&table).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(number(item, "count"), 8);
    assert_eq!(number(item, "httpStatus"), 401);
    assert_eq!(item["reason"].as_s().unwrap(), "wrong_credentials");
    assert_eq!(item["route"].as_s().unwrap(), "lead");
    assert_eq!(item["credentialsPresented"].as_bool().unwrap(), &true);
    assert_eq!(number(item, "firstReceivedAt"), minute + 7);
    assert_eq!(number(item, "lastReceivedAt"), minute + 7_007);
    // TTL is in seconds: 14 days after the last refusal counted.
    let now_seconds = app::now_millis() / 1000;
    let expires = number(item, "expiresAt");
    assert_eq!(expires, (minute + 7_007) / 1000 + 14 * 86_400);
    assert!(
        expires.abs_diff(now_seconds + 14 * 86_400) < 120,
        "{expires}"
    );
    let mut attributes: Vec<&str> = item.keys().map(String::as_str).collect();
    attributes.sort_unstable();
    assert_eq!(
        attributes,
        [
            "PK",
            "SK",
            "count",
            "credentialsPresented",
            "expiresAt",
            "firstReceivedAt",
            "httpStatus",
            "lastReceivedAt",
            "reason",
            "route",
            "type"
        ],
        "nothing else: no body, no credentials, no address"
    );
    let listed = table.store.refusals(10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].count, 8);
    assert_eq!(listed[0].minute, Refusal::minute(&wrong_password(minute)));
}

#[tokio::test]
async fn over_the_cap_a_flood_is_held_back_and_counted_by_the_next_write_of_its_kind() {
    let table = fresh_table().await;
    let minute = this_minute();
    for _ in 0..12 {
        table.store.record(&wrong_password(minute)).await.unwrap();
    }
    let items = refused_items(&table).await;
    let written = number(&items[0], "count");
    assert!(written < 12, "the cap held some back: {written}");
    table
        .store
        .record(&wrong_password(minute + 1_000))
        .await
        .unwrap();
    let items = refused_items(&table).await;
    assert_eq!(items.len(), 1);
    assert_eq!(number(&items[0], "count"), 13, "every refusal counted");
}

#[tokio::test]
async fn the_listing_is_newest_minute_first_and_stops_at_the_limit() {
    let table = fresh_table().await;
    let minute = this_minute();
    let kinds = [
        (
            minute - 120_000,
            Route::Message,
            RefusalReason::MissingCredentials,
        ),
        (
            minute - 60_000,
            Route::Review,
            RefusalReason::PayloadTooLarge,
        ),
        (
            minute,
            Route::LeadUpdate,
            RefusalReason::Invalid(models::InvalidKind::NotJson),
        ),
    ];
    for (at_ms, route, reason) in kinds {
        let refusal = Refusal {
            at_ms,
            route,
            reason,
        };
        table.store.record(&refusal).await.unwrap();
    }
    let listed = table.store.refusals(2).await.unwrap();
    let seen: Vec<(&str, u16, &str, bool)> = listed
        .iter()
        .map(|c| {
            (
                c.route.as_str(),
                c.status,
                c.reason.as_str(),
                c.credentials_presented,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("lead-update", 400, "invalid_json", true),
            ("review", 413, "payload_too_large", true)
        ]
    );
}

#[tokio::test]
async fn refused_deliveries_through_the_handlers_are_counted_and_stored_ones_are_not() {
    let (table, deps) = inbound_deps().await;
    let wrong = basic(USERNAME, "WRONG-PW-7310");
    let good = basic(USERNAME, PASSWORD);
    for (path, body, authorization, status) in [
        ("/v1/lead", LEAD, Some(&wrong), 401),
        ("/v1/lead", LEAD, None, 401),
        ("/v1/lead", LEAD, Some(&good), 200),
        ("/v1/message", "{}", Some(&good), 400),
    ] {
        let request = post(
            Gateway::HttpV2,
            path,
            body.as_bytes(),
            Encoding::Text,
            authorization.map(String::as_str),
        );
        let response = if path == "/v1/lead" {
            lead_inbound::handler::handle(&deps, request).await
        } else {
            message_inbound::handler::handle(&deps, request).await
        };
        assert_eq!(response.status(), status, "{path}");
    }
    let mut counted: Vec<(String, u16, String, u64)> = table
        .store
        .refusals(10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.route, c.status, c.reason, c.count))
        .collect();
    counted.sort();
    // Refusals straddling a minute would be two items of one kind: compare the kinds.
    counted.dedup_by(|a, b| (&a.0, a.1, &a.2) == (&b.0, b.1, &b.2));
    let kinds: Vec<(&str, u16, &str)> = counted
        .iter()
        .map(|(route, status, reason, _)| (route.as_str(), *status, reason.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("lead", 401, "missing_credentials"),
            ("lead", 401, "wrong_credentials"),
            ("message", 400, "invalid_fields"),
        ]
    );
    let trace = format!("{:?}", refused_items(&table).await);
    for secret in ["WRONG-PW-7310", PASSWORD, "Jay", LEAD_ID] {
        assert!(!trace.contains(secret), "{secret} in {trace}");
    }
}

#[tokio::test]
async fn a_provisioned_table_expires_items_by_their_expires_at() {
    let table = fresh_table().await;
    let described = aws_sdk_dynamodb::Client::new(&sdk().await)
        .describe_time_to_live()
        .table_name(&table.name)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(
        described.time_to_live_status,
        Some(TimeToLiveStatus::Enabled)
    );
    assert_eq!(
        described.attribute_name.as_deref(),
        Some(adapters::dynamo::schema::TTL_ATTRIBUTE)
    );
}

#[tokio::test]
async fn partnerctl_refused_lists_the_counts_newest_first() {
    let table = fresh_table().await;
    // 2026-11-27T09:30 and 09:31 (UTC).
    let at = 1_795_771_800_000;
    for second in 0..3 {
        table
            .store
            .record(&wrong_password(at + second * 1000))
            .await
            .unwrap();
    }
    let missing = Refusal {
        at_ms: at + 60_000,
        route: Route::Review,
        reason: RefusalReason::MissingCredentials,
    };
    table.store.record(&missing).await.unwrap();

    let all = partnerctl(&table.name, &["refused"]);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(
        lines,
        [
            "2 refusal count(s), newest minute first (kept 14 days)",
            "2026-11-27T09:31  review       401  missing_credentials    credentials=no   count=1",
            "2026-11-27T09:30  lead         401  wrong_credentials      credentials=yes  count=3",
        ],
        "{all}"
    );
    let newest = partnerctl(&table.name, &["refused", "--limit", "1"]);
    assert_eq!(newest.lines().count(), 2, "{newest}");
    assert!(newest.contains("09:31"), "{newest}");
}
