//! [`LeadStore`] on DynamoDB: one table, single-table design (see `docs/data-model.md`).
//!
//! Every write that creates something is a `PutItem` conditioned on `attribute_not_exists(PK)`,
//! so any number of concurrent deliveries store one item; the losers get the stored item back in
//! the same call (`ReturnValuesOnConditionCheckFailure`) to tell a duplicate from a revision.

use crate::errors::store_error;
use crate::schema::*;
use crate::warm_up::warm_up;
use app::ports::{
    ConversationRecords, Insert, LeadSummary, MessageRecord, NewLead, NewMessage, NewRevision,
    QuarantineRecord, Quarantined, ReplyRecord, RevisionRecord,
};
use app::{LeadStore, StoreError};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use models::{FieldProblem, Problems};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// A quarantined body up to this size is kept in its record; a larger one (a body over the API's
/// limit, kept all the same) in chunks of this size beside it, under the same partition key.
pub const QUARANTINE_CHUNK_BYTES: usize = 300_000;

/// Fields copied beside `raw` (for listings) are cut to this many bytes: a body under the size
/// limit must always make an item under DynamoDB's 400 KB, whatever its fields hold. The raw body
/// keeps them whole.
pub const MAX_COPIED_BYTES: usize = 256;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// A store on a new client built from the process's SDK configuration.
    pub fn from_config(sdk: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), table)
    }

    /// One cheap read in init (an absent key): opens the connection (TLS in AWS), resolves the
    /// credentials and the endpoint, so the first request pays none of it. A failure is only
    /// logged: the requests will report storage faults themselves.
    pub async fn warm_up(&self) {
        let key = Item::from([(PK.to_owned(), s("WARMUP#")), (SK.to_owned(), s("WARMUP#"))]);
        let read = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .send();
        warm_up("DynamoDB GetItem", read).await;
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

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Puts `item` unless its key exists; on conflict returns the stored item's `raw` body.
    async fn insert(&self, item: Item) -> Result<Insert, StoreError> {
        let key = key_of(&item);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(Insert::Created),
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
        Ok(Insert::Exists {
            raw: string(&existing, "raw")?,
        })
    }

    pub(crate) async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
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

    /// All items of one partition, across pages.
    async fn partition(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
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

    /// The items at `keys` (consistent reads), by PK; absent keys are left out.
    /// Writes a large quarantined body as chunk items beside its record; returns how many.
    async fn put_chunks(&self, digest: &str, raw: &[u8]) -> Result<usize, StoreError> {
        let chunks: Vec<&[u8]> = raw.chunks(QUARANTINE_CHUNK_BYTES).collect();
        for (index, chunk) in chunks.iter().enumerate() {
            let item = Item::from([
                (PK.to_owned(), s(quarantine_pk(digest))),
                (SK.to_owned(), s(quarantine_chunk_sk(index))),
                ("type".to_owned(), s("quarantine-chunk")),
                ("data".to_owned(), AttributeValue::B(Blob::new(*chunk))),
            ]);
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(store_error)?;
        }
        Ok(chunks.len())
    }

    /// A chunked quarantined body, put back together.
    async fn read_chunks(&self, digest: &str, count: usize) -> Result<Vec<u8>, StoreError> {
        let mut raw = Vec::with_capacity(count * QUARANTINE_CHUNK_BYTES);
        let mut found = 0;
        for item in self.partition(quarantine_pk(digest)).await? {
            if string(&item, SK)?.starts_with(QUARANTINE_CHUNK_SK_PREFIX) {
                match item.get("data") {
                    Some(AttributeValue::B(data)) => raw.extend_from_slice(data.as_ref()),
                    _ => return Err(corrupt("data")),
                }
                found += 1;
            }
        }
        if found != count {
            return Err(StoreError::Corrupt(format!(
                "quarantined body {digest} has {found} of its {count} chunks"
            )));
        }
        Ok(raw)
    }

    async fn batch_get(&self, keys: Vec<Item>) -> Result<HashMap<String, Item>, StoreError> {
        let mut found = HashMap::with_capacity(keys.len());
        // BatchGetItem takes at most 100 keys.
        for chunk in keys.chunks(100) {
            let mut pending = Some(chunk.to_vec());
            let mut backoff = std::time::Duration::from_millis(50);
            while let Some(keys) = pending.take().filter(|k| !k.is_empty()) {
                let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
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
                // Keys DynamoDB did not get to (throttling): again, after a pause.
                pending = output
                    .unprocessed_keys
                    .and_then(|mut tables| tables.remove(&self.table))
                    .map(|rest| rest.keys);
                if pending.as_ref().is_some_and(|k| !k.is_empty()) {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(1));
                }
            }
        }
        Ok(found)
    }

    /// Newest first from one GSI1 partition, at most `limit` items.
    async fn index_newest(&self, pk: String, limit: usize) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        while items.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("GSI1PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        items.truncate(limit);
        Ok(items)
    }
}

