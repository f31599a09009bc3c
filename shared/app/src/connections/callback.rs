//! `GET /v1/connections/callback`: the pro's browser back from Thumbtack's consent page.
//!
//! Order, so that a failure leaves nothing half stored: the state is checked and consumed first
//! (a replay gets no further); then every call to Thumbtack (code exchange, who connected, their
//! businesses, a webhook for each); then the tokens are sealed and the connection and its
//! businesses written in one transaction. A failure before that write stores nothing; webhooks
//! registered by a failed run are ours by their URL and are found again by the next run.

use super::state::{StateClaims, StateError};
use super::{ConnectDeps, webhooks};
use crate::ports::{
    ConnectedBusiness, Connection, ConnectionStatus, ConnectionStore, SaveNotes, StatusChange,
    StoreError, ThumbtackV4, TokenVault, V4Error, VaultError,
};
use url::Url;

/// The callback's query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackQuery<'a> {
    pub code: Option<&'a str>,
    pub state: Option<&'a str>,
    /// Set by the OAuth server instead of `code` (`access_denied` when the pro said no).
    pub error: Option<&'a str>,
}

/// Why a connection was not made: the `error` the pro's browser is sent back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// The pro denied access on the consent page.
    AccessDenied,
    /// No state, or not one of ours: nothing it says can be trusted (no return URL).
    InvalidState,
    /// Older than 10 minutes: the partner starts again.
    ExpiredState,
    /// Used before: the flow cannot be replayed.
    UsedState,
    /// The OAuth server refused the code or the authorization (other than a denial).
    AuthorizationFailed,
    /// Thumbtack refused a call (a scope the client lacks, a business not the user's).
    ThumbtackRefused,
    /// Thumbtack or our storage could not be reached: starting again later may work.
    Unavailable,
}

impl ConnectError {
    pub fn code(self) -> &'static str {
        match self {
            ConnectError::AccessDenied => "access_denied",
            ConnectError::InvalidState => "invalid_state",
            ConnectError::ExpiredState => "expired_state",
            ConnectError::UsedState => "used_state",
            ConnectError::AuthorizationFailed => "authorization_failed",
            ConnectError::ThumbtackRefused => "thumbtack_refused",
            ConnectError::Unavailable => "temporarily_unavailable",
        }
    }

    /// A sentence for the pro, on the page shown when there is no return URL.
    pub fn explanation(self) -> &'static str {
        match self {
            ConnectError::AccessDenied => "Access was not granted on Thumbtack.",
            ConnectError::InvalidState => "This link is not valid.",
            ConnectError::ExpiredState => "This link has expired; please start again.",
            ConnectError::UsedState => "This link was already used; please start again.",
            ConnectError::AuthorizationFailed => {
                "Thumbtack did not confirm the authorization; please start again."
            }
            ConnectError::ThumbtackRefused => "Thumbtack refused a step of the connection.",
            ConnectError::Unavailable => {
                "The connection could not be completed just now; please try again later."
            }
        }
    }
}

impl From<V4Error> for ConnectError {
    fn from(error: V4Error) -> Self {
        match error {
            V4Error::OAuth { code } if code == "access_denied" => ConnectError::AccessDenied,
            V4Error::OAuth { .. } => ConnectError::AuthorizationFailed,
            V4Error::Refused { .. } => ConnectError::ThumbtackRefused,
            V4Error::Unavailable(_) | V4Error::Client(_) => ConnectError::Unavailable,
        }
    }
}

impl From<StoreError> for ConnectError {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %crate::error_chain(&error), "the connection could not be stored");
        ConnectError::Unavailable
    }
}

impl From<VaultError> for ConnectError {
    fn from(error: VaultError) -> Self {
        tracing::error!(error = %crate::error_chain(&error), "the tokens could not be sealed");
        ConnectError::Unavailable
    }
}

/// What the callback came to, and where the pro's browser goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Connected {
        user_id: String,
        reference: String,
        return_url: Option<String>,
        /// `(businessID, name)` of each business connected.
        businesses: Vec<(String, String)>,
    },
    Failed {
        error: ConnectError,
        reference: Option<String>,
        return_url: Option<String>,
    },
}

impl Outcome {
    /// The return URL with `connection`, `reference` and `status=connected`, or with
    /// `status=error&error=<code>`: `None` when the flow has no return URL (a page is shown).
    pub fn redirect(&self) -> Option<String> {
        let (return_url, pairs): (&Option<String>, Vec<(&str, &str)>) = match self {
            Outcome::Connected {
                user_id,
                reference,
                return_url,
                ..
            } => (
                return_url,
                vec![
                    ("connection", user_id),
                    ("reference", reference),
                    ("status", "connected"),
                ],
            ),
            Outcome::Failed {
                error,
                reference,
                return_url,
            } => {
                let mut pairs = vec![("status", "error"), ("error", error.code())];
                if let Some(reference) = reference {
                    pairs.push(("reference", reference));
                }
                (return_url, pairs)
            }
        };
        let mut url = Url::parse(return_url.as_deref()?).ok()?;
        url.query_pairs_mut().extend_pairs(pairs);
        Some(url.into())
    }
}

