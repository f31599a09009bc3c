//! Thumbtack v4 webhook deliveries: refused only when a key is missing or unusable (every such
//! problem named by its path), every other problem a warning, unknown event types kept, and the
//! shapes on which sources disagree read both ways.
#![allow(clippy::unwrap_used)]

use models::InvalidKind;
use models::v4::{Data, Delivery, Kind, Sender};
use serde_json::{Value, json};

fn sample(source: &str) -> Value {
    serde_json::from_str(source).unwrap()
}

/// `source` with the value at a JSON pointer replaced, or removed with `None`.
fn edited(mut document: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = document
        .pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap();
    match value {
        Some(value) => object.insert(key.to_owned(), value),
        None => object.remove(key),
    };
    document
}

fn parse(document: &Value) -> Result<models::Parsed<Delivery>, models::Invalid> {
    Delivery::parse(&serde_json::to_vec(document).unwrap())
}

fn warning_paths(document: &Value) -> Vec<String> {
    let parsed = parse(document).unwrap();
    parsed
        .warnings
        .paths()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn refusal_paths(document: &Value) -> Vec<String> {
    let invalid = parse(document).unwrap_err();
    assert_eq!(invalid.kind, InvalidKind::Fields);
    invalid.paths().into_iter().map(str::to_owned).collect()
}

#[test]
fn the_facts_sheet_negotiation_is_read_whole_without_warnings() {
    let parsed = Delivery::parse(fixtures::v4::NEGOTIATION_CREATED.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let delivery = parsed.value;
    assert_eq!(delivery.event.event_type, "NegotiationCreatedV4");
    assert_eq!(
        delivery.event.webhook_id.as_deref(),
        Some("587700000000000001")
    );
    assert_eq!(delivery.event.description.as_deref(), Some(""));
    assert_eq!(delivery.kind(), Kind::NegotiationCreated);
    assert_eq!(delivery.key(), Some("587700000000000100"));
    let Data::Negotiation(lead) = delivery.data else {
        panic!("not a negotiation");
    };
    assert_eq!(lead.business.business_id, "586100000000000001");
    assert_eq!(lead.created_at.as_deref(), Some("2026-08-16T17:13:00Z"));
    assert_eq!(lead.status.as_deref(), Some("Open"));
    assert_eq!(lead.charge_state.as_deref(), Some("Created"));
    assert_eq!(lead.lead_price.as_deref(), Some("$25.00"));
    let breakdown = lead.lead_price_breakdown.unwrap();
    assert_eq!(breakdown.subtotal.as_deref(), Some("$23.15"));
    assert_eq!(breakdown.sales_tax.as_deref(), Some("$1.85"));
    assert_eq!(lead.customer.first_name.as_deref(), Some("Pat"));
    assert_eq!(lead.customer.phone.as_deref(), Some("6695550100"));
    let request = &lead.request;
    assert_eq!(request.request_id.as_deref(), Some("587700000000000300"));
    let category = request.category.clone().unwrap();
    assert_eq!(category.name.as_deref(), Some("Full Service Lawn Care"));
    assert_eq!(category.category_id.as_deref(), Some("240123621172183344"));
    assert_eq!(request.location.zip_code.as_deref(), Some("94103"));
    assert_eq!(request.details.len(), 1);
    assert_eq!(request.proposed_times.len(), 1);
    assert_eq!(
        request.proposed_times[0].end.as_deref(),
        Some("2026-08-17T18:00:00Z")
    );
    assert_eq!(request.travel_preferences, ["ProviderTravelToCustomer"]);
    assert_eq!(request.attachments[0].file_size, Some(20480));
    let estimate = lead.estimate.unwrap();
    assert_eq!(estimate.kind.as_deref(), Some("Fixed"));
    assert_eq!(estimate.price_per_unit.as_deref(), Some("150.00"));
    assert_eq!(estimate.unit_quantity, Some(1.into()));
}

#[test]
fn the_facts_sheet_message_and_review_are_read_without_warnings() {
    let message = Delivery::parse(fixtures::v4::MESSAGE_CREATED.as_bytes()).unwrap();
    assert!(message.warnings.is_empty(), "{:?}", message.warnings);
    let Data::Message(message) = message.value.data else {
        panic!("not a message");
    };
    assert_eq!(message.message_id, "582400000000000500");
    assert_eq!(message.negotiation_id, "582400000000000100");
    assert_eq!(message.sender(), Sender::Customer);
    assert_eq!(
        message.text.as_deref(),
        Some("Hi, can you come Saturday?\r\nThanks")
    );
    assert_eq!(message.business_id(), Some("553300000000000001"));
    assert_eq!(message.customer_id(), Some("582400000000000200"));

    let review = Delivery::parse(fixtures::v4::REVIEW_CREATED.as_bytes()).unwrap();
    assert!(review.warnings.is_empty(), "{:?}", review.warnings);
    assert_eq!(review.value.key(), Some("5343987659230309812"));
    let Data::Review(review) = review.value.data else {
        panic!("not a review");
    };
    assert_eq!(review.rating, Some(5));
    assert_eq!(review.review_text.as_deref(), Some("Great work."));
    assert_eq!(
        review.negotiation_id.as_deref(),
        Some("5343987659230300000")
    );
    assert_eq!(review.image_count, 0);
}

#[test]
fn a_lead_without_its_keys_is_refused_naming_each_missing_key() {
    let lead = sample(fixtures::v4::NEGOTIATION_CREATED);
    let without_id = edited(lead.clone(), "/data/negotiationID", None);
    assert_eq!(refusal_paths(&without_id), ["data.negotiationID"]);
    let neither = edited(without_id, "/data/business/businessID", Some(json!("a/b")));
    assert_eq!(
        refusal_paths(&neither),
        ["data.negotiationID", "data.business.businessID"]
    );
    let no_business = edited(lead, "/data/business", None);
    assert_eq!(refusal_paths(&no_business), ["data.business"]);
}

#[test]
fn a_message_without_its_keys_is_refused_and_a_review_without_its_id_too() {
    let message = sample(fixtures::v4::MESSAGE_CREATED);
    let keyless = edited(
        edited(message, "/data/messageID", None),
        "/data/negotiationID",
        Some(json!(42)),
    );
    assert_eq!(
        refusal_paths(&keyless),
        ["data.messageID", "data.negotiationID"]
    );
    let review = edited(
        sample(fixtures::v4::REVIEW_CREATED),
        "/data/reviewID",
        Some(Value::Null),
    );
    assert_eq!(refusal_paths(&review), ["data.reviewID"]);
}

#[test]
fn a_delivery_whose_event_type_is_missing_is_refused_because_its_keys_are_unknown() {
    let lead = sample(fixtures::v4::NEGOTIATION_CREATED);
    assert_eq!(
        refusal_paths(&edited(lead.clone(), "/event/eventType", None)),
        ["event.eventType"]
    );
    assert_eq!(refusal_paths(&edited(lead, "/event", None)), ["event"]);
    let invalid = Delivery::parse(b"[]").unwrap_err();
    assert_eq!(invalid.kind, InvalidKind::NotAnObject);
}

#[test]
fn an_unknown_event_type_is_accepted_with_its_data_kept_as_sent() {
    let delivery = json!({
        "event": {"eventType": "PresetJobMatchedV4", "description": "", "webhookID": "1",
                  "triggeredAt": "2026-08-16T17:13:05Z"},
        "data": {"presetJobID": "77", "anything": [1, 2]}
    });
    let parsed = parse(&delivery).unwrap();
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.value.kind(), Kind::Unknown);
    assert_eq!(parsed.value.key(), None);
    let Data::Unknown(Some(data)) = parsed.value.data else {
        panic!("data not kept");
    };
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap(),
        delivery["data"]
    );
    // Not even a data object: accepted all the same.
    let bare = edited(delivery, "/data", None);
    assert_eq!(parse(&bare).unwrap().value.data, Data::Unknown(None));
}

