//! The lead store on DynamoDB: one table, single-table design (see `docs/data-model.md`).
//!
//! [`DynamoStore`] owns the client and the table's name, and makes the table's calls; each port it
//! implements has a child module: [`LeadStore`](app::LeadStore) (leads, messages, revisions,
//! quarantine, conversations) in `store`, [`ReplyLedger`](app::ports::ReplyLedger) in `ledger`,
//! [`Listings`] (the list routes' and the operators' queries over the indexes) in `listings`.
//! The layout of the table is in [`schema`], the attributes' encoding in `item`, and the SDK's
//! errors become the port's [`StoreError`] in `errors`.
//!
//! Every write that creates something is a `PutItem` conditioned on `attribute_not_exists(PK)`,
//! so any number of concurrent deliveries store one item; the losers get the stored item back in
//! the same call (`ReturnValuesOnConditionCheckFailure`) to tell a duplicate from a revision.

pub mod changes;
mod connections;
pub(crate) mod errors;
mod item;
mod ledger;
mod listings;
mod prices;
mod quarantine;
mod refusals;
mod reviews;
pub mod schema;
mod speed;
mod stats;
mod store;
pub mod stream;
mod webhooks;

/// The port of the listings, beside the store that answers them: a caller holding a
/// [`DynamoStore`] (partnerctl) needs no other crate to ask them.
pub use app::ports::{CreatedWindow, Listings};
pub use item::Item;
pub use item::MAX_COPIED_BYTES;
pub use quarantine::QUARANTINE_CHUNK_BYTES;
pub use store::lead_item;

use crate::warm_up::warm_up;
use app::StoreError;
use app::ports::Insert;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnValuesOnConditionCheckFailure,
};
use errors::store_error;
use item::{key_of, s, string};
use listings::{SortRange, condition_values};
use schema::{GSI1, GSI1_PK, GSI1_SK, PK, SK, attr};
use std::collections::HashMap;

/// The most keys one `BatchGetItem` takes.
pub const BATCH_GET_KEYS: usize = 100;

/// The most `BatchGetItem` calls for one set of keys: the first, and the calls for what it left
/// unprocessed (after 50, 100, 200 and 400 ms).
pub const BATCH_GET_TRIES: u32 = 5;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// This process's cap on refusal writes (shared by its clones).
    refusal_throttle: std::sync::Arc<app::refusals::Throttle>,
    /// Where a fact's place in the changes feed comes from.
    clock: FeedClock,
    /// Whether a warm-up call opens a connection nothing else opens ([`DynamoStore::warm_up`]).
    warm_up_pays: bool,
}

/// The clock the store reads for a fact's place in the changes feed, immediately before the write
/// that makes the fact visible: the wall clock, or a fixed time in tests of the feed's order.
#[derive(Clone)]
struct FeedClock(std::sync::Arc<dyn Fn() -> u64 + Send + Sync>);

