//! The credentials Thumbtack presents to us, accepted in both the `AWSCURRENT` and the
//! `AWSPREVIOUS` version of their secret, so a rotation never rejects Thumbtack while it switches
//! over. Init reads only `AWSCURRENT`; `previous` says when `AWSPREVIOUS` is read.

use super::cache::Cache;
use super::previous::{Previous, PreviousRead};
use super::reader::{SecretReader, Version};
use super::{CredentialSetting, SecretError};
use app::auth::{AcceptedCredentials, Credential};
use app::ports::{CredentialError, CredentialSource};
use aws_sdk_secretsmanager::Client;
use std::sync::Arc;
use std::time::Duration;

/// The credentials Thumbtack presents, from Secrets Manager: the current version, cached, and the
/// previous one, read only when it may be needed (`previous` says when).
#[derive(Debug)]
pub struct PartnerSecret {
    reader: SecretReader,
    current: Cache<Version>,
    previous: Previous,
}

impl PartnerSecret {
    pub fn new(reader: SecretReader, ttl: Duration) -> Self {
        PartnerSecret {
            previous: Previous::new(ttl, &reader.secret_id),
            reader,
            current: Cache::new(ttl),
        }
    }

    async fn current(&self) -> Result<Arc<Version>, SecretError> {
        self.current
            .get(|| async {
                self.reader
                    .read_version("AWSCURRENT")
                    .await?
                    .ok_or_else(|| SecretError::Missing(self.reader.secret_id.clone()))
            })
            .await
    }

    /// `AWSPREVIOUS`; `None` when there is none, or it is not a credential (logged).
    async fn read_previous(&self) -> Result<Option<Credential>, SecretError> {
        match self.reader.read("AWSPREVIOUS").await {
            Err(error @ SecretError::Malformed(_)) => {
                tracing::warn!(error = %app::error_chain(&error), "the previous version of the secret is ignored");
                Ok(None)
            }
            read => read,
        }
    }

    /// The current credential and, when held, the previous one. Reads `AWSCURRENT` when the cache
    /// period is over, and `AWSPREVIOUS` only when that read found a rotation.
    async fn load(&self) -> Result<Arc<AcceptedCredentials>, SecretError> {
        let current = self.current().await?;
        let (accepted, _) = self
            .previous
            .accepted(current, PreviousRead::OnRotation, || self.read_previous())
            .await?;
        Ok(accepted)
    }

    /// After a credential matched none of [`PartnerSecret::load`]: the set again with
    /// `AWSPREVIOUS` read now, unless it is held or was asked for within
    /// [`super::PREVIOUS_READ_INTERVAL`]; `None` when nothing was read.
    async fn after_mismatch(&self) -> Result<Option<Arc<AcceptedCredentials>>, SecretError> {
        let current = self.current().await?;
        let (accepted, read) = self
            .previous
            .accepted(current, PreviousRead::IfDue, || self.read_previous())
            .await?;
        Ok(read.then_some(accepted))
    }
}

/// Where the partner credentials come from: the environment (local) or Secrets Manager (AWS).
#[derive(Debug)]
pub enum PartnerCredentials {
    /// Fixed at start (from the environment).
    Fixed(Arc<AcceptedCredentials>),
    /// Boxed: its caches are larger than a pointer.
    Secret(Box<PartnerSecret>),
}

impl PartnerCredentials {
    /// Credentials fixed at start: the local stack's, a harness's.
    pub fn fixed(credentials: &[Credential]) -> Self {
        PartnerCredentials::Fixed(Arc::new(AcceptedCredentials::new(credentials)))
    }
}

impl CredentialSource for PartnerCredentials {
    async fn accepted(&self) -> Result<Arc<AcceptedCredentials>, CredentialError> {
        match self {
            PartnerCredentials::Fixed(accepted) => Ok(Arc::clone(accepted)),
            PartnerCredentials::Secret(secret) => secret
                .load()
                .await
                .map_err(|e| CredentialError(Box::new(e))),
        }
    }

    async fn after_mismatch(&self) -> Result<Option<Arc<AcceptedCredentials>>, CredentialError> {
        match self {
            PartnerCredentials::Fixed(_) => Ok(None),
            PartnerCredentials::Secret(secret) => secret
                .after_mismatch()
                .await
                .map_err(|e| CredentialError(Box::new(e))),
        }
    }
}

/// Builds the partner credential source a setting names.
pub fn partner_credentials(
    setting: &CredentialSetting,
    sdk: &aws_config::SdkConfig,
) -> PartnerCredentials {
    match setting {
        CredentialSetting::Fixed(credential) => {
            PartnerCredentials::fixed(std::slice::from_ref(credential))
        }
        CredentialSetting::Secret { arn, cache } => PartnerCredentials::Secret(Box::new(
            PartnerSecret::new(SecretReader::new(Client::new(sdk), arn), *cache),
        )),
    }
}
