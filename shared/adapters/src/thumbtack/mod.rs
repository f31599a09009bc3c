//! Thumbtack's messages API over HTTPS (reqwest), below the [`Thumbtack`] port.
//!
//! - `client`: the one HTTP client of a process ([`ThumbtackClient`]: timeouts, TLS roots, the
//!   base URL and paths on it) and how an authorised request is sent;
//! - `answer`: an answer classified as accepted, retryable or permanent;
//! - `auth`: authorisation behind [`Authorize`]; `basic`: today's, HTTP basic with rotation
//!   ([`BasicAuth`]);
//! - `legacy`: the legacy API's path and body ([`Legacy`]);
//! - `v4`: the v4 API's ([`V4`]: a 202 is a challenge, not a delivery; the created message's id
//!   is kept), authorised by `bearer` ([`BearerAuth`]: the pro's token from the OAuth registry);
//! - here: [`HttpThumbtack`], which picks per reply the API version it goes out through.
//!
//! Those first three are shared by every version.

pub(crate) mod answer;
mod auth;
mod basic;
mod bearer;
pub(crate) mod client;
mod legacy;
mod v4;

pub use answer::{classify, parse_retry_after, transient};
pub use auth::Authorize;
pub use basic::BasicAuth;
pub use bearer::BearerAuth;
pub use client::{ClientError, DEFAULT_BASE_URL, ThumbtackClient, ThumbtackSettings};
pub use legacy::Legacy;
pub use v4::{MAX_TEXT_CHARS, V4};

use crate::DynamoStore;
use crate::connect::{HttpThumbtackV4, KmsVault};
use crate::secrets::{SecretError, ThumbtackCredentials};
use app::ports::{Accepted, ConnectionStore, SendError, Thumbtack};
use models::Contract;

/// The pro's token, from the registry in the table, refreshed at Thumbtack's OAuth server,
/// opened with KMS.
pub type RegistryBearer = BearerAuth<DynamoStore, HttpThumbtackV4, KmsVault>;

/// Thumbtack for the reply path: one per process, built at init, cheap to clone. Each reply goes
/// out through the API version that reaches its business (`api_for`).
#[derive(Debug, Clone)]
pub struct HttpThumbtack {
    client: ThumbtackClient,
    basic: BasicAuth,
    legacy: Legacy<BasicAuth>,
    /// `None` where v4 is not configured: every reply goes through legacy, with no lookup.
    v4: Option<V4<RegistryBearer>>,
}

/// A version of Thumbtack's API, chosen per reply.
#[derive(Debug, Clone)]
enum Api<'a> {
    /// `POST /v1/business/{businessID}/lead/{leadID}/message`, HTTP basic auth.
    Legacy(&'a Legacy<BasicAuth>),
    /// `POST /api/v4/negotiations/{leadID}/messages`, with the token of the Thumbtack user
    /// the business is connected through.
    V4 {
        api: &'a V4<RegistryBearer>,
        user_id: String,
    },
}

impl HttpThumbtack {
    pub fn new(
        settings: &ThumbtackSettings,
        credentials: ThumbtackCredentials,
    ) -> Result<Self, ClientError> {
        let client = ThumbtackClient::new(settings)?;
        let basic = BasicAuth::new(credentials);
        Ok(HttpThumbtack {
            legacy: Legacy::new(client.clone(), basic.clone()),
            client,
            basic,
            v4: None,
        })
    }

    /// Replies may go through v4 too: `client`'s base URL is the v4 API base, `auth` the pro's
    /// token from the registry.
    pub fn with_v4(mut self, client: ThumbtackClient, auth: RegistryBearer) -> Self {
        self.v4 = Some(V4::new(client, auth));
        self
    }