impl LeadStore for DynamoStore {
    async fn insert_lead(&self, new: NewLead<'_>) -> Result<Insert, StoreError> {
        self.insert(lead_item(new)).await
    }

    async fn insert_message(&self, new: NewMessage<'_>) -> Result<Insert, StoreError> {
        let message = new.message;
        let mut item = Item::with_capacity(10);
        item.insert(PK.into(), s(lead_pk(&message.lead_id)));
        item.insert(SK.into(), s(message_sk(&message.message.message_id)));
        item.insert("type".into(), s("message"));
        item.insert("messageID".into(), s(&message.message.message_id));
        item.insert("leadID".into(), s(&message.lead_id));
        item.insert("businessID".into(), s(&message.business_id));
        if let Some(customer_id) = &message.customer_id {
            item.insert("customerID".into(), s(customer_id));
        }
        item.insert(
            "createTimestamp".into(),
            n(message.message.create_timestamp.0),
        );
        item.insert("raw".into(), s(new.raw));
        item.insert("receivedAt".into(), n(new.received_at_ms));
        insert_warnings(&mut item, new.warnings);
        self.insert(item).await
    }

    async fn insert_revision(&self, new: NewRevision<'_>) -> Result<Insert, StoreError> {
        let mut item = Item::with_capacity(8);
        item.insert(PK.into(), s(lead_pk(new.lead_id)));
        item.insert(SK.into(), s(revision_sk(new.digest)));
        item.insert("type".into(), s("revision"));
        item.insert("of".into(), s(new.of.as_str()));
        item.insert("id".into(), s(new.id));
        item.insert("raw".into(), s(new.raw));
        item.insert("receivedAt".into(), n(new.received_at_ms));
        self.insert(item).await
    }

    async fn quarantine(&self, payload: Quarantined<'_>) -> Result<(), StoreError> {
        let problems = problem_list(payload.problems);
        // The body goes first: a record that lists it always has it. Chunks are keyed by the
        // content's digest, so writing them again (a redelivery) changes nothing.
        let body = if payload.raw.len() <= QUARANTINE_CHUNK_BYTES {
            ("#raw", AttributeValue::B(Blob::new(payload.raw)))
        } else {
            let chunks = self.put_chunks(payload.digest, payload.raw).await?;
            ("#chunks", n(chunks as u64))
        };
        // One UpdateItem: the first delivery sets the record, every delivery counts.
        let expression = format!(
            "SET #type = :type, #route = :route, {name} = if_not_exists({name}, :body), \
             #size = :size, #problems = if_not_exists(#problems, :problems), #count = :count, \
             #first = if_not_exists(#first, :now), #last = :now, \
             GSI1PK = :gsi_pk, GSI1SK = if_not_exists(GSI1SK, :gsi_sk) \
             ADD #deliveries :one",
            name = body.0
        );
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(quarantine_pk(payload.digest)))
            .key(SK, s(QUARANTINE_SK))
            .update_expression(expression)
            .expression_attribute_names("#type", "type")
            .expression_attribute_names("#route", "route")
            .expression_attribute_names(body.0, &body.0[1..])
            .expression_attribute_names("#size", "size")
            .expression_attribute_names("#problems", "problems")
            .expression_attribute_names("#count", "problemCount")
            .expression_attribute_names("#first", "firstReceivedAt")
            .expression_attribute_names("#last", "lastReceivedAt")
            .expression_attribute_names("#deliveries", "deliveries")
            .expression_attribute_values(":type", s("quarantine"))
            .expression_attribute_values(":route", s(payload.route.as_str()))
            .expression_attribute_values(":body", body.1)
            .expression_attribute_values(":size", n(payload.raw.len() as u64))
            .expression_attribute_values(":problems", problems)
            .expression_attribute_values(":count", n(payload.problems.total() as u64))
            .expression_attribute_values(":now", n(payload.received_at_ms))
            .expression_attribute_values(":gsi_pk", s(QUARANTINE_INDEX_PK))
            .expression_attribute_values(
                ":gsi_sk",
                s(quarantine_index_sk(payload.received_at_ms, payload.digest)),
            )
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn conversation(&self, lead_id: &str) -> Result<ConversationRecords, StoreError> {
        let mut records = ConversationRecords::default();
        for item in self.partition(lead_pk(lead_id)).await? {
            let sk = string(&item, SK)?;
            if sk == LEAD_SK {
                records.lead_raw = Some(string(&item, "raw")?);
                records.lead_warnings = warnings(&item)?;
            } else if sk.starts_with(MESSAGE_SK_PREFIX) {
                records.messages.push(MessageRecord {
                    message_id: string(&item, "messageID")?,
                    create_timestamp: number(&item, "createTimestamp")?,
                    raw: string(&item, "raw")?,
                    received_at_ms: number(&item, "receivedAt")?,
                    warnings: warnings(&item)?,
                });
            } else if sk.starts_with(REPLY_SK_PREFIX) {
                records.replies.push(reply_record(&item)?);
            } else if sk.starts_with(REVISION_SK_PREFIX) {
                records.revisions.push(RevisionRecord {
                    of: string(&item, "of")?.parse().map_err(|_| corrupt("of"))?,
                    id: string(&item, "id")?,
                    raw: string(&item, "raw")?,
                    received_at_ms: number(&item, "receivedAt")?,
                });
            }
        }
        Ok(records)
    }

