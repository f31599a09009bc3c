//! Validation of Thumbtack's payloads: every rule of the spec, every problem reported with its path.
#![allow(clippy::unwrap_used)]

use models::{InboundMessage, InvalidKind, Lead};
use serde_json::{Value, json};

const LEAD: &str = include_str!("../../../tests/fixtures/lead.json");
const MESSAGE: &str = include_str!("../../../tests/fixtures/message.json");

fn sample_lead() -> Value {
    serde_json::from_str(LEAD).unwrap()
}

fn sample_message() -> Value {
    serde_json::from_str(MESSAGE).unwrap()
}

/// Replaces (or, with `None`, removes) the value at a dotted path such as `request.location.city`
/// or `request.details.1.answer`.
fn with(mut value: Value, path: &str, new: Option<Value>) -> Value {
    let mut keys: Vec<&str> = path.split('.').collect();
    let last = keys.pop().unwrap();
    let mut cursor = &mut value;
    for key in keys {
        cursor = match cursor {
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            other => other.get_mut(key).unwrap(),
        };
    }
    match (cursor, new) {
        (Value::Object(object), Some(new)) => {
            object.insert(last.to_owned(), new);
        }
        (Value::Object(object), None) => {
            object.remove(last);
        }
        (Value::Array(items), Some(new)) => items[last.parse::<usize>().unwrap()] = new,
        _ => panic!("cannot edit {path}"),
    }
    value
}

fn lead_problems(value: &Value) -> Vec<(String, String)> {
    let body = serde_json::to_vec(value).unwrap();
    match Lead::parse(&body) {
        Ok(_) => Vec::new(),
        Err(invalid) => invalid
            .problems
            .into_iter()
            .map(|p| (p.path, p.reason.into_owned()))
            .collect(),
    }
}

fn message_problems(value: &Value) -> Vec<(String, String)> {
    let body = serde_json::to_vec(value).unwrap();
    match InboundMessage::parse(&body) {
        Ok(_) => Vec::new(),
        Err(invalid) => invalid
            .problems
            .into_iter()
            .map(|p| (p.path, p.reason.into_owned()))
            .collect(),
    }
}

const LEAD_REQUIRED: &[(&str, &str)] = &[
    ("leadID", "leadID"),
    ("createTimestamp", "createTimestamp"),
    ("request", "request"),
    ("request.requestID", "request.requestID"),
    ("request.category", "request.category"),
    ("request.title", "request.title"),
    ("request.location", "request.location"),
    ("request.location.city", "request.location.city"),
    ("request.location.state", "request.location.state"),
    ("request.location.zipCode", "request.location.zipCode"),
    ("request.travelPreferences", "request.travelPreferences"),
    ("request.details.0.question", "request.details[0].question"),
    ("request.details.1.answer", "request.details[1].answer"),
    ("customer", "customer"),
    ("customer.customerID", "customer.customerID"),
    ("customer.name", "customer.name"),
    ("business", "business"),
    ("business.businessID", "business.businessID"),
    ("business.name", "business.name"),
];

#[test]
fn the_spec_sample_lead_parses_into_its_fields() {
    let lead = Lead::parse(LEAD.as_bytes()).unwrap();
    assert_eq!(lead.lead_id, "299614694480093245");
    assert_eq!(lead.create_timestamp.0, 1_498_760_294);
    assert_eq!(lead.request.location.zip_code, "95125");
    assert_eq!(lead.request.details.len(), 2);
    assert_eq!(lead.request.details[1].answer, "4 rooms");
    assert_eq!(lead.customer.name, "Jay J.");
    assert_eq!(lead.business.business_id, "286845156044809661");
    assert_eq!(lead.price, None);
}

#[test]
fn each_required_lead_field_missing_in_turn_is_reported_at_its_path() {
    for (edit, path) in LEAD_REQUIRED {
        let problems = lead_problems(&with(sample_lead(), edit, None));
        assert_eq!(
            problems,
            vec![((*path).to_owned(), "is required".to_owned())],
            "removing {edit}"
        );
    }
}

#[test]
fn each_required_lead_field_set_to_null_is_reported_at_its_path() {
    for (edit, path) in LEAD_REQUIRED {
        let problems = lead_problems(&with(sample_lead(), edit, Some(Value::Null)));
        assert_eq!(problems.len(), 1, "nulling {edit}: {problems:?}");
        assert_eq!(problems[0].0, *path);
        assert!(problems[0].1.contains("null"), "{problems:?}");
    }
}

#[test]
fn each_lead_field_of_the_wrong_type_is_reported_with_the_expected_type() {
    for (edit, path) in LEAD_REQUIRED {
        let problems = lead_problems(&with(sample_lead(), edit, Some(json!(12))));
        assert_eq!(problems.len(), 1, "{edit}: {problems:?}");
        assert_eq!(problems[0].0, *path);
        assert!(problems[0].1.starts_with("must be a"), "{problems:?}");
    }
}

