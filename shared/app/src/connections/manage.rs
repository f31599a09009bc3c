//! A connection after it was made: `sync` lists the pro's businesses again (our webhook found
//! again or registered for each, ours deleted at Thumbtack for a business they no longer have),
//! `remove` disconnects them (our webhooks deleted at Thumbtack, the tokens erased, status
//! `removed`; their stored leads stay).
//!
//! Thumbtack's calls come first, then one write over the record as it was read
//! (`ConnectionStore::replace_connection`): a refresh that lands meanwhile is never overwritten
//! with older tokens; the record is read again and the write made over it. Each step is safe to
//! repeat (a webhook found again, a 404 on a delete is done), so a failed call is answered and the
//! partner asks again.

use super::tokens::{TokenCache, TokenError, user_token};
use super::{ConnectDeps, ConnectionView, view, webhooks};
use crate::ports::{
    Connection, ConnectionStatus, ConnectionStore, SaveNotes, StatusChange, StoreError,
    ThumbtackV4, TokenVault, V4Error,
};
use secrecy::SecretString;

/// How many times the write is tried over a record that keeps changing under it.
const WRITE_TRIES: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no such connection")]
    NotFound,
    /// Broken (the pro must connect again) or removed: nothing to sync.
    #[error("the connection is {0}")]
    NotConnected(&'static str),
    #[error(transparent)]
    Thumbtack(#[from] V4Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The token could not be had for now (Thumbtack, the vault or the store unavailable).
    #[error("the pro's token is unavailable")]
    Token(#[source] crate::ports::BoxError),
}

/// What a sync did: the connection as it now is, the businesses added and those removed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Synced {
    pub connection: ConnectionView,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// The pro's token, or why there is none.
async fn token<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    user_id: &str,
    now: &impl Fn() -> u64,
) -> Result<SecretString, ManageError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    user_token(deps, &TokenCache::default(), user_id, now)
        .await
        .map_err(|error| match error {
            TokenError::NotConnected => ManageError::NotFound,
            TokenError::Broken => ManageError::NotConnected("broken"),
            TokenError::Unavailable(cause) => ManageError::Token(cause),
        })
}

/// The record as it is now, rewritten by `change` over it; tried again when it changed
/// meanwhile. `change` gives `None` to leave it as it is (answered as it is).
async fn rewrite<S: ConnectionStore>(
    store: &S,
    user_id: &str,
    change: impl Fn(Connection) -> Option<(Connection, SaveNotes)>,
) -> Result<Connection, ManageError> {
    for _ in 0..WRITE_TRIES {
        let current = store
            .connection(user_id)
            .await?
            .ok_or(ManageError::NotFound)?;
        let seen = current.updated_at;
        let Some((updated, notes)) = change(current.clone()) else {
            return Ok(current);
        };
        if store.replace_connection(&updated, &notes, seen).await? {
            return Ok(updated);
        }
    }
    Err(ManageError::Store(StoreError::Unavailable(
        "the connection kept changing while it was written".into(),
    )))
}

