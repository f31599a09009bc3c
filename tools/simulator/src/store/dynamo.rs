//! The snapshot as one item of the stage's table, `PK = SK = "SIM#state"`, with no `type`
//! attribute: the events function reads every item of the table's stream and publishes only
//! typed facts, so the simulator's writes never become product events.

use super::{Boxed, SnapshotStore, StoreError, Stored};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

/// The prefix of the simulator's partitions: the template holds its role to `SIM#*` keys.
pub const PARTITION_PREFIX: &str = "SIM#";

/// The snapshot's partition and sort key.
pub const KEY: &str = "SIM#state";

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

    fn key() -> [(&'static str, AttributeValue); 2] {
        [
            ("PK", AttributeValue::S(KEY.into())),
            ("SK", AttributeValue::S(KEY.into())),
        ]
    }
}

#[cfg(test)]
#[test]
fn the_snapshot_key_is_under_the_simulator_s_prefix() {
    assert!(KEY.starts_with(PARTITION_PREFIX));
}

fn unavailable(error: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string())
}

impl SnapshotStore for DynamoStore {
    fn load(&self) -> Boxed<'_, Option<Stored>> {
        Box::pin(async move {
            let [pk, sk] = Self::key();
            let answer = self
                .client
                .get_item()
                .table_name(&self.table)
                .key(pk.0, pk.1)
                .key(sk.0, sk.1)
                // Strongly consistent: a section must see the write of the one before it.
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            let Some(item) = answer.item else {
                return Ok(None);
            };
            let body = match item.get("body") {
                Some(AttributeValue::S(body)) => body.clone(),
                _ => return Err(StoreError::corrupt("no body")),
            };
            let version = match item.get("version") {
                Some(AttributeValue::N(n)) => n.parse().map_err(StoreError::corrupt)?,
                _ => return Err(StoreError::corrupt("no version")),
            };
            Ok(Some(Stored { body, version }))
        })
    }

    fn save(&self, body: String, expected: Option<u64>) -> Boxed<'_, bool> {
        Box::pin(async move {
            let [pk, sk] = Self::key();
            let next = expected.map_or(1, |v| v + 1);
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(pk.0, pk.1)
                .item(sk.0, sk.1)
                .item("body", AttributeValue::S(body))
                .item("version", AttributeValue::N(next.to_string()));
            put = match expected {
                None => put.condition_expression("attribute_not_exists(PK)"),
                Some(version) => put
                    .condition_expression("version = :expected")
                    .expression_attribute_values(
                        ":expected",
                        AttributeValue::N(version.to_string()),
                    ),
            };
            match put.send().await {
                Ok(_) => Ok(true),
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
                {
                    Ok(false)
                }
                Err(error) => Err(unavailable(error)),
            }
        })
    }
}
