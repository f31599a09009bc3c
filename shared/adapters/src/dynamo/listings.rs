//! [`Listings`] on the table's indexes: a business's leads on GSI1, newest first (the
//! quarantined payloads there are the quarantine desk's); the changes feed on GSI2, oldest first
//! (docs/data-model.md).
//!
//! A GSI1 page's cursor is where DynamoDB stopped (its `LastEvaluatedKey`): the last item's table
//! keys and index sort key, encoded. A GSI2 page's cursor is the index sort key of its last entry
//! (a time and the item's keys): the next page is the range after it, so an entry that moved (a
//! reply tried again) or a clock that differs never makes a position invalid.

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, key_of, number, optional_string, s, string};
use super::schema::{
    FEED_SHARDS, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, PK, SK, attr, business_of, business_pk,
    business_reviews_pk, business_start, changes_partitions, changes_start,
};
use app::StoreError;
use app::events::FeedEntry;
use app::ports::{CreatedWindow, Cursor, LeadSummary, Listed, Listings, Page, ReviewRecord};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

impl Listings for DynamoStore {
    async fn business_leads(
        &self,
        business_id: &str,
        window: CreatedWindow,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<LeadSummary>, StoreError> {
        let range = SortRange {
            from: window.since.map(business_start),
            before: window.until.map(business_start),
        };
        if range.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let partition = business_pk(business_id);
        let start = after
            .map(|c| start_key(&partition, c, &range))
            .transpose()?;
        let (items, next) = self.index_newest(partition, range, limit, start).await?;
        // GSI1 copies no contract, and a projection cannot change in place (a new index would
        // have to be built and read instead): the page's lead items tell it, one `BatchGetItem`
        // of their `route` alone (docs/data-model.md).
        let routes = self
            .batch_get_attributes(items.iter().map(key_of).collect(), Some(&[attr::ROUTE]))
            .await?;
        let summaries = items.iter().map(|item| {
            let contract = routes
                .get(&string(item, PK)?)
                .map_or(models::Contract::Legacy, super::changes::contract);
            lead_summary(item, contract)
        });
        Ok(Page {
            items: summaries.collect::<Result<_, _>>()?,
            next: next.as_ref().map(cursor).transpose()?,
        })
    }

    async fn business_reviews(
        &self,
        business_id: &str,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<Listed<ReviewRecord>>, StoreError> {
        let partition = business_reviews_pk(business_id);
        let start = after
            .map(|c| start_key(&partition, c, &SortRange::default()))
            .transpose()?;
        let (listed, next) = self
            .index_newest(partition, SortRange::default(), limit, start)
            .await?;
        // The index gives the order and the keys; the bodies come from the table.
        let mut bodies = self.batch_get(listed.iter().map(key_of).collect()).await?;
        let mut items = Vec::with_capacity(listed.len());
        for entry in &listed {
            if let Some(review) = bodies.remove(&string(entry, PK)?) {
                items.push(Listed {
                    item: ReviewRecord {
                        raw: string(&review, attr::RAW)?,
                        received_at_ms: number(&review, attr::RECEIVED_AT)?,
                    },
                    // Where DynamoDB would have stopped, had the page ended with it.
                    after: cursor(entry)?,
                });
            }
        }
        Ok(Page {
            items,
            next: next.as_ref().map(cursor).transpose()?,
        })
    }

    async fn changes(
        &self,
        since_ms: u64,
        before_ms: u64,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<FeedEntry>, StoreError> {
        // `from` is inclusive (a position is its last entry's own key, skipped below); `upto` is a
        // bare time, which sorts before every entry of that millisecond.
        let from = match after {
            Some(cursor) if is_changes_position(&cursor.0) => cursor.0.clone(),
            Some(_) => return Err(StoreError::UnreadablePosition),
            None => changes_start(since_ms),
        };
        let upto = changes_start(before_ms);
        let mut items = Vec::new();
        let mut last = from.clone();
        // DynamoDB refuses a BETWEEN whose bounds are the wrong way round: nothing to read yet.
        if from >= upto || limit == 0 {
            return Ok(Page {
                items,
                next: Some(Cursor(last)),
            });
        }
        // A merge of the shards by place: a shard's entries come in place order, so the smallest
        // head of all is the next entry, once every shard that may hold more has a head.
        let first_read = limit.div_ceil(FEED_SHARDS as usize) + 1;
        let mut shards: Vec<Shard> = changes_partitions()
            .map(|partition| Shard::new(partition, first_read))
            .collect();
        while items.len() < limit {
            let reads = shards
                .iter_mut()
                .filter(|shard| shard.wants_more())
                .map(|shard| self.read_shard(shard, &from, &upto, limit));
            futures::future::try_join_all(reads).await?;
            let Some(shard) = shards
                .iter_mut()
                .filter(|shard| !shard.entries.is_empty())
                .min_by(|a, b| a.entries[0].0.cmp(&b.entries[0].0))
            else {
                break;
            };
            let Some((place, item)) = shard.entries.pop_front() else {
                break;
            };
            if place == from {
                continue;
            }
            if let Some(entry) = feed_entry(&item, &place)? {
                items.push(entry);
            }
            last = place;
        }
        Ok(Page {
            items,
            next: Some(Cursor(last)),
        })
    }
}

/// One GSI2 partition of the changes feed as a page merges it: what was read and not yet taken,
/// and where its query stopped.
struct Shard {
    partition: String,
    entries: std::collections::VecDeque<(String, Item)>,
    start: Option<Item>,
    done: bool,
    /// How many entries its next read asks for: doubled at each read, so that a partition that
    /// holds most of a page (the one of before the sharding, for an old position) takes a few
    /// reads, not one per handful.
    next_read: usize,
}

impl Shard {
    fn new(partition: String, first_read: usize) -> Self {
        Shard {
            partition,
            entries: std::collections::VecDeque::new(),
            start: None,
            done: false,
            next_read: first_read,
        }
    }

    fn wants_more(&self) -> bool {
        self.entries.is_empty() && !self.done
    }
}

impl DynamoStore {
    /// The next entries of `shard` within `from..upto`, oldest first.
    async fn read_shard(
        &self,
        shard: &mut Shard,
        from: &str,
        upto: &str,
        limit: usize,
    ) -> Result<(), StoreError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression(format!(
                "{GSI2_PK} = :pk AND {GSI2_SK} BETWEEN :from AND :upto"
            ))
            .expression_attribute_values(":pk", s(&shard.partition))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":upto", s(upto))
            .limit(i32::try_from(shard.next_read).unwrap_or(i32::MAX))
            .set_exclusive_start_key(shard.start.take())
            .send()
            .await
            .map_err(store_error)?;
        shard.next_read = (shard.next_read * 2).min(limit + 1);
        for item in page.items.unwrap_or_default() {
            shard.entries.push_back((string(&item, GSI2_SK)?, item));
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => shard.start = Some(key),
            _ => shard.done = true,
        }
        Ok(())
    }
}

/// Bounds on an index's sort key: `from` inclusive, `before` exclusive. Both are bare prefixes
/// (a time), which no key equals: every key goes on with `#` and ids.
#[derive(Debug, Clone, Default)]
pub(crate) struct SortRange {
    pub(crate) from: Option<String>,
    pub(crate) before: Option<String>,
}

impl SortRange {
    /// Whether nothing can be in it.
    fn is_empty(&self) -> bool {
        matches!((&self.from, &self.before), (Some(from), Some(before)) if from >= before)
    }

