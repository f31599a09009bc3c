//! Reading and writing the attributes of an item: typed values in, typed values out, and a
//! `Corrupt` error naming the attribute when an item does not have the shape we write.

use super::schema::{GSI2_PK, PK, SK, attr, changes_pk};
use app::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use models::{FieldProblem, Problems};
use std::collections::HashMap;

/// Fields copied beside `raw` (for listings) are cut to this many bytes: a body under the size
/// limit must always make an item under DynamoDB's 400 KB, whatever its fields hold. The raw body
/// keeps them whole.
pub const MAX_COPIED_BYTES: usize = 256;

pub type Item = HashMap<String, AttributeValue>;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn corrupt(attribute: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "attribute {attribute} is missing or of the wrong type"
    ))
}

pub(super) fn string(item: &Item, attribute: &str) -> Result<String, StoreError> {
    match item.get(attribute) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(corrupt(attribute)),
    }
}

pub(super) fn optional_string(item: &Item, attribute: &str) -> Option<String> {
    item.get(attribute).and_then(|v| v.as_s().ok()).cloned()
}

pub(super) fn number(item: &Item, attribute: &str) -> Result<u64, StoreError> {
    match item.get(attribute) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| corrupt(attribute)),
        _ => Err(corrupt(attribute)),
    }
}

/// A string attribute that names a variant (`ReplyStatus`, `RevisionOf`).
pub(super) fn parsed<T: std::str::FromStr>(item: &Item, attribute: &str) -> Result<T, StoreError> {
    string(item, attribute)?
        .parse()
        .map_err(|_| corrupt(attribute))
}

/// The item's key (`PK` and `SK`).
pub(super) fn key_of(item: &Item) -> Item {
    [PK, SK]
        .into_iter()
        .filter_map(|k| item.get(k).map(|v| (k.to_owned(), v.clone())))
        .collect()
}

/// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
pub(super) fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The listed problems, as a list of `{path, reason}` maps.
pub(super) fn problem_list(problems: &Problems) -> AttributeValue {
    AttributeValue::L(
        problems
            .listed()
            .iter()
            .map(|p| {
                AttributeValue::M(HashMap::from([
                    (attr::PATH.to_owned(), s(&p.path)),
                    (attr::REASON.to_owned(), s(p.reason.as_ref())),
                ]))
            })
            .collect(),
    )
}

/// Problems stored as `list` (the listed ones) and `count` (all of them; absent: as listed).
pub(super) fn read_problems(item: &Item, list: &str, count: &str) -> Result<Problems, StoreError> {
    let listed = match item.get(list) {
        None => Vec::new(),
        Some(AttributeValue::L(entries)) => entries
            .iter()
            .map(|entry| match entry {
                AttributeValue::M(map) => Ok(FieldProblem {
                    path: string(map, attr::PATH)?,
                    reason: string(map, attr::REASON)?.into(),
                }),
                _ => Err(corrupt(list)),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(corrupt(list)),
    };
    let total = match item.get(count) {
        None => listed.len(),
        Some(_) => usize::try_from(number(item, count)?).unwrap_or(usize::MAX),
    };
    Ok(Problems::from_stored(listed, total))
}

/// `warnings` (the listed ones) and `warningCount` (all of them), when there are any.
pub(super) fn insert_warnings(item: &mut Item, warnings: &Problems) {
    if warnings.is_empty() {
        return;
    }
    item.insert(attr::WARNINGS.into(), problem_list(warnings));
    item.insert(attr::WARNING_COUNT.into(), n(warnings.total() as u64));
}

pub(super) fn warnings(item: &Item) -> Result<Problems, StoreError> {
    read_problems(item, attr::WARNINGS, attr::WARNING_COUNT)
}

/// Puts the item in the changes feed (GSI2): its shard now; its place (`GSI2SK`) is the time of
/// the write, set by the `DynamoStore` call that sends it. Its `PK` and `SK` must be set.
pub(super) fn insert_change(item: &mut Item) {
    let key = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            .unwrap_or_default()
    };
    let shard = changes_pk(key(PK), key(SK));
    item.insert(GSI2_PK.into(), s(shard));
}

/// Marks a fact that came through v4 (its body is a v4 envelope, `models::v4::stored`):
/// `route` = `v4-webhook`, the route that delivered it. The changes feed's index copies `route`,
/// so the feed, the events and the read API tell the contract alike; a legacy fact (and every
/// one stored before v4) has none.
pub fn insert_contract(item: &mut Item, contract: models::Contract) {
    if contract == models::Contract::V4 {
        item.insert(
            attr::ROUTE.into(),
            AttributeValue::S(app::ports::Route::V4Webhook.as_str().to_owned()),
        );
    }
}
