//! [`ConnectionStore`] on the table: a pro's connection (`CONNECTION#<userID>` / `CONNECTION`),
//! each business's part in it (`BUSINESS#<businessID>` / `CONNECTION`: the user, our webhook and
//! its secret's hash, what a delivery to the webhook is checked against), written together in one
//! transaction; and the used OAuth states (`OAUTHSTATE#<nonce>` / `STATE`, with a TTL).
//!
//! A connection is listed on GSI1 (`CONNECTIONS`, by userID: the keys only, the record read from
//! the table). Its status changes (`CONNECTION#<userID>` / `CHANGE#<ms>#<status>`: ids, status,
//! time) are facts, in the changes feed and on the bus; nothing else of a connection is. None
//! holds a token in clear: the tokens are KMS ciphertext (`crate::connect::KmsVault`).

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, insert_change, key_of, n, number, s, string};
use super::schema::{
    CONNECTION_SK, CONNECTIONS_INDEX_PK, GSI1, GSI1_PK, GSI1_SK, PK, SK, STATE_SK, attr,
    business_pk, connection_change_sk, connection_pk, item_type, oauth_state_pk,
};
use app::StoreError;
use app::ports::{
    ConnectedBusiness, Connection, ConnectionStatus, ConnectionStore, Cursor, Page, SaveNotes,
    StatusChange,
};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::collections::HashMap;

/// DynamoDB's limit of items in one transaction: the connection and its businesses.
const MAX_TRANSACTION_ITEMS: usize = 100;

impl ConnectionStore for DynamoStore {
    async fn consume_state(&self, nonce: &str, expires_at: u64) -> Result<bool, StoreError> {
        let mut item = Item::with_capacity(4);
        item.insert(PK.into(), s(oauth_state_pk(nonce)));
        item.insert(SK.into(), s(STATE_SK));
        item.insert(attr::TYPE.into(), s(item_type::OAUTH_STATE));
        // TTL counts in seconds.
        item.insert(attr::EXPIRES_AT.into(), n(expires_at.div_ceil(1000)));
        Ok(self.insert_item(item).await?.is_none())
    }

    async fn connection(&self, user_id: &str) -> Result<Option<Connection>, StoreError> {
        let key = Item::from([
            (PK.to_owned(), s(connection_pk(user_id))),
            (SK.to_owned(), s(CONNECTION_SK)),
        ]);
        self.get(key)
            .await?
            .map(|item| connection(&item))
            .transpose()
    }

    async fn save_connection(
        &self,
        connection: &Connection,
        notes: &SaveNotes,
    ) -> Result<(), StoreError> {
        self.write_connection(connection, notes, None)
            .await
            .map(|_| ())
    }

    async fn replace_connection(
        &self,
        connection: &Connection,
        notes: &SaveNotes,
        seen: u64,
    ) -> Result<bool, StoreError> {
        self.write_connection(connection, notes, Some(seen)).await
    }

