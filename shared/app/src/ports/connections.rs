//! Connecting a pro's Thumbtack account (v4): the registry of connections, the vault their tokens
//! are sealed with, and Thumbtack's v4 OAuth server and API as the connect flow calls them.

use super::{BoxError, StoreError};
use secrecy::SecretString;
use std::future::Future;
use std::time::Duration;

/// A pro's connection, stored under their Thumbtack userID (one token covers every business of
/// the user, facts §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub user_id: String,
    /// The partner's own reference for the pro, as given to `POST /v1/connections`.
    pub reference: String,
    pub status: ConnectionStatus,
    pub businesses: Vec<ConnectedBusiness>,
    /// The access and refresh tokens, sealed by the [`TokenVault`] for this user: the store only
    /// ever holds ciphertext.
    pub sealed_tokens: Vec<u8>,
    /// When the access token expires (ms since the epoch).
    pub access_expires_at: u64,
    pub scopes: Vec<String>,
    /// When the pro first connected, and when this record was last written (ms).
    pub connected_at: u64,
    pub updated_at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    Connected,
    /// Thumbtack refused the refresh token (`invalid_grant`): the pro must connect again.
    Broken,
    /// The partner disconnected the pro (`DELETE /v1/connections/{userID}`): our webhooks are
    /// deleted at Thumbtack, the tokens erased; the pro's stored leads stay.
    Removed,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Connected => "connected",
            ConnectionStatus::Broken => "broken",
            ConnectionStatus::Removed => "removed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "connected" => Some(ConnectionStatus::Connected),
            "broken" => Some(ConnectionStatus::Broken),
            "removed" => Some(ConnectionStatus::Removed),
            _ => None,
        }
    }
}

/// One business of a connected user, and our webhook at Thumbtack for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedBusiness {
    pub business_id: String,
    pub name: String,
    pub webhook_id: String,
    /// SHA-256 (hex) of the custom-header secret Thumbtack presents on the webhook's deliveries:
    /// the secret itself is never stored.
    pub secret_hash: String,
}

/// A connection's status that changed, as a stored fact (`Connection Created`, `Connection
/// Broken`, `Connection Removed`: an event on the bus and an entry in the changes feed). Only ids
/// and times: never a token, never a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// `Connected` (created, or connected again), `Broken` or `Removed`.
    pub status: ConnectionStatus,
    pub business_ids: Vec<String>,
    pub at_ms: u64,
}

/// What a save writes beside the connection and the records of its businesses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveNotes {
    /// The status change the save is, if it is one.
    pub change: Option<StatusChange>,
    /// Businesses no longer the connection's: their records are deleted (a delivery for them
    /// finds no secret to match; no token is found through them).
    pub gone: Vec<String>,
}