    /// The key condition on `sk` beside `pk = :pk`, with its values.
    pub(super) fn condition(&self, pk: &str, sk: &str) -> (String, Vec<(&'static str, String)>) {
        match (&self.from, &self.before) {
            (Some(from), Some(before)) => (
                format!("{pk} = :pk AND {sk} BETWEEN :from AND :before"),
                vec![(":from", from.clone()), (":before", before.clone())],
            ),
            (Some(from), None) => (
                format!("{pk} = :pk AND {sk} >= :from"),
                vec![(":from", from.clone())],
            ),
            (None, Some(before)) => (
                format!("{pk} = :pk AND {sk} < :before"),
                vec![(":before", before.clone())],
            ),
            (None, None) => (format!("{pk} = :pk"), Vec::new()),
        }
    }
}

/// A lead as the index copies it (`schema::GSI1_PROJECTED`); its business is its partition's.
/// A GSI1 entry as the list route shows it; `contract` is its lead item's (GSI1 copies none).
fn lead_summary(item: &Item, contract: models::Contract) -> Result<LeadSummary, StoreError> {
    let partition = string(item, GSI1_PK)?;
    Ok(LeadSummary {
        lead_id: string(item, attr::LEAD_ID)?,
        contract,
        business_id: business_of(&partition)
            .ok_or_else(|| super::item::corrupt(GSI1_PK))?
            .to_owned(),
        create_timestamp: number(item, attr::CREATE_TIMESTAMP)?,
        received_at_ms: number(item, attr::RECEIVED_AT)?,
        category: optional_string(item, attr::CATEGORY),
        title: optional_string(item, attr::TITLE),
        city: optional_string(item, attr::CITY),
        state: optional_string(item, attr::STATE),
        zip_code: optional_string(item, attr::ZIP_CODE),
        lead_type: optional_string(item, attr::LEAD_TYPE),
        lead_price: optional_string(item, attr::LEAD_PRICE),
        charge_state: optional_string(item, attr::CHARGE_STATE),
        first_reply_sent_at_ms: optional_number(item, attr::FIRST_REPLY_SENT_AT)?,
        first_reply_automatic: item
            .get(attr::FIRST_REPLY_AUTOMATIC)
            .and_then(|v| v.as_bool().ok())
            .copied(),
    })
}

fn optional_number(item: &Item, attribute: &str) -> Result<Option<u64>, StoreError> {
    match item.get(attribute) {
        None => Ok(None),
        Some(_) => number(item, attribute).map(Some),
    }
}

/// An entry of the changes index (`schema::GSI2_PROJECTED`) at `place`, read by the one decoder
/// of facts; `None` for an item that holds no fact (a reply with no outcome: never indexed so;
/// read past should the index ever show one).
fn feed_entry(item: &Item, place: &str) -> Result<Option<FeedEntry>, StoreError> {
    let at_ms = place
        .get(..15)
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| super::item::corrupt(GSI2_SK))?;
    let fact = super::changes::fact(item, Some(at_ms))
        .map_err(|undecodable| super::item::corrupt(undecodable.attribute))?;
    Ok(fact.map(|fact| FeedEntry { at_ms, fact }))
}

/// The cursor for where a query stopped: its table keys and its index sort key, one a line (no
/// key holds a newline: ids are validated, digests are hex).
pub(super) fn cursor(stopped_at: &Item) -> Result<Cursor, StoreError> {
    let keys = [PK, SK, GSI1_SK]
        .into_iter()
        .map(|key| string(stopped_at, key))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Cursor(URL_SAFE_NO_PAD.encode(keys.join("\n"))))
}

