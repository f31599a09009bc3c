//! [`BusinessDesk`] on the table: a business's settings (`BUSINESS#<id>` / `SETTINGS`, the
//! document as JSON), and in each lead's partition the note of its acknowledgement (`ACK`) and
//! the record of it going unanswered (`UNANSWERED`, in the changes feed and on the stream: the
//! stored fact behind `Lead Unanswered`).

use super::DynamoStore;
use super::errors::store_error;
use super::item::{Item, insert_change, n, number, optional_string, s, string};
use super::schema::{
    ACK_SK, PK, SETTINGS_SK, SK, UNANSWERED_SK, attr, business_settings_pk, item_type, lead_pk,
};
use app::StoreError;
use app::ports::{AckNote, AckStatus, BusinessDesk};
use app::speed::BusinessSettings;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

impl BusinessDesk for DynamoStore {
    async fn settings(&self, business_id: &str) -> Result<Option<BusinessSettings>, StoreError> {
        let key = Item::from([
            (PK.to_owned(), s(business_settings_pk(business_id))),
            (SK.to_owned(), s(SETTINGS_SK)),
        ]);
        let Some(item) = self.get(key).await? else {
            return Ok(None);
        };
        let json = string(&item, attr::SETTINGS)?;
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|_| super::item::corrupt(attr::SETTINGS))
    }

    async fn save_settings(
        &self,
        business_id: &str,
        settings: &BusinessSettings,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(settings).map_err(|e| StoreError::Rejected(Box::new(e)))?;
        let mut item = Item::with_capacity(6);
        item.insert(PK.into(), s(business_settings_pk(business_id)));
        item.insert(SK.into(), s(SETTINGS_SK));
        item.insert(attr::TYPE.into(), s(item_type::BUSINESS_SETTINGS));
        item.insert(attr::BUSINESS_ID.into(), s(business_id));
        item.insert(attr::SETTINGS.into(), s(json));
        item.insert(attr::UPDATED_AT.into(), n(at_ms));
        self.put(item).await
    }

    async fn note_acknowledgement(
        &self,
        lead_id: &str,
        note: &AckNote,
    ) -> Result<Option<AckNote>, StoreError> {
        let mut item = Item::with_capacity(8);
        item.insert(PK.into(), s(lead_pk(lead_id)));
        item.insert(SK.into(), s(ACK_SK));
        item.insert(attr::TYPE.into(), s(item_type::ACKNOWLEDGEMENT));
        item.insert(attr::STATUS.into(), s(note.status.as_str()));
        if let Some(reason) = &note.reason {
            item.insert(attr::REASON.into(), s(reason));
        }
        item.insert(attr::UPDATED_AT.into(), n(note.at_ms));
        if let Some(due) = note.due_at_ms {
            item.insert(attr::DUE_AT.into(), n(due));
        }
        if let Some(text) = &note.text {
            item.insert(attr::TEXT.into(), s(text));
        }
        // A final note is written once; a deferral gives way to the note of what happened then.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists({PK}) OR #status = :deferred"))
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":deferred", s(AckStatus::Deferred.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let existing = match result {
            Ok(_) => return Ok(None),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(conflict)) => {
                    conflict.item().cloned()
                }
                _ => return Err(store_error(error)),
            },
        };
        let existing = match existing {
            Some(item) => item,
            // Not every DynamoDB implementation returns the item with the error: read it.
            None => {
                let key = Item::from([
                    (PK.to_owned(), s(lead_pk(lead_id))),
                    (SK.to_owned(), s(ACK_SK)),
                ]);
                self.get(key).await?.ok_or_else(|| {
                    StoreError::Corrupt("condition failed but the note is missing".to_owned())
                })?
            }
        };
        ack_note(&existing).map(Some)
    }

    async fn mark_unanswered(
        &self,
        lead_id: &str,
        business_id: &str,
        at_ms: u64,
    ) -> Result<bool, StoreError> {
        let mut item = Item::with_capacity(9);
        item.insert(PK.into(), s(lead_pk(lead_id)));
        item.insert(SK.into(), s(UNANSWERED_SK));
        item.insert(attr::TYPE.into(), s(item_type::UNANSWERED));
        item.insert(attr::LEAD_ID.into(), s(lead_id));
        item.insert(attr::BUSINESS_ID.into(), s(business_id));
        item.insert(attr::RECEIVED_AT.into(), n(at_ms));
        insert_change(&mut item);
        Ok(self.insert_item(item).await?.is_none())
    }
}

/// The note of an acknowledgement item, read back with the lead's conversation.
pub(super) fn ack_note(item: &Item) -> Result<AckNote, StoreError> {
    Ok(AckNote {
        status: string(item, attr::STATUS)?
            .parse()
            .map_err(|_| super::item::corrupt(attr::STATUS))?,
        reason: optional_string(item, attr::REASON),
        at_ms: number(item, attr::UPDATED_AT)?,
        due_at_ms: item
            .get(attr::DUE_AT)
            .map(|_| number(item, attr::DUE_AT))
            .transpose()?,
        text: optional_string(item, attr::TEXT),
    })
}