    async fn business_leads(
        &self,
        business_id: &str,
        limit: usize,
    ) -> Result<Vec<LeadSummary>, StoreError> {
        self.index_newest(business_pk(business_id), limit)
            .await?
            .iter()
            .map(|item| {
                Ok(LeadSummary {
                    lead_id: string(item, "leadID")?,
                    create_timestamp: number(item, "createTimestamp")?,
                    category: optional_string(item, "category"),
                    title: optional_string(item, "title"),
                    received_at_ms: number(item, "receivedAt")?,
                })
            })
            .collect()
    }

    async fn list_quarantine(&self, limit: usize) -> Result<Vec<QuarantineRecord>, StoreError> {
        // The index gives the order and the keys; the records (bodies and problems included,
        // which the index does not copy) come from the table.
        let listed = self
            .index_newest(QUARANTINE_INDEX_PK.to_owned(), limit)
            .await?;
        let mut records = self.batch_get(listed.iter().map(key_of).collect()).await?;
        let mut found = Vec::with_capacity(listed.len());
        // The index lags the table, never leads it: a listed item is in the table.
        for item in listed
            .iter()
            .filter_map(|entry| records.remove(&string(entry, PK).ok()?))
        {
            let mut record = quarantine_record(&item)?;
            if let Some(AttributeValue::N(_)) = item.get("chunks") {
                let count = usize::try_from(number(&item, "chunks")?).unwrap_or(usize::MAX);
                record.raw = self.read_chunks(&record.digest, count).await?;
            }
            found.push(record);
        }
        Ok(found)
    }
}

/// The item a lead is stored as (docs/data-model.md). Fields copied beside `raw` are cut to
/// [`MAX_COPIED_BYTES`]; missing ones are left out.
pub fn lead_item(new: NewLead<'_>) -> Item {
    let lead = new.lead;
    let request = &lead.request;
    let location = &request.location;
    let mut item = Item::with_capacity(22);
    item.insert(PK.into(), s(lead_pk(&lead.lead_id)));
    item.insert(SK.into(), s(LEAD_SK));
    item.insert("type".into(), s("lead"));
    item.insert("leadID".into(), s(&lead.lead_id));
    item.insert("businessID".into(), s(&lead.business.business_id));
    let copies = [
        ("customerID", &lead.customer.customer_id),
        ("requestID", &request.request_id),
        ("category", &request.category),
        ("title", &request.title),
        ("city", &location.city),
        ("state", &location.state),
        ("zipCode", &location.zip_code),
        ("price", &lead.price),
    ];
    for (name, value) in copies {
        if let Some(value) = value {
            item.insert(name.into(), s(cut(value, MAX_COPIED_BYTES)));
        }
    }
    item.insert("createTimestamp".into(), n(lead.create_timestamp.0));
    item.insert("raw".into(), s(new.raw));
    item.insert("receivedAt".into(), n(new.received_at_ms));
    insert_warnings(&mut item, new.warnings);
    item.insert(GSI1_PK.into(), s(business_pk(&lead.business.business_id)));
    item.insert(
        GSI1_SK.into(),
        s(business_sk(lead.create_timestamp.0, &lead.lead_id)),
    );
    item
}

/// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `warnings` (the listed ones) and `warningCount` (all of them), when there are any.
fn insert_warnings(item: &mut Item, warnings: &Problems) {
    if warnings.is_empty() {
        return;
    }
    item.insert("warnings".into(), problem_list(warnings));
    item.insert("warningCount".into(), n(warnings.total() as u64));
}

fn problem_list(problems: &Problems) -> AttributeValue {
    AttributeValue::L(
        problems
            .listed()
            .iter()
            .map(|p| {
                AttributeValue::M(HashMap::from([
                    ("path".to_owned(), s(&p.path)),
                    ("reason".to_owned(), s(p.reason.as_ref())),
                ]))
            })
            .collect(),
    )
}

fn read_problems(item: &Item, list: &str, count: &str) -> Result<Problems, StoreError> {
    let listed = match item.get(list) {
        None => Vec::new(),
        Some(AttributeValue::L(entries)) => entries
            .iter()
            .map(|entry| match entry {
                AttributeValue::M(map) => Ok(FieldProblem {
                    path: string(map, "path")?,
                    reason: string(map, "reason")?.into(),
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

fn warnings(item: &Item) -> Result<Problems, StoreError> {
    read_problems(item, "warnings", "warningCount")
}

fn reply_record(item: &Item) -> Result<ReplyRecord, StoreError> {
    Ok(ReplyRecord {
        reply_id: string(item, "replyID")?,
        text: string(item, "text")?,
        status: string(item, "status")?
            .parse()
            .map_err(|_| corrupt("status"))?,
        error: item.get("lastError").and_then(|v| v.as_s().ok()).cloned(),
        enqueued_at_ms: number(item, "enqueuedAt")?,
        sequence: item.get("sequence").and_then(|v| v.as_s().ok()).cloned(),
        attempts: u32::try_from(number(item, "attempts")?).unwrap_or(u32::MAX),
    })
}

/// A quarantine record; a chunked body is left empty here, for the caller to read.
fn quarantine_record(item: &Item) -> Result<QuarantineRecord, StoreError> {
    let raw = match (item.get("raw"), item.get("chunks")) {
        (Some(AttributeValue::B(blob)), _) => blob.clone().into_inner(),
        (None, Some(AttributeValue::N(_))) => Vec::new(),
        _ => return Err(corrupt("raw")),
    };
    let problems = read_problems(item, "problems", "problemCount")?;
    let digest = string(item, PK)?
        .trim_start_matches("QUARANTINE#")
        .to_owned();
    Ok(QuarantineRecord {
        route: string(item, "route")?,
        digest,
        raw,
        problems,
        deliveries: number(item, "deliveries")?,
        first_received_at_ms: number(item, "firstReceivedAt")?,
        last_received_at_ms: number(item, "lastReceivedAt")?,
    })
}

fn key_of(item: &Item) -> Item {
    [PK, SK]
        .into_iter()
        .filter_map(|k| item.get(k).map(|v| (k.to_owned(), v.clone())))
        .collect()
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn corrupt(attribute: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "attribute {attribute} is missing or of the wrong type"
    ))
}

pub(crate) fn string(item: &Item, attribute: &str) -> Result<String, StoreError> {
    match item.get(attribute) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(corrupt(attribute)),
    }
}

fn optional_string(item: &Item, attribute: &str) -> Option<String> {
    item.get(attribute).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn number(item: &Item, attribute: &str) -> Result<u64, StoreError> {
    match item.get(attribute) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| corrupt(attribute)),
        _ => Err(corrupt(attribute)),
    }
}
