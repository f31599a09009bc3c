//! Lead updates on the table: each distinct one a conditional put in its lead's partition, and
//! each field it gives set on the lead item by a conditional update that never puts an older
//! value over a newer one (every field has its own time: an update may give one field only).

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, MAX_COPIED_BYTES, cut, insert_change, insert_warnings, n, number, s};
use super::schema::{LEAD_SK, PK, SK, UPDATE_SK_PREFIX, attr, item_type, lead_pk, update_sk};
use app::StoreError;
use app::ports::{NewLeadUpdate, Price, UpdateInsert, UpdateRecord};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use models::Patch;

impl DynamoStore {
    pub(super) async fn put_update(
        &self,
        new: NewLeadUpdate<'_>,
    ) -> Result<UpdateInsert, StoreError> {
        let update = new.update;
        let mut item = Item::with_capacity(10);
        item.insert(PK.into(), s(lead_pk(&update.lead_id)));
        item.insert(SK.into(), s(update_sk(new.digest)));
        item.insert(attr::TYPE.into(), s(item_type::LEAD_UPDATE));
        item.insert(attr::LEAD_ID.into(), s(&update.lead_id));
        // A field the update gives: its value, or NULL for an explicit `null`; one it leaves out
        // is not written, so a lead that arrives later keeps its own.
        let copies = [
            (attr::LEAD_PRICE, &update.lead_price),
            (attr::CHARGE_STATE, &update.charge_state),
        ];
        for (name, value) in copies {
            match value {
                Patch::Set(value) => {
                    item.insert(name.into(), s(cut(value, MAX_COPIED_BYTES)));
                }
                Patch::Cleared => {
                    item.insert(name.into(), AttributeValue::Null(true));
                }
                Patch::Unchanged => {}
            }
        }
        item.insert(attr::RAW.into(), s(new.raw));
        item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
        insert_warnings(&mut item, new.warnings);
        insert_change(&mut item);
        Ok(match self.insert_item(item).await? {
            None => UpdateInsert {
                created: true,
                stored_at_ms: new.received_at_ms,
            },
            Some(existing) => UpdateInsert {
                created: false,
                stored_at_ms: number(&existing, attr::RECEIVED_AT)?,
            },
        })
    }

    /// Each field `price` gives, set by its own conditional update (both at once); `false` when
    /// the lead is not stored.
    pub(super) async fn set_price(
        &self,
        lead_id: &str,
        price: Price<'_>,
    ) -> Result<bool, StoreError> {
        let key = Item::from([(PK.into(), s(lead_pk(lead_id))), (SK.into(), s(LEAD_SK))]);
        let (stored_price, stored_charge) = tokio::join!(
            self.set_field(&key, Field::Price, price.lead_price, price.at_ms),
            self.set_field(&key, Field::Charge, price.charge_state, price.at_ms),
        );
        match (stored_price?, stored_charge?) {
            (Some(exists), _) | (None, Some(exists)) => Ok(exists),
            // An update that gives neither field sets nothing: is its lead there?
            (None, None) => Ok(self.get_attributes(key, &[PK]).await?.is_some()),
        }
    }

    /// Sets one field of the lead unless an update first stored later set it; `None` when the
    /// update does not give it, else whether the lead is stored.
    async fn set_field(
        &self,
        key: &Item,
        field: Field,
        given: Patch<&str>,
        at_ms: u64,
    ) -> Result<Option<bool>, StoreError> {
        if given.is_unchanged() {
            return Ok(None);
        }
        let (name, at_name) = match field {
            Field::Price => (attr::LEAD_PRICE, attr::PRICE_UPDATED_AT),
            Field::Charge => (attr::CHARGE_STATE, attr::CHARGE_STATE_UPDATED_AT),
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#field", name)
            .expression_attribute_names("#at", at_name)
            .expression_attribute_values(":at", n(at_ms))
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(#at) OR #at < :at)",
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        update = match given {
            Patch::Set(value) => update
                .update_expression("SET #field = :value, #at = :at")
                .expression_attribute_values(":value", s(cut(value, MAX_COPIED_BYTES))),
            Patch::Cleared | Patch::Unchanged => {
                update.update_expression("SET #at = :at REMOVE #field")
            }
        };
        let error = match update.send().await {
            Ok(_) => return Ok(Some(true)),
            Err(error) => error,
        };
        let returned = match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                failed.item().map(|item| !item.is_empty())
            }
            _ => return Err(store_error(error)),
        };
        // The condition failed: the lead is not stored (yet), or it has a newer value. Not every
        // DynamoDB implementation says which with the error: read the key.
        Ok(Some(match returned {
            Some(exists) => exists,
            None => self.get_attributes(key.clone(), &[PK]).await?.is_some(),
        }))
    }

    pub(super) async fn updates_of(&self, lead_id: &str) -> Result<Vec<UpdateRecord>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(lead_pk(lead_id)))
            .expression_attribute_values(":prefix", AttributeValue::S(UPDATE_SK_PREFIX.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        output
            .items
            .unwrap_or_default()
            .iter()
            .map(update_record)
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Price,
    Charge,
}

pub(super) fn update_record(item: &Item) -> Result<UpdateRecord, StoreError> {
    Ok(UpdateRecord {
        lead_price: patch(item, attr::LEAD_PRICE),
        charge_state: patch(item, attr::CHARGE_STATE),
        received_at_ms: number(item, attr::RECEIVED_AT)?,
    })
}

/// A field as the update item keeps it: a string set it, NULL cleared it, absent left it out.
fn patch(item: &Item, name: &str) -> Patch<String> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Patch::Set(value.clone()),
        Some(AttributeValue::Null(_)) => Patch::Cleared,
        _ => Patch::Unchanged,
    }
}
