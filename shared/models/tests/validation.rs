//! Validation of Thumbtack's payloads: a payload is refused only when a key is missing or unusable;
//! every other problem is a warning beside the stored payload. Every problem has its path.
#![allow(clippy::unwrap_used)]

use models::{InboundMessage, InvalidKind, Lead, MAX_LISTED_PROBLEMS};
use serde_json::{Value, json};

const LEAD: &str = fixtures::LEAD;
const MESSAGE: &str = fixtures::MESSAGE;

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

type Problems = Vec<(String, String)>;

fn listed(problems: &models::Problems) -> Problems {
    problems
        .listed()
        .iter()
        .map(|p| (p.path.clone(), p.reason.clone().into_owned()))
        .collect()
}

/// `Ok(warnings)` when the lead is kept, `Err(refusals)` when refused.
fn lead_outcome(value: &Value) -> Result<Problems, Problems> {
    let body = serde_json::to_vec(value).unwrap();
    Lead::parse(&body)
        .map(|parsed| listed(&parsed.warnings))
        .map_err(|invalid| listed(&invalid.problems))
}

fn message_outcome(value: &Value) -> Result<Problems, Problems> {
    let body = serde_json::to_vec(value).unwrap();
    InboundMessage::parse(&body)
        .map(|parsed| listed(&parsed.warnings))
        .map_err(|invalid| listed(&invalid.problems))
}

/// The keys of a lead: without them it cannot be stored.
const LEAD_KEYS: &[(&str, &str)] = &[
    ("leadID", "leadID"),
    ("createTimestamp", "createTimestamp"),
    ("business", "business"),
    ("business.businessID", "business.businessID"),
];

/// Fields the spec requires that do not key the lead: their problems are warnings.
const LEAD_FIELDS: &[(&str, &str)] = &[
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
    ("business.name", "business.name"),
];

#[test]
fn the_spec_sample_lead_parses_into_its_fields_without_warnings() {
    let parsed = Lead::parse(LEAD.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty());
    let lead = parsed.value;
    assert_eq!(lead.lead_id, "299614694480093245");
    assert_eq!(lead.create_timestamp.0, 1_498_760_294);
    assert_eq!(lead.request.location.zip_code.as_deref(), Some("95125"));
    assert_eq!(lead.request.details.len(), 2);
    assert_eq!(lead.request.details[1].answer.as_deref(), Some("4 rooms"));
    assert_eq!(lead.customer.name.as_deref(), Some("Jay J."));
    assert_eq!(lead.business.business_id, "286845156044809661");
    assert_eq!(lead.price, None);
}

#[test]
fn each_lead_key_missing_in_turn_refuses_the_lead_at_its_path() {
    for (edit, path) in LEAD_KEYS {
        let outcome = lead_outcome(&with(sample_lead(), edit, None));
        assert_eq!(
            outcome,
            Err(vec![((*path).to_owned(), "is required".to_owned())]),
            "removing {edit}"
        );
    }
}

#[test]
fn each_other_required_lead_field_missing_in_turn_is_a_warning_on_a_kept_lead() {
    for (edit, path) in LEAD_FIELDS {
        let outcome = lead_outcome(&with(sample_lead(), edit, None));
        assert_eq!(
            outcome,
            Ok(vec![((*path).to_owned(), "is required".to_owned())]),
            "removing {edit}"
        );
    }
}

#[test]
fn null_in_a_key_refuses_the_lead_and_null_elsewhere_is_a_warning() {
    for (edit, path) in LEAD_KEYS {
        let refusals = lead_outcome(&with(sample_lead(), edit, Some(Value::Null))).unwrap_err();
        assert_eq!(refusals.len(), 1, "nulling {edit}: {refusals:?}");
        assert_eq!(refusals[0].0, *path);
        assert!(refusals[0].1.contains("null"), "{refusals:?}");
    }
    for (edit, path) in LEAD_FIELDS {
        let warnings = lead_outcome(&with(sample_lead(), edit, Some(Value::Null))).unwrap();
        assert_eq!(warnings.len(), 1, "nulling {edit}: {warnings:?}");
        assert_eq!(warnings[0].0, *path);
        assert!(warnings[0].1.contains("null"), "{warnings:?}");
    }
}

