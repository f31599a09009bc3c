//! Where the credentials Thumbtack presents to us are accepted from.

use crate::auth::AcceptedCredentials;
use std::future::Future;
use std::sync::Arc;

/// Where the accepted credentials come from: fixed environment variables locally, Secrets Manager
/// in AWS. Called on every request, so implementations cache.
pub trait CredentialSource: Send + Sync {
    fn accepted(
        &self,
    ) -> impl Future<Output = Result<Arc<AcceptedCredentials>, CredentialError>> + Send;

    /// Asked when a well-formed credential matched none of [`CredentialSource::accepted`]: more
    /// credentials to try, when the source keeps one it reads only on demand (Secrets Manager's
    /// previous version, during a rotation), or `None`. The source bounds how often this reads
    /// anything, whatever is sent: wrong passwords must not become calls.
    fn after_mismatch(
        &self,
    ) -> impl Future<Output = Result<Option<Arc<AcceptedCredentials>>, CredentialError>> + Send
    {
        async { Ok(None) }
    }
}

/// The credential store could not be read: the request cannot be judged, so it is answered 5xx
/// and Thumbtack retries.
#[derive(Debug, thiserror::Error)]
#[error("credentials are unavailable")]
pub struct CredentialError(#[source] pub Box<dyn std::error::Error + Send + Sync>);
