//! [`WebhookRegistry`] on the table: the hash of our webhook's secret, read from the business's
//! part in its connection (`BUSINESS#<businessID>` / `CONNECTION`, written by the connect flow).
//! Only that attribute is read: the webhook's delivery path needs nothing else of the record.

use super::DynamoStore;
use super::item::{Item, s, string};
use super::schema::{CONNECTION_SK, PK, SK, attr, business_pk};
use app::StoreError;
use app::ports::WebhookRegistry;

impl WebhookRegistry for DynamoStore {
    async fn webhook_secret_hash(&self, business_id: &str) -> Result<Option<String>, StoreError> {
        let key = Item::from([
            (PK.to_owned(), s(business_pk(business_id))),
            (SK.to_owned(), s(CONNECTION_SK)),
        ]);
        self.get_attributes(key, &[attr::SECRET_HASH])
            .await?
            .map(|item| string(&item, attr::SECRET_HASH))
            .transpose()
    }
}