    async fn connections(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<Connection>, StoreError> {
        let start = after.map(|user_id| {
            Item::from([
                (PK.to_owned(), s(connection_pk(user_id))),
                (SK.to_owned(), s(CONNECTION_SK)),
                (GSI1_PK.to_owned(), s(CONNECTIONS_INDEX_PK)),
                (GSI1_SK.to_owned(), s(user_id)),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI1_PK)
            .expression_attribute_values(":pk", s(CONNECTIONS_INDEX_PK))
            .scan_index_forward(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(store_error)?;
        let listed = output.items.unwrap_or_default();
        // The index gives the order and the keys; the records come from the table.
        let mut records = self.batch_get(listed.iter().map(key_of).collect()).await?;
        let mut items = Vec::with_capacity(listed.len());
        for entry in &listed {
            if let Some(record) = records.remove(&string(entry, PK)?) {
                items.push(connection(&record)?);
            }
        }
        let next = match output.last_evaluated_key {
            Some(stopped_at) => Some(Cursor(string(&stopped_at, GSI1_SK)?)),
            None => None,
        };
        Ok(Page { items, next })
    }

    async fn business_user(&self, business_id: &str) -> Result<Option<String>, StoreError> {
        let key = Item::from([
            (PK.to_owned(), s(business_pk(business_id))),
            (SK.to_owned(), s(CONNECTION_SK)),
        ]);
        self.get(key)
            .await?
            .map(|item| string(&item, attr::USER_ID))
            .transpose()
    }

    async fn take_refresh_lease(
        &self,
        user_id: &str,
        holder: &str,
        until: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(connection_key(user_id)))
            .update_expression("SET #holder = :holder, #until = :until")
            .condition_expression(
                "attribute_exists(PK) AND (attribute_not_exists(#until) OR #until <= :now)",
            )
            .expression_attribute_names("#holder", attr::LEASE_HOLDER)
            .expression_attribute_names("#until", attr::LEASE_UNTIL)
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        conditional(result)
    }

    async fn save_refreshed(
        &self,
        user_id: &str,
        holder: &str,
        sealed_tokens: Vec<u8>,
        access_expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(connection_key(user_id)))
            .update_expression(
                "SET #tokens = :tokens, #expires = :expires, #updated = :now REMOVE #holder, #until",
            )
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#tokens", attr::SEALED_TOKENS)
            .expression_attribute_names("#expires", attr::ACCESS_EXPIRES_AT)
            .expression_attribute_names("#updated", attr::UPDATED_AT)
            .expression_attribute_names("#holder", attr::LEASE_HOLDER)
            .expression_attribute_names("#until", attr::LEASE_UNTIL)
            .expression_attribute_values(":tokens", AttributeValue::B(sealed_tokens.into()))
            .expression_attribute_values(":expires", n(access_expires_at))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        conditional(result)
    }

    async fn mark_broken(
        &self,
        user_id: &str,
        business_ids: &[String],
        now: u64,
    ) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(connection_key(user_id)))
            .update_expression("SET #status = :broken, #updated = :now REMOVE #holder, #until")
            .condition_expression("#status = :connected")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#updated", attr::UPDATED_AT)
            .expression_attribute_names("#holder", attr::LEASE_HOLDER)
            .expression_attribute_names("#until", attr::LEASE_UNTIL)
            .expression_attribute_values(":broken", s(ConnectionStatus::Broken.as_str()))
            .expression_attribute_values(":connected", s(ConnectionStatus::Connected.as_str()))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(|e| StoreError::Rejected(Box::new(e)))?;
        let change = StatusChange {
            status: ConnectionStatus::Broken,
            business_ids: business_ids.to_vec(),
            at_ms: now,
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(put(&self.table, self.change_item(user_id, &change))?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            // Not connected (broken before, removed, or never stored): nothing changed.
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(_))
                ) =>
            {
                Ok(false)
            }
            Err(error) => Err(store_error(error)),
        }
    }
}

impl DynamoStore {
    /// A connection's status change, in its partition and in the changes feed, placed at the
    /// time of the write.
    fn change_item(&self, user_id: &str, change: &StatusChange) -> Item {
        let status = change.status.as_str();
        let mut item = Item::with_capacity(9);
        item.insert(PK.into(), s(connection_pk(user_id)));
        item.insert(SK.into(), s(connection_change_sk(change.at_ms, status)));
        item.insert(attr::TYPE.into(), s(item_type::CONNECTION_CHANGE));
        item.insert(attr::USER_ID.into(), s(user_id));
        item.insert(
            attr::BUSINESS_IDS.into(),
            AttributeValue::L(change.business_ids.iter().map(s).collect()),
        );
        item.insert(attr::STATUS.into(), s(status));
        item.insert(attr::CREATED_AT.into(), n(change.at_ms));
        insert_change(&mut item);
        self.stamp(&mut item);
        item
    }
}

