//! Our webhook at Thumbtack for each business of a connecting pro: found again when it exists
//! (a rerun of the flow converges instead of piling up webhooks), registered when it does not.
//! Each carries a custom-header secret of 256 random bits that only its hash is kept of.

use super::settings::{ConnectSettings, WEBHOOK_EVENT_TYPES};
use crate::ports::{ConnectedBusiness, ThumbtackV4, V4Business, V4Error, WebhookSpec};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The header Thumbtack presents the secret in on every delivery of our webhooks.
pub const WEBHOOK_SECRET_HEADER: &str = "x-webhook-secret";

/// SHA-256 (hex) of a webhook secret: what is stored and compared. The secret is 256 random
/// bits, so a plain hash cannot be searched back to it.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Our webhook for `business`: the one already registered and recorded with its secret's hash
/// (kept as it is), else one of ours found at Thumbtack without a usable record (given a new
/// secret, the whole object replaced), else a new one.
pub(super) async fn ensure<T: ThumbtackV4>(
    thumbtack: &T,
    settings: &ConnectSettings,
    token: &SecretString,
    business: &V4Business,
    recorded: Option<&ConnectedBusiness>,
) -> Result<ConnectedBusiness, V4Error> {
    let url = settings.webhook_url(&business.business_id);
    let existing = thumbtack.webhooks(token, &business.business_id).await?;
    let ours: Vec<_> = existing.iter().filter(|w| w.webhook_url == url).collect();
    let connected = |webhook_id: String, secret_hash: String| ConnectedBusiness {
        business_id: business.business_id.clone(),
        name: business.name.clone(),
        webhook_id,
        secret_hash,
    };
    if let Some(recorded) = recorded
        && ours.iter().any(|w| w.webhook_id == recorded.webhook_id)
    {
        return Ok(connected(
            recorded.webhook_id.clone(),
            recorded.secret_hash.clone(),
        ));
    }
    let secret = SecretString::from(super::random_token(32));
    let spec = WebhookSpec {
        url,
        event_types: WEBHOOK_EVENT_TYPES.to_vec(),
        header: WEBHOOK_SECRET_HEADER,
        secret: secret.clone(),
    };
    let hash = secret_hash(secret.expose_secret());
    let webhook = match ours.first() {
        Some(found) => {
            thumbtack
                .update_webhook(token, &business.business_id, &found.webhook_id, &spec)
                .await?
        }
        None => {
            thumbtack
                .create_webhook(token, &business.business_id, &spec)
                .await?
        }
    };
    Ok(connected(webhook.webhook_id, hash))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_of_a_secret_is_its_sha256_in_hex() {
        assert_eq!(
            super::secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