#[test]
fn a_numeric_create_timestamp_is_refused_because_the_spec_says_string() {
    let problems = lead_problems(&with(
        sample_lead(),
        "createTimestamp",
        Some(json!(1498760294)),
    ));
    assert_eq!(
        problems,
        vec![("createTimestamp".to_owned(), "must be a string".to_owned())]
    );
}

#[test]
fn timestamps_that_are_not_unix_seconds_are_refused() {
    for bad in ["", "yesterday", "-5", "1498760294.5", "1498760294000"] {
        let problems = lead_problems(&with(sample_lead(), "createTimestamp", Some(json!(bad))));
        assert_eq!(problems.len(), 1, "{bad:?}");
        assert!(problems[0].1.contains("unix seconds"));
    }
}

#[test]
fn state_must_be_two_letters_and_zip_five_digits() {
    for bad in ["C", "CAL", "C1", ""] {
        let problems = lead_problems(&with(
            sample_lead(),
            "request.location.state",
            Some(json!(bad)),
        ));
        assert_eq!(
            problems,
            vec![(
                "request.location.state".to_owned(),
                "must be a two-letter state abbreviation".to_owned()
            )]
        );
    }
    for bad in ["9512", "951256", "95125-1234", "abcde", ""] {
        let problems = lead_problems(&with(
            sample_lead(),
            "request.location.zipCode",
            Some(json!(bad)),
        ));
        assert_eq!(
            problems,
            vec![(
                "request.location.zipCode".to_owned(),
                "must be a five-digit ZIP code".to_owned()
            )]
        );
    }
}

#[test]
fn ids_outside_the_safe_alphabet_are_refused() {
    for bad in ["", "12#34", "a b", "x/y"] {
        let problems = lead_problems(&with(sample_lead(), "leadID", Some(json!(bad))));
        assert_eq!(problems.len(), 1, "{bad:?}");
        assert_eq!(problems[0].0, "leadID");
    }
}

#[test]
fn names_and_titles_must_not_be_blank() {
    let problems = lead_problems(&with(sample_lead(), "customer.name", Some(json!("   "))));
    assert_eq!(
        problems,
        vec![("customer.name".to_owned(), "must not be empty".to_owned())]
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let mut lead = with(sample_lead(), "leadID", None);
    lead = with(lead, "request.location.zipCode", Some(json!("1")));
    lead = with(lead, "request.details.1.answer", Some(json!(false)));
    lead = with(lead, "business", Some(json!("Tim")));
    let paths: Vec<String> = lead_problems(&lead).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "leadID",
            "request.location.zipCode",
            "request.details[1].answer",
            "business"
        ]
    );
}

#[test]
fn details_must_be_an_array_of_objects_when_present() {
    let problems = lead_problems(&with(sample_lead(), "request.details", Some(json!("none"))));
    assert_eq!(
        problems,
        vec![("request.details".to_owned(), "must be an array".to_owned())]
    );
    let problems = lead_problems(&with(sample_lead(), "request.details.0", Some(json!([1]))));
    assert_eq!(
        problems,
        vec![(
            "request.details[0]".to_owned(),
            "must be an object".to_owned()
        )]
    );
}

#[test]
fn objects_written_as_arrays_of_their_values_are_refused() {
    // serde's derive would read ["Q", "A"] as a detail; the spec says object.
    let problems = lead_problems(&with(
        sample_lead(),
        "request.details.0",
        Some(json!(["Q", "A"])),
    ));
    assert_eq!(
        problems,
        vec![(
            "request.details[0]".to_owned(),
            "must be an object".to_owned()
        )]
    );
    let problems = lead_problems(&with(
        sample_lead(),
        "customer",
        Some(json!(["331138063184986319", "Jay J."])),
    ));
    assert_eq!(
        problems,
        vec![("customer".to_owned(), "must be an object".to_owned())]
    );
}

#[test]
fn optional_fields_may_be_absent_or_null_but_not_of_another_type() {
    let lead = with(sample_lead(), "request.description", None);
    let lead = with(lead, "request.details", None);
    assert!(lead_problems(&lead).is_empty());
    let lead = with(sample_lead(), "price", Some(Value::Null));
    assert!(lead_problems(&lead).is_empty());
    let problems = lead_problems(&with(sample_lead(), "price", Some(json!(120))));
    assert_eq!(
        problems,
        vec![("price".to_owned(), "must be a string".to_owned())]
    );
    let parsed = Lead::parse(
        &serde_json::to_vec(&with(sample_lead(), "price", Some(json!("$120")))).unwrap(),
    )
    .unwrap();
    assert_eq!(parsed.price.as_deref(), Some("$120"));
}