#[test]
fn each_lead_field_of_the_wrong_type_is_named_with_the_expected_type() {
    for (edit, path) in LEAD_KEYS.iter().chain(LEAD_FIELDS) {
        let outcome = lead_outcome(&with(sample_lead(), edit, Some(json!(true))));
        let problems = match outcome {
            Ok(warnings) => warnings,
            Err(refusals) => {
                assert!(LEAD_KEYS.contains(&(*edit, *path)), "{edit} refused");
                refusals
            }
        };
        assert_eq!(problems.len(), 1, "{edit}: {problems:?}");
        assert_eq!(problems[0].0, *path);
        assert!(problems[0].1.starts_with("must be"), "{edit}: {problems:?}");
    }
}

#[test]
fn a_create_timestamp_is_read_from_digits_or_a_whole_number() {
    for good in [json!("1498760294"), json!(1498760294)] {
        let lead = with(sample_lead(), "createTimestamp", Some(good.clone()));
        let parsed = Lead::parse(&serde_json::to_vec(&lead).unwrap()).unwrap();
        assert_eq!(parsed.value.create_timestamp.0, 1_498_760_294, "{good}");
        assert!(parsed.warnings.is_empty());
    }
}

#[test]
fn timestamps_that_are_not_unix_seconds_refuse_the_lead() {
    let bad = [
        json!(""),
        json!("yesterday"),
        json!("-5"),
        json!("1498760294.5"),
        json!("1498760294000"),
        json!(-5),
        json!(1498760294.5),
        json!(1_498_760_294_000_u64),
    ];
    for value in bad {
        let refusals =
            lead_outcome(&with(sample_lead(), "createTimestamp", Some(value.clone()))).unwrap_err();
        assert_eq!(refusals.len(), 1, "{value}");
        assert!(refusals[0].1.contains("unix seconds"), "{refusals:?}");
    }
    let body = LEAD.replace("\"1498760294\"", "1e400");
    assert_eq!(
        Lead::parse(body.as_bytes()).unwrap_err().paths(),
        ["createTimestamp"]
    );
}

#[test]
fn a_zip_plus_four_is_a_valid_zip_code() {
    for good in ["95125", "95125-1234", "951251234"] {
        let lead = with(sample_lead(), "request.location.zipCode", Some(json!(good)));
        assert_eq!(lead_outcome(&lead), Ok(vec![]), "{good}");
    }
}

#[test]
fn a_malformed_state_or_zip_code_is_a_warning_on_a_kept_lead() {
    for bad in ["C", "CAL", "C1", ""] {
        let outcome = lead_outcome(&with(
            sample_lead(),
            "request.location.state",
            Some(json!(bad)),
        ));
        assert_eq!(
            outcome,
            Ok(vec![(
                "request.location.state".to_owned(),
                "must be a two-letter state abbreviation".to_owned()
            )])
        );
    }
    for bad in ["9512", "951256", "95125-12", "95125 1234", "abcde", ""] {
        let outcome = lead_outcome(&with(
            sample_lead(),
            "request.location.zipCode",
            Some(json!(bad)),
        ));
        assert_eq!(
            outcome,
            Ok(vec![(
                "request.location.zipCode".to_owned(),
                "must be a five-digit ZIP code or a ZIP+4".to_owned()
            )]),
            "{bad}"
        );
    }
}

#[test]
fn a_lead_id_outside_the_safe_alphabet_refuses_the_lead() {
    for bad in ["", "12#34", "a b", "x/y"] {
        let refusals = lead_outcome(&with(sample_lead(), "leadID", Some(json!(bad)))).unwrap_err();
        assert_eq!(refusals.len(), 1, "{bad:?}");
        assert_eq!(refusals[0].0, "leadID");
    }
}