/// `POST /v1/connections/{userID}/sync` at `now` (ms, read at each step).
pub async fn sync<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    user_id: &str,
    now: impl Fn() -> u64,
) -> Result<Synced, ManageError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let connection = deps
        .store
        .connection(user_id)
        .await?
        .ok_or(ManageError::NotFound)?;
    if connection.status != ConnectionStatus::Connected {
        return Err(ManageError::NotConnected(connection.status.as_str()));
    }
    let token = token(deps, user_id, &now).await?;
    let listed = deps.thumbtack.businesses(&token).await?;
    let mut businesses = Vec::with_capacity(listed.len());
    for business in &listed {
        let recorded = connection
            .businesses
            .iter()
            .find(|b| b.business_id == business.business_id);
        businesses.push(
            webhooks::ensure(&deps.thumbtack, &deps.settings, &token, business, recorded).await?,
        );
    }
    let gone: Vec<_> = connection
        .businesses
        .iter()
        .filter(|old| !listed.iter().any(|b| b.business_id == old.business_id))
        .collect();
    for business in &gone {
        delete_webhook(deps, &token, &business.business_id, &business.webhook_id).await?;
    }
    let added: Vec<String> = businesses
        .iter()
        .filter(|b| {
            !connection
                .businesses
                .iter()
                .any(|old| old.business_id == b.business_id)
        })
        .map(|b| b.business_id.clone())
        .collect();
    let removed: Vec<String> = gone.iter().map(|b| b.business_id.clone()).collect();
    let at = now();
    let saved = rewrite(&deps.store, user_id, |current| {
        // Broken or removed meanwhile: that stands.
        (current.status == ConnectionStatus::Connected).then(|| {
            let notes = SaveNotes {
                change: None,
                gone: removed.clone(),
            };
            let updated = Connection {
                businesses: businesses.clone(),
                updated_at: at.max(current.updated_at),
                ..current
            };
            (updated, notes)
        })
    })
    .await?;
    tracing::info!(
        user_id,
        added = added.len(),
        removed = removed.len(),
        "the connection's businesses are synced"
    );
    Ok(Synced {
        connection: view(saved),
        added,
        removed,
    })
}

/// Deletes our webhook of a business; a business Thumbtack no longer lets us reach (the pro no
/// longer has it) has no webhook of ours to delete.
async fn delete_webhook<S, T: ThumbtackV4, V>(
    deps: &ConnectDeps<S, T, V>,
    token: &SecretString,
    business_id: &str,
    webhook_id: &str,
) -> Result<(), ManageError> {
    match deps
        .thumbtack
        .delete_webhook(token, business_id, webhook_id)
        .await
    {
        Ok(()) => Ok(()),
        Err(V4Error::Refused { status }) => {
            tracing::info!(
                business_id,
                status,
                "the webhook could not be reached to delete"
            );
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// `DELETE /v1/connections/{userID}` at `now`: the connection as it is after, `removed`. A
/// connection removed before is answered as it is.
pub async fn remove<S, T, V>(
    deps: &ConnectDeps<S, T, V>,
    user_id: &str,
    now: impl Fn() -> u64,
) -> Result<ConnectionView, ManageError>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    let connection = deps
        .store
        .connection(user_id)
        .await?
        .ok_or(ManageError::NotFound)?;
    if connection.status == ConnectionStatus::Removed {
        return Ok(view(connection));
    }
    if !connection.businesses.is_empty() {
        match token(deps, user_id, &now).await {
            Ok(token) => {
                for business in &connection.businesses {
                    delete_webhook(deps, &token, &business.business_id, &business.webhook_id)
                        .await?;
                }
            }
            // No token to call with: once the businesses' records are gone, a delivery to our
            // webhooks finds no secret to match and is refused.
            Err(ManageError::NotConnected(_)) => {
                tracing::info!(user_id, "broken: our webhooks are left at Thumbtack");
            }
            Err(error) => return Err(error),
        }
    }
    let at = now();
    let removed = rewrite(&deps.store, user_id, |current| {
        (current.status != ConnectionStatus::Removed).then(|| {
            let business_ids: Vec<String> = current
                .businesses
                .iter()
                .map(|b| b.business_id.clone())
                .collect();
            let notes = SaveNotes {
                change: Some(StatusChange {
                    status: ConnectionStatus::Removed,
                    business_ids: business_ids.clone(),
                    at_ms: at,
                }),
                gone: business_ids,
            };
            let updated = Connection {
                status: ConnectionStatus::Removed,
                businesses: Vec::new(),
                sealed_tokens: Vec::new(),
                access_expires_at: 0,
                updated_at: at.max(current.updated_at),
                ..current
            };
            (updated, notes)
        })
    })
    .await?;
    tracing::info!(user_id, "the connection is removed");
    Ok(view(removed))
}
