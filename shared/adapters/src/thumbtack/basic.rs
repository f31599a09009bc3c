//! HTTP basic auth with the one partner credential, whatever the business (the legacy API's).
//! After a refusal the secret is read again (rate-limited by [`ThumbtackCredentials::refresh`]),
//! and a value that differs, the credential having been rotated since it was read, gets one try.

use super::auth::{Authorize, header_value};
use crate::secrets::{SecretError, ThumbtackCredentials};
use app::auth::Credential;
use app::ports::SendError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Cheap to clone: the clones share the credentials and their cache.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    credentials: Arc<ThumbtackCredentials>,
}

impl BasicAuth {
    pub fn new(credentials: ThumbtackCredentials) -> Self {
        BasicAuth {
            credentials: Arc::new(credentials),
        }
    }

    /// Reads the credentials (from Secrets Manager in AWS): a function that cannot read them
    /// fails its init rather than every send.
    pub async fn ready(&self) -> Result<(), SecretError> {
        self.credentials.current().await?;
        Ok(())
    }
}

impl Authorize for BasicAuth {
    async fn authorization(&self, _business_id: &str) -> Result<HeaderValue, SendError> {
        let credential = self.credentials.current().await.map_err(|error| {
            tracing::error!(error = %app::error_chain(&error), "Thumbtack credentials unavailable");
            SendError::Transient {
                status: None,
                retry_after: None,
                detail: "Thumbtack credentials unavailable".to_owned(),
            }
        })?;
        basic(&credential)
    }

    async fn after_refusal(
        &self,
        _business_id: &str,
        refused: &HeaderValue,
    ) -> Result<Option<HeaderValue>, SendError> {
        match self.credentials.refresh().await {
            Ok(fresh) => {
                let header = basic(&fresh)?;
                Ok((header != *refused).then_some(header))
            }
            Err(error) => {
                tracing::warn!(error = %app::error_chain(&error), "Thumbtack credentials could not be read again");
                Ok(None)
            }
        }
    }
}

/// `Basic base64(user:password)`.
fn basic(credential: &Credential) -> Result<HeaderValue, SendError> {
    let pair = format!(
        "{}:{}",
        credential.username,
        credential.password.expose_secret()
    );
    header_value(format!("Basic {}", STANDARD.encode(pair)))
}
