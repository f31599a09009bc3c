//! Creating (and dropping) the table, the reply queues and the event bus where nothing else owns
//! them: the local stack, the tests and the benchmarks. In AWS the SAM template owns them
//! (`infra/template.yaml` declares the same table, queues and bus), and no function calls this
//! module.

use crate::dynamo::errors::store_error;
use crate::dynamo::schema::{
    GSI1, GSI1_PK, GSI1_PROJECTED, GSI1_SK, GSI2, GSI2_PK, GSI2_PROJECTED, GSI2_SK, PK, SK,
    TTL_ATTRIBUTE,
};
use crate::sqs::{dead_letter_queue_name, queue_error};
use app::StoreError;
use app::ports::QueueError;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::HashMap;
use std::time::Duration;

/// The table's stream, as the template declares it: every change, with both images.
fn stream() -> Result<StreamSpecification, StoreError> {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .map_err(|e| StoreError::Rejected(Box::new(e)))
}

/// Creates the table unless it exists, with its stream and its TTL (turned on for a table made
/// before them).
pub async fn ensure_table(sdk: &SdkConfig, table: &str) -> Result<(), StoreError> {
    ensure_keys_and_stream(sdk, table).await?;
    ensure_ttl(sdk, table).await
}

/// TTL on [`TTL_ATTRIBUTE`], as the template declares it (refusal counts expire after 14 days;
/// the emulator never deletes them, DynamoDB does).
async fn ensure_ttl(sdk: &SdkConfig, table: &str) -> Result<(), StoreError> {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let described = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(store_error)?;
    let status = described
        .time_to_live_description
        .and_then(|d| d.time_to_live_status);
    if matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        return Ok(());
    }
    let specification = TimeToLiveSpecification::builder()
        .attribute_name(TTL_ATTRIBUTE)
        .enabled(true)
        .build()
        .map_err(|e| StoreError::Rejected(Box::new(e)))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(specification)
        .send()
        .await
        .map_err(store_error)?;
    Ok(())
}

async fn ensure_keys_and_stream(sdk: &SdkConfig, table: &str) -> Result<(), StoreError> {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    if let Ok(existing) = client.describe_table().table_name(table).send().await {
        let streaming = existing
            .table
            .and_then(|t| t.stream_specification)
            .is_some_and(|spec| spec.stream_enabled);
        if !streaming {
            client
                .update_table()
                .table_name(table)
                .stream_specification(stream()?)
                .send()
                .await
                .map_err(store_error)?;
        }
        return Ok(());
    }
    let string_key = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))
    };
    let index = |name: &str, pk: &str, sk: &str, projected: &[&str]| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash)?)
            .key_schema(key(sk, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .set_non_key_attributes(Some(
                        projected.iter().map(|a| (*a).to_owned()).collect(),
                    ))
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_key(PK)?)
        .attribute_definitions(string_key(SK)?)
        .attribute_definitions(string_key(GSI1_PK)?)
        .attribute_definitions(string_key(GSI1_SK)?)
        .attribute_definitions(string_key(GSI2_PK)?)
        .attribute_definitions(string_key(GSI2_SK)?)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .global_secondary_indexes(index(GSI1, GSI1_PK, GSI1_SK, &GSI1_PROJECTED)?)
        .global_secondary_indexes(index(GSI2, GSI2_PK, GSI2_SK, &GSI2_PROJECTED)?)
        .stream_specification(stream()?)
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        // Another process created it between our two calls: that is what we wanted.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            Ok(())
        }
        Err(error) => Err(store_error(error)),
    }
}

/// Deletes a table: the emulator keeps whatever it is given, and a benchmark's table should not
/// slow down the runs after it. Best effort: a table that is already gone is no failure.
pub async fn drop_table(sdk: &SdkConfig, table: &str) {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let _ = client.delete_table().table_name(table).send().await;
}