/// One put of a transaction.
fn put(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map(|put| TransactWriteItem::builder().put(put).build())
        .map_err(|e| StoreError::Rejected(Box::new(e)))
}

impl DynamoStore {
    /// The connection, its businesses, the gone businesses' records deleted and its status
    /// change, in one transaction; when `seen` is given, only over the record of that
    /// `updatedAt` (`false` when it changed since).
    async fn write_connection(
        &self,
        connection: &Connection,
        notes: &SaveNotes,
        seen: Option<u64>,
    ) -> Result<bool, StoreError> {
        let writes = 1 + connection.businesses.len() + notes.gone.len() + 1;
        if writes > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::Rejected(
                format!(
                    "{} businesses: more than one transaction holds",
                    connection.businesses.len() + notes.gone.len()
                )
                .into(),
            ));
        }
        let mut items = vec![connection_item(connection)];
        items.extend(
            connection
                .businesses
                .iter()
                .map(|b| business_item(&connection.user_id, b, connection.updated_at)),
        );
        if let Some(change) = &notes.change {
            items.push(self.change_item(&connection.user_id, change));
        }
        let mut writes = items
            .into_iter()
            .map(|item| put(&self.table, item))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(seen) = seen {
            // Only over the record as it was read: a refresh since would be lost with its tokens.
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(connection_item(connection)))
                .condition_expression("#updated = :seen")
                .expression_attribute_names("#updated", attr::UPDATED_AT)
                .expression_attribute_values(":seen", n(seen))
                .build()
                .map_err(|e| StoreError::Rejected(Box::new(e)))?;
            writes[0] = TransactWriteItem::builder().put(put).build();
        }
        for business_id in &notes.gone {
            // Only a record that is still this user's: the business may have moved to another.
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(Item::from([
                    (PK.to_owned(), s(business_pk(business_id))),
                    (SK.to_owned(), s(CONNECTION_SK)),
                ])))
                .condition_expression("attribute_not_exists(PK) OR #user = :user")
                .expression_attribute_names("#user", attr::USER_ID)
                .expression_attribute_values(":user", s(&connection.user_id))
                .build()
                .map_err(|e| StoreError::Rejected(Box::new(e)))?;
            writes.push(TransactWriteItem::builder().delete(delete).build());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if seen.is_some() && cancelled(&error) => Ok(false),
            Err(error) => Err(store_error(error)),
        }
    }
}

/// Whether a transaction was cancelled by one of its conditions.
fn cancelled(
    error: &aws_sdk_dynamodb::error::SdkError<
        TransactWriteItemsError,
        aws_sdk_dynamodb::config::http::HttpResponse,
    >,
) -> bool {
    matches!(
        error.as_service_error(),
        Some(TransactWriteItemsError::TransactionCanceledException(_))
    )
}

fn connection_key(user_id: &str) -> Item {
    Item::from([
        (PK.to_owned(), s(connection_pk(user_id))),
        (SK.to_owned(), s(CONNECTION_SK)),
    ])
}

/// A conditional update: `true` when made, `false` when its condition failed.
fn conditional<T>(
    result: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<
            UpdateItemError,
            aws_sdk_dynamodb::config::http::HttpResponse,
        >,
    >,
) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(error)
            if matches!(
                error.as_service_error(),
                Some(UpdateItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Ok(false)
        }
        Err(error) => Err(store_error(error)),
    }
}