#[test]
fn older_spellings_of_the_event_types_are_read_as_the_events_they_name() {
    let lead = edited(
        sample(fixtures::v4::NEGOTIATION_CREATED),
        "/event/eventType",
        Some(json!("NegotationCreatedV4")),
    );
    let parsed = parse(&lead).unwrap().value;
    assert_eq!(parsed.kind(), Kind::NegotiationCreated);
    assert_eq!(parsed.event.event_type, "NegotationCreatedV4");
    for spelling in ["MessageCreated", "MessageSentV4"] {
        let message = edited(
            sample(fixtures::v4::MESSAGE_CREATED),
            "/event/eventType",
            Some(json!(spelling)),
        );
        assert_eq!(parse(&message).unwrap().value.kind(), Kind::MessageCreated);
    }
}

#[test]
fn other_problems_are_warnings_named_by_their_paths() {
    let lead = sample(fixtures::v4::NEGOTIATION_CREATED);
    let lead = edited(lead, "/data/createdAt", Some(json!("yesterday")));
    let lead = edited(lead, "/data/request/location/zipCode", Some(json!("9410")));
    let lead = edited(lead, "/data/request/proposedTimes/0/start", Some(json!(5)));
    let lead = edited(lead, "/data/estimate/unitQuantity", Some(json!("many")));
    let lead = edited(lead, "/data/customer", None);
    let lead = edited(lead, "/event/webhookID", Some(json!("")));
    let lead = edited(lead, "/event/triggeredAt", None);
    assert_eq!(
        warning_paths(&lead),
        [
            "event.webhookID",
            "event.triggeredAt",
            "data.createdAt",
            "data.customer",
            "data.request.location.zipCode",
            "data.request.proposedTimes[0].start",
            "data.estimate.unitQuantity",
        ]
    );
    let message = sample(fixtures::v4::MESSAGE_CREATED);
    let message = edited(message, "/data/from", None);
    let message = edited(message, "/data/sentAt", Some(json!("2026-02-30T00:00:00Z")));
    let message = edited(message, "/data/customer", Some(json!("Pat")));
    assert_eq!(
        warning_paths(&message),
        ["data.from", "data.sentAt", "data.customer"]
    );
    let review = edited(
        sample(fixtures::v4::REVIEW_CREATED),
        "/data/rating",
        Some(json!(9)),
    );
    assert_eq!(warning_paths(&review), ["data.rating"]);
}