#[test]
fn an_unusable_id_that_keys_nothing_is_a_warning() {
    let warnings = lead_outcome(&with(
        sample_lead(),
        "request.requestID",
        Some(json!("a b")),
    ))
    .unwrap();
    assert_eq!(warnings[0].0, "request.requestID");
}

#[test]
fn empty_strings_in_required_text_fields_are_warnings_on_a_kept_lead() {
    // Real 2025 payloads carry "" (../shared/thumbtack-today.md).
    let mut lead = with(sample_lead(), "request.title", Some(json!("")));
    lead = with(lead, "customer.name", Some(json!("   ")));
    lead = with(lead, "request.description", Some(json!("")));
    lead = with(lead, "request.location.address1", Some(json!("")));
    let parsed = Lead::parse(&serde_json::to_vec(&lead).unwrap()).unwrap();
    assert_eq!(
        listed(&parsed.warnings),
        vec![
            ("request.title".to_owned(), "must not be empty".to_owned()),
            ("customer.name".to_owned(), "must not be empty".to_owned()),
        ]
    );
    assert_eq!(parsed.value.request.title, None);
    assert_eq!(parsed.value.request.description.as_deref(), Some(""));
}

#[test]
fn a_refusal_names_only_the_keys_and_the_warnings_name_every_other_problem() {
    let mut lead = with(sample_lead(), "leadID", None);
    lead = with(lead, "business.businessID", Some(json!(7)));
    lead = with(lead, "request.location.zipCode", Some(json!("1")));
    let refusals = lead_outcome(&lead).unwrap_err();
    let paths: Vec<&str> = refusals.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["leadID", "business.businessID"]);

    let mut lead = with(sample_lead(), "request.location.zipCode", Some(json!("1")));
    lead = with(lead, "request.details.1.answer", Some(json!(false)));
    lead = with(lead, "customer", Some(json!("Jay")));
    let warnings = lead_outcome(&lead).unwrap();
    let paths: Vec<&str> = warnings.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "request.location.zipCode",
            "request.details[1].answer",
            "customer"
        ]
    );
}

