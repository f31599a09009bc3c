//! Hostile input: whatever the bytes, the parsers never panic, every refusal names at least one
//! field path that exists in the grammar of paths (`$`, `a.b`, `a.b[3].c`), and so does every
//! warning. The typed fast path and the walker agree on every input, bytes that are not UTF-8 and
//! JSON that serde_json's `Value` cannot hold included.
#![allow(clippy::unwrap_used)]

use models::v4::Delivery;
use models::{InboundMessage, Invalid, Lead, Problems, ReplyRequest};
use proptest::prelude::*;
use serde_json::{Value, json};

const LEAD: &str = fixtures::LEAD;
const MESSAGE: &str = fixtures::MESSAGE;

fn well_formed_paths(invalid: &Invalid) -> bool {
    !invalid.problems.is_empty() && paths_in_grammar(&invalid.problems)
}

fn paths_in_grammar(problems: &Problems) -> bool {
    problems.total() >= problems.listed().len()
        && problems.listed().iter().all(|p| {
            p.path == "$"
                || p.path.split('.').all(|segment| {
                    let name = segment.split('[').next().unwrap_or_default();
                    !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_alphanumeric())
                        && segment[name.len()..].split_terminator(']').all(|index| {
                            index
                                .strip_prefix('[')
                                .is_some_and(|n| n.parse::<usize>().is_ok())
                        })
                })
        })
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "[0-9]{1,14}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every pointer to a value inside `value` (`/request/location/city`, `/request/details/1`).
fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{index}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Truncate(usize),
    RepeatFirstKey,
    /// Inserts `"<key>": <raw>` at the start of the n-th object of the serialised text: raw text
    /// that a `Value` cannot carry (invalid UTF-8, lone surrogates, `1e400`), or a key given twice.
    InsertRaw(usize, &'static str, Vec<u8>),
    /// Overwrites one byte of the serialised text.
    Byte(usize, u8),
}

/// Raw JSON values a `serde_json::Value` could not represent, and ordinary ones.
fn raw_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\"caf\xE9\"".to_vec()),
        Just(b"\"\\ud800\"".to_vec()),
        Just(b"\"\\udc00\\ud800\"".to_vec()),
        Just(b"1e400".to_vec()),
        Just(b"-1e400".to_vec()),
        Just(b"123456789012345678901234567890".to_vec()),
        Just(b"\"x\"".to_vec()),
        Just(b"null".to_vec()),
        Just(b"{\"a\":1,\"a\":2}".to_vec()),
        Just(b"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]".to_vec()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
        Just(Mutation::RepeatFirstKey),
        (
            any::<usize>(),
            prop_oneof![
                Just("extra"),
                Just("leadID"),
                Just("city"),
                Just("text"),
                Just("businessID"),
                Just("question"),
                Just("leadType"),
                Just("negotiationID"),
                Just("createdAt"),
                Just("customer"),
                Just("start"),
                Just("from"),
            ],
            raw_value()
        )
            .prop_map(|(i, key, raw)| Mutation::InsertRaw(i, key, raw)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i, b)),
    ]
}

