//! The two later calls: a lead update (its price) and a review. Only their keys refuse them.
#![allow(clippy::unwrap_used)]

use models::{LeadUpdate, Patch, ReviewDelivery};
use serde_json::{Value, json};

fn edited(source: &str, pointer: &str, value: Option<Value>) -> Vec<u8> {
    let mut document: Value = serde_json::from_str(source).unwrap();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = document
        .pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap();
    match value {
        Some(value) => {
            object.insert(key.to_owned(), value);
        }
        None => {
            object.remove(key);
        }
    }
    serde_json::to_vec(&document).unwrap()
}

#[test]
fn the_sample_lead_update_parses_without_warnings() {
    let parsed = LeadUpdate::parse(fixtures::LEAD_UPDATE.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.value.lead_id, "437282017264173057");
    assert_eq!(parsed.value.lead_price.as_deref(), Patch::Set("$25.00"));
    assert_eq!(parsed.value.charge_state.as_deref(), Patch::Set("Charged"));
}

#[test]
fn a_lead_update_without_a_lead_id_is_refused_and_a_price_of_the_wrong_type_is_a_warning() {
    let invalid = LeadUpdate::parse(&edited(fixtures::LEAD_UPDATE, "/leadID", None)).unwrap_err();
    assert_eq!(invalid.paths(), ["leadID"]);
    let parsed = LeadUpdate::parse(&edited(
        fixtures::LEAD_UPDATE,
        "/leadPrice",
        Some(json!(25)),
    ))
    .unwrap();
    assert_eq!(parsed.warnings.paths(), ["leadPrice"]);
    let parsed = LeadUpdate::parse(&edited(
        fixtures::LEAD_UPDATE,
        "/chargeState",
        Some(Value::Null),
    ))
    .unwrap();
    assert!(parsed.warnings.is_empty(), "chargeState may be null");
}