/// Runs the callback at `now` (ms). Every failure is an [`Outcome::Failed`]: the browser is
/// always answered.
pub async fn callback<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    query: CallbackQuery<'_>,
    now: u64,
) -> Outcome
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let failed = |error, claims: Option<&StateClaims>| Outcome::Failed {
        error,
        reference: claims.map(|c| c.reference.clone()),
        return_url: claims.and_then(|c| c.return_url.clone()),
    };
    let claims = match query.state.map(|s| deps.settings.state_key.open(s, now)) {
        None | Some(Err(StateError::Invalid)) => return failed(ConnectError::InvalidState, None),
        Some(Err(StateError::Expired(claims))) => {
            return failed(ConnectError::ExpiredState, Some(&claims));
        }
        Some(Ok(claims)) => claims,
    };
    match deps
        .store
        .consume_state(&claims.nonce, claims.expires_at)
        .await
    {
        Ok(true) => {}
        Ok(false) => return failed(ConnectError::UsedState, Some(&claims)),
        Err(error) => {
            tracing::error!(error = %crate::error_chain(&error), "the state could not be consumed");
            return failed(ConnectError::Unavailable, Some(&claims));
        }
    }
    if let Some(error) = query.error {
        let error = if error == "access_denied" {
            ConnectError::AccessDenied
        } else {
            ConnectError::AuthorizationFailed
        };
        tracing::info!(error = error.code(), "the authorization was not given");
        return failed(error, Some(&claims));
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return failed(ConnectError::AuthorizationFailed, Some(&claims));
    };
    match connect(deps, &claims, code, now).await {
        Ok(connection) => Outcome::Connected {
            businesses: connection
                .businesses
                .iter()
                .map(|b| (b.business_id.clone(), b.name.clone()))
                .collect(),
            user_id: connection.user_id,
            reference: claims.reference,
            return_url: claims.return_url,
        },
        Err(error) => failed(error, Some(&claims)),
    }
}

/// The steps after the state: Thumbtack's calls, then one write.
async fn connect<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    claims: &StateClaims,
    code: &str,
    now: u64,
) -> Result<Connection, ConnectError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let thumbtack = &deps.thumbtack;
    let verifier = deps.settings.state_key.pkce_verifier(&claims.nonce);
    let tokens = thumbtack
        .exchange_code(code, &verifier)
        .await
        .map_err(logged("the code exchange failed"))?;
    let token = &tokens.access_token;
    let user = thumbtack
        .user_self(token)
        .await
        .map_err(logged("users/self failed"))?;
    tracing::Span::current().record("user_id", user.user_id.as_str());
    let listed = thumbtack
        .businesses(token)
        .await
        .map_err(logged("the businesses could not be listed"))?;
    let previous = deps.store.connection(&user.user_id).await?;
    let mut businesses: Vec<ConnectedBusiness> = Vec::with_capacity(listed.len());
    for business in &listed {
        let recorded = previous.as_ref().and_then(|c| {
            c.businesses
                .iter()
                .find(|b| b.business_id == business.business_id)
        });
        let connected = webhooks::ensure(thumbtack, &deps.settings, token, business, recorded)
            .await
            .map_err(logged("a webhook could not be registered"))?;
        businesses.push(connected);
    }
    let sealed_tokens = deps.vault.seal(&user.user_id, &tokens).await?;
    let expires_in = tokens.expires_in.map_or(0, crate::millis);
    let connection = Connection {
        reference: claims.reference.clone(),
        status: ConnectionStatus::Connected,
        businesses,
        sealed_tokens,
        access_expires_at: now.saturating_add(expires_in),
        scopes: tokens.scopes.clone(),
        connected_at: previous.as_ref().map_or(now, |c| c.connected_at),
        updated_at: now,
        user_id: user.user_id,
    };
    // Connected from nothing, or again after a break or a removal: a `Connection Created`.
    let change = previous
        .as_ref()
        .is_none_or(|p| p.status != ConnectionStatus::Connected)
        .then(|| StatusChange {
            status: ConnectionStatus::Connected,
            business_ids: connection
                .businesses
                .iter()
                .map(|b| b.business_id.clone())
                .collect(),
            at_ms: now,
        });
    // Businesses of an earlier connection the pro no longer has: no token found through them.
    let gone = previous
        .iter()
        .flat_map(|p| &p.businesses)
        .filter(|old| {
            !connection
                .businesses
                .iter()
                .any(|b| b.business_id == old.business_id)
        })
        .map(|old| old.business_id.clone())
        .collect();
    deps.store
        .save_connection(&connection, &SaveNotes { change, gone })
        .await?;
    tracing::info!(
        businesses = connection.businesses.len(),
        "the pro is connected"
    );
    Ok(connection)
}

/// Logs a failed call to Thumbtack (its kind and cause, never a token) before it is answered.
fn logged(what: &'static str) -> impl Fn(V4Error) -> ConnectError {
    move |error| {
        tracing::warn!(error = %crate::error_chain(&error), "{what}");
        ConnectError::from(error)
    }
}
