//! Thumbtack's messages API over HTTPS (reqwest): `POST
//! {base}/v1/business/:businessID/lead/:leadID/message` with `{"text": ...}` and HTTP basic auth.
//!
//! The ids become path segments, so the URL is built segment by segment (each percent-encoded),
//! and an id that is not valid is refused before any request: `url`'s segment setter silently
//! drops `.` and `..`, so encoding alone would still send a reply for lead `..` elsewhere with our
//! credentials.

use crate::secrets::{SecretError, ThumbtackCredentials};
use crate::warm_up::warm_up;
use app::auth::Credential;
use app::ports::{Accepted, SendError, Thumbtack};
use app::replies::MAX_REDELIVERY_DELAY;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use models::OutboundMessage;
use models::ids::is_valid_id;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub const DEFAULT_BASE_URL: &str = "https://api.thumbtack.com";

/// How much of an error answer is kept (in the ledger, never in logs).
const EXCERPT_CHARS: usize = 200;

#[derive(Debug, Clone)]
pub struct ThumbtackSettings {
    pub base_url: String,
    pub connect_timeout: Duration,
    /// The whole request, connection to last byte of the answer.
    pub timeout: Duration,
}

/// One client per process: built at init so TLS sessions and connections are reused.
#[derive(Debug, Clone)]
pub struct HttpThumbtack {
    client: reqwest::Client,
    base_url: Url,
    credentials: Arc<ThumbtackCredentials>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the Thumbtack base URL is not an http(s) URL")]
    BaseUrl,
    #[error("the HTTP client could not be built")]
    Build(#[from] reqwest::Error),
}

impl HttpThumbtack {
    pub fn new(
        settings: &ThumbtackSettings,
        credentials: ThumbtackCredentials,
    ) -> Result<Self, ClientError> {
        let base_url = Url::parse(&settings.base_url).map_err(|_| ClientError::BaseUrl)?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(ClientError::BaseUrl);
        }
        let client = reqwest::Client::builder()
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
        Ok(HttpThumbtack {
            client,
            base_url,
            credentials: Arc::new(credentials),
        })
    }

    /// `{base}/v1/business/{business_id}/lead/{lead_id}/message`, or `None` when an id is not
    /// valid (it would not stay one segment of that path).
    fn message_url(&self, business_id: &str, lead_id: &str) -> Option<Url> {
        if !is_valid_id(business_id) || !is_valid_id(lead_id) {
            return None;
        }
        let mut url = self.base_url.clone();
        url.path_segments_mut().ok()?.pop_if_empty().extend([
            "v1",
            "business",
            business_id,
            "lead",
            lead_id,
            "message",
        ]);
        Some(url)
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
        self.credentials.current().await?;
        Ok(())
    }

    /// Opens the connection with a `HEAD` of the base URL, without credentials: any answer will
    /// do, and the connection stays in the pool for the first send. A failure only logs; the
    /// first send then connects as usual. Owns what it needs, to run in the background.
    pub fn open_connection(&self) -> impl Future<Output = ()> + Send + 'static {
        let call = self.client.head(self.base_url.clone()).send();
        async move {
            warm_up("Thumbtack HEAD", call).await;
        }
    }

    async fn credential(&self) -> Result<Arc<Credential>, SendError> {
        self.credentials.current().await.map_err(|error| {
            tracing::error!(error = %app::error_chain(&error), "Thumbtack credentials unavailable");
            SendError::Transient {
                status: None,
                retry_after: None,
                detail: "Thumbtack credentials unavailable".to_owned(),
            }
        })
    }

    /// After Thumbtack refused `used`: the secret's value now, when it differs (the credentials
    /// were rotated since they were read). Reads are rate-limited by the credential source.
    async fn rotated_credential(&self, used: &Credential) -> Option<Arc<Credential>> {
        match self.credentials.refresh().await {
            Ok(fresh)
                if fresh.username != used.username
                    || fresh.password.expose_secret() != used.password.expose_secret() =>
            {
                Some(fresh)
            }
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(error = %app::error_chain(&error), "Thumbtack credentials could not be read again");
                None
            }
        }
    }

    async fn post(
        &self,
        url: Url,
        credential: &Credential,
        text: &str,
    ) -> Result<reqwest::Response, SendError> {
        self.client
            .post(url)
            .header(AUTHORIZATION, authorization(credential)?)
            .json(&OutboundMessage { text })
            .send()
            .await
            .map_err(transport_error)
    }
}

