//! The DynamoDB adapter against the emulator.

use crate::support::*;
use adapters::DynamoStore;
use app::ports::{
    CreatedWindow, Cursor, Insert, Listings, NewLead, NewMessage, NewRevision, QuarantineDesk,
    Quarantined, Route,
};
use app::{LeadStore, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use models::{FieldProblem, InboundMessage, Lead, Problems, RevisionOf};
use serde_json::json;

fn lead_with(id: &str, business: &str, created: &str) -> (Lead, String) {
    let raw = with_field(LEAD, "/leadID", json!(id));
    let raw = with_field(&raw, "/business/businessID", json!(business));
    let raw = with_field(&raw, "/createTimestamp", json!(created));
    (Lead::parse(raw.as_bytes()).unwrap().value, raw)
}

#[tokio::test]
async fn a_lead_is_inserted_once_and_the_second_insert_returns_the_stored_body() {
    let table = fresh_table().await;
    let store = &table.store;
    let lead = Lead::parse(LEAD.as_bytes()).unwrap().value;
    let new = NewLead {
        lead: &lead,
        warnings: &Problems::NONE,
        raw: LEAD,
        marks: models::v4::stored::marks(LEAD),
        received_at_ms: 1,
    };
    assert_eq!(store.insert_lead(new).await.unwrap(), Insert::Created);
    let other_raw = LEAD.replace("Jay J.", "Jay K.");
    let again = NewLead {
        lead: &lead,
        warnings: &Problems::NONE,
        raw: &other_raw,
        marks: models::v4::stored::marks(&other_raw),
        received_at_ms: 2,
    };
    assert_eq!(
        store.insert_lead(again).await.unwrap(),
        Insert::Exists {
            raw: LEAD.to_owned()
        }
    );
    assert_eq!(table.all_items().await.len(), 1);
}

#[tokio::test]
async fn a_lead_item_carries_its_typed_fields_beside_the_raw_body() {
    let table = fresh_table().await;
    let store = &table.store;
    let lead = Lead::parse(LEAD.as_bytes()).unwrap().value;
    store
        .insert_lead(NewLead {
            lead: &lead,
            warnings: &Problems::NONE,
            raw: LEAD,
            marks: models::v4::stored::marks(LEAD),
            received_at_ms: 42,
        })
        .await
        .unwrap();
    let item = table.all_items().await.pop().unwrap();
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    assert_eq!(s("PK").as_deref(), Some("LEAD#299614694480093245"));
    assert_eq!(s("SK").as_deref(), Some("LEAD"));
    assert_eq!(s("businessID").as_deref(), Some("286845156044809661"));
    assert_eq!(s("zipCode").as_deref(), Some("95125"));
    assert_eq!(s("raw").as_deref(), Some(LEAD));
    assert_eq!(
        item.get("createTimestamp"),
        Some(&AttributeValue::N("1498760294".into()))
    );
    assert_eq!(
        item.get("receivedAt"),
        Some(&AttributeValue::N("42".into()))
    );
    assert!(
        !item.contains_key("name"),
        "the customer's name stays inside the raw body only"
    );
}

#[tokio::test]
async fn a_lead_type_is_copied_onto_the_item_when_it_is_a_string_and_cut_like_the_other_copies() {
    let table = fresh_table().await;
    let long = "A".repeat(300);
    for (id, lead_type) in [
        ("typed", json!("INSTANT_BOOK")),
        ("long", json!(long)),
        ("numbered", json!(3)),
    ] {
        let raw = with_field(LEAD, "/leadID", json!(id));
        let raw = with_field(&raw, "/leadType", lead_type);
        let lead = Lead::parse(raw.as_bytes()).unwrap().value;
        table
            .store
            .insert_lead(NewLead {
                lead: &lead,
                warnings: &Problems::NONE,
                raw: &raw,
                marks: models::v4::stored::marks(&raw),
                received_at_ms: 1,
            })
            .await
            .unwrap();
    }
    let items = table.all_items().await;
    let lead_type = |id: &str| {
        let item = items
            .iter()
            .find(|item| item.get("leadID").and_then(|v| v.as_s().ok()) == Some(&id.to_owned()))
            .unwrap();
        item.get("leadType").map(|v| v.as_s().unwrap().clone())
    };
    assert_eq!(lead_type("typed").as_deref(), Some("INSTANT_BOOK"));
    assert_eq!(
        lead_type("long").map(|t| t.len()),
        Some(adapters::dynamo::MAX_COPIED_BYTES)
    );
    assert_eq!(lead_type("numbered"), None);
}

#[tokio::test]
async fn the_conversation_query_returns_the_lead_its_messages_and_revisions_in_one_call() {
    let store = fresh_store().await;
    let message_raw = MESSAGE.to_owned();
    let message = InboundMessage::parse(message_raw.as_bytes()).unwrap().value;
    store
        .insert_message(NewMessage {
            message: &message,
            warnings: &Problems::NONE,
            raw: &message_raw,
            received_at_ms: 5,
        })
        .await
        .unwrap();
    let before = store.conversation(LEAD_ID).await.unwrap();
    assert_eq!(before.lead_raw, None);
    assert_eq!(
        before.messages.len(),
        1,
        "a message may arrive before its lead"
    );

    let lead = Lead::parse(LEAD.as_bytes()).unwrap().value;
    store
        .insert_lead(NewLead {
            lead: &lead,
            warnings: &Problems::NONE,
            raw: LEAD,
            marks: models::v4::stored::marks(LEAD),
            received_at_ms: 6,
        })
        .await
        .unwrap();
    store
        .insert_revision(NewRevision {
            lead_id: Some(LEAD_ID),
            business_id: fixtures::BUSINESS_ID,
            of: RevisionOf::Lead,
            id: LEAD_ID,
            digest: "abc",
            raw: "{\"changed\":true}",
            received_at_ms: 7,
        })
        .await
        .unwrap();
    let after = store.conversation(LEAD_ID).await.unwrap();
    assert_eq!(after.lead_raw.as_deref(), Some(LEAD));
    assert_eq!(after.messages[0].message_id, "8699842694484326245");
    assert_eq!(after.messages[0].raw, MESSAGE);
    assert_eq!(after.revisions.len(), 1);
    assert_eq!(after.revisions[0].of, RevisionOf::Lead);
}

#[tokio::test]
async fn a_conversation_larger_than_one_query_page_is_read_whole() {
    let store = fresh_store().await;
    // About 1.3 MB of messages: DynamoDB pages at 1 MB, so this needs two pages.
    let text = "x".repeat(60_000);
    for index in 0..22 {
        let raw = with_field(
            MESSAGE,
            "/message/messageID",
            json!(format!("m-{index:02}")),
        );
        let raw = with_field(&raw, "/message/text", json!(text));
        let message = InboundMessage::parse(raw.as_bytes()).unwrap().value;
        store
            .insert_message(NewMessage {
                message: &message,
                warnings: &Problems::NONE,
                raw: &raw,
                received_at_ms: index,
            })
            .await
            .unwrap();
    }
    assert_eq!(
        store.conversation(LEAD_ID).await.unwrap().messages.len(),
        22
    );
}

#[tokio::test]
async fn a_business_leads_are_listed_newest_first_from_the_index() {
    let store = fresh_store().await;
    for (id, business, created) in [
        ("lead-a", "biz-1", "1700000100"),
        ("lead-b", "biz-1", "1700000300"),
        ("lead-c", "biz-2", "1700000400"),
        ("lead-d", "biz-1", "1700000200"),
    ] {
        let (lead, raw) = lead_with(id, business, created);
        store
            .insert_lead(NewLead {
                lead: &lead,
                warnings: &Problems::NONE,
                raw: &raw,
                marks: models::v4::stored::marks(&raw),
                received_at_ms: 1,
            })
            .await
            .unwrap();
    }
    let ids: Vec<String> = store
        .business_leads("biz-1", CreatedWindow::default(), 10, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|l| l.lead_id)
        .collect();
    assert_eq!(ids, ["lead-b", "lead-d", "lead-a"]);
    let first = store
        .business_leads("biz-1", CreatedWindow::default(), 2, None)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
}

#[tokio::test]
async fn a_business_leads_come_a_page_at_a_time_and_the_pages_list_each_once() {
    let store = fresh_store().await;
    for n in 1..=5 {
        let (lead, raw) = lead_with(&format!("lead-{n}"), "biz-p", &format!("170000000{n}"));
        store
            .insert_lead(NewLead {
                lead: &lead,
                warnings: &Problems::NONE,
                raw: &raw,
                marks: models::v4::stored::marks(&raw),
                received_at_ms: 1,
            })
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    let mut after: Option<Cursor> = None;
    let mut pages = 0;
    loop {
        let page = store
            .business_leads("biz-p", CreatedWindow::default(), 2, after.as_ref())
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        ids.extend(page.items.into_iter().map(|l| l.lead_id));
        pages += 1;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(pages < 10, "the pages end");
    }
    assert_eq!(ids, ["lead-5", "lead-4", "lead-3", "lead-2", "lead-1"]);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn quarantined_payloads_come_a_page_at_a_time_newest_first() {
    let store = fresh_store().await;
    for (digest, received_at_ms) in [("q1", 10), ("q2", 20), ("q3", 30)] {
        store
            .quarantine(Quarantined {
                route: Route::Lead,
                digest,
                raw: b"{}",
                problems: &Problems::NONE,
                received_at_ms,
            })
            .await
            .unwrap();
    }
    let first = store.list_quarantine(2, None).await.unwrap();
    let digests: Vec<&str> = first.items.iter().map(|r| r.digest.as_str()).collect();
    assert_eq!(digests, ["q3", "q2"]);
    let second = store.list_quarantine(2, first.next.as_ref()).await.unwrap();
    let digests: Vec<&str> = second.items.iter().map(|r| r.digest.as_str()).collect();
    assert_eq!(digests, ["q1"]);
    assert_eq!(second.next, None);
}

#[tokio::test]
async fn a_cursor_that_the_store_did_not_give_is_refused() {
    let store = fresh_store().await;
    for garbage in ["", "not base64 at all!", "bm90IGEga2V5"] {
        let error = store
            .business_leads(
                "biz-1",
                CreatedWindow::default(),
                2,
                Some(&Cursor(garbage.to_owned())),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::UnreadablePosition),
            "{garbage:?}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_quarantined_payload_is_kept_byte_for_byte_and_counts_redeliveries() {
    let store = fresh_store().await;
    let raw: &[u8] = b"{\"leadID\": 5, \xff binary tail";
    let problems = vec![FieldProblem {
        path: "$".into(),
        reason: "the request body is not valid JSON".into(),
    }];
    for received_at_ms in [10, 20, 30] {
        store
            .quarantine(Quarantined {
                route: Route::Lead,
                digest: "d1",
                raw,
                problems: &Problems::from(problems.clone()),
                received_at_ms,
            })
            .await
            .unwrap();
    }
    store
        .quarantine(Quarantined {
            route: Route::Message,
            digest: "d2",
            raw: b"{}",
            problems: &Problems::from(problems.clone()),
            received_at_ms: 40,
        })
        .await
        .unwrap();
    let listed = store.list_quarantine(10, None).await.unwrap().items;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].route, "message", "newest first");
    let lead = &listed[1];
    assert_eq!(lead.raw, raw);
    assert_eq!(lead.deliveries, 3);
    assert_eq!(lead.first_received_at_ms, 10);
    assert_eq!(lead.last_received_at_ms, 30);
    assert_eq!(lead.problems, Problems::from(problems));
    assert_eq!(lead.digest, "d1");
}

/// Issue 19, item 3: a storm of redeliveries of a refused payload writes the one `QUARANTINE`
/// partition of GSI1 only at its first receipt; the counters change on the table's record alone.
#[tokio::test]
async fn a_redelivery_of_a_quarantined_payload_leaves_its_index_entry_as_it_was() {
    let table = fresh_table().await;
    let store = &table.store;
    let problems = Problems::from(vec![FieldProblem {
        path: "leadID".into(),
        reason: "is required".into(),
    }]);
    let deliver = |received_at_ms| Quarantined {
        route: Route::Lead,
        digest: "storm",
        raw: b"{\"createTimestamp\": 5}",
        problems: &problems,
        received_at_ms,
    };
    store.quarantine(deliver(100)).await.unwrap();
    let first = table.index_partition("QUARANTINE").await;
    assert_eq!(first.len(), 1);
    for received_at_ms in [200, 300, 400] {
        store.quarantine(deliver(received_at_ms)).await.unwrap();
    }
    assert_eq!(table.index_partition("QUARANTINE").await, first);
    // The listing still counts every delivery, from the table.
    let listed = store.list_quarantine(10, None).await.unwrap().items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].deliveries, 4);
    assert_eq!(listed[0].first_received_at_ms, 100);
    assert_eq!(listed[0].last_received_at_ms, 400);
}

