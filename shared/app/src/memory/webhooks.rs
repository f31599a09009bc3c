//! Our v4 webhooks' secrets over [`MemoryStore`], as the connect flow would have registered them.

use super::MemoryStore;
use crate::ports::{StoreError, WebhookRegistry};

impl MemoryStore {
    /// Registers our webhook of `business_id` with the secret whose hash is `secret_hash`.
    pub fn register_webhook(&self, business_id: &str, secret_hash: &str) {
        self.lock()
            .webhooks
            .insert(business_id.to_owned(), secret_hash.to_owned());
    }
}

impl WebhookRegistry for MemoryStore {
    async fn webhook_secret_hash(&self, business_id: &str) -> Result<Option<String>, StoreError> {
        self.check()?;
        Ok(self.lock().webhooks.get(business_id).cloned())
    }
}