#[test]
fn unknown_fields_are_accepted() {
    let lead = with(sample_lead(), "newThing", Some(json!({"nested": [1, 2]})));
    let lead = with(lead, "request.location.country", Some(json!("US")));
    assert!(lead_problems(&lead).is_empty());
}

#[test]
fn bodies_that_are_empty_not_json_or_not_objects_are_refused_at_the_root() {
    let cases: [(&[u8], InvalidKind); 6] = [
        (b"", InvalidKind::EmptyBody),
        (b"  \n", InvalidKind::EmptyBody),
        (b"{\"leadID\": ", InvalidKind::NotJson),
        (b"\xff\xfe", InvalidKind::NotJson),
        (b"[1, 2]", InvalidKind::NotAnObject),
        (b"\"lead\"", InvalidKind::NotAnObject),
    ];
    for (body, kind) in cases {
        let invalid = Lead::parse(body).unwrap_err();
        assert_eq!(invalid.kind, kind, "{body:?}");
        assert_eq!(invalid.paths(), ["$"]);
    }
}

#[test]
fn an_empty_object_reports_every_top_level_field() {
    let paths = Lead::parse(b"{}").unwrap_err();
    assert_eq!(
        paths.paths(),
        [
            "leadID",
            "createTimestamp",
            "request",
            "customer",
            "business"
        ]
    );
}

#[test]
fn unicode_and_newlines_survive_parsing() {
    let lead = with(
        sample_lead(),
        "request.description",
        Some(json!("Fenêtre 🪟\nline two\t\"quoted\"")),
    );
    let parsed = Lead::parse(&serde_json::to_vec(&lead).unwrap()).unwrap();
    assert_eq!(
        parsed.request.description.as_deref(),
        Some("Fenêtre 🪟\nline two\t\"quoted\"")
    );
}

#[test]
fn the_typed_lead_serialises_back_to_the_wire_names() {
    let lead = Lead::parse(LEAD.as_bytes()).unwrap();
    let value = serde_json::to_value(&lead).unwrap();
    assert_eq!(value, sample_lead());
}

const MESSAGE_REQUIRED: &[(&str, &str)] = &[
    ("leadID", "leadID"),
    ("customerID", "customerID"),
    ("businessID", "businessID"),
    ("message", "message"),
    ("message.messageID", "message.messageID"),
    ("message.createTimestamp", "message.createTimestamp"),
    ("message.text", "message.text"),
];

#[test]
fn the_spec_sample_message_parses_into_its_fields() {
    let message = InboundMessage::parse(MESSAGE.as_bytes()).unwrap();
    assert_eq!(message.lead_id, "299614694480093245");
    assert_eq!(message.message.message_id, "8699842694484326245");
    assert_eq!(
        message.message.text,
        "Do you offer fridge cleaning or is that extra?"
    );
}

#[test]
fn each_required_message_field_missing_in_turn_is_reported_at_its_path() {
    for (edit, path) in MESSAGE_REQUIRED {
        let problems = message_problems(&with(sample_message(), edit, None));
        assert_eq!(
            problems,
            vec![((*path).to_owned(), "is required".to_owned())],
            "{edit}"
        );
    }
}

#[test]
fn each_message_field_of_the_wrong_type_is_reported() {
    for (edit, path) in MESSAGE_REQUIRED {
        let problems = message_problems(&with(sample_message(), edit, Some(json!([]))));
        assert_eq!(problems.len(), 1, "{edit}");
        assert_eq!(problems[0].0, *path);
        assert!(problems[0].1.starts_with("must be a"));
    }
}

#[test]
fn an_empty_message_text_is_accepted_as_free_text() {
    let message = with(sample_message(), "message.text", Some(json!("")));
    assert!(message_problems(&message).is_empty());
}

#[test]
fn a_body_with_a_duplicate_key_is_refused_as_ambiguous() {
    let body = br#"{"leadID": "1", "leadID": "2", "createTimestamp": "1"}"#;
    let invalid = Lead::parse(body).unwrap_err();
    assert_eq!(invalid.kind, InvalidKind::NotJson);
    assert!(
        invalid.problems[0]
            .reason
            .contains("duplicate key \"leadID\""),
        "{invalid:?}"
    );
    let nested = LEAD.replace(
        "\"city\": \"San Jose\",",
        "\"city\": \"San Jose\", \"city\": \"Oakland\",",
    );
    assert!(Lead::parse(nested.as_bytes()).is_err());
}

#[test]
fn deeply_nested_bodies_are_refused_without_exhausting_the_stack() {
    let depth = 100_000;
    let body = format!("{{\"a\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
    let invalid = Lead::parse(body.as_bytes()).unwrap_err();
    assert_eq!(invalid.kind, InvalidKind::NotJson);
}