/// DynamoDB's bounds on a key's value (bytes): a longer one is a `ValidationException`.
const MAX_PARTITION_KEY_BYTES: usize = 2048;
const MAX_SORT_KEY_BYTES: usize = 1024;

/// Whether `position` can be a place in the changes feed (a GSI2 sort key, or a bare time):
/// 15 digits, then nothing or `#` and the item's keys. Anything else would be a query DynamoDB
/// refuses (an empty value) or a silent walk from nowhere.
fn is_changes_position(position: &str) -> bool {
    let (time, rest) = position.split_at_checked(15).unwrap_or(("", ""));
    time.len() == 15
        && time.bytes().all(|b| b.is_ascii_digit())
        && (rest.is_empty() || rest.starts_with('#'))
        && position.len() <= MAX_SORT_KEY_BYTES
}

/// Where a page of `partition` within `range` starts, from a cursor this store gave: a position
/// that does not read as one, or whose keys DynamoDB would refuse or that lies outside the range
/// (DynamoDB refuses a start key outside the key condition), is
/// [`StoreError::UnreadablePosition`], never a query that fails.
pub(super) fn start_key(
    partition: &str,
    cursor: &Cursor,
    range: &SortRange,
) -> Result<Item, StoreError> {
    let refused = || StoreError::UnreadablePosition;
    let text = URL_SAFE_NO_PAD
        .decode(&cursor.0)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(refused)?;
    let keys: Vec<&str> = text.split('\n').collect();
    let [pk, sk, index_sk] = keys[..] else {
        return Err(refused());
    };
    if [pk, sk, index_sk].iter().any(|key| key.is_empty())
        || pk.len() > MAX_PARTITION_KEY_BYTES
        || sk.len() > MAX_SORT_KEY_BYTES
        || index_sk.len() > MAX_SORT_KEY_BYTES
        || range.from.as_deref().is_some_and(|from| index_sk < from)
        || range
            .before
            .as_deref()
            .is_some_and(|before| index_sk >= before)
    {
        return Err(refused());
    }
    Ok(Item::from([
        (PK.to_owned(), s(pk)),
        (SK.to_owned(), s(sk)),
        (GSI1_PK.to_owned(), s(partition)),
        (GSI1_SK.to_owned(), s(index_sk)),
    ]))
}

/// The values of a key condition, as the query takes them.
pub(super) fn condition_values(
    pk: &str,
    values: Vec<(&'static str, String)>,
) -> impl Iterator<Item = (&'static str, AttributeValue)> {
    std::iter::once((":pk", s(pk))).chain(values.into_iter().map(|(name, value)| (name, s(value))))
}