#[test]
fn the_shapes_sources_disagree_on_are_read_both_ways() {
    // The docs' negotiation sample: createTime, displayName, a category name.
    let lead = sample(fixtures::v4::NEGOTIATION_CREATED);
    let lead = edited(lead, "/data/createdAt", None);
    let lead = edited(
        lead,
        "/data/createTime",
        Some(json!("2026-08-16T17:13:00Z")),
    );
    let lead = edited(
        lead,
        "/data/customer",
        Some(json!({"displayName": "Pat E."})),
    );
    let lead = edited(lead, "/data/request/category", Some(json!("Lawn Care")));
    let lead = edited(
        lead,
        "/data/request/travelPreferences",
        Some(json!("Remote")),
    );
    let parsed = parse(&lead).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let Data::Negotiation(lead) = parsed.value.data else {
        panic!("not a negotiation");
    };
    assert_eq!(lead.created_at.as_deref(), Some("2026-08-16T17:13:00Z"));
    assert_eq!(lead.customer.display_name.as_deref(), Some("Pat E."));
    assert_eq!(
        lead.request.category.and_then(|c| c.name).as_deref(),
        Some("Lawn Care")
    );
    assert_eq!(lead.request.travel_preferences, ["Remote"]);

    // The spec's message: only the block of the side that wrote.
    let message = edited(
        sample(fixtures::v4::MESSAGE_CREATED),
        "/data/customer",
        None,
    );
    let parsed = parse(&message).unwrap();
    assert!(parsed.warnings.is_empty());
    let Data::Message(message) = parsed.value.data else {
        panic!("not a message");
    };
    assert_eq!(message.customer, None);
    assert_eq!(message.business_id(), Some("553300000000000001"));

    // A review's words under `text`.
    let review = edited(
        sample(fixtures::v4::REVIEW_CREATED),
        "/data/reviewText",
        None,
    );
    let review = edited(review, "/data/text", Some(json!("Fine.")));
    let Data::Review(review) = parse(&review).unwrap().value.data else {
        panic!("not a review");
    };
    assert_eq!(review.review_text.as_deref(), Some("Fine."));
}