#[test]
fn details_that_are_not_an_array_of_objects_are_warnings() {
    let warnings = lead_outcome(&with(sample_lead(), "request.details", Some(json!("none"))));
    assert_eq!(
        warnings,
        Ok(vec![(
            "request.details".to_owned(),
            "must be an array".to_owned()
        )])
    );
    let parsed = Lead::parse(
        &serde_json::to_vec(&with(sample_lead(), "request.details.0", Some(json!([1])))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        listed(&parsed.warnings),
        vec![(
            "request.details[0]".to_owned(),
            "must be an object".to_owned()
        )]
    );
    assert_eq!(
        parsed.value.request.details.len(),
        1,
        "the good detail stays"
    );
}

#[test]
fn objects_written_as_arrays_of_their_values_are_warned_about() {
    // serde's derive would read ["Q", "A"] as a detail; the spec says object.
    let outcome = lead_outcome(&with(
        sample_lead(),
        "request.details.0",
        Some(json!(["Q", "A"])),
    ));
    assert_eq!(
        outcome,
        Ok(vec![(
            "request.details[0]".to_owned(),
            "must be an object".to_owned()
        )])
    );
    let outcome = lead_outcome(&with(
        sample_lead(),
        "business",
        Some(json!(["286845156044809661", "Tim's"])),
    ));
    assert_eq!(
        outcome,
        Err(vec![(
            "business".to_owned(),
            "must be an object".to_owned()
        )])
    );
}

#[test]
fn optional_fields_may_be_absent_or_null_and_another_type_is_a_warning() {
    let lead = with(sample_lead(), "request.description", None);
    let lead = with(lead, "request.details", None);
    assert_eq!(lead_outcome(&lead), Ok(vec![]));
    let lead = with(sample_lead(), "price", Some(Value::Null));
    assert_eq!(lead_outcome(&lead), Ok(vec![]));
    let lead = with(sample_lead(), "request.details", Some(Value::Null));
    assert_eq!(lead_outcome(&lead), Ok(vec![]));
    assert_eq!(
        lead_outcome(&with(sample_lead(), "price", Some(json!(120)))),
        Ok(vec![("price".to_owned(), "must be a string".to_owned())])
    );
    let parsed = Lead::parse(
        &serde_json::to_vec(&with(sample_lead(), "price", Some(json!("$258/hour")))).unwrap(),
    )
    .unwrap();
    assert_eq!(parsed.value.price.as_deref(), Some("$258/hour"));
}

#[test]
fn unknown_fields_are_accepted_whatever_they_hold() {
    let lead = with(sample_lead(), "newThing", Some(json!({"nested": [1, 2]})));
    let lead = with(lead, "request.location.country", Some(json!("US")));
    assert_eq!(lead_outcome(&lead), Ok(vec![]));
    // Text serde_json's own Value cannot hold: a lone surrogate, a number out of f64's range.
    for raw in [r#""\ud800""#, "1e400", r#"{"a": 1, "a": 2}"#] {
        let body = LEAD.replacen('{', &format!("{{\"extra\": {raw}, "), 1);
        let parsed = Lead::parse(body.as_bytes()).unwrap();
        assert!(parsed.warnings.is_empty(), "{raw}");
    }
}

#[test]
fn invalid_utf8_anywhere_refuses_the_body_as_not_json() {
    let mut body = LEAD.replacen('{', "{\"extra\": \"caf", 1).into_bytes();
    let at = body.iter().position(|b| *b == b'f').unwrap() + 1;
    body.splice(at..at, [0xE9, b'"', b',']);
    let body_text = String::from_utf8_lossy(&body).into_owned();
    assert!(body_text.contains("caf\u{fffd}\","), "{body_text}");
    for parse in [Lead::parse, Lead::parse_by_walking] {
        let invalid = parse(&body).unwrap_err();
        assert_eq!(invalid.kind, InvalidKind::NotJson);
        assert_eq!(invalid.paths(), ["$"]);
    }
}

#[test]
fn bodies_that_are_empty_not_json_or_not_objects_are_refused_at_the_root() {
    let cases: [(&[u8], InvalidKind); 7] = [
        (b"", InvalidKind::EmptyBody),
        (b"  \n", InvalidKind::EmptyBody),
        (b"{\"leadID\": ", InvalidKind::NotJson),
        (b"\xff\xfe", InvalidKind::NotJson),
        (b"{} x", InvalidKind::NotJson),
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
fn an_empty_object_is_refused_for_its_keys() {
    let invalid = Lead::parse(b"{}").unwrap_err();
    assert_eq!(invalid.paths(), ["leadID", "createTimestamp", "business"]);
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
        parsed.value.request.description.as_deref(),
        Some("Fenêtre 🪟\nline two\t\"quoted\"")
    );
}

#[test]
fn the_typed_lead_serialises_back_to_the_wire_names() {
    let lead = Lead::parse(LEAD.as_bytes()).unwrap().value;
    let value = serde_json::to_value(&lead).unwrap();
    assert_eq!(value, sample_lead());
}

#[test]
fn a_key_given_twice_refuses_the_lead_and_another_field_given_twice_is_a_warning() {
    let body = LEAD.replacen('{', r#"{"leadID": "1", "#, 1);
    let invalid = Lead::parse(body.as_bytes()).unwrap_err();
    assert_eq!(invalid.kind, InvalidKind::Fields);
    assert_eq!(
        listed(&invalid.problems),
        vec![("leadID".to_owned(), "is given more than once".to_owned())]
    );
    let nested = LEAD.replace(
        "\"city\": \"San Jose\",",
        "\"city\": \"San Jose\", \"city\": \"Oakland\",",
    );
    let parsed = Lead::parse(nested.as_bytes()).unwrap();
    assert_eq!(
        listed(&parsed.warnings),
        vec![(
            "request.location.city".to_owned(),
            "is given more than once".to_owned()
        )]
    );
    assert_eq!(parsed.value.request.location.city, None);
}

#[test]
fn deeply_nested_unknown_fields_are_kept_without_exhausting_the_stack() {
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let body = LEAD.replacen('{', &format!("{{\"extra\": {nested}, "), 1);
    assert!(Lead::parse(body.as_bytes()).is_ok());
    let body = LEAD.replacen(
        "\"request\": {",
        &format!("\"request\": {nested}, \"ignored\": {{"),
        1,
    );
    let parsed = Lead::parse(body.as_bytes()).unwrap();
    assert_eq!(parsed.warnings.paths(), ["request"]);
}

#[test]
fn a_hostile_array_of_numbers_gives_a_bounded_list_of_warnings_and_their_total() {
    let ones = vec![json!(1); 120_000];
    let lead = with(sample_lead(), "request.details", Some(Value::Array(ones)));
    let parsed = Lead::parse(&serde_json::to_vec(&lead).unwrap()).unwrap();
    assert_eq!(parsed.warnings.total(), 120_000);
    assert_eq!(parsed.warnings.listed().len(), MAX_LISTED_PROBLEMS);
    assert_eq!(parsed.warnings.listed()[49].path, "request.details[49]");
}

/// The keys of a message.
const MESSAGE_KEYS: &[(&str, &str)] = &[
    ("leadID", "leadID"),
    ("businessID", "businessID"),
    ("message", "message"),
    ("message.messageID", "message.messageID"),
    ("message.createTimestamp", "message.createTimestamp"),
];

const MESSAGE_FIELDS: &[(&str, &str)] = &[
    ("customerID", "customerID"),
    ("message.text", "message.text"),
];

#[test]
fn the_spec_sample_message_parses_into_its_fields() {
    let parsed = InboundMessage::parse(MESSAGE.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty());
    let message = parsed.value;
    assert_eq!(message.lead_id, "299614694480093245");
    assert_eq!(message.message.message_id, "8699842694484326245");
    assert_eq!(
        message.message.text.as_deref(),
        Some("Do you offer fridge cleaning or is that extra?")
    );
}

#[test]
fn each_message_key_missing_in_turn_refuses_it_and_other_fields_are_warnings() {
    for (edit, path) in MESSAGE_KEYS {
        let outcome = message_outcome(&with(sample_message(), edit, None));
        assert_eq!(
            outcome,
            Err(vec![((*path).to_owned(), "is required".to_owned())]),
            "{edit}"
        );
    }
    for (edit, path) in MESSAGE_FIELDS {
        let outcome = message_outcome(&with(sample_message(), edit, None));
        assert_eq!(
            outcome,
            Ok(vec![((*path).to_owned(), "is required".to_owned())]),
            "{edit}"
        );
    }
}

#[test]
fn each_message_field_of_the_wrong_type_is_named() {
    for (edit, path) in MESSAGE_KEYS.iter().chain(MESSAGE_FIELDS) {
        let outcome = message_outcome(&with(sample_message(), edit, Some(json!([]))));
        let keyed = MESSAGE_KEYS.contains(&(*edit, *path));
        assert_eq!(outcome.is_err(), keyed, "{edit}");
        let problems = outcome.unwrap_or_else(|refusals| refusals);
        assert_eq!(problems.len(), 1, "{edit}");
        assert_eq!(problems[0].0, *path);
        assert!(problems[0].1.starts_with("must be"), "{problems:?}");
    }
}

#[test]
fn an_empty_message_text_is_accepted_as_free_text() {
    let message = with(sample_message(), "message.text", Some(json!("")));
    assert_eq!(message_outcome(&message), Ok(vec![]));
}

#[test]
fn a_2025_lead_parses_with_its_newer_fields_typed_and_no_warning() {
    let parsed = Lead::parse(fixtures::LEAD_2025.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let lead = parsed.value;
    assert_eq!(lead.lead_type, Some(models::LeadType::InstantBook));
    assert_eq!(lead.lead_price.as_deref(), Some("$25.00"));
    assert_eq!(lead.charge_state.as_deref(), Some("Charged"));
    assert_eq!(lead.price.as_deref(), Some("$258/hour"));
    assert_eq!(
        lead.request.category_id.as_deref(),
        Some("219264413294608591")
    );
    assert!(
        lead.request
            .schedule
            .unwrap()
            .starts_with("Date: Sat, Jun 07 2025\n")
    );
    assert_eq!(lead.request.location.address1.as_deref(), Some(""));
    assert_eq!(
        lead.request.location.zip_code.as_deref(),
        Some("78704-1234")
    );
    assert_eq!(lead.request.attachments[0].file_size, Some(348_211));
    assert_eq!(
        lead.request.attachments[0].mime_type.as_deref(),
        Some("image/jpeg")
    );
    assert_eq!(lead.customer.phone.as_deref(), Some("+15125550142"));
    let value =
        serde_json::to_value(Lead::parse(fixtures::LEAD_2025.as_bytes()).unwrap().value).unwrap();
    assert_eq!(
        value,
        serde_json::from_str::<Value>(fixtures::LEAD_2025).unwrap()
    );
}

#[test]
fn a_lead_type_thumbtack_adds_later_is_kept_as_sent() {
    let lead = with(sample_lead(), "leadType", Some(json!("VIDEO_CONSULT")));
    let parsed = Lead::parse(&serde_json::to_vec(&lead).unwrap()).unwrap();
    assert!(parsed.warnings.is_empty());
    assert_eq!(
        parsed
            .value
            .lead_type
            .map(|t| t.as_str().to_owned())
            .as_deref(),
        Some("VIDEO_CONSULT")
    );
}

#[test]
fn a_newer_field_of_the_wrong_type_is_a_warning_never_a_refusal() {
    let cases = [
        ("leadType", json!(3), "leadType"),
        ("leadType", json!(""), "leadType"),
        ("leadPrice", json!(25), "leadPrice"),
        ("chargeState", json!(true), "chargeState"),
        ("request.categoryID", json!(219), "request.categoryID"),
        ("request.schedule", json!(["Sat"]), "request.schedule"),
        (
            "request.location.address1",
            json!({}),
            "request.location.address1",
        ),
        ("request.attachments", json!("photo"), "request.attachments"),
        (
            "request.attachments.0",
            json!("photo"),
            "request.attachments[0]",
        ),
        (
            "request.attachments.0.fileSize",
            json!("big"),
            "request.attachments[0].fileSize",
        ),
        (
            "request.attachments.0.url",
            json!(7),
            "request.attachments[0].url",
        ),
        ("customer.phone", json!(15125550142_u64), "customer.phone"),
    ];
    let sample: Value = serde_json::from_str(fixtures::LEAD_2025).unwrap();
    for (edit, value, path) in cases {
        let outcome = lead_outcome(&with(sample.clone(), edit, Some(value.clone())));
        let warnings = outcome.unwrap_or_else(|refusals| panic!("{edit}={value}: {refusals:?}"));
        assert_eq!(warnings.len(), 1, "{edit}={value}: {warnings:?}");
        assert_eq!(warnings[0].0, path, "{edit}={value}");
    }
    // A size may come as a string of digits.
    let lead = with(
        sample,
        "request.attachments.0.fileSize",
        Some(json!("348211")),
    );
    let parsed = Lead::parse(&serde_json::to_vec(&lead).unwrap()).unwrap();
    assert_eq!(parsed.value.request.attachments[0].file_size, Some(348_211));
}

#[test]
fn a_2025_message_parses_with_its_attachment() {
    let parsed = InboundMessage::parse(fixtures::MESSAGE_2025.as_bytes()).unwrap();
    assert!(parsed.warnings.is_empty());
    let attachment = &parsed.value.message.attachments[0];
    assert_eq!(attachment.file_name.as_deref(), Some("oven.png"));
    assert_eq!(attachment.description.as_deref(), Some(""));
    let bad = with(sample_message(), "message.attachments", Some(json!([1])));
    assert_eq!(
        message_outcome(&bad),
        Ok(vec![(
            "message.attachments[0]".to_owned(),
            "must be an object".to_owned()
        )])
    );
}