fn mutate(original: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut value: Value = serde_json::from_str(original).unwrap();
    // Byte-level mutations apply to the text once every value-level one is done.
    let mut text_edits = Vec::new();
    for mutation in mutations {
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        match mutation {
            Mutation::Replace(i, new) if !all.is_empty() => {
                *value.pointer_mut(&all[i % all.len()]).unwrap() = new.clone();
            }
            Mutation::Remove(i) if !all.is_empty() => {
                let pointer = &all[i % all.len()];
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                match value.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(key);
                    }
                    Some(Value::Array(items)) => {
                        let index: usize = key.parse().unwrap();
                        if index < items.len() {
                            items.remove(index);
                        }
                    }
                    _ => {}
                }
            }
            Mutation::Truncate(at) => {
                let text = value.to_string();
                let cut = at % (text.len() + 1);
                return text.as_bytes()[..cut].to_vec();
            }
            Mutation::RepeatFirstKey => {
                let text = value.to_string();
                if let Some(rest) = text.strip_prefix('{') {
                    return format!("{{\"leadID\":\"x\",{rest}").into_bytes();
                }
            }
            Mutation::InsertRaw(..) | Mutation::Byte(..) => text_edits.push(mutation),
            _ => {}
        }
    }
    let mut bytes = serde_json::to_vec(&value).unwrap();
    for edit in text_edits {
        match edit {
            Mutation::InsertRaw(n, key, raw) => {
                let objects: Vec<usize> = bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'{')
                    .map(|(i, _)| i)
                    .collect();
                if objects.is_empty() {
                    continue;
                }
                let at = objects[n % objects.len()] + 1;
                let empty = bytes.get(at) == Some(&b'}');
                let mut inserted = format!("\"{key}\":").into_bytes();
                inserted.extend_from_slice(raw);
                if !empty {
                    inserted.push(b',');
                }
                bytes.splice(at..at, inserted);
            }
            Mutation::Byte(n, byte) if !bytes.is_empty() => {
                let at = n % bytes.len();
                bytes[at] = *byte;
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_and_a_refusal_names_a_path(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let refusals = [Lead::parse(&bytes).err(), InboundMessage::parse(&bytes).err(), ReplyRequest::parse(&bytes).err()];
        for invalid in refusals.into_iter().flatten() {
            prop_assert!(well_formed_paths(&invalid), "{invalid:?}");
        }
        prop_assert_eq!(Lead::parse(&bytes), Lead::parse_by_walking(&bytes));
        prop_assert_eq!(InboundMessage::parse(&bytes), InboundMessage::parse_by_walking(&bytes));
        prop_assert_eq!(Delivery::parse(&bytes), Delivery::parse_by_walking(&bytes));
    }

    #[test]
    fn arbitrary_json_objects_are_parsed_or_refused_with_paths(value in any_json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        match Lead::parse(&bytes) {
            Ok(parsed) => prop_assert!(paths_in_grammar(&parsed.warnings), "{parsed:?}"),
            Err(invalid) => prop_assert!(well_formed_paths(&invalid), "{invalid:?}"),
        }
        match InboundMessage::parse(&bytes) {
            Ok(parsed) => prop_assert!(paths_in_grammar(&parsed.warnings), "{parsed:?}"),
            Err(invalid) => prop_assert!(well_formed_paths(&invalid), "{invalid:?}"),
        }
    }

    #[test]
    fn mutated_valid_leads_are_parsed_or_refused_with_paths(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(LEAD, &mutations);
        match Lead::parse(&bytes) {
            Ok(parsed) => {
                prop_assert!(models::is_valid_id(&parsed.value.lead_id));
                prop_assert!(models::is_valid_id(&parsed.value.business.business_id));
                prop_assert!(std::str::from_utf8(&bytes).is_ok());
                prop_assert!(paths_in_grammar(&parsed.warnings), "{parsed:?}");
            }
            Err(invalid) => prop_assert!(well_formed_paths(&invalid), "{invalid:?}"),
        }
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_leads(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(LEAD, &mutations);
        prop_assert_eq!(Lead::parse(&bytes), Lead::parse_by_walking(&bytes));
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_2025_leads(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(fixtures::LEAD_2025, &mutations);
        prop_assert_eq!(Lead::parse(&bytes), Lead::parse_by_walking(&bytes));
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_2025_messages(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(fixtures::MESSAGE_2025, &mutations);
        prop_assert_eq!(InboundMessage::parse(&bytes), InboundMessage::parse_by_walking(&bytes));
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_lead_updates(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(fixtures::LEAD_UPDATE, &mutations);
        prop_assert_eq!(models::LeadUpdate::parse(&bytes), models::LeadUpdate::parse_by_walking(&bytes));
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_reviews(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(fixtures::REVIEW, &mutations);
        prop_assert_eq!(models::ReviewDelivery::parse(&bytes), models::ReviewDelivery::parse_by_walking(&bytes));
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_messages(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(MESSAGE, &mutations);
        prop_assert_eq!(InboundMessage::parse(&bytes), InboundMessage::parse_by_walking(&bytes));
    }

    #[test]
    fn mutated_valid_messages_are_parsed_or_refused_with_paths(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(MESSAGE, &mutations);
        if let Err(invalid) = InboundMessage::parse(&bytes) {
            prop_assert!(well_formed_paths(&invalid), "{invalid:?}");
        }
    }

    #[test]
    fn null_in_a_lead_refuses_it_only_at_a_key_and_warns_only_where_the_field_is_required(index in any::<usize>()) {
        let bytes = mutate(LEAD, &[Mutation::Replace(index, Value::Null)]);
        let mut all = Vec::new();
        pointers(&serde_json::from_str(LEAD).unwrap(), String::new(), &mut all);
        let pointer = all[index % all.len()].as_str();
        let key = ["/leadID", "/createTimestamp", "/business", "/business/businessID"].contains(&pointer);
        let optional = ["/request/description", "/request/details"].contains(&pointer);
        match Lead::parse(&bytes) {
            Ok(parsed) => {
                prop_assert!(!key, "null at {}", pointer);
                prop_assert_eq!(parsed.warnings.is_empty(), optional, "null at {}", pointer);
            }
            Err(_) => prop_assert!(key, "null at {}", pointer),
        }
    }

    #[test]
    fn numbers_where_strings_belong_are_named_at_their_path(index in any::<usize>(), number in any::<i64>()) {
        let original: Value = serde_json::from_str(MESSAGE).unwrap();
        let mut all = Vec::new();
        pointers(&original, String::new(), &mut all);
        let strings: Vec<&String> = all.iter().filter(|p| original.pointer(p).unwrap().is_string()).collect();
        let pointer = strings[index % strings.len()];
        let mut value = original.clone();
        *value.pointer_mut(pointer).unwrap() = json!(number);
        let expected = pointer.trim_start_matches('/').replace('/', ".");
        // A number is a valid creation time; anywhere else it is named.
        match InboundMessage::parse(&serde_json::to_vec(&value).unwrap()) {
            Ok(parsed) if expected == "message.createTimestamp" => prop_assert!(parsed.warnings.is_empty() || number < 0),
            Ok(parsed) => prop_assert_eq!(parsed.warnings.paths(), vec![expected.as_str()]),
            Err(invalid) => prop_assert_eq!(invalid.paths(), vec![expected.as_str()]),
        }
    }

    #[test]
    fn huge_strings_are_parsed_without_trouble(length in 0usize..300_000) {
        let lead: Value = serde_json::from_str(LEAD).unwrap();
        let mut lead = lead;
        lead["request"]["description"] = json!("é".repeat(length / 2));
        prop_assert!(Lead::parse(&serde_json::to_vec(&lead).unwrap()).is_ok());
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_v4_negotiations(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(fixtures::v4::NEGOTIATION_CREATED, &mutations);
        prop_assert_eq!(Delivery::parse(&bytes), Delivery::parse_by_walking(&bytes));
    }

    #[test]
    fn the_fast_path_and_the_walker_agree_on_mutated_v4_messages(mutations in prop::collection::vec(mutation(), 1..4)) {
        let bytes = mutate(fixtures::v4::MESSAGE_CREATED, &mutations);
        prop_assert_eq!(Delivery::parse(&bytes), Delivery::parse_by_walking(&bytes));
    }
}
