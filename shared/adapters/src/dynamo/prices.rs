//! Lead updates on the table: each distinct one a conditional put in its lead's partition, and
//! the lead's current price as a conditional update of the lead item that never puts an older
//! price over a newer one.

use super::DynamoStore;
use super::errors::store_error;
use super::item::{
    Item, MAX_COPIED_BYTES, cut, insert_change, insert_warnings, n, number, optional_string, s,
};
use super::schema::{LEAD_SK, PK, SK, UPDATE_SK_PREFIX, attr, item_type, lead_pk, update_sk};
use app::StoreError;
use app::ports::{NewLeadUpdate, Price, UpdateInsert, UpdateRecord};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

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
        let copies = [
            (attr::LEAD_PRICE, &update.lead_price),
            (attr::CHARGE_STATE, &update.charge_state),
        ];
        for (name, value) in copies {
            if let Some(value) = value {
                item.insert(name.into(), s(cut(value, MAX_COPIED_BYTES)));
            }
        }
        item.insert(attr::RAW.into(), s(new.raw));
        item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
        insert_warnings(&mut item, new.warnings);
        insert_change(&mut item, new.received_at_ms);
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

    pub(super) async fn set_price(
        &self,
        lead_id: &str,
        price: Price<'_>,
    ) -> Result<bool, StoreError> {
        let key = Item::from([(PK.into(), s(lead_pk(lead_id))), (SK.into(), s(LEAD_SK))]);
        let mut set = vec!["#at = :at"];
        let mut remove = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(#at) OR #at < :at)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#at", attr::PRICE_UPDATED_AT)
            .expression_attribute_names("#price", attr::LEAD_PRICE)
            .expression_attribute_names("#charge", attr::CHARGE_STATE)
            .expression_attribute_values(":at", n(price.at_ms))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match price.lead_price {
            Some(value) => {
                set.push("#price = :price");
                update =
                    update.expression_attribute_values(":price", s(cut(value, MAX_COPIED_BYTES)));
            }
            None => remove.push("#price"),
        }
        match price.charge_state {
            Some(value) => {
                set.push("#charge = :charge");
                update =
                    update.expression_attribute_values(":charge", s(cut(value, MAX_COPIED_BYTES)));
            }
            None => remove.push("#charge"),
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let error = match update.update_expression(expression).send().await {
            Ok(_) => return Ok(true),
            Err(error) => error,
        };
        let returned = match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                failed.item().map(|item| !item.is_empty())
            }
            _ => return Err(store_error(error)),
        };
        // The condition failed: the lead is not stored (yet), or it has a newer price. Not every
        // DynamoDB implementation says which with the error: read the key.
        Ok(match returned {
            Some(exists) => exists,
            None => self.get_attributes(key, &[PK]).await?.is_some(),
        })
    }

    pub(super) async fn newest_update(
        &self,
        lead_id: &str,
    ) -> Result<Option<UpdateRecord>, StoreError> {
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
        let mut newest: Option<UpdateRecord> = None;
        for item in output.items.unwrap_or_default() {
            let record = update_record(&item)?;
            if newest
                .as_ref()
                .is_none_or(|n| n.received_at_ms < record.received_at_ms)
            {
                newest = Some(record);
            }
        }
        Ok(newest)
    }
}

pub(super) fn update_record(item: &Item) -> Result<UpdateRecord, StoreError> {
    Ok(UpdateRecord {
        lead_price: optional_string(item, attr::LEAD_PRICE),
        charge_state: optional_string(item, attr::CHARGE_STATE),
        received_at_ms: number(item, attr::RECEIVED_AT)?,
    })
}
