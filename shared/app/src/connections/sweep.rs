//! The daily sweep: every connection whose tokens were last written [`IDLE_AFTER`] ago or more
//! is refreshed, so that no refresh token dies of Thumbtack's 180-day limit (facts §1.4) for
//! want of use. A connection's tokens are written at each refresh, and its record only with a
//! token at most an hour old (a sync, a new connection), so `updated_at` is when its refresh
//! token was last used, give or take that hour.
//!
//! Page by page ([`SWEEP_PAGE`] connections at a time), each idle one refreshed like any other
//! caller's (under the user's lease, `Connection Broken` on `invalid_grant`). One that cannot be
//! refreshed now is counted and the sweep goes on; the sweep then fails, so that its schedule's
//! retry runs it again (every step is safe to repeat: a refreshed connection is no longer idle).

use super::ConnectDeps;
use super::tokens::{TokenCache, TokenError, token};
use crate::ports::{ConnectionStatus, ConnectionStore, StoreError, ThumbtackV4, TokenVault};
use std::time::Duration;

/// A refresh token unused this long is refreshed: a month before Thumbtack's 180 days.
pub const IDLE_AFTER: Duration = Duration::from_secs(150 * 24 * 3600);
/// Connections read at a time.
pub const SWEEP_PAGE: usize = 25;

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    /// Connections read.
    pub checked: usize,
    /// Idle ones refreshed.
    pub refreshed: usize,
    /// Idle ones Thumbtack refused to refresh: now broken.
    pub broken: usize,
    /// Idle ones that could not be refreshed now.
    pub failed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Some idle connections could not be refreshed: run it again.
    #[error("{} idle connection(s) could not be refreshed now", .0.failed)]
    Incomplete(Swept),
}

/// The daily sweep at `now` (ms, read at each step): every idle connection refreshed.
pub async fn sweep_idle<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    now: impl Fn() -> u64,
) -> Result<Swept, SweepError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    sweep_idle_paged(deps, now, SWEEP_PAGE).await
}

/// [`sweep_idle`], `page` connections at a time.
pub async fn sweep_idle_paged<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    now: impl Fn() -> u64,
    page: usize,
) -> Result<Swept, SweepError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let idle_since = now().saturating_sub(crate::millis(IDLE_AFTER));
    let cache = TokenCache::default();
    let mut swept = Swept::default();
    let mut after: Option<String> = None;
    loop {
        let listed = deps.store.connections(page, after.as_deref()).await?;
        for connection in &listed.items {
            swept.checked += 1;
            if connection.status != ConnectionStatus::Connected
                || connection.updated_at > idle_since
            {
                continue;
            }
            let user_id = connection.user_id.as_str();
            // Refreshed unless its tokens were written after the idle mark (by another caller
            // meanwhile).
            match token(deps, &cache, user_id, &now, idle_since + 1).await {
                Ok(_) => swept.refreshed += 1,
                Err(TokenError::Broken) => swept.broken += 1,
                Err(TokenError::NotConnected) => {}
                Err(TokenError::Unavailable(error)) => {
                    tracing::warn!(user_id, error = %crate::error_chain(&*error), "an idle connection was not refreshed");
                    swept.failed += 1;
                }
            }
        }
        match listed.next {
            Some(next) => after = Some(next.0),
            None => break,
        }
    }
    tracing::info!(
        checked = swept.checked,
        refreshed = swept.refreshed,
        broken = swept.broken,
        failed = swept.failed,
        "idle connections swept"
    );
    if swept.failed > 0 {
        return Err(SweepError::Incomplete(swept));
    }
    Ok(swept)
}
