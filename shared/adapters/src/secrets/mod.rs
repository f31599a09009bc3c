//! Credentials kept in Secrets Manager as `{"username": "...", "password": "..."}`, read at init
//! and then at most once per cache period.
//!
//! - `reader`: one secret's versions, read and checked ([`SecretReader`]);
//! - `cache`: a value read from a secret, kept for the cache period and served on through an
//!   outage for at most [`MAX_STALE`];
//! - `partner`: the credentials Thumbtack presents to us ([`PartnerCredentials`]), accepted in
//!   both the current and the previous version of their secret; `previous` says when the previous
//!   version is read;
//! - `outbound`: the credential we present to Thumbtack ([`ThumbtackCredentials`]), read again
//!   when Thumbtack refuses it.

mod cache;
mod outbound;
mod partner;
mod previous;
mod reader;

use app::auth::Credential;
use std::time::Duration;

pub use cache::{MAX_STALE, MIN_REFRESH_INTERVAL};
pub use outbound::{ThumbtackCredentials, thumbtack_credentials};
pub use partner::{PartnerCredentials, PartnerSecret, partner_credentials};
pub use previous::PREVIOUS_READ_INTERVAL;
pub use reader::SecretReader;

/// Where a username and password come from.
#[derive(Debug, Clone)]
pub enum CredentialSetting {
    /// From two environment variables (the local stack).
    Fixed(Credential),
    /// From a Secrets Manager secret `{"username", "password"}`, cached for `cache`.
    Secret { arn: String, cache: Duration },
}

impl CredentialSetting {
    /// Whether init reads the credentials over the network: a round trip it waits for, beside
    /// which the warm-ups run ([`crate::warm_up`]).
    pub fn is_read_at_init(&self) -> bool {
        matches!(self, CredentialSetting::Secret { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret {0} could not be read")]
    Unavailable(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("secret {0} is not JSON with a username and a password")]
    Malformed(String),
    #[error("secret {0} has no current version")]
    Missing(String),
}
