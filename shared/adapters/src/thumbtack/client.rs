//! The one HTTP client of a process, shared by every version of Thumbtack's API: timeouts, TLS
//! roots, no redirects, the base URL, the paths built on it, and how an authorised request is
//! sent (and sent once more after a refusal of its authorisation).

use super::answer::transport_error;
use super::auth::Authorize;
use crate::warm_up::warm_up;
use app::ports::SendError;
use models::ids::is_valid_id;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Serialize;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.thumbtack.com";

#[derive(Debug, Clone)]
pub struct ThumbtackSettings {
    pub base_url: String,
    pub connect_timeout: Duration,
    /// The whole request, connection to last byte of the answer.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the Thumbtack base URL is not an http(s) URL")]
    BaseUrl,
    #[error("the HTTP client could not be built")]
    Build(#[from] reqwest::Error),
}

/// One client per process: built at init so TLS sessions and connections are reused. Cheap to
/// clone (the clones share the pool).
#[derive(Debug, Clone)]
pub struct ThumbtackClient {
    http: reqwest::Client,
    base_url: Url,
}

impl ThumbtackClient {
    pub fn new(settings: &ThumbtackSettings) -> Result<Self, ClientError> {
        let base_url = Url::parse(&settings.base_url).map_err(|_| ClientError::BaseUrl)?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(ClientError::BaseUrl);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            // A redirect of a POST with credentials is never what we want.
            .redirect(reqwest::redirect::Policy::none())
            // Mozilla's root set, compiled in: the platform verifier would read and parse the
            // system's ~150 certificate files at every cold start.
            .tls_certs_only(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .filter_map(|der| reqwest::Certificate::from_der(der).ok()),
            )
            .user_agent(concat!(
                "thumbtack-partner-bundle/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(ThumbtackClient { http, base_url })
    }

    /// The HTTP client itself, for calls this module does not make (the v4 OAuth server's token
    /// endpoint, through `oauth2`).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The base URL with `segments` appended, each one percent-encoded path segment; `None` when
    /// a segment is not a valid id. Ids become segments, and `url`'s segment setter silently
    /// drops `.` and `..`: encoding alone would still send a request for lead `..` elsewhere
    /// with our credentials.
    pub fn endpoint(&self, segments: &[&str]) -> Option<Url> {
        if !segments.iter().all(|segment| is_valid_id(segment)) {
            return None;
        }
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .extend(segments);
        Some(url)
    }

    /// Opens the connection with a `HEAD` of the base URL, without credentials: any answer will
    /// do, and the connection stays in the pool for the first send. A failure only logs; the
    /// first send then connects as usual. Owns what it needs, to run in the background.
    pub fn open_connection(&self) -> impl Future<Output = ()> + Send + 'static {
        let call = self.http.head(self.base_url.clone()).send();
        async move {
            warm_up("Thumbtack HEAD", call).await;
        }
    }

    /// POSTs `body` as JSON to `url`, authorised by `auth` for `business_id`. When Thumbtack
    /// refuses the authorisation (401 or 403) and `auth` has another one (the credentials were
    /// rotated since they were read, a token was refreshed), that one gets one try: its answer
    /// is the answer.
    pub async fn post_json<A, B>(
        &self,
        url: Url,
        body: &B,
        auth: &A,
        business_id: &str,
    ) -> Result<reqwest::Response, SendError>
    where
        A: Authorize,
        B: Serialize + Sync + ?Sized,
    {
        let used = auth.authorization(business_id).await?;
        let response = self.post(url.clone(), body, &used).await?;
        let status = response.status().as_u16();
        if !matches!(status, 401 | 403) {
            return Ok(response);
        }
        let Some(other) = auth.after_refusal(business_id, &used).await? else {
            return Ok(response);
        };
        tracing::info!(
            status,
            "Thumbtack refused the authorisation; trying once with its new value"
        );
        self.post(url, body, &other).await
    }

    async fn post<B: Serialize + Sync + ?Sized>(
        &self,
        url: Url,
        body: &B,
        authorization: &HeaderValue,
    ) -> Result<reqwest::Response, SendError> {
        self.http
            .post(url)
            .header(AUTHORIZATION, authorization.clone())
            .json(body)
            .send()
            .await
            .map_err(transport_error)
    }
}