/// A FIFO reply queue and its FIFO dead-letter queue ([`dead_letter_queue_name`]), with the
/// redrive policy. Returns (queue URL, DLQ URL).
pub async fn ensure_queues(
    sdk: &SdkConfig,
    name: &str,
    visibility_timeout: Duration,
    max_receive_count: u32,
) -> Result<(String, String), QueueError> {
    let client = aws_sdk_sqs::Client::new(sdk);
    let dlq = client
        .create_queue()
        .queue_name(dead_letter_queue_name(name))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(queue_error)?;
    let dlq_url = dlq.queue_url.unwrap_or_default();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(queue_error)?
        .attributes
        .unwrap_or_default()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap_or_default();
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": max_receive_count,
    })
    .to_string();
    let attributes = HashMap::from([
        (QueueAttributeName::FifoQueue, "true".to_owned()),
        // As in AWS: a producer may omit the deduplication id (SQS then uses the body's SHA-256).
        (
            QueueAttributeName::ContentBasedDeduplication,
            "true".to_owned(),
        ),
        (
            QueueAttributeName::VisibilityTimeout,
            visibility_timeout.as_secs().to_string(),
        ),
        (QueueAttributeName::RedrivePolicy, redrive),
    ]);
    let queue = client
        .create_queue()
        .queue_name(format!("{}.fifo", name.trim_end_matches(".fifo")))
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(queue_error)?;
    Ok((queue.queue_url.unwrap_or_default(), dlq_url))
}

/// The event bus, and a catch-all rule delivering its events to a standard SQS queue (what a
/// partner's system would read; `make events` follows it). Returns the queue's URL.
pub async fn ensure_event_bus(
    sdk: &SdkConfig,
    bus: &str,
    queue: &str,
) -> Result<String, app::ports::BusError> {
    ensure_bus(sdk, bus).await?;
    let pattern = serde_json::json!({"source": [app::events::SOURCE]});
    ensure_rule_to_queue(sdk, bus, queue, &pattern).await
}

/// The event bus alone, without a rule.
pub async fn ensure_bus(sdk: &SdkConfig, bus: &str) -> Result<(), app::ports::BusError> {
    let bus_error = |e: &dyn std::fmt::Display| app::ports::BusError(e.to_string().into());
    let events = aws_sdk_eventbridge::Client::new(sdk);
    if events.describe_event_bus().name(bus).send().await.is_err() {
        match events.create_event_bus().name(bus).send().await {
            Ok(_) => {}
            // Another process (a second stack, a concurrent test) made it first: what we wanted.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_already_exists_exception()) => {}
            Err(e) => {
                return Err(bus_error(&aws_sdk_eventbridge::error::DisplayErrorContext(
                    e,
                )));
            }
        }
    }
    Ok(())
}

/// A standard SQS queue and a rule on `bus` delivering the events that match `pattern` to it
/// (what a consumer in AWS would set up). Returns the queue's URL.
pub async fn ensure_rule_to_queue(
    sdk: &SdkConfig,
    bus: &str,
    queue: &str,
    pattern: &serde_json::Value,
) -> Result<String, app::ports::BusError> {
    let bus_error = |e: &dyn std::fmt::Display| app::ports::BusError(e.to_string().into());
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue_url = sqs
        .create_queue()
        .queue_name(queue)
        .send()
        .await
        .map_err(|e| bus_error(&aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .queue_url
        .unwrap_or_default();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| bus_error(&aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .attributes
        .unwrap_or_default()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap_or_default();
    let rule = format!("{bus}-to-{queue}");
    let pattern = pattern.to_string();
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(bus)
        .event_pattern(pattern)
        .send()
        .await
        .map_err(|e| bus_error(&aws_sdk_eventbridge::error::DisplayErrorContext(e)))?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("events-queue")
        .arn(queue_arn)
        .build()
        .map_err(|e| bus_error(&e))?;
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(bus)
        .targets(target)
        .send()
        .await
        .map_err(|e| bus_error(&aws_sdk_eventbridge::error::DisplayErrorContext(e)))?;
    Ok(queue_url)
}

/// The KMS key the pros' tokens are sealed with, found by its alias (`alias/<name>`) or made
/// under it: what the template's key is in AWS. Returns the alias, which KMS takes as a key id.
pub async fn ensure_token_key(sdk: &SdkConfig, name: &str) -> Result<String, String> {
    let kms = aws_sdk_kms::Client::new(sdk);
    let alias = format!("alias/{name}");
    if kms.describe_key().key_id(&alias).send().await.is_ok() {
        return Ok(alias);
    }
    let shown = |e: &dyn std::fmt::Display| e.to_string();
    let key = kms
        .create_key()
        .description("the pros' Thumbtack tokens (local)")
        .send()
        .await
        .map_err(|e| shown(&aws_sdk_kms::error::DisplayErrorContext(e)))?;
    let key_id = key
        .key_metadata
        .map(|m| m.key_id)
        .ok_or("KMS made a key without an id")?;
    match kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(key_id)
        .send()
        .await
    {
        Ok(_) => Ok(alias),
        // Another process made it first: its key serves.
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(alias)
        }
        Err(e) => Err(shown(&aws_sdk_kms::error::DisplayErrorContext(e))),
    }
}
