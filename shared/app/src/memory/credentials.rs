//! [`StaticCredentials`]: the credentials Thumbtack may present, fixed for a test.

use crate::auth::{AcceptedCredentials, Credential};
use crate::ports::{CredentialError, CredentialSource};
use std::sync::Arc;

/// Credentials fixed at start-up (from the environment).
#[derive(Debug, Clone)]
pub struct StaticCredentials(Arc<AcceptedCredentials>);

impl StaticCredentials {
    pub fn new(credentials: &[Credential]) -> Self {
        StaticCredentials(Arc::new(AcceptedCredentials::new(credentials)))
    }
}

impl CredentialSource for StaticCredentials {
    async fn accepted(&self) -> Result<Arc<AcceptedCredentials>, CredentialError> {
        Ok(Arc::clone(&self.0))
    }
}
