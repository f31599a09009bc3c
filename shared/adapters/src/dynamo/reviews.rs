//! Reviews on the table: a review's own item, once per reviewID (in GSI1 under its business,
//! newest first), and its entry in the conversation of the lead it names.

use super::DynamoStore;
use super::item::{
    Item, MAX_COPIED_BYTES, cut, insert_change, insert_contract, insert_warnings, n, s,
};
use super::schema::{
    GSI1_PK, GSI1_SK, PK, REVIEW_SK, SK, attr, business_reviews_pk, item_type, lead_pk,
    lead_review_sk, review_index_sk, review_pk,
};
use app::StoreError;
use app::ports::{Insert, NewReview};
use aws_sdk_dynamodb::types::AttributeValue;

impl DynamoStore {
    pub(super) async fn put_review(&self, new: NewReview<'_>) -> Result<Insert, StoreError> {
        let review = new.review;
        let mut item = Item::with_capacity(16);
        item.insert(PK.into(), s(review_pk(&review.review_id)));
        item.insert(SK.into(), s(REVIEW_SK));
        item.insert(attr::TYPE.into(), s(item_type::REVIEW));
        item.insert(attr::REVIEW_ID.into(), s(&review.review_id));
        item.insert(attr::BUSINESS_ID.into(), s(&review.business_id));
        if let Some(lead_id) = &review.lead_id {
            item.insert(attr::LEAD_ID.into(), s(lead_id));
        }
        if let Some(category_id) = &review.category_id {
            item.insert(
                attr::CATEGORY_ID.into(),
                s(cut(category_id, MAX_COPIED_BYTES)),
            );
        }
        if let Some(rating) = review.rating {
            item.insert(attr::RATING.into(), n(u64::from(rating)));
        }
        if let Some(verified) = review.verified {
            item.insert(attr::VERIFIED.into(), AttributeValue::Bool(verified));
        }
        if let Some(time) = &review.create_time {
            item.insert(attr::CREATE_TIME.into(), s(cut(time, MAX_COPIED_BYTES)));
        }
        insert_contract(&mut item, models::v4::stored::contract_of(new.raw));
        item.insert(attr::RAW.into(), s(new.raw));
        item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
        insert_warnings(&mut item, new.warnings);
        let seconds = new.listed_at_seconds();
        item.insert(GSI1_PK.into(), s(business_reviews_pk(&review.business_id)));
        item.insert(
            GSI1_SK.into(),
            s(review_index_sk(seconds, &review.review_id)),
        );
        insert_change(&mut item);
        self.insert(item).await
    }

    /// The review's entry in its lead's partition: the same body, so the conversation query has it.
    pub(super) async fn put_lead_review(
        &self,
        new: NewReview<'_>,
        lead_id: &str,
    ) -> Result<(), StoreError> {
        let mut item = Item::with_capacity(6);
        item.insert(PK.into(), s(lead_pk(lead_id)));
        item.insert(SK.into(), s(lead_review_sk(&new.review.review_id)));
        item.insert(attr::TYPE.into(), s(item_type::LEAD_REVIEW));
        item.insert(attr::REVIEW_ID.into(), s(&new.review.review_id));
        item.insert(attr::RAW.into(), s(new.raw));
        item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
        // The first one stays: a redelivery finds it there.
        self.insert_item(item).await.map(|_| ())
    }
}
