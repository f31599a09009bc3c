//! A pro's tokens sealed with the stack's KMS key. The encryption context is the Thumbtack
//! userID: KMS refuses to decrypt a ciphertext under another context, so a sealed value copied
//! to another user's record does not open, and CloudTrail names the user of each decryption.

use app::ports::{TokenSet, TokenVault, VaultError};
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The encryption context's key.
pub const CONTEXT_KEY: &str = "userID";

#[derive(Debug, Clone)]
pub struct KmsVault {
    client: Client,
    key_id: String,
}

/// What is sealed: the tokens only (their expiry and scopes are on the record, readable).
#[derive(Serialize, Deserialize)]
struct Sealed {
    access: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh: Option<String>,
}

impl KmsVault {
    /// `key_id`: the key's id, ARN or alias.
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        KmsVault {
            client,
            key_id: key_id.into(),
        }
    }

    pub fn from_config(sdk: &aws_config::SdkConfig, key_id: impl Into<String>) -> Self {
        Self::new(Client::new(sdk), key_id)
    }
}

fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> VaultError {
    VaultError::Unavailable(Box::new(error))
}

impl TokenVault for KmsVault {
    async fn seal(&self, user_id: &str, tokens: &TokenSet) -> Result<Vec<u8>, VaultError> {
        let plain = serde_json::to_vec(&Sealed {
            access: tokens.access_token.expose_secret().to_owned(),
            refresh: tokens
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
        })
        .map_err(unavailable)?;
        let output = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(plain))
            .encryption_context(CONTEXT_KEY, user_id)
            .send()
            .await
            .map_err(|e| unavailable(e.into_service_error()))?;
        output
            .ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| VaultError::Unavailable("KMS answered no ciphertext".into()))
    }

    async fn open(&self, user_id: &str, sealed: &[u8]) -> Result<TokenSet, VaultError> {
        let output = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(sealed))
            .encryption_context(CONTEXT_KEY, user_id)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if e.is_invalid_ciphertext_exception() {
                    VaultError::Invalid
                } else {
                    unavailable(e)
                }
            })?;
        let plain = output.plaintext.ok_or(VaultError::Invalid)?;
        let sealed: Sealed =
            serde_json::from_slice(plain.as_ref()).map_err(|_| VaultError::Invalid)?;
        Ok(TokenSet {
            access_token: SecretString::from(sealed.access),
            refresh_token: sealed.refresh.map(SecretString::from),
            expires_in: None,
            scopes: Vec::new(),
        })
    }
}
