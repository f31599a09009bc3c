//! Connecting a pro's Thumbtack account through v4 OAuth (issue 22): `start` gives the partner
//! the consent page's URL for one of its pros; `callback` takes the pro's browser back from it,
//! exchanges the code, reads who connected and their businesses, registers one webhook per
//! business and stores the connection, then says where to send the browser.
//!
//! - `state`: the sealed, single-use `state` and the PKCE verifier derived from it;
//! - `settings`: what the flow is configured with (the return-URL allow-list among it);
//! - `callback`: the callback's steps and its outcome;
//! - `webhooks`: our webhook for each business, found again or registered, with its secret;
//! - `tokens`: a valid access token for a business, refreshed once per user under a lease;
//! - `list`: every connection, a page at a time, behind a sealed cursor;
//! - `manage`: a connection's businesses synced again, or the connection removed;
//! - `sweep`: the daily refresh of connections idle for 150 days.

mod callback;
mod list;
mod manage;
mod settings;
pub mod state;
mod sweep;
pub mod tokens;
mod webhooks;

pub use callback::{CallbackQuery, ConnectError, Outcome, callback};
pub use list::{ConnectionsPage, ListAsked, ListError, list};
pub use manage::{ManageError, Synced, remove, sync};
pub use settings::{ConnectSettings, ReturnUrls, SCOPES, WEBHOOK_EVENT_TYPES};
pub use sweep::{IDLE_AFTER, SWEEP_PAGE, SweepError, Swept, sweep_idle, sweep_idle_paged};
pub use webhooks::{WEBHOOK_SECRET_HEADER, secret_hash};

use crate::ports::{ThumbtackV4, V4Error};
use base64::Engine as _;
use models::{Invalid, InvalidKind, Problems};
use state::{STATE_LIFETIME_MS, StateClaims};

/// What the connections function needs.
#[derive(Debug, Clone)]
pub struct ConnectDeps<S, T, V> {
    pub store: S,
    pub thumbtack: T,
    pub vault: V,
    pub settings: ConnectSettings,
    /// Where a broken connection is counted (`ConnectionsBroken`).
    pub metrics: crate::metrics::Metrics,
}

/// The partner's request to connect one of its pros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartAsked<'a> {
    pub reference: Option<&'a str>,
    pub return_url: Option<&'a str>,
}

/// Where to send the pro, and until when that link works.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Started {
    #[serde(rename = "authorizeURL")]
    pub authorize_url: String,
    /// RFC 3339.
    #[serde(rename = "expiresAt")]
    pub expires_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid request: {0}")]
    Invalid(Invalid),
    #[error(transparent)]
    Thumbtack(#[from] V4Error),
}

/// The longest reference a partner may give for its pro.
pub const MAX_REFERENCE_CHARS: usize = 256;

/// `POST /v1/connections`: checks the reference and the return URL (on the allow-list), seals a
/// fresh state (expiring in 10 minutes) and answers the consent page's URL. Nothing is stored.
pub async fn start<S, T: ThumbtackV4, V>(
    deps: &ConnectDeps<S, T, V>,
    asked: StartAsked<'_>,
    now: u64,
) -> Result<Started, StartError> {
    let mut problems = Problems::default();
    let reference = asked.reference.unwrap_or_default();
    if reference.trim().is_empty() {
        problems.add("reference", "must be a non-empty string");
    } else if reference.chars().count() > MAX_REFERENCE_CHARS
        || reference.chars().any(char::is_control)
    {
        problems.add(
            "reference",
            "must be at most 256 characters, without control characters",
        );
    }
    if let Some(url) = asked.return_url
        && !deps.settings.return_urls.allows(url)
    {
        problems.add(
            "returnURL",
            "must be a URL on the allow-list of return URLs",
        );
    }
    if !problems.is_empty() {
        return Err(StartError::Invalid(Invalid {
            kind: InvalidKind::Fields,
            problems,
        }));
    }
    let claims = StateClaims {
        nonce: random_token(16),
        reference: reference.to_owned(),
        return_url: asked.return_url.map(str::to_owned),
        expires_at: now + STATE_LIFETIME_MS,
    };
    let key = &deps.settings.state_key;
    let state = key.seal(&claims);
    let authorize_url = deps
        .thumbtack
        .authorize_url(&state, &key.pkce_verifier(&claims.nonce))
        .await?;
    Ok(Started {
        authorize_url,
        expires_at: rfc3339(claims.expires_at),
    })
}

/// `bytes` random bytes from the operating system's generator, base64url.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    // The OS generator failing is not something a request can recover from.
    getrandom::fill(&mut buffer).unwrap_or_else(|error| panic!("no randomness: {error}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

fn rfc3339(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A connection as the partner sees it (`GET /v1/connections/{userID}`): never a token, never a
/// secret's hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionView {
    #[serde(rename = "userID")]
    pub user_id: String,
    pub reference: String,
    pub status: &'static str,
    pub businesses: Vec<BusinessView>,
    pub scopes: Vec<String>,
    /// RFC 3339.
    #[serde(rename = "accessExpiresAt")]
    pub access_expires_at: String,
    #[serde(rename = "connectedAt")]
    pub connected_at: String,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BusinessView {
    #[serde(rename = "businessID")]
    pub business_id: String,
    pub name: String,
    #[serde(rename = "webhookID")]
    pub webhook_id: String,
}

/// The connection of `user_id`, if there is one.
pub async fn show<S: crate::ports::ConnectionStore>(
    store: &S,
    user_id: &str,
) -> Result<Option<ConnectionView>, crate::StoreError> {
    Ok(store.connection(user_id).await?.map(view))
}

/// What the partner sees of a connection.
pub fn view(c: crate::ports::Connection) -> ConnectionView {
    ConnectionView {
        user_id: c.user_id,
        reference: c.reference,
        status: c.status.as_str(),
        businesses: c
            .businesses
            .into_iter()
            .map(|b| BusinessView {
                business_id: b.business_id,
                name: b.name,
                webhook_id: b.webhook_id,
            })
            .collect(),
        scopes: c.scopes,
        access_expires_at: rfc3339(c.access_expires_at),
        connected_at: rfc3339(c.connected_at),
        updated_at: rfc3339(c.updated_at),
    }
}
