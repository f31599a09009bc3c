//! v4's authorisation: the pro's access token as a Bearer header, from the OAuth registry
//! (`app::connections::tokens`, with the process's [`TokenCache`]), refreshed once after a 401.
//! The subject it is asked for is the Thumbtack user the business is connected through.

use super::auth::{Authorize, header_value};
use app::connections::ConnectDeps;
use app::connections::tokens::{TokenCache, TokenError, token_after_refusal, user_token};
use app::ports::{ConnectionStore, SendError, ThumbtackV4, TokenVault};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// The pro's token per user. Cheap to clone: the clones share the registry and the cache.
#[derive(Debug)]
pub struct BearerAuth<S, T, V> {
    deps: Arc<ConnectDeps<S, T, V>>,
    cache: Arc<TokenCache>,
}

impl<S, T, V> Clone for BearerAuth<S, T, V> {
    fn clone(&self) -> Self {
        BearerAuth {
            deps: Arc::clone(&self.deps),
            cache: Arc::clone(&self.cache),
        }
    }
}

impl<S, T, V> BearerAuth<S, T, V> {
    pub fn new(deps: Arc<ConnectDeps<S, T, V>>, cache: Arc<TokenCache>) -> Self {
        BearerAuth { deps, cache }
    }

    /// The registry the tokens come from.
    pub fn registry(&self) -> &S {
        &self.deps.store
    }
}

impl<S, T, V> Authorize for BearerAuth<S, T, V>
where
    S: ConnectionStore,
    T: ThumbtackV4,
    V: TokenVault,
{
    async fn authorization(&self, user_id: &str) -> Result<HeaderValue, SendError> {
        let token = user_token(&self.deps, &self.cache, user_id, app::now_millis)
            .await
            .map_err(send_error)?;
        bearer(&token)
    }

    async fn after_refusal(
        &self,
        user_id: &str,
        _refused: &HeaderValue,
    ) -> Result<Option<HeaderValue>, SendError> {
        let token = token_after_refusal(&self.deps, &self.cache, user_id, app::now_millis)
            .await
            .map_err(send_error)?;
        bearer(&token).map(Some)
    }
}

fn bearer(token: &SecretString) -> Result<HeaderValue, SendError> {
    header_value(format!("Bearer {}", token.expose_secret()))
}

/// A connection that cannot give a token fails the reply with the reason; a registry, vault or
/// OAuth server out of reach is tried again.
fn send_error(error: TokenError) -> SendError {
    match error {
        TokenError::Broken => SendError::Unauthorised {
            detail: "not sent: the business's Thumbtack connection is broken (Thumbtack refused \
                     its refresh token); the pro must connect again"
                .to_owned(),
        },
        TokenError::NotConnected => SendError::Unauthorised {
            detail: "not sent: the business's Thumbtack connection was removed; the pro must \
                     connect again"
                .to_owned(),
        },
        TokenError::Unavailable(source) => SendError::Transient {
            status: None,
            retry_after: None,
            detail: format!(
                "the pro's Thumbtack token could not be had now: {}",
                app::error_chain(source.as_ref())
            ),
        },
    }
}