/// `user:password` for a basic `Authorization` header.
fn basic_pair(credential: &Credential) -> String {
    format!(
        "{}:{}",
        credential.username,
        credential.password.expose_secret()
    )
}

fn authorization(credential: &Credential) -> Result<HeaderValue, SendError> {
    let token = STANDARD.encode(basic_pair(credential));
    let mut value =
        HeaderValue::try_from(format!("Basic {token}")).map_err(|_| SendError::Transient {
            status: None,
            retry_after: None,
            detail: "Thumbtack credentials are not a valid header".to_owned(),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

impl Thumbtack for HttpThumbtack {
    async fn send_message(
        &self,
        business_id: &str,
        lead_id: &str,
        text: &str,
    ) -> Result<Accepted, SendError> {
        let Some(url) = self.message_url(business_id, lead_id) else {
            return Err(SendError::Invalid {
                detail: "not sent: businessID or leadID is not a valid id".to_owned(),
            });
        };
        let credential = self.credential().await?;
        let mut response = self.post(url.clone(), &credential, text).await?;
        if matches!(response.status().as_u16(), 401 | 403)
            && let Some(fresh) = self.rotated_credential(&credential).await
        {
            // A refusal during a rotation: the new credential gets one try before the reply
            // is called refused.
            tracing::info!(
                status = response.status().as_u16(),
                "Thumbtack refused the credential; trying once with the secret's new value"
            );
            response = self.post(url, &fresh, text).await?;
        }
        let status = response.status();
        if status.is_success() {
            return Ok(Accepted {
                status: status.as_u16(),
            });
        }
        let code = status.as_u16();
        if code == 429 || code == 408 || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_retry_after);
            return Err(SendError::Transient {
                status: Some(code),
                retry_after,
                detail: format!("Thumbtack answered {code}"),
            });
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(SendError::Permanent {
            status: code,
            excerpt: excerpt(&body),
        })
    }
}

fn transport_error(error: reqwest::Error) -> SendError {
    let detail = if error.is_timeout() {
        "timed out waiting for Thumbtack".to_owned()
    } else if error.is_connect() {
        "could not connect to Thumbtack".to_owned()
    } else {
        format!("request to Thumbtack failed: {}", error.without_url())
    };
    SendError::Transient {
        status: None,
        retry_after: None,
        detail,
    }
}

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 9110). Clamped to SQS's longest
/// visibility timeout: a longer wait cannot be expressed as a redelivery delay anyway.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let when = httpdate::parse_http_date(value).ok()?;
            when.duration_since(SystemTime::now()).unwrap_or_default()
        }
    };
    Some(wait.min(MAX_REDELIVERY_DELAY))
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut excerpt: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    if text.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    excerpt.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let parsed = parse_retry_after(&in_a_minute).unwrap();
        assert!(parsed > Duration::from_secs(55) && parsed <= Duration::from_secs(60));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn a_retry_after_beyond_twelve_hours_is_clamped_to_sqs_longest_visibility_timeout() {
        let twelve_hours = Some(Duration::from_secs(12 * 3600));
        assert_eq!(parse_retry_after("18446744073709551615"), twelve_hours);
        assert_eq!(parse_retry_after("43201"), twelve_hours);
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"),
            twelve_hours
        );
        assert_eq!(parse_retry_after("43200"), twelve_hours, "the limit itself");
    }

    fn client_for(base_url: String) -> HttpThumbtack {
        HttpThumbtack::new(
            &ThumbtackSettings {
                base_url,
                connect_timeout: Duration::from_secs(1),
                timeout: Duration::from_secs(2),
            },
            ThumbtackCredentials::fixed(app::auth::Credential::new("partner", "secret")),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn hostile_ids_never_reach_another_path_and_dot_only_ids_send_nothing() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
        let thumbtack = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .mount(&thumbtack)
            .await;
        let client = client_for(thumbtack.uri());
        let dot_only = [".", "..", "..."];
        let hostile = [
            "../x", "a/b", "%2e%2e", ".%2E", "a?b", "a#b", "a\tb", "x\n", "a b", "",
        ];
        for (business, lead) in dot_only
            .iter()
            .flat_map(|id| [("b1", *id), (*id, "l1")])
            .chain(hostile.iter().flat_map(|id| [("b1", *id), (*id, "l1")]))
        {
            let before = thumbtack.received_requests().await.unwrap().len();
            let result = client.send_message(business, lead, "hello").await;
            let requests = thumbtack.received_requests().await.unwrap();
            if dot_only.contains(&business) || dot_only.contains(&lead) {
                assert_eq!(requests.len(), before, "{business:?}/{lead:?}: no request");
            }
            // Whatever is sent has exactly the message path's shape, each id one segment.
            for request in &requests[before..] {
                let segments: Vec<&str> = request.url.path_segments().unwrap().collect();
                assert_eq!(segments.len(), 6, "{business:?}/{lead:?}: {segments:?}");
                assert_eq!(
                    [segments[0], segments[1], segments[3], segments[5]],
                    ["v1", "business", "lead", "message"],
                    "{business:?}/{lead:?}"
                );
            }
            if requests.len() == before {
                assert!(
                    matches!(result, Err(SendError::Invalid { .. })),
                    "{business:?}/{lead:?}: {result:?}"
                );
            }
        }
        client
            .send_message("b-1", "l.1:a_b-c", "hello")
            .await
            .unwrap();
        let requests = thumbtack.received_requests().await.unwrap();
        let last = requests.last().unwrap();
        assert_eq!(
            last.url.path_segments().unwrap().collect::<Vec<_>>(),
            ["v1", "business", "b-1", "lead", "l.1:a_b-c", "message"]
        );
    }

    #[tokio::test]
    async fn a_401_with_a_credential_that_did_not_change_is_refused_after_one_request() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
        let thumbtack = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(401).set_body_string("bad credentials"))
            .expect(1)
            .mount(&thumbtack)
            .await;
        let result = client_for(thumbtack.uri())
            .send_message("b1", "l1", "hello")
            .await;
        assert_eq!(
            result,
            Err(SendError::Permanent {
                status: 401,
                excerpt: "bad credentials".to_owned()
            })
        );
    }

    #[test]
    fn excerpts_are_short_and_single_line() {
        let long = format!("error:\n{}", "x".repeat(500));
        let excerpt = excerpt(long.as_bytes());
        assert!(!excerpt.contains('\n'));
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS + 1);
    }

    /// A keep-alive HTTP/1.1 server that answers 200 to everything and notes, per request, the
    /// connection it came on and its request line.
    async fn counting_server() -> (String, Arc<std::sync::Mutex<Vec<(usize, String)>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<std::sync::Mutex<Vec<(usize, String)>>> = Arc::default();
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            for connection in 0.. {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0_u8; 4096];
                    loop {
                        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                        let length: usize = head
                            .lines()
                            .filter_map(|line| line.split_once(':'))
                            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                            .and_then(|(_, value)| value.trim().parse().ok())
                            .unwrap_or(0);
                        while buffer.len() < end + 4 + length {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                            }
                        }
                        buffer.drain(..end + 4 + length);
                        let line = head.lines().next().unwrap_or_default().to_owned();
                        log.lock().unwrap().push((connection, line));
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if socket.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (url, seen)
    }

    #[tokio::test]
    async fn warming_up_opens_the_connection_that_the_first_send_reuses() {
        let (url, seen) = counting_server().await;
        let client = HttpThumbtack::new(
            &ThumbtackSettings {
                base_url: url,
                connect_timeout: Duration::from_secs(1),
                timeout: Duration::from_secs(2),
            },
            ThumbtackCredentials::fixed(app::auth::Credential::new("partner", "secret")),
        )
        .unwrap();
        client.warm_up().await.unwrap();
        let accepted = client.send_message("b1", "l1", "hello").await.unwrap();
        assert_eq!(accepted.status, 200);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                (0, "HEAD / HTTP/1.1".to_owned()),
                (
                    0,
                    "POST /v1/business/b1/lead/l1/message HTTP/1.1".to_owned()
                ),
            ],
            "one connection: opened by the warm-up, used by the send"
        );
    }
}