/// Where connections and the used `state` values are kept.
pub trait ConnectionStore: Send + Sync {
    /// Marks a `state` nonce used: `true` the first time, `false` ever after (a conditional
    /// write, so two callbacks racing with one state get one `true`). `expires_at` (ms) is when
    /// the record may be forgotten: the state is refused by its own expiry after it anyway.
    fn consume_state(
        &self,
        nonce: &str,
        expires_at: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn connection(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<Connection>, StoreError>> + Send;

    /// Writes the connection and the record of each of its businesses (webhook and secret hash),
    /// deletes the records of the businesses `notes` names gone and stores its status change,
    /// all together, or nothing.
    fn save_connection(
        &self,
        connection: &Connection,
        notes: &SaveNotes,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// As [`ConnectionStore::save_connection`], only if the stored connection's `updated_at` is
    /// still `seen` (no refresh, no other change since it was read): `false` when it was not,
    /// and nothing is written.
    fn replace_connection(
        &self,
        connection: &Connection,
        notes: &SaveNotes,
        seen: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Connections in order of their userID: at most `limit`, after the userID `after` (the
    /// first page when `None`); `next` is the last userID of the page when more may follow.
    fn connections(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> impl Future<Output = Result<super::Page<Connection>, StoreError>> + Send;

    /// The Thumbtack user a business is connected through.
    fn business_user(
        &self,
        business_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Takes the user's refresh lease for `holder` until `until` (ms) when no one holds it at
    /// `now`: `true` when taken (a conditional write: one taker among any number of processes).
    fn take_refresh_lease(
        &self,
        user_id: &str,
        holder: &str,
        until: u64,
        now: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Writes refreshed tokens and releases the lease, if `holder` still holds it: `false` when
    /// another took it over (its tokens stand).
    fn save_refreshed(
        &self,
        user_id: &str,
        holder: &str,
        sealed_tokens: Vec<u8>,
        access_expires_at: u64,
        now: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks a connected connection broken (its tokens no longer work), stores the change (its
    /// `Connection Broken`) and releases the lease, together: `true` when it was connected,
    /// `false` when it was not (already broken or removed: nothing written).
    fn mark_broken(
        &self,
        user_id: &str,
        business_ids: &[String],
        now: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// The tokens Thumbtack issued for a user, in clear: only ever held in memory.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_in: Option<Duration>,
    /// What was granted (the token response's `scope`), when Thumbtack says.
    pub scopes: Vec<String>,
}

/// Seals tokens for one user (KMS in AWS, with the userID as encryption context: a sealed value
/// copied to another user's record does not open).
pub trait TokenVault: Send + Sync {
    fn seal(
        &self,
        user_id: &str,
        tokens: &TokenSet,
    ) -> impl Future<Output = Result<Vec<u8>, VaultError>> + Send;

    fn open(
        &self,
        user_id: &str,
        sealed: &[u8],
    ) -> impl Future<Output = Result<TokenSet, VaultError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The key service could not be reached or refused for now: trying again may help.
    #[error("the token vault is unavailable")]
    Unavailable(#[source] BoxError),
    /// The sealed value does not open for this user (tampered, or another user's).
    #[error("the sealed tokens do not open for this user")]
    Invalid,
}

/// A Thumbtack user as `GET /api/v4/users/self` names them; only the id is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4User {
    pub user_id: String,
}

/// A business as `GET /api/v4/businesses` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4Business {
    pub business_id: String,
    pub name: String,
}

/// A business webhook as Thumbtack answers it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4Webhook {
    pub webhook_id: String,
    pub webhook_url: String,
}

/// What a webhook of ours is registered with.
#[derive(Debug, Clone)]
pub struct WebhookSpec {
    pub url: String,
    pub event_types: Vec<&'static str>,
    /// The custom header Thumbtack sends with each delivery, and its value.
    pub header: &'static str,
    pub secret: SecretString,
}

/// Thumbtack's v4 OAuth server and the API calls the connect flow makes.
pub trait ThumbtackV4: Send + Sync {
    /// The consent page's URL for this `state`, with the PKCE S256 challenge of `pkce_verifier`.
    fn authorize_url(
        &self,
        state: &str,
        pkce_verifier: &str,
    ) -> impl Future<Output = Result<String, V4Error>> + Send;

    /// The authorization code exchanged for tokens (client authentication by HTTP Basic).
    fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &str,
    ) -> impl Future<Output = Result<TokenSet, V4Error>> + Send;

    /// A refresh: new tokens (Thumbtack's refresh tokens are single use, facts §1.4).
    fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> impl Future<Output = Result<TokenSet, V4Error>> + Send;

    fn user_self(
        &self,
        token: &SecretString,
    ) -> impl Future<Output = Result<V4User, V4Error>> + Send;

    fn businesses(
        &self,
        token: &SecretString,
    ) -> impl Future<Output = Result<Vec<V4Business>, V4Error>> + Send;

    fn webhooks(
        &self,
        token: &SecretString,
        business_id: &str,
    ) -> impl Future<Output = Result<Vec<V4Webhook>, V4Error>> + Send;

    fn create_webhook(
        &self,
        token: &SecretString,
        business_id: &str,
        spec: &WebhookSpec,
    ) -> impl Future<Output = Result<V4Webhook, V4Error>> + Send;

    /// Replaces the whole webhook (`PUT`): its URL, events and a new secret.
    fn update_webhook(
        &self,
        token: &SecretString,
        business_id: &str,
        webhook_id: &str,
        spec: &WebhookSpec,
    ) -> impl Future<Output = Result<V4Webhook, V4Error>> + Send;

    /// Deletes a webhook: `Ok` also when Thumbtack no longer has it (404).
    fn delete_webhook(
        &self,
        token: &SecretString,
        business_id: &str,
        webhook_id: &str,
    ) -> impl Future<Output = Result<(), V4Error>> + Send;
}

/// A failed call to Thumbtack's v4 OAuth server or API.
#[derive(Debug, thiserror::Error)]
pub enum V4Error {
    /// The OAuth server refused the grant with an RFC 6749 error code (`invalid_grant`: the code
    /// is unknown, used or expired).
    #[error("Thumbtack's OAuth server refused: {code}")]
    OAuth { code: String },
    /// The API answered a 4xx (a missing scope, a business that is not the user's...).
    #[error("Thumbtack answered {status}")]
    Refused { status: u16 },
    /// No answer, a 5xx, a 429 or an answer we could not read: trying again later may help.
    #[error("Thumbtack is unavailable")]
    Unavailable(#[source] BoxError),
    /// Our own client credential could not be read.
    #[error("the v4 client credential is unavailable")]
    Client(#[source] BoxError),
}