fn connection_item(connection: &Connection) -> Item {
    let mut item = Item::with_capacity(12);
    item.insert(PK.into(), s(connection_pk(&connection.user_id)));
    item.insert(SK.into(), s(CONNECTION_SK));
    item.insert(attr::TYPE.into(), s(item_type::CONNECTION));
    item.insert(GSI1_PK.into(), s(CONNECTIONS_INDEX_PK));
    item.insert(GSI1_SK.into(), s(&connection.user_id));
    item.insert(attr::USER_ID.into(), s(&connection.user_id));
    item.insert(attr::REFERENCE.into(), s(&connection.reference));
    item.insert(attr::STATUS.into(), s(connection.status.as_str()));
    item.insert(
        attr::BUSINESSES.into(),
        AttributeValue::L(
            connection
                .businesses
                .iter()
                .map(|b| {
                    AttributeValue::M(HashMap::from([
                        (attr::BUSINESS_ID.to_owned(), s(&b.business_id)),
                        (attr::NAME.to_owned(), s(&b.name)),
                        (attr::WEBHOOK_ID.to_owned(), s(&b.webhook_id)),
                        (attr::SECRET_HASH.to_owned(), s(&b.secret_hash)),
                    ]))
                })
                .collect(),
        ),
    );
    // Erased tokens (a removed connection) are no attribute at all.
    if !connection.sealed_tokens.is_empty() {
        item.insert(
            attr::SEALED_TOKENS.into(),
            AttributeValue::B(connection.sealed_tokens.clone().into()),
        );
    }
    item.insert(
        attr::ACCESS_EXPIRES_AT.into(),
        n(connection.access_expires_at),
    );
    item.insert(
        attr::SCOPES.into(),
        AttributeValue::L(connection.scopes.iter().map(s).collect()),
    );
    item.insert(attr::CONNECTED_AT.into(), n(connection.connected_at));
    item.insert(attr::UPDATED_AT.into(), n(connection.updated_at));
    item
}

fn business_item(user_id: &str, business: &ConnectedBusiness, at: u64) -> Item {
    let mut item = Item::with_capacity(8);
    item.insert(PK.into(), s(business_pk(&business.business_id)));
    item.insert(SK.into(), s(CONNECTION_SK));
    item.insert(attr::TYPE.into(), s(item_type::BUSINESS_CONNECTION));
    item.insert(attr::BUSINESS_ID.into(), s(&business.business_id));
    item.insert(attr::USER_ID.into(), s(user_id));
    item.insert(attr::WEBHOOK_ID.into(), s(&business.webhook_id));
    item.insert(attr::SECRET_HASH.into(), s(&business.secret_hash));
    item.insert(attr::UPDATED_AT.into(), n(at));
    item
}

fn connection(item: &Item) -> Result<Connection, StoreError> {
    let corrupt = super::item::corrupt;
    let businesses = item
        .get(attr::BUSINESSES)
        .and_then(|v| v.as_l().ok())
        .ok_or_else(|| corrupt(attr::BUSINESSES))?
        .iter()
        .map(|entry| {
            let map = entry.as_m().map_err(|_| corrupt(attr::BUSINESSES))?;
            Ok(ConnectedBusiness {
                business_id: string(map, attr::BUSINESS_ID)?,
                name: string(map, attr::NAME)?,
                webhook_id: string(map, attr::WEBHOOK_ID)?,
                secret_hash: string(map, attr::SECRET_HASH)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let sealed_tokens = match item.get(attr::SEALED_TOKENS) {
        // Erased: the connection was removed.
        None => Vec::new(),
        Some(value) => value
            .as_b()
            .map(|b| b.as_ref().to_vec())
            .map_err(|_| corrupt(attr::SEALED_TOKENS))?,
    };
    let scopes = item
        .get(attr::SCOPES)
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
        .unwrap_or_default();
    Ok(Connection {
        user_id: string(item, attr::USER_ID)?,
        reference: string(item, attr::REFERENCE)?,
        status: ConnectionStatus::parse(&string(item, attr::STATUS)?)
            .ok_or_else(|| corrupt(attr::STATUS))?,
        businesses,
        sealed_tokens,
        access_expires_at: number(item, attr::ACCESS_EXPIRES_AT)?,
        scopes,
        connected_at: number(item, attr::CONNECTED_AT)?,
        updated_at: number(item, attr::UPDATED_AT)?,
    })
}