#[tokio::test]
async fn a_body_at_the_size_limit_fits_in_one_item_with_its_fields() {
    let store = fresh_store().await;
    let filler = "é".repeat(1000);
    let mut raw = with_field(LEAD, "/request/description", json!(""));
    let room = http_api::MAX_BODY_BYTES - raw.len();
    raw = with_field(
        LEAD,
        "/request/description",
        json!(filler.repeat(room / filler.len())),
    );
    assert!(raw.len() <= http_api::MAX_BODY_BYTES && raw.len() > http_api::MAX_BODY_BYTES - 3000);
    let lead = Lead::parse(raw.as_bytes()).unwrap().value;
    assert_eq!(
        store
            .insert_lead(NewLead {
                lead: &lead,
                warnings: &Problems::NONE,
                raw: &raw,
                marks: models::v4::stored::marks(&raw),
                received_at_ms: 1
            })
            .await
            .unwrap(),
        Insert::Created
    );
    // The same size refused as invalid still fits in a quarantine record, with many problems.
    let problems: Vec<FieldProblem> = (0..5000)
        .map(|i| FieldProblem {
            path: format!("request.details[{i}].answer"),
            reason: "is required".into(),
        })
        .collect();
    store
        .quarantine(Quarantined {
            route: Route::Lead,
            digest: "big",
            raw: raw.as_bytes(),
            problems: &Problems::from(problems.clone()),
            received_at_ms: 1,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_missing_table_is_a_permanent_storage_error() {
    let sdk = sdk().await;
    let store = DynamoStore::from_config(&sdk, unique_name("never-created"));
    let lead = Lead::parse(LEAD.as_bytes()).unwrap().value;
    let error = store
        .insert_lead(NewLead {
            lead: &lead,
            warnings: &Problems::NONE,
            raw: LEAD,
            marks: models::v4::stored::marks(LEAD),
            received_at_ms: 1,
        })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error:?}");
}

#[tokio::test]
async fn an_unreachable_database_is_a_transient_storage_error() {
    let sdk = sdk().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(closed_port_url())
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "any");
    let lead = Lead::parse(LEAD.as_bytes()).unwrap().value;
    let error = store
        .insert_lead(NewLead {
            lead: &lead,
            warnings: &Problems::NONE,
            raw: LEAD,
            marks: models::v4::stored::marks(LEAD),
            received_at_ms: 1,
        })
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
}

/// A loopback URL where nothing listens (the port was bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn the_index_carries_what_the_listings_read_and_no_body() {
    use adapters::dynamo::schema::{GSI1_PK, GSI1_PROJECTED, GSI1_SK, PK, SK};
    let table = fresh_table().await;
    let store = &table.store;
    let (lead, raw) = lead_with("idx-1", "biz-idx", "1700000000");
    store
        .insert_lead(NewLead {
            lead: &lead,
            warnings: &Problems::NONE,
            raw: &raw,
            marks: models::v4::stored::marks(&raw),
            received_at_ms: 5,
        })
        .await
        .unwrap();
    let problems = vec![FieldProblem {
        path: "leadID".into(),
        reason: "must be a string".into(),
    }];
    store
        .quarantine(Quarantined {
            route: Route::Lead,
            digest: "idx",
            raw: b"{\"leadID\": 5}",
            problems: &Problems::from(problems.clone()),
            received_at_ms: 6,
        })
        .await
        .unwrap();
    let keys = [PK, SK, GSI1_PK, GSI1_SK];
    for partition in ["BUSINESS#biz-idx", "QUARANTINE"] {
        let items = table.index_partition(partition).await;
        assert_eq!(items.len(), 1, "{partition}");
        for attribute in items[0].keys() {
            assert!(
                keys.contains(&attribute.as_str()) || GSI1_PROJECTED.contains(&attribute.as_str()),
                "{partition}: the index copies {attribute}"
            );
        }
        assert!(!items[0].contains_key("raw"));
    }
    // What the operator sees is whole all the same: the body and problems come from the table.
    let listed = store.list_quarantine(1, None).await.unwrap().items;
    assert_eq!(listed[0].raw, b"{\"leadID\": 5}");
    assert_eq!(listed[0].problems, Problems::from(problems));
    assert_eq!(listed[0].deliveries, 1);
    let leads = store
        .business_leads("biz-idx", CreatedWindow::default(), 5, None)
        .await
        .unwrap()
        .items;
    assert_eq!(leads[0].lead_id, "idx-1");
}

#[tokio::test]
async fn the_store_check_passes_while_its_table_exists_and_fails_once_it_is_dropped() {
    let sdk = sdk().await;
    let table = unique_name("check");
    adapters::provision::ensure_table(&sdk, &table)
        .await
        .unwrap();
    let store = DynamoStore::from_config(&sdk, &table);
    store.check().await.unwrap();
    adapters::provision::drop_table(&sdk, &table).await;
    let error = store.check().await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error:?}");
}