#[test]
fn the_sample_review_parses_without_warnings() {
    let parsed = ReviewDelivery::parse(fixtures::REVIEW.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let review = parsed.value.review;
    assert_eq!(review.review_id, "441190338474795011");
    assert_eq!(review.lead_id.as_deref(), Some("437282017264173057"));
    assert_eq!(review.rating, Some(5));
    assert_eq!(review.verified, Some(true));
    assert_eq!(review.photo_count, 1);
    assert_eq!(review.create_time.as_deref(), Some("2025-06-09T15:04:05Z"));
    assert_eq!(
        parsed.value.review_event_type.as_deref(),
        Some("REVIEW_ADDED")
    );
}

#[test]
fn a_review_is_refused_only_without_its_review_or_business_id() {
    for (pointer, path) in [
        ("/review/reviewID", "review.reviewID"),
        ("/review/businessID", "review.businessID"),
    ] {
        let invalid = ReviewDelivery::parse(&edited(fixtures::REVIEW, pointer, None)).unwrap_err();
        assert_eq!(invalid.paths(), [path]);
    }
    let invalid = ReviewDelivery::parse(b"{\"reviewEventType\": \"REVIEW_ADDED\"}").unwrap_err();
    assert_eq!(invalid.paths(), ["review"]);
}

#[test]
fn a_review_field_missing_or_of_the_wrong_form_is_a_warning() {
    let cases = [
        ("/review/rating", Some(json!(7)), "review.rating"),
        ("/review/rating", Some(json!(4.5)), "review.rating"),
        ("/review/rating", None, "review.rating"),
        ("/review/verified", Some(json!("yes")), "review.verified"),
        ("/review/leadID", Some(json!("a b")), "review.leadID"),
        ("/review/createTime", Some(json!("")), "review.createTime"),
        ("/review/createTime", Some(json!(1.5)), "review.createTime"),
        ("/review/photos", Some(json!("a.jpg")), "review.photos"),
        ("/review/text", Some(json!(5)), "review.text"),
        ("/reviewEventType", None, "reviewEventType"),
    ];
    for (pointer, value, path) in cases {
        let parsed = ReviewDelivery::parse(&edited(fixtures::REVIEW, pointer, value.clone()))
            .unwrap_or_else(|refused| panic!("{pointer}={value:?}: {refused:?}"));
        assert_eq!(parsed.warnings.paths(), [path], "{pointer}={value:?}");
    }
    let parsed = ReviewDelivery::parse(&edited(
        fixtures::REVIEW,
        "/review/createTime",
        Some(json!(1749481445)),
    ))
    .unwrap();
    assert_eq!(
        parsed.value.review.create_time.as_deref(),
        Some("1749481445")
    );
    let parsed = ReviewDelivery::parse(&edited(fixtures::REVIEW, "/review/leadID", None)).unwrap();
    assert!(parsed.warnings.is_empty(), "a review need not name a lead");
}

#[test]
fn a_review_create_time_that_is_no_time_or_out_of_range_is_a_warning_and_not_kept() {
    for bad in [
        json!("2026-13-01T00:00:00Z"),
        json!("2026-02-30T00:00:00Z"),
        json!("yesterday-ish"),
        json!("2026-01-01T00:00:00 or so"),
        json!("2026-01-01T00:00:00+5:00"),
        json!("1749481445000"),
        json!(1_749_481_445_000_u64),
        json!("18446744073709551615"),
        json!(18_446_744_073_709_551_615_u64),
        json!("+1749481445"),
    ] {
        for parse in [ReviewDelivery::parse, ReviewDelivery::parse_by_walking] {
            let body = edited(fixtures::REVIEW, "/review/createTime", Some(bad.clone()));
            let parsed = parse(&body).unwrap_or_else(|refused| panic!("{bad}: {refused:?}"));
            assert_eq!(parsed.warnings.paths(), ["review.createTime"], "{bad}");
            assert_eq!(parsed.value.review.create_time, None, "{bad}");
        }
    }
    for good in [
        json!("2025-06-09T15:04:05Z"),
        json!("2025-06-09T17:04:05.250+02:00"),
        json!("2024-02-29T00:00:00Z"),
        json!("1749481445"),
        json!(1_749_481_445),
        json!("253402300799"),
    ] {
        let body = edited(fixtures::REVIEW, "/review/createTime", Some(good.clone()));
        let parsed = ReviewDelivery::parse(&body).unwrap();
        assert!(parsed.warnings.is_empty(), "{good}: {:?}", parsed.warnings);
        assert!(parsed.value.review.create_time.is_some(), "{good}");
    }
}

#[test]
fn a_lead_update_tells_a_field_left_out_from_one_cleared_with_null() {
    for parse in [LeadUpdate::parse, LeadUpdate::parse_by_walking] {
        let left_out = parse(&edited(fixtures::LEAD_UPDATE, "/leadPrice", None)).unwrap();
        assert!(left_out.warnings.is_empty(), "{:?}", left_out.warnings);
        let shown = serde_json::to_value(&left_out.value).unwrap();
        assert_eq!(shown.get("leadPrice"), None, "left out: unchanged");
        assert_eq!(shown["chargeState"], "Charged");

        let cleared = parse(&edited(
            fixtures::LEAD_UPDATE,
            "/leadPrice",
            Some(Value::Null),
        ))
        .unwrap();
        assert!(cleared.warnings.is_empty(), "{:?}", cleared.warnings);
        let shown = serde_json::to_value(&cleared.value).unwrap();
        assert_eq!(shown.get("leadPrice"), Some(&Value::Null), "null: cleared");

        let neither = parse(br#"{"leadID": "437282017264173057"}"#).unwrap();
        assert!(neither.warnings.is_empty(), "{:?}", neither.warnings);
        let shown = serde_json::to_value(&neither.value).unwrap();
        assert_eq!(shown, json!({"leadID": "437282017264173057"}));
    }
}
