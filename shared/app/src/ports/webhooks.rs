//! Our v4 webhooks as a delivery to one of them is checked: the hash of the secret a business's
//! webhook was registered with (issue 22 stores it beside the business's part in its connection).

use super::StoreError;
use std::future::Future;

/// Finds the webhook of a business.
pub trait WebhookRegistry: Send + Sync {
    /// The SHA-256 (hex) of the custom-header secret our webhook for `business_id` was registered
    /// with, or `None` when the business has no webhook of ours.
    fn webhook_secret_hash(
        &self,
        business_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
}
