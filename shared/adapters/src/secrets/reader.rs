//! One secret's versions, read from Secrets Manager and checked to be a username and a password.

use super::SecretError;
use app::auth::Credential;
use aws_sdk_secretsmanager::Client;
use serde::Deserialize;

#[derive(Deserialize)]
struct UsernamePassword {
    username: String,
    password: String,
}

/// Reads one secret's versions.
#[derive(Debug, Clone)]
pub struct SecretReader {
    client: Client,
    pub(super) secret_id: String,
}

impl SecretReader {
    pub fn new(client: Client, secret_id: impl Into<String>) -> Self {
        SecretReader {
            client,
            secret_id: secret_id.into(),
        }
    }

    /// The credential at a version stage, or `None` when no version has that stage.
    pub async fn read(&self, stage: &str) -> Result<Option<Credential>, SecretError> {
        Ok(self.read_version(stage).await?.map(|read| read.credential))
    }

    /// [`SecretReader::read`], with the id of the version read.
    pub(super) async fn read_version(&self, stage: &str) -> Result<Option<Version>, SecretError> {
        let result = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(stage)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(error) => {
                return Err(SecretError::Unavailable(
                    self.secret_id.clone(),
                    Box::new(error),
                ));
            }
        };
        let text = output
            .secret_string()
            .ok_or_else(|| SecretError::Malformed(self.secret_id.clone()))?;
        let parsed: UsernamePassword = serde_json::from_str(text)
            .map_err(|_| SecretError::Malformed(self.secret_id.clone()))?;
        // A blank password (or username) is a placeholder, not a credential.
        if parsed.username.trim().is_empty()
            || parsed.username.contains(':')
            || parsed.password.trim().is_empty()
        {
            return Err(SecretError::Malformed(self.secret_id.clone()));
        }
        Ok(Some(Version {
            credential: Credential::new(parsed.username, parsed.password),
            id: output.version_id,
        }))
    }
}

/// One version of a secret: its credential and its id (another id after a rotation).
#[derive(Debug)]
pub(super) struct Version {
    pub(super) credential: Credential,
    pub(super) id: Option<String>,
}
