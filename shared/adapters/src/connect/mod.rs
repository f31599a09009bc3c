//! The connect flow's adapters (issue 22): Thumbtack's v4 OAuth server and API
//! ([`HttpThumbtackV4`], below [`ThumbtackV4`]), and the vault that seals a pro's tokens with KMS
//! ([`KmsVault`]). The registry itself is the table's (`crate::dynamo`).
//!
//! - `oauth`: the authorize URL and the code exchange, through the `oauth2` crate;
//! - `api`: users/self, businesses and webhooks, with the pro's token;
//! - `vault`: KMS, with the userID as encryption context.

mod api;
mod oauth;
mod vault;

pub use oauth::{AUDIENCE, OAuthUrls};
pub use vault::{CONTEXT_KEY, KmsVault};

use crate::secrets::ThumbtackCredentials;
use crate::thumbtack::client::ThumbtackClient;
use app::ports::{ThumbtackV4, TokenSet, V4Business, V4Error, V4User, V4Webhook, WebhookSpec};
use reqwest::{Method, Url};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::Arc;

/// Thumbtack's v4 OAuth server and API, over the process's one HTTP client (its base URL the v4
/// API base, `https://api.thumbtack.com/api`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpThumbtackV4 {
    api: ThumbtackClient,
    oauth: OAuthUrls,
    /// The v4 client id and secret (`username`/`password`: the token endpoint takes them as
    /// HTTP Basic), fixed locally, from Secrets Manager in AWS.
    client: Arc<ThumbtackCredentials>,
}

impl HttpThumbtackV4 {
    pub fn new(api: ThumbtackClient, oauth: OAuthUrls, client: ThumbtackCredentials) -> Self {
        HttpThumbtackV4 {
            api,
            oauth,
            client: Arc::new(client),
        }
    }

    async fn credential(&self) -> Result<Arc<app::auth::Credential>, V4Error> {
        self.client
            .current()
            .await
            .map_err(|e| V4Error::Client(Box::new(e)))
    }

    /// `{base}/v4/<segments>`; a segment that is not a valid id is refused before any call.
    fn endpoint(&self, segments: &[&str]) -> Result<Url, V4Error> {
        let mut all = vec!["v4"];
        all.extend_from_slice(segments);
        self.api
            .endpoint(&all)
            .ok_or(V4Error::Refused { status: 400 })
    }

    async fn get(&self, token: &SecretString, segments: &[&str]) -> Result<Value, V4Error> {
        api::call(
            self.api.http(),
            Method::GET,
            self.endpoint(segments)?,
            token,
            None,
        )
        .await
    }
}

impl ThumbtackV4 for HttpThumbtackV4 {
    async fn authorize_url(&self, state: &str, pkce_verifier: &str) -> Result<String, V4Error> {
        let credential = self.credential().await?;
        Ok(self.oauth.authorize_url(&credential, state, pkce_verifier))
    }

    async fn exchange_code(&self, code: &str, pkce_verifier: &str) -> Result<TokenSet, V4Error> {
        let credential = self.credential().await?;
        self.oauth
            .exchange(self.api.http(), &credential, code, pkce_verifier)
            .await
    }

    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, V4Error> {
        let credential = self.credential().await?;
        self.oauth
            .refresh(self.api.http(), &credential, refresh_token)
            .await
    }

    async fn user_self(&self, token: &SecretString) -> Result<V4User, V4Error> {
        api::user(self.get(token, &["users", "self"]).await?)
    }

    async fn businesses(&self, token: &SecretString) -> Result<Vec<V4Business>, V4Error> {
        api::businesses(self.get(token, &["businesses"]).await?)
    }

    async fn webhooks(
        &self,
        token: &SecretString,
        business_id: &str,
    ) -> Result<Vec<V4Webhook>, V4Error> {
        api::webhooks(
            self.get(token, &["businesses", business_id, "webhooks"])
                .await?,
        )
    }

    async fn create_webhook(
        &self,
        token: &SecretString,
        business_id: &str,
        spec: &WebhookSpec,
    ) -> Result<V4Webhook, V4Error> {
        let url = self.endpoint(&["businesses", business_id, "webhooks"])?;
        let body = api::webhook_body(spec);
        api::webhook(api::call(self.api.http(), Method::POST, url, token, Some(&body)).await?)
    }

    async fn update_webhook(
        &self,
        token: &SecretString,
        business_id: &str,
        webhook_id: &str,
        spec: &WebhookSpec,
    ) -> Result<V4Webhook, V4Error> {
        let url = self.endpoint(&["businesses", business_id, "webhooks", webhook_id])?;
        let body = api::webhook_body(spec);
        api::webhook(api::call(self.api.http(), Method::PUT, url, token, Some(&body)).await?)
    }

    async fn delete_webhook(
        &self,
        token: &SecretString,
        business_id: &str,
        webhook_id: &str,
    ) -> Result<(), V4Error> {
        let url = self.endpoint(&["businesses", business_id, "webhooks", webhook_id])?;
        api::delete(self.api.http(), url, token).await
    }
}
