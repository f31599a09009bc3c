//! A valid access token for a business (business → user → token), for the functions that call
//! Thumbtack with it.
//!
//! Cached in memory until [`REFRESH_BEFORE`] its expiry. A refresh is serialised per user twice
//! over: in the process (one caller refreshes, the others wait for it) and across processes by a
//! conditional lease in the store, [`LEASE`] long: shorter than Thumbtack's 60 s grace on a used
//! refresh token (facts §1.4), so if a refresher dies after Thumbtack rotated the token, the next
//! one takes the lease over while the old refresh token still works. A refresh Thumbtack refuses
//! with `invalid_grant` marks the connection broken: the pro must connect again.

use super::ConnectDeps;
use crate::ports::{ConnectionStatus, ConnectionStore, ThumbtackV4, TokenVault, V4Error};
use crate::ports::{StoreError, VaultError};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A token is refreshed this long before it expires.
pub const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);
/// How long a refresher holds the user's lease: well within the 60 s grace.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often a caller waiting on another process's refresh looks again.
const WAIT_STEP: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No connection for the business: it is reached through legacy, or not at all.
    #[error("the business is not connected")]
    NotConnected,
    /// Thumbtack refused the refresh token: the pro must connect again.
    #[error("the connection is broken")]
    Broken,
    #[error("the token could not be refreshed now")]
    Unavailable(#[source] crate::ports::BoxError),
}

impl From<StoreError> for TokenError {
    fn from(error: StoreError) -> Self {
        TokenError::Unavailable(Box::new(error))
    }
}

impl From<VaultError> for TokenError {
    fn from(error: VaultError) -> Self {
        TokenError::Unavailable(Box::new(error))
    }
}

/// The process's tokens, by user, and who in the process is refreshing whose.
#[derive(Debug, Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<String, (SecretString, u64)>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenCache {
    fn cached(&self, user_id: &str, now: u64) -> Option<SecretString> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens
            .get(user_id)
            .filter(|(_, expires)| fresh(*expires, now))
            .map(|(token, _)| token.clone())
    }

    fn keep(&self, user_id: &str, token: SecretString, expires: u64) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user_id.to_owned(), (token, expires));
    }

    fn flight(&self, user_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(flights.entry(user_id.to_owned()).or_default())
    }
}

fn fresh(expires_at: u64, now: u64) -> bool {
    now.saturating_add(crate::millis(REFRESH_BEFORE)) < expires_at
}

/// A valid access token for `business_id`. `now` is read at each step (waits take time).
pub async fn access_token<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    cache: &TokenCache,
    business_id: &str,
    now: impl Fn() -> u64,
) -> Result<SecretString, TokenError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let user_id = deps
        .store
        .business_user(business_id)
        .await?
        .ok_or(TokenError::NotConnected)?;
    user_token(deps, cache, &user_id, now).await
}

/// A valid access token of the Thumbtack user `user_id` (what managing their connection calls
/// with).
pub async fn user_token<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    cache: &TokenCache,
    user_id: &str,
    now: impl Fn() -> u64,
) -> Result<SecretString, TokenError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    token(deps, cache, user_id, now, 0).await
}

/// A token of `user_id`, refreshed when the stored one expires within [`REFRESH_BEFORE`] or
/// its tokens were last written before `written_before` (ms; 0: never for that): the sweep's
/// refresh of a refresh token idle too long.
pub(super) async fn token<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    cache: &TokenCache,
    user_id: &str,
    now: impl Fn() -> u64,
    written_before: u64,
) -> Result<SecretString, TokenError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let user_id = user_id.to_owned();
    if written_before == 0
        && let Some(token) = cache.cached(&user_id, now())
    {
        return Ok(token);
    }
    let flight = cache.flight(&user_id);
    let _one_at_a_time = flight.lock().await;
    // Another caller of this process may have refreshed while this one waited.
    if written_before == 0
        && let Some(token) = cache.cached(&user_id, now())
    {
        return Ok(token);
    }
    let holder = super::random_token(12);
    loop {
        let connection = deps
            .store
            .connection(&user_id)
            .await?
            .ok_or(TokenError::NotConnected)?;
        match connection.status {
            ConnectionStatus::Connected => {}
            ConnectionStatus::Broken => return Err(TokenError::Broken),
            ConnectionStatus::Removed => return Err(TokenError::NotConnected),
        }
        let business_ids: Vec<String> = connection
            .businesses
            .iter()
            .map(|b| b.business_id.clone())
            .collect();
        let tokens = deps.vault.open(&user_id, &connection.sealed_tokens).await?;
        if fresh(connection.access_expires_at, now()) && connection.updated_at >= written_before {
            cache.keep(
                &user_id,
                tokens.access_token.clone(),
                connection.access_expires_at,
            );
            return Ok(tokens.access_token);
        }
        let at = now();
        let leased = deps
            .store
            .take_refresh_lease(&user_id, &holder, at + crate::millis(LEASE), at)
            .await?;
        if !leased {
            // Another process refreshes: its tokens will be on the record.
            tokio::time::sleep(WAIT_STEP).await;
            continue;
        }
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            broken(deps, &user_id, &business_ids, now()).await?;
            return Err(TokenError::Broken);
        };
        let mut refreshed = match deps.thumbtack.refresh(&refresh_token).await {
            Ok(refreshed) => refreshed,
            Err(V4Error::OAuth { code }) if code == "invalid_grant" => {
                tracing::warn!(user_id, "the refresh token was refused; connection broken");
                broken(deps, &user_id, &business_ids, now()).await?;
                return Err(TokenError::Broken);
            }
            // The lease runs out by itself: the next caller tries again.
            Err(error) => return Err(TokenError::Unavailable(Box::new(error))),
        };
        // Kept when a refresh answers without a new one (never seen; two integrators do it).
        if refreshed.refresh_token.is_none() {
            refreshed.refresh_token = Some(refresh_token);
        }
        let at = now();
        let expires_at = at.saturating_add(refreshed.expires_in.map_or(0, crate::millis));
        let sealed = deps.vault.seal(&user_id, &refreshed).await?;
        if deps
            .store
            .save_refreshed(&user_id, &holder, sealed, expires_at, at)
            .await?
        {
            cache.keep(&user_id, refreshed.access_token.clone(), expires_at);
            return Ok(refreshed.access_token);
        }
        // The lease was taken over (this refresh outlived it): the other refresher's tokens
        // stand; read them.
    }
}

/// A token of `user_id` after Thumbtack refused one with a 401 (it expired early, or was
/// revoked and reissued): refreshed now under the lease, whatever its stored expiry says. A
/// refresh another process made meanwhile is only made again: harmless, the lease serialises it.
pub async fn token_after_refusal<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    cache: &TokenCache,
    user_id: &str,
    now: impl Fn() -> u64,
) -> Result<SecretString, TokenError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let refused_at = now().max(1);
    token(deps, cache, user_id, now, refused_at).await
}

/// Marks the connection broken (its `Connection Broken` stored with it) and counts it, once: a
/// connection already broken or removed is neither written nor counted again.
async fn broken<S: ConnectionStore, T, V>(
    deps: &ConnectDeps<S, T, V>,
    user_id: &str,
    business_ids: &[String],
    now: u64,
) -> Result<(), StoreError> {
    if deps.store.mark_broken(user_id, business_ids, now).await? {
        deps.metrics
            .count(crate::metrics::Metric::ConnectionsBroken, None);
    }
    Ok(())
}
