//! The table's stream read directly, for where no Lambda event source mapping does it: the local
//! stack and the tests. Records come back as Lambda delivers them (`aws_lambda_events`' DynamoDB
//! event records), so the events function's handler runs on exactly what it gets in AWS.
//!
//! One reader per table, shard by shard, from the stream's end when it opens (what is written
//! after `open`); a batch the handler did not finish is read again from its failed record, as the
//! event source mapping does.

use super::errors::store_error;
use app::StoreError;
use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::EventRecord;
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Debug)]
pub struct TableStream {
    client: Client,
    stream_arn: String,
    /// Where each shard's reading goes on (`None`: the shard is closed and read to its end).
    iterators: HashMap<String, Option<String>>,
}

/// Records of one shard, in order.
#[derive(Debug, Clone)]
pub struct ShardBatch {
    pub shard_id: String,
    pub records: Vec<EventRecord>,
}

fn failed(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(error.to_string().into())
}

impl TableStream {
    /// The stream of `table`, read from now on.
    pub async fn open(sdk: &SdkConfig, table: &str) -> Result<Self, StoreError> {
        let described = aws_sdk_dynamodb::Client::new(sdk)
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(store_error)?;
        let stream_arn = described
            .table
            .and_then(|t| t.latest_stream_arn)
            .ok_or_else(|| StoreError::Rejected(format!("table {table} has no stream").into()))?;
        let mut stream = TableStream {
            client: Client::new(sdk),
            stream_arn,
            iterators: HashMap::new(),
        };
        stream.find_shards(ShardIteratorType::Latest).await?;
        Ok(stream)
    }

    /// Shards not seen yet, read from `start` (new shards, once open, from their beginning).
    async fn find_shards(&mut self, start: ShardIteratorType) -> Result<(), StoreError> {
        let description = self
            .client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
            .map_err(failed)?
            .stream_description
            .ok_or_else(|| failed("the stream has no description"))?;
        for shard in description.shards.unwrap_or_default() {
            let Some(shard_id) = shard.shard_id else {
                continue;
            };
            if self.iterators.contains_key(&shard_id) {
                continue;
            }
            let iterator = self.iterator(&shard_id, start.clone(), None).await?;
            self.iterators.insert(shard_id, iterator);
        }
        Ok(())
    }

    async fn iterator(
        &self,
        shard_id: &str,
        kind: ShardIteratorType,
        sequence: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .client
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(shard_id)
            .shard_iterator_type(kind)
            .set_sequence_number(sequence.map(str::to_owned))
            .send()
            .await
            .map_err(failed)?
            .shard_iterator)
    }

    /// What was written since the last read, up to `limit` records a shard.
    pub async fn next(&mut self, limit: i32) -> Result<Vec<ShardBatch>, StoreError> {
        self.find_shards(ShardIteratorType::TrimHorizon).await?;
        let mut batches = Vec::new();
        let shards: Vec<(String, String)> = self
            .iterators
            .iter()
            .filter_map(|(shard, iterator)| Some((shard.clone(), iterator.clone()?)))
            .collect();
        for (shard_id, iterator) in shards {
            let output = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .limit(limit)
                .send()
                .await
                .map_err(failed)?;
            self.iterators
                .insert(shard_id.clone(), output.next_shard_iterator);
            let records = output
                .records
                .unwrap_or_default()
                .iter()
                .map(|record| lambda_record(record, &self.stream_arn))
                .collect::<Result<Vec<_>, _>>()?;
            if !records.is_empty() {
                batches.push(ShardBatch { shard_id, records });
            }
        }
        Ok(batches)
    }

    /// Reads `shard_id` again from the record with `sequence` on (the handler did not finish it).
    pub async fn read_again_from(
        &mut self,
        shard_id: &str,
        sequence: &str,
    ) -> Result<(), StoreError> {
        let iterator = self
            .iterator(
                shard_id,
                ShardIteratorType::AtSequenceNumber,
                Some(sequence),
            )
            .await?;
        self.iterators.insert(shard_id.to_owned(), iterator);
        Ok(())
    }
}

/// The record as Lambda's event source mapping hands it to the function.
fn lambda_record(record: &Record, stream_arn: &str) -> Result<EventRecord, StoreError> {
    let change = record
        .dynamodb
        .as_ref()
        .ok_or_else(|| failed("a stream record without its change"))?;
    let images = |image: Option<&HashMap<String, AttributeValue>>| {
        image.map(|map| {
            map.iter()
                .map(|(name, value)| (name.clone(), attribute(value)))
                .collect::<serde_json::Map<_, _>>()
        })
    };
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": change
            .approximate_creation_date_time
            .map_or(0, |t| t.secs()),
        "Keys": images(change.keys.as_ref()).unwrap_or_default(),
        "SequenceNumber": change.sequence_number,
        "SizeBytes": change.size_bytes.unwrap_or_default(),
        "StreamViewType": change.stream_view_type.as_ref().map(|v| v.as_str()),
    });
    if let Some(new) = images(change.new_image.as_ref()) {
        dynamodb["NewImage"] = Value::Object(new);
    }
    if let Some(old) = images(change.old_image.as_ref()) {
        dynamodb["OldImage"] = Value::Object(old);
    }
    let event = json!({
        "eventID": record.event_id,
        "eventName": record.event_name.as_ref().map(|n| n.as_str()),
        "eventVersion": record.event_version,
        "eventSource": record.event_source.as_deref().unwrap_or("aws:dynamodb"),
        "awsRegion": record.aws_region.as_deref().unwrap_or("us-east-1"),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    });
    serde_json::from_value(event).map_err(failed)
}

/// An attribute value in the stream event's JSON (`{"S": "..."}`, `{"N": "1"}`, ...).
fn attribute(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(text) => json!({"S": text}),
        AttributeValue::N(number) => json!({"N": number}),
        AttributeValue::B(bytes) => json!({"B": STANDARD.encode(bytes.as_ref())}),
        AttributeValue::Bool(flag) => json!({"BOOL": flag}),
        AttributeValue::Null(flag) => json!({"NULL": flag}),
        AttributeValue::Ss(texts) => json!({"SS": texts}),
        AttributeValue::Ns(numbers) => json!({"NS": numbers}),
        AttributeValue::Bs(all) => {
            json!({"BS": all.iter().map(|b| STANDARD.encode(b.as_ref())).collect::<Vec<_>>()})
        }
        AttributeValue::L(items) => json!({"L": items.iter().map(attribute).collect::<Vec<_>>()}),
        AttributeValue::M(map) => json!({"M": map
            .iter()
            .map(|(name, value)| (name.clone(), attribute(value)))
            .collect::<serde_json::Map<_, _>>()}),
        _ => json!({"NULL": true}),
    }
}