#[test]
fn a_test_delivery_reads_like_any_lead() {
    let parsed = Delivery::parse(fixtures::v4::TEST_NEGOTIATION_CREATED.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let Data::Negotiation(lead) = parsed.value.data else {
        panic!("not a negotiation");
    };
    assert_eq!(
        lead.business.name.as_deref(),
        Some(models::v4::TEST_BUSINESS_NAME)
    );
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON value, nested a little.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            ".{0,20}".prop_map(Value::from),
            "[0-9]{1,14}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
        if let Value::Object(map) = value {
            for (key, child) in map {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
    }

    fn in_grammar(path: &str) -> bool {
        path == "$"
            || path.split('.').all(|segment| {
                let name = segment.split('[').next().unwrap_or_default();
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())
            })
    }

    proptest! {
        /// Whatever replaces or removes a field of a sample, the decoder answers (no panic), and
        /// every problem it names has a path.
        #[test]
        fn any_edit_of_a_sample_is_accepted_or_refused_with_paths(
            sample_index in 0usize..3,
            at in any::<prop::sample::Index>(),
            value in prop::option::of(any_json()),
        ) {
            let source = [
                fixtures::v4::NEGOTIATION_CREATED,
                fixtures::v4::MESSAGE_CREATED,
                fixtures::v4::REVIEW_CREATED,
            ][sample_index];
            let document = sample(source);
            let mut all = Vec::new();
            pointers(&document, "", &mut all);
            let pointer = at.get(&all).clone();
            let document = edited(document, &pointer, value);
            match parse(&document) {
                Ok(parsed) => prop_assert!(parsed.warnings.paths().iter().all(|p| in_grammar(p))),
                Err(invalid) => {
                    prop_assert!(!invalid.problems.is_empty());
                    prop_assert!(invalid.paths().iter().all(|p| in_grammar(p)));
                }
            }
        }
    }
}

#[test]
fn a_field_given_twice_is_one_warning_even_where_two_names_are_read() {
    let lead = fixtures::v4::NEGOTIATION_CREATED.replacen(
        r#""createdAt": "2026-08-16T17:13:00Z","#,
        r#""createdAt": "2026-08-16T17:13:00Z", "createdAt": "x","#,
        1,
    );
    let lead = lead.replacen(
        r#""travelPreferences": [ "ProviderTravelToCustomer" ],"#,
        r#""travelPreferences": [ "ProviderTravelToCustomer" ], "travelPreferences": [],"#,
        1,
    );
    let parsed = Delivery::parse(lead.as_bytes()).unwrap();
    assert_eq!(
        parsed.warnings.paths(),
        ["data.createdAt", "data.request.travelPreferences"]
    );
    let review = fixtures::v4::REVIEW_CREATED.replacen(
        r#""reviewText": "Great work.","#,
        r#""reviewText": "Great work.", "reviewText": "Meh","#,
        1,
    );
    let parsed = Delivery::parse(review.as_bytes()).unwrap();
    assert_eq!(parsed.warnings.paths(), ["data.reviewText"]);
}
