//! [`LeadStore`] on the table: leads, messages and revisions as conditional puts in the lead's
//! partition, quarantined payloads (`quarantine`), and a lead's whole partition as its
//! conversation.

use super::DynamoStore;
use super::item::{
    Item, MAX_COPIED_BYTES, cut, insert_change, insert_contract, insert_warnings, n, number,
    optional_string, parsed, s, string, warnings,
};
use super::ledger::reply_record;
use super::prices::update_record;
use super::schema::{
    ACK_SK, GSI1_PK, GSI1_SK, LEAD_SK, MESSAGE_SK_PREFIX, PK, REPLY_SK_PREFIX, REVIEW_SK_PREFIX,
    REVISION_SK_PREFIX, SK, UNANSWERED_SK, UPDATE_SK_PREFIX, attr, business_pk, business_sk,
    item_type, lead_pk, message_sk, review_pk, revision_sk,
};
use app::ports::{
    ConversationRecords, Insert, LeadRef, MessageRecord, NewLead, NewLeadUpdate, NewMessage,
    NewReview, NewRevision, Price, Quarantined, ReviewRecord, RevisionRecord, UpdateInsert,
    UpdateRecord,
};
use app::{LeadStore, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use models::RevisionOf;
use std::collections::{BTreeSet, HashMap};

impl LeadStore for DynamoStore {
    async fn insert_lead(&self, new: NewLead<'_>) -> Result<Insert, StoreError> {
        self.insert(lead_item(new)).await
    }

    async fn insert_message(&self, new: NewMessage<'_>) -> Result<Insert, StoreError> {
        self.insert(message_item(new)).await
    }

    async fn insert_revision(&self, new: NewRevision<'_>) -> Result<Insert, StoreError> {
        // A lead's and a message's revisions live with their lead, a review's with its review.
        let partition = match (new.of, new.lead_id) {
            (RevisionOf::Lead | RevisionOf::Message, Some(lead_id)) => lead_pk(lead_id),
            _ => review_pk(new.id),
        };
        let mut item = Item::with_capacity(9);
        item.insert(PK.into(), s(partition));
        item.insert(SK.into(), s(revision_sk(new.digest)));
        item.insert(attr::TYPE.into(), s(item_type::REVISION));
        if let Some(lead_id) = new.lead_id {
            item.insert(attr::LEAD_ID.into(), s(lead_id));
        }
        item.insert(attr::BUSINESS_ID.into(), s(new.business_id));
        item.insert(attr::OF.into(), s(new.of.as_str()));
        item.insert(attr::ID.into(), s(new.id));
        item.insert(attr::RAW.into(), s(new.raw));
        item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
        insert_change(&mut item);
        self.insert(item).await
    }

    async fn quarantine(&self, payload: Quarantined<'_>) -> Result<(), StoreError> {
        self.put_quarantined(payload).await
    }

    async fn conversation(&self, lead_id: &str) -> Result<ConversationRecords, StoreError> {
        let mut records = ConversationRecords::default();
        for item in self.partition(lead_pk(lead_id)).await? {
            let sk = string(&item, SK)?;
            if sk == ACK_SK {
                records.acknowledgement = Some(super::speed::ack_note(&item)?);
            } else if sk == UNANSWERED_SK {
                records.unanswered_at_ms = Some(number(&item, attr::RECEIVED_AT)?);
            } else if sk == LEAD_SK {
                records.lead_raw = Some(string(&item, attr::RAW)?);
                records.lead_received_at_ms = Some(number(&item, attr::RECEIVED_AT)?);
                records.lead_warnings = warnings(&item)?;
                records.lead_price = optional_string(&item, attr::LEAD_PRICE);
                records.charge_state = optional_string(&item, attr::CHARGE_STATE);
            } else if sk.starts_with(UPDATE_SK_PREFIX) {
                records.updates.push(update_record(&item)?);
            } else if sk.starts_with(REVIEW_SK_PREFIX) {
                records.reviews.push(ReviewRecord {
                    raw: string(&item, attr::RAW)?,
                    received_at_ms: number(&item, attr::RECEIVED_AT)?,
                });
            } else if sk.starts_with(MESSAGE_SK_PREFIX) {
                records.messages.push(MessageRecord {
                    message_id: string(&item, attr::MESSAGE_ID)?,
                    create_timestamp: number(&item, attr::CREATE_TIMESTAMP)?,
                    raw: string(&item, attr::RAW)?,
                    received_at_ms: number(&item, attr::RECEIVED_AT)?,
                    warnings: warnings(&item)?,
                });
            } else if sk.starts_with(REPLY_SK_PREFIX) {
                records.replies.push(reply_record(&item)?);
            } else if sk.starts_with(REVISION_SK_PREFIX) {
                records.revisions.push(RevisionRecord {
                    of: parsed(&item, attr::OF)?,
                    id: string(&item, attr::ID)?,
                    raw: string(&item, attr::RAW)?,
                    received_at_ms: number(&item, attr::RECEIVED_AT)?,
                });
            }
        }
        Ok(records)
    }

    async fn insert_update(&self, new: NewLeadUpdate<'_>) -> Result<UpdateInsert, StoreError> {
        self.put_update(new).await
    }

    async fn apply_price(&self, lead_id: &str, price: Price<'_>) -> Result<bool, StoreError> {
        self.set_price(lead_id, price).await
    }

    async fn stored_updates(&self, lead_id: &str) -> Result<Vec<UpdateRecord>, StoreError> {
        self.updates_of(lead_id).await
    }

    async fn insert_review(&self, new: NewReview<'_>) -> Result<Insert, StoreError> {
        self.put_review(new).await
    }

    async fn link_review(&self, new: NewReview<'_>, lead_id: &str) -> Result<(), StoreError> {
        self.put_lead_review(new, lead_id).await
    }

    async fn stored_lead(&self, lead_id: &str) -> Result<Option<LeadRef>, StoreError> {
        let key = Item::from([(PK.into(), s(lead_pk(lead_id))), (SK.into(), s(LEAD_SK))]);
        let wanted = [attr::RECEIVED_AT, attr::BUSINESS_ID];
        self.get_attributes(key, &wanted)
            .await?
            .map(|item| lead_ref(&item))
            .transpose()
    }

    async fn stored_leads(
        &self,
        lead_ids: &[&str],
    ) -> Result<HashMap<String, LeadRef>, StoreError> {
        // Each lead once: BatchGetItem refuses a request that names a key twice.
        let ids: BTreeSet<&str> = lead_ids.iter().copied().collect();
        let keys = ids
            .iter()
            .map(|id| Item::from([(PK.into(), s(lead_pk(id))), (SK.into(), s(LEAD_SK))]))
            .collect();
        let wanted = [attr::RECEIVED_AT, attr::BUSINESS_ID];
        let found = self.batch_get_attributes(keys, Some(&wanted)).await?;
        ids.into_iter()
            .filter_map(|id| {
                let item = found.get(&lead_pk(id))?;
                Some(lead_ref(item).map(|lead| (id.to_owned(), lead)))
            })
            .collect()
    }
}

fn lead_ref(item: &Item) -> Result<LeadRef, StoreError> {
    Ok(LeadRef {
        received_at_ms: number(item, attr::RECEIVED_AT)?,
        business_id: string(item, attr::BUSINESS_ID)?,
    })
}

/// The item a lead is stored as (docs/data-model.md). Fields copied beside `raw` are cut to
/// [`MAX_COPIED_BYTES`]; missing ones are left out.
pub fn lead_item(new: NewLead<'_>) -> Item {
    let lead = new.lead;
    let request = &lead.request;
    let location = &request.location;
    let mut item = Item::with_capacity(25);
    item.insert(PK.into(), s(lead_pk(&lead.lead_id)));
    item.insert(SK.into(), s(LEAD_SK));
    item.insert(attr::TYPE.into(), s(item_type::LEAD));
    item.insert(attr::LEAD_ID.into(), s(&lead.lead_id));
    item.insert(attr::BUSINESS_ID.into(), s(&lead.business.business_id));
    let copies = [
        (attr::CUSTOMER_ID, &lead.customer.customer_id),
        (attr::REQUEST_ID, &request.request_id),
        (attr::CATEGORY, &request.category),
        (attr::TITLE, &request.title),
        (attr::CITY, &location.city),
        (attr::STATE, &location.state),
        (attr::ZIP_CODE, &location.zip_code),
        (attr::PRICE, &lead.price),
        (attr::LEAD_PRICE, &lead.lead_price),
        (attr::CHARGE_STATE, &lead.charge_state),
    ];
    for (name, value) in copies {
        if let Some(value) = value {
            item.insert(name.into(), s(cut(value, MAX_COPIED_BYTES)));
        }
    }
    if let Some(lead_type) = &lead.lead_type {
        item.insert(
            attr::LEAD_TYPE.into(),
            s(cut(lead_type.as_str(), MAX_COPIED_BYTES)),
        );
    }
    item.insert(attr::CREATE_TIMESTAMP.into(), n(lead.create_timestamp.0));
    // Marked on the item, so the stream's event and the stats need not read the body.
    let marks = new.marks;
    if marks.test {
        item.insert(attr::TEST.into(), AttributeValue::Bool(true));
    }
    insert_contract(&mut item, marks.contract);
    item.insert(attr::RAW.into(), s(new.raw));
    item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
    insert_warnings(&mut item, new.warnings);
    item.insert(GSI1_PK.into(), s(business_pk(&lead.business.business_id)));
    item.insert(
        GSI1_SK.into(),
        s(business_sk(lead.create_timestamp.0, &lead.lead_id)),
    );
    insert_change(&mut item);
    item
}

/// The item a customer's message is stored as, in its lead's partition.
fn message_item(new: NewMessage<'_>) -> Item {
    let message = new.message;
    let mut item = Item::with_capacity(12);
    item.insert(PK.into(), s(lead_pk(&message.lead_id)));
    item.insert(SK.into(), s(message_sk(&message.message.message_id)));
    item.insert(attr::TYPE.into(), s(item_type::MESSAGE));
    item.insert(attr::MESSAGE_ID.into(), s(&message.message.message_id));
    item.insert(attr::LEAD_ID.into(), s(&message.lead_id));
    item.insert(attr::BUSINESS_ID.into(), s(&message.business_id));
    if let Some(customer_id) = &message.customer_id {
        item.insert(attr::CUSTOMER_ID.into(), s(customer_id));
    }
    item.insert(
        attr::CREATE_TIMESTAMP.into(),
        n(message.message.create_timestamp.0),
    );
    insert_contract(&mut item, models::v4::stored::contract_of(new.raw));
    item.insert(attr::RAW.into(), s(new.raw));
    item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
    insert_warnings(&mut item, new.warnings);
    insert_change(&mut item);
    item
}