    /// [`Self::with_v4`] as configured: the registry in `store`'s table, tokens opened with the
    /// settings' KMS key and refreshed with our v4 client (read when first needed), one token
    /// cache for the process. A broken connection found on a refresh is counted in `metrics`.
    pub fn with_v4_settings(
        self,
        sdk: &aws_config::SdkConfig,
        store: DynamoStore,
        settings: crate::config::ReplyV4Settings,
        metrics: app::metrics::Metrics,
    ) -> Result<Self, ClientError> {
        let api = ThumbtackClient::new(&settings.api)?;
        let client = crate::secrets::thumbtack_credentials(&settings.client, sdk);
        let deps = app::connections::ConnectDeps {
            store,
            thumbtack: HttpThumbtackV4::new(api.clone(), settings.oauth, client),
            vault: KmsVault::from_config(sdk, settings.token_key_id),
            // The consent flow's own settings: a token lookup uses none of them.
            settings: app::connections::ConnectSettings {
                state_key: app::connections::state::StateKey::new(
                    app::connections::random_token(32).into_bytes(),
                ),
                return_urls: app::connections::ReturnUrls::default(),
                webhook_base_url: String::new(),
            },
            metrics,
        };
        let auth = BearerAuth::new(std::sync::Arc::new(deps), std::sync::Arc::default());
        Ok(self.with_v4(api, auth))
    }

    /// The version a reply for `business_id` goes out through, and for v4 whose token: v4 when
    /// the business is connected (its record names the Thumbtack user) or the lead came through
    /// v4, legacy otherwise. One read, of the business's connection record, and only where v4 is
    /// configured: a legacy reply of a business that never connected costs that one `GetItem`,
    /// which is what telling it from a connected one takes (caching "not connected" would send a
    /// freshly connected pro's replies the old way for as long). Its answer is the user the
    /// token is found by, so the token lookup reads nothing more while the token is cached.
    async fn api_for(
        &self,
        business_id: &str,
        lead_contract: Option<Contract>,
    ) -> Result<Api<'_>, SendError> {
        let Some(v4) = &self.v4 else {
            return Ok(Api::Legacy(&self.legacy));
        };
        let user = v4
            .auth()
            .registry()
            .business_user(business_id)
            .await
            .map_err(|error| SendError::Transient {
                status: None,
                retry_after: None,
                detail: format!(
                    "the business's Thumbtack connection could not be read: {}",
                    app::error_chain(&error)
                ),
            })?;
        match (user, lead_contract) {
            (Some(user_id), _) => Ok(Api::V4 { api: v4, user_id }),
            (None, Some(Contract::V4)) => Err(SendError::Unauthorised {
                detail: "not sent: the lead came through v4 and its business is not connected; \
                         the pro must connect again"
                    .to_owned(),
            }),
            (None, _) => Ok(Api::Legacy(&self.legacy)),
        }
    }

    /// Reads the credentials and opens the connection now, so the next send pays for neither:
    /// [`Self::credentials_ready`], then [`Self::open_connection`].
    pub async fn warm_up(&self) -> Result<(), SecretError> {
        self.credentials_ready().await?;
        self.open_connection().await;
        Ok(())
    }

    /// Reads the credentials (from Secrets Manager in AWS): a function that cannot read them fails
    /// its init rather than every send.
    pub async fn credentials_ready(&self) -> Result<(), SecretError> {
        self.basic.ready().await
    }

    /// [`ThumbtackClient::open_connection`]: a `HEAD` of the base URL, to run in the background.
    pub fn open_connection(&self) -> impl Future<Output = ()> + Send + 'static {
        self.client.open_connection()
    }
}

impl Thumbtack for HttpThumbtack {
    async fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> Result<Accepted, SendError> {
        self.send_reply(business_id, lead_id, text, None).await
    }

    async fn send_reply(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
        lead_contract: Option<Contract>,
    ) -> Result<Accepted, SendError> {
        match self.api_for(business_id, lead_contract).await? {
            Api::Legacy(api) => api.send_message(business_id, lead_id, text).await,
            Api::V4 { api, user_id } => api.send(&user_id, lead_id, text).await,
        }
    }
}

#[cfg(test)]
mod tests;
