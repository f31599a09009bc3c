//! Quarantined payloads: a record per route and body digest, counted up by every delivery, and
//! the chunks of a body too large for one item beside it.

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, corrupt, key_of, n, number, problem_list, read_problems, s, string};
use super::listings::{SortRange, cursor, start_key};
use super::schema::{
    GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, PK, QUARANTINE_CHUNK_SK_PREFIX, QUARANTINE_INDEX_PK,
    QUARANTINE_SK, SK, attr, changes_pk, changes_sk, item_type, quarantine_chunk_sk,
    quarantine_digest, quarantine_index_sk, quarantine_pk,
};
use app::StoreError;
use app::ports::{Cursor, Page, QuarantineDesk, QuarantineRecord, Quarantined, ReplayNote};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

/// A quarantined body up to this size is kept in its record; a larger one (a body over the API's
/// limit, kept all the same) in chunks of this size beside it, under the same partition key.
pub const QUARANTINE_CHUNK_BYTES: usize = 300_000;

impl DynamoStore {
    /// Keeps a refused payload: its record, and first its chunks when it is large.
    pub(super) async fn put_quarantined(&self, payload: Quarantined<'_>) -> Result<(), StoreError> {
        let problems = problem_list(payload.problems);
        // The body goes first: a record that lists it always has it. Chunks are keyed by the
        // content's digest, so writing them again (a redelivery) changes nothing.
        let body = if payload.raw.len() <= QUARANTINE_CHUNK_BYTES {
            (attr::RAW, AttributeValue::B(Blob::new(payload.raw)))
        } else {
            let chunks = self.put_chunks(payload.digest, payload.raw).await?;
            (attr::CHUNKS, n(chunks as u64))
        };
        // One UpdateItem: the first delivery sets the record (and its places in the listing and
        // in the changes feed, at its first receipt), every delivery counts. A redelivery
        // changes only what no index copies (`deliveries`, `lastReceivedAt`; GSI1_PROJECTED):
        // no index write, however often a refused payload comes. The problems and their count
        // are the first delivery's, together (a release between two deliveries may find others:
        // a replay tells).
        let expression = format!(
            "SET #type = :type, #route = :route, #body = if_not_exists(#body, :body), \
             #size = :size, #problems = if_not_exists(#problems, :problems), \
             #count = if_not_exists(#count, :count), \
             #first = if_not_exists(#first, :now), #last = :now, \
             {GSI1_PK} = if_not_exists({GSI1_PK}, :gsi_pk), \
             {GSI1_SK} = if_not_exists({GSI1_SK}, :gsi_sk), \
             {GSI2_PK} = if_not_exists({GSI2_PK}, :changes), \
             {GSI2_SK} = if_not_exists({GSI2_SK}, :place) \
             ADD #deliveries :one"
        );
        let pk = quarantine_pk(payload.digest);
        let shard = changes_pk(&pk, QUARANTINE_SK);
        let place = changes_sk(self.feed_time(), &pk, QUARANTINE_SK);
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(QUARANTINE_SK))
            .update_expression(expression)
            .expression_attribute_names("#type", attr::TYPE)
            .expression_attribute_names("#route", attr::ROUTE)
            .expression_attribute_names("#body", body.0)
            .expression_attribute_names("#size", attr::SIZE)
            .expression_attribute_names("#problems", attr::PROBLEMS)
            .expression_attribute_names("#count", attr::PROBLEM_COUNT)
            .expression_attribute_names("#first", attr::FIRST_RECEIVED_AT)
            .expression_attribute_names("#last", attr::LAST_RECEIVED_AT)
            .expression_attribute_names("#deliveries", attr::DELIVERIES)
            .expression_attribute_values(":type", s(item_type::QUARANTINE))
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
            .expression_attribute_values(":changes", s(shard))
            .expression_attribute_values(":place", s(place))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Quarantined payloads, newest first, at most `limit` from `start`, with their bodies; and
    /// where the index query stopped.
    pub(super) async fn quarantined(
        &self,
        limit: usize,
        start: Option<Item>,
    ) -> Result<(Vec<QuarantineRecord>, Option<Item>), StoreError> {
        // The index gives the order and the keys; the records (bodies and problems included,
        // which the index does not copy) come from the table.
        let (listed, stopped_at) = self
            .index_newest(
                QUARANTINE_INDEX_PK.to_owned(),
                SortRange::default(),
                limit,
                start,
            )
            .await?;
        let mut records = self.batch_get(listed.iter().map(key_of).collect()).await?;
        let mut found = Vec::with_capacity(listed.len());
        // The index lags the table, never leads it: a listed item is in the table.
        for item in listed
            .iter()
            .filter_map(|entry| records.remove(&string(entry, PK).ok()?))
        {
            found.push(self.with_body(&item).await?);
        }
        Ok((found, stopped_at))
    }