impl std::fmt::Debug for FeedClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedClock")
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            refusal_throttle: std::sync::Arc::default(),
            clock: FeedClock(std::sync::Arc::new(app::now_millis)),
            warm_up_pays: true,
        }
    }

    /// The same store, placing the facts it writes in the changes feed at the times `clock`
    /// gives (tests that need the feed's order at chosen times).
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = FeedClock(std::sync::Arc::new(clock));
        self
    }

    /// The time of a write that is about to be sent: its fact's place in the changes feed.
    ///
    /// Why here and nowhere else: the feed serves what is older than its settle window, so a
    /// place must never be older than the write that makes it visible by more than the window.
    /// Taken as the call is built, the only delay left is the call itself, which the SDK ends
    /// within its operation timeout (`crate::aws`, 8 s; the read function refuses a settle window
    /// under twice that). A caller's own time (a receipt, a retry loop, a long replay) never
    /// places a fact.
    pub(super) fn feed_time(&self) -> u64 {
        (self.clock.0)()
    }

    /// Sets the feed place of an item that has one (`item::insert_change`) to now.
    fn stamp(&self, item: &mut Item) {
        let key = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        if item.contains_key(schema::GSI2_PK) {
            let place = schema::changes_sk(self.feed_time(), &key(PK), &key(SK));
            item.insert(schema::GSI2_SK.into(), s(place));
        }
    }

    /// A store on a new client built from the process's SDK configuration.
    pub fn from_config(sdk: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        let mut store = Self::new(Client::new(sdk), table);
        // One endpoint for every service (`AWS_ENDPOINT_URL`: an emulator, a proxy): the clients
        // of this configuration share one connection pool and one host, so the connection init's
        // own round trip (a secret's read) opens is the one the first write takes.
        store.warm_up_pays = sdk.endpoint_url().is_none();
        store
    }

    /// One cheap read in init (an absent key): opens the connection (TLS in AWS), resolves the
    /// credentials and the endpoint, so the first request pays none of it. Owns what it needs, to
    /// run in the background ([`crate::warm_up::in_background`]). Nothing when every service is
    /// behind one endpoint: the read would only open a second connection to the same server and
    /// hold up init's own call there (one emulator process serves both).
    pub fn warm_up(&self) -> impl Future<Output = ()> + Send + 'static {
        let key = Item::from([(PK.to_owned(), s("WARMUP#")), (SK.to_owned(), s("WARMUP#"))]);
        let read = self.warm_up_pays.then(|| {
            self.client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .send()
        });
        async move {
            if let Some(read) = read {
                warm_up("DynamoDB GetItem", read).await;
            }
        }
    }

    /// Whether the table answers (DescribeTable): DynamoDB (or the emulator) is reachable and
    /// the table exists. The local stack's `/healthz`.
    pub async fn check(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Puts `item`, over whatever its key held.
    pub(super) async fn put(&self, mut item: Item) -> Result<(), StoreError> {
        self.stamp(&mut item);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Puts `item` unless its key exists; on conflict returns the stored item's `raw` body.
    pub(super) async fn insert(&self, item: Item) -> Result<Insert, StoreError> {
        Ok(match self.insert_item(item).await? {
            None => Insert::Created,
            Some(existing) => Insert::Exists {
                raw: string(&existing, attr::RAW)?,
            },
        })
    }

    /// Puts `item` unless its key exists: `None` when it was put, else the item stored before.
    pub(super) async fn insert_item(&self, mut item: Item) -> Result<Option<Item>, StoreError> {
        let key = key_of(&item);
        self.stamp(&mut item);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(None),
            Err(error) => error,
        };
        let existing = match error.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(conflict)) => {
                conflict.item().cloned()
            }
            _ => return Err(store_error(error)),
        };
        let existing = match existing {
            Some(item) => item,
            // Not every DynamoDB implementation returns the item with the error: read it.
            None => self.get(key).await?.ok_or_else(|| {
                StoreError::Corrupt("condition failed but the item is missing".to_owned())
            })?,
        };
        Ok(Some(existing))
    }

    /// The item at `key` (a consistent read), if there is one.
    pub(super) async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item)
    }

    /// Only `attributes` of the item at `key` (a consistent read), if there is one: a lookup
    /// that leaves the body where it is.
    pub(super) async fn get_attributes(
        &self,
        key: Item,
        attributes: &[&str],
    ) -> Result<Option<Item>, StoreError> {
        let mut names = std::collections::HashMap::with_capacity(attributes.len());
        let projection: Vec<String> = attributes
            .iter()
            .enumerate()
            .map(|(index, name)| {
                names.insert(format!("#a{index}"), (*name).to_owned());
                format!("#a{index}")
            })
            .collect();
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .projection_expression(projection.join(", "))
            .set_expression_attribute_names(Some(names))
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item.filter(|item| !item.is_empty()))
    }

    /// All items of one partition, across pages.
    pub(super) async fn partition(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(format!("{PK} = :pk"))
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// The items at `keys` (consistent reads), by `PK`; absent keys are left out.
    pub(super) async fn batch_get(
        &self,
        keys: Vec<Item>,
    ) -> Result<HashMap<String, Item>, StoreError> {
        self.batch_get_attributes(keys, None).await
    }

    /// The items at `keys` (consistent reads), by `PK`, with only `attributes` (and `PK`) when
    /// given; absent keys are left out. One `BatchGetItem` per [`BATCH_GET_KEYS`] keys; keys
    /// DynamoDB leaves unprocessed (throttled within the batch, or past its 16 MB answer) are
    /// asked for again after a pause, [`BATCH_GET_TRIES`] calls at most in all: then the read
    /// fails as unavailable (the caller's caller tries again later), never a loop for ever.
    pub(super) async fn batch_get_attributes(
        &self,
        keys: Vec<Item>,
        attributes: Option<&[&str]>,
    ) -> Result<HashMap<String, Item>, StoreError> {
        let projection = attributes.map(|attributes| {
            let names: Vec<(String, String)> = [PK]
                .iter()
                .chain(attributes)
                .enumerate()
                .map(|(index, name)| (format!("#a{index}"), (*name).to_owned()))
                .collect();
            let expression: Vec<&str> = names.iter().map(|(p, _)| p.as_str()).collect();
            (
                expression.join(", "),
                names.into_iter().collect::<HashMap<_, _>>(),
            )
        });
        let mut found = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_KEYS) {
            let mut pending = chunk.to_vec();
            let mut backoff = std::time::Duration::from_millis(50);
            for try_number in 1..=BATCH_GET_TRIES {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .set_projection_expression(projection.as_ref().map(|p| p.0.clone()))
                    .set_expression_attribute_names(projection.as_ref().map(|p| p.1.clone()))
                    .build()
                    .map_err(|e| StoreError::Rejected(Box::new(e)))?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(store_error)?;
                for item in output
                    .responses
                    .and_then(|mut tables| tables.remove(&self.table))
                    .unwrap_or_default()
                {
                    found.insert(string(&item, PK)?, item);
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut tables| tables.remove(&self.table))
                    .map(|rest| rest.keys)
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if try_number < BATCH_GET_TRIES {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
            if !pending.is_empty() {
                return Err(StoreError::Unavailable(
                    format!(
                        "{} keys left unprocessed after {BATCH_GET_TRIES} BatchGetItem calls",
                        pending.len()
                    )
                    .into(),
                ));
            }
        }
        Ok(found)
    }

    /// Newest first from one GSI1 partition within `range`, at most `limit` items, from
    /// `start`; and where the query stopped, when there may be more.
    pub(super) async fn index_newest(
        &self,
        pk: String,
        range: SortRange,
        limit: usize,
        mut start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let (condition, values) = range.condition(GSI1_PK, GSI1_SK);
        let values: HashMap<String, AttributeValue> = condition_values(&pk, values)
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        let mut items = Vec::new();
        while items.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression(&condition)
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok((items, None)),
            }
        }
        Ok((items, start))
    }
}
