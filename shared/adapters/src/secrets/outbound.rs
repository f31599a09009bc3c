//! The credential we present to Thumbtack: fixed (local) or from Secrets Manager (AWS), read
//! again past the cache when Thumbtack refuses it (it may have been rotated since it was read).

use super::cache::Cache;
use super::reader::SecretReader;
use super::{CredentialSetting, SecretError};
use app::auth::Credential;
use aws_sdk_secretsmanager::Client;
use std::sync::Arc;
use std::time::Duration;

/// The credential we present to Thumbtack: fixed (local) or from Secrets Manager (AWS), so the
/// operator can set or change it without a deploy.
#[derive(Debug)]
pub struct ThumbtackCredentials(Source);

#[derive(Debug)]
enum Source {
    Fixed(Arc<Credential>),
    Secret {
        reader: SecretReader,
        cache: Cache<Credential>,
    },
}

impl ThumbtackCredentials {
    pub fn fixed(credential: Credential) -> Self {
        ThumbtackCredentials(Source::Fixed(Arc::new(credential)))
    }

    pub fn secret(reader: SecretReader, ttl: Duration) -> Self {
        ThumbtackCredentials(Source::Secret {
            reader,
            cache: Cache::new(ttl),
        })
    }

    pub async fn current(&self) -> Result<Arc<Credential>, SecretError> {
        match &self.0 {
            Source::Fixed(credential) => Ok(Arc::clone(credential)),
            Source::Secret { reader, cache } => cache.get(|| read_current(reader)).await,
        }
    }

    /// The secret read again now, past the cache: after Thumbtack refused the credential, which
    /// may have been rotated since it was read. At most one read per [`super::MIN_REFRESH_INTERVAL`];
    /// within it, the value of the last read.
    pub async fn refresh(&self) -> Result<Arc<Credential>, SecretError> {
        match &self.0 {
            Source::Fixed(credential) => Ok(Arc::clone(credential)),
            Source::Secret { reader, cache } => cache.refresh(|| read_current(reader)).await,
        }
    }
}

async fn read_current(reader: &SecretReader) -> Result<Credential, SecretError> {
    reader
        .read("AWSCURRENT")
        .await?
        .ok_or_else(|| SecretError::Missing(reader.secret_id.clone()))
}

/// Builds the Thumbtack credential source a setting names.
pub fn thumbtack_credentials(
    setting: &CredentialSetting,
    sdk: &aws_config::SdkConfig,
) -> ThumbtackCredentials {
    match setting {
        CredentialSetting::Fixed(credential) => ThumbtackCredentials::fixed(credential.clone()),
        CredentialSetting::Secret { arn, cache } => {
            ThumbtackCredentials::secret(SecretReader::new(Client::new(sdk), arn), *cache)
        }
    }
}