    /// A record with its body, put back together when it was chunked.
    async fn with_body(&self, item: &Item) -> Result<QuarantineRecord, StoreError> {
        let mut record = quarantine_record(item)?;
        if let Some(AttributeValue::N(_)) = item.get(attr::CHUNKS) {
            let count = usize::try_from(number(item, attr::CHUNKS)?).unwrap_or(usize::MAX);
            record.raw = self.read_chunks(&record.digest, count).await?;
        }
        Ok(record)
    }

    /// Writes a large quarantined body as chunk items beside its record; returns how many.
    async fn put_chunks(&self, digest: &str, raw: &[u8]) -> Result<usize, StoreError> {
        let chunks: Vec<&[u8]> = raw.chunks(QUARANTINE_CHUNK_BYTES).collect();
        for (index, chunk) in chunks.iter().enumerate() {
            let item = Item::from([
                (PK.to_owned(), s(quarantine_pk(digest))),
                (SK.to_owned(), s(quarantine_chunk_sk(index))),
                (attr::TYPE.to_owned(), s(item_type::QUARANTINE_CHUNK)),
                (attr::DATA.to_owned(), AttributeValue::B(Blob::new(*chunk))),
            ]);
            self.put(item).await?;
        }
        Ok(chunks.len())
    }

    /// A chunked quarantined body, put back together.
    async fn read_chunks(&self, digest: &str, count: usize) -> Result<Vec<u8>, StoreError> {
        let mut raw = Vec::with_capacity(count * QUARANTINE_CHUNK_BYTES);
        let mut found = 0;
        for item in self.partition(quarantine_pk(digest)).await? {
            if string(&item, SK)?.starts_with(QUARANTINE_CHUNK_SK_PREFIX) {
                match item.get(attr::DATA) {
                    Some(AttributeValue::B(data)) => raw.extend_from_slice(data.as_ref()),
                    _ => return Err(corrupt(attr::DATA)),
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
}

/// A quarantine record; a chunked body is left empty here, for the caller to read.
fn quarantine_record(item: &Item) -> Result<QuarantineRecord, StoreError> {
    let raw = match (item.get(attr::RAW), item.get(attr::CHUNKS)) {
        (Some(AttributeValue::B(blob)), _) => blob.clone().into_inner(),
        (None, Some(AttributeValue::N(_))) => Vec::new(),
        _ => return Err(corrupt(attr::RAW)),
    };
    let problems = read_problems(item, attr::PROBLEMS, attr::PROBLEM_COUNT)?;
    Ok(QuarantineRecord {
        route: string(item, attr::ROUTE)?,
        digest: quarantine_digest(&string(item, PK)?).to_owned(),
        raw,
        problems,
        deliveries: number(item, attr::DELIVERIES)?,
        first_received_at_ms: number(item, attr::FIRST_RECEIVED_AT)?,
        last_received_at_ms: number(item, attr::LAST_RECEIVED_AT)?,
        replay: match item.get(attr::REPLAY_OUTCOME) {
            Some(_) => Some(ReplayNote {
                outcome: string(item, attr::REPLAY_OUTCOME)?,
                at_ms: number(item, attr::REPLAYED_AT)?,
            }),
            None => None,
        },
    })
}

impl QuarantineDesk for DynamoStore {
    async fn list_quarantine(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Result<Page<QuarantineRecord>, StoreError> {
        let start = after
            .map(|c| start_key(QUARANTINE_INDEX_PK, c, &SortRange::default()))
            .transpose()?;
        let (items, next) = DynamoStore::quarantined(self, limit, start).await?;
        Ok(Page {
            items,
            next: next.as_ref().map(cursor).transpose()?,
        })
    }

    async fn quarantined(&self, digest: &str) -> Result<Option<QuarantineRecord>, StoreError> {
        let key = Item::from([
            (PK.to_owned(), s(quarantine_pk(digest))),
            (SK.to_owned(), s(QUARANTINE_SK)),
        ]);
        match self.get(key).await? {
            Some(item) => Ok(Some(self.with_body(&item).await?)),
            None => Ok(None),
        }
    }

    async fn note_replay(&self, digest: &str, note: &ReplayNote) -> Result<(), StoreError> {
        // Only on a record that is there: a note never makes a record without a body.
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(quarantine_pk(digest)))
            .key(SK, s(QUARANTINE_SK))
            .update_expression("SET #outcome = :outcome, #at = :at")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#outcome", attr::REPLAY_OUTCOME)
            .expression_attribute_names("#at", attr::REPLAYED_AT)
            .expression_attribute_values(":outcome", s(&note.outcome))
            .expression_attribute_values(":at", n(note.at_ms))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
