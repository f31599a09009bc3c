//! Thumbtack's messages API over HTTPS (reqwest), below the [`Thumbtack`] port.
//!
//! - `client`: the one HTTP client of a process ([`ThumbtackClient`]: timeouts, TLS roots, the
//!   base URL and paths on it) and how an authorised request is sent;
//! - `answer`: an answer classified as accepted, retryable or permanent;
//! - `auth`: authorisation behind [`Authorize`]; `basic`: today's, HTTP basic with rotation
//!   ([`BasicAuth`]);
//! - `legacy`: the legacy API's path and body ([`Legacy`]);
//! - here: [`HttpThumbtack`], which picks per reply the API version it goes out through.
//!
//! Those first three are shared by every version. Another version (v4: a Bearer token per pro,
//! `POST /api/v4/negotiations/{id}/messages`, RFC 7807 error bodies, a 202 that is a challenge
//! and not a delivery) is an addition beside `legacy`: its module with its paths, bodies and the
//! answers it reads otherwise, its [`Authorize`] implementation, and its arm in `Api`.

mod answer;
mod auth;
mod basic;
mod client;
mod legacy;

pub use answer::{classify, parse_retry_after, transient};
pub use auth::Authorize;
pub use basic::BasicAuth;
pub use client::{ClientError, DEFAULT_BASE_URL, ThumbtackClient, ThumbtackSettings};
pub use legacy::Legacy;

use crate::secrets::{SecretError, ThumbtackCredentials};
use app::ports::{Accepted, SendError, Thumbtack};

/// Thumbtack for the reply path: one per process, built at init, cheap to clone. Each reply goes
/// out through the API version that reaches its business (`api_for`).
#[derive(Debug, Clone)]
pub struct HttpThumbtack {
    client: ThumbtackClient,
    basic: BasicAuth,
    legacy: Legacy<BasicAuth>,
}

/// A version of Thumbtack's API, chosen per reply.
#[derive(Debug, Clone, Copy)]
enum Api<'a> {
    /// `POST /v1/business/{businessID}/lead/{leadID}/message`, HTTP basic auth.
    Legacy(&'a Legacy<BasicAuth>),
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
        })
    }

    /// The version a reply for `business_id` goes out through. Every business is reached
    /// through the legacy API today; v4 is chosen for the businesses whose pro connected over
    /// OAuth, once there is a registry to ask.
    fn api_for(&self, _business_id: &str) -> Api<'_> {
        Api::Legacy(&self.legacy)
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
        match self.api_for(business_id) {
            Api::Legacy(api) => api.send_message(business_id, lead_id, text).await,
        }
    }
}

#[cfg(test)]
mod tests;
