//! Credentials kept in Secrets Manager as `{"username": "...", "password": "..."}`, read at init
//! and then at most once per cache period.
//!
//! The partner credential (what Thumbtack presents to us) is accepted in both its `AWSCURRENT` and
//! `AWSPREVIOUS` versions, so a rotation never rejects Thumbtack while it switches over. If Secrets
//! Manager cannot be read when the cache expires, the last value keeps serving (retried every 30 s)
//! for at most [`MAX_STALE`]; after that requests fail with 5xx rather than run on a credential
//! that may have been revoked. A malformed `AWSPREVIOUS` version is logged and ignored: it must
//! not take the valid current one down with it.

use app::auth::{AcceptedCredentials, Credential};
use app::ports::{CredentialError, CredentialSource};
use aws_sdk_secretsmanager::Client;
use serde::Deserialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
// tokio's clock, so that tests can move it.
use tokio::time::Instant;

/// How long a value read before a Secrets Manager outage keeps serving.
pub const MAX_STALE: Duration = Duration::from_secs(3600);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);
/// The least time between two forced reads of a secret ([`ThumbtackCredentials::refresh`]): a
/// burst of refusals reads Secrets Manager once.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// Where a username and password come from.
#[derive(Debug, Clone)]
pub enum CredentialSetting {
    /// From two environment variables (the local stack).
    Fixed(Credential),
    /// From a Secrets Manager secret `{"username", "password"}`, cached for `cache`.
    Secret { arn: String, cache: Duration },
}

impl CredentialSetting {
    /// Whether init reads the credentials over the network: a round trip it waits for, beside
    /// which the warm-ups run ([`crate::warm_up`]).
    pub fn is_read_at_init(&self) -> bool {
        matches!(self, CredentialSetting::Secret { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret {0} could not be read")]
    Unavailable(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("secret {0} is not JSON with a username and a password")]
    Malformed(String),
    #[error("secret {0} has no current version")]
    Missing(String),
}

#[derive(Deserialize)]
struct UsernamePassword {
    username: String,
    password: String,
}

/// Reads one secret's versions.
#[derive(Debug, Clone)]
pub struct SecretReader {
    client: Client,
    secret_id: String,
}

impl SecretReader {
    pub fn new(client: Client, secret_id: impl Into<String>) -> Self {
        SecretReader {
            client,
            secret_id: secret_id.into(),
        }
    }

    /// The credential at a version stage, or `None` when no version has that stage.
    pub async fn read(&self, stage: &str) -> Result<Option<Credential>, SecretError> {
        let result = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(stage)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(error) => {
                return Err(SecretError::Unavailable(
                    self.secret_id.clone(),
                    Box::new(error),
                ));
            }
        };
        let text = output
            .secret_string()
            .ok_or_else(|| SecretError::Malformed(self.secret_id.clone()))?;
        let parsed: UsernamePassword = serde_json::from_str(text)
            .map_err(|_| SecretError::Malformed(self.secret_id.clone()))?;
        // A blank password (or username) is a placeholder, not a credential.
        if parsed.username.trim().is_empty()
            || parsed.username.contains(':')
            || parsed.password.trim().is_empty()
        {
            return Err(SecretError::Malformed(self.secret_id.clone()));
        }
        Ok(Some(Credential::new(parsed.username, parsed.password)))
    }
}

/// A value derived from a secret, refreshed after `ttl`.
#[derive(Debug)]
struct Cache<T> {
    ttl: Duration,
    state: tokio::sync::Mutex<CacheState<T>>,
}

#[derive(Debug)]
struct CacheState<T> {
    slot: Option<Slot<T>>,
    /// When a read was last forced past the cache.
    forced_at: Option<Instant>,
}

#[derive(Debug)]
struct Slot<T> {
    value: Arc<T>,
    read_at: Instant,
    refresh_at: Instant,
}

impl<T> Cache<T> {
    fn new(ttl: Duration) -> Self {
        Cache {
            ttl,
            state: tokio::sync::Mutex::new(CacheState {
                slot: None,
                forced_at: None,
            }),
        }
    }

    /// When a value read at `now` is read again; a cache period too long for the clock
    /// (`SECRETS_CACHE_SECONDS` is not bounded) becomes the longest a stale value may serve.
    fn refresh_time(&self, now: Instant) -> Instant {
        now.checked_add(self.ttl).unwrap_or_else(|| now + MAX_STALE)
    }

    /// A fresh value from `load`, whatever the cache holds, unless a forced read happened less
    /// than [`MIN_REFRESH_INTERVAL`] ago: then the value that read gave. A failed read keeps the
    /// cached value for `get` and is returned as the error.
    async fn refresh<F, Fut>(&self, load: F) -> Result<Arc<T>, SecretError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, SecretError>>,
    {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        let recent = state
            .forced_at
            .is_some_and(|at| now.duration_since(at) < MIN_REFRESH_INTERVAL);
        if recent && let Some(cached) = state.slot.as_ref() {
            return Ok(Arc::clone(&cached.value));
        }
        state.forced_at = Some(now);
        let value = Arc::new(load().await?);
        state.slot = Some(Slot {
            value: Arc::clone(&value),
            read_at: now,
            refresh_at: self.refresh_time(now),
        });
        Ok(value)
    }

    /// The cached value, or a fresh one from `load`. One caller loads; the others wait for it.
    async fn get<F, Fut>(&self, load: F) -> Result<Arc<T>, SecretError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, SecretError>>,
    {
        let mut state = self.state.lock().await;
        let slot = &mut state.slot;
        let now = Instant::now();
        if let Some(cached) = slot.as_ref()
            && now < cached.refresh_at
        {
            return Ok(Arc::clone(&cached.value));
        }
        match load().await {
            Ok(value) => {
                let value = Arc::new(value);
                *slot = Some(Slot {
                    value: Arc::clone(&value),
                    read_at: now,
                    refresh_at: self.refresh_time(now),
                });
                Ok(value)
            }
            Err(error) => match slot.as_mut() {
                Some(cached) if now.duration_since(cached.read_at) < MAX_STALE => {
                    tracing::warn!(error = %app::error_chain(&error), "secret refresh failed; serving the cached value");
                    cached.refresh_at = now + RETRY_AFTER_FAILURE;
                    Ok(Arc::clone(&cached.value))
                }
                _ => Err(error),
            },
        }
    }
}

/// The credentials Thumbtack presents, from Secrets Manager: current and previous version.
#[derive(Debug)]
pub struct PartnerSecret {
    reader: SecretReader,
    cache: Cache<AcceptedCredentials>,
}

impl PartnerSecret {
    pub fn new(reader: SecretReader, ttl: Duration) -> Self {
        PartnerSecret {
            reader,
            cache: Cache::new(ttl),
        }
    }

    async fn load(&self) -> Result<Arc<AcceptedCredentials>, SecretError> {
        self.cache
            .get(|| async {
                // Both at once: init waits for them, and one round trip is shorter than two.
                let (current, previous) = tokio::join!(
                    self.reader.read("AWSCURRENT"),
                    self.reader.read("AWSPREVIOUS")
                );
                let current =
                    current?.ok_or_else(|| SecretError::Missing(self.reader.secret_id.clone()))?;
                let previous = match previous {
                    Ok(previous) => previous,
                    Err(error @ SecretError::Malformed(_)) => {
                        tracing::warn!(error = %app::error_chain(&error), "the previous version of the secret is ignored");
                        None
                    }
                    Err(error) => return Err(error),
                };
                Ok(AcceptedCredentials::new(
                    std::iter::once(&current).chain(previous.as_ref()),
                ))
            })
            .await
    }
}

/// Where the partner credentials come from: the environment (local) or Secrets Manager (AWS).
#[derive(Debug)]
pub enum PartnerCredentials {
    /// Fixed at start (from the environment).
    Fixed(Arc<AcceptedCredentials>),
    Secret(PartnerSecret),
}

impl PartnerCredentials {
    /// Credentials fixed at start: the local stack's, a harness's.
    pub fn fixed(credentials: &[Credential]) -> Self {
        PartnerCredentials::Fixed(Arc::new(AcceptedCredentials::new(credentials)))
    }
}

impl CredentialSource for PartnerCredentials {
    async fn accepted(&self) -> Result<Arc<AcceptedCredentials>, CredentialError> {
        match self {
            PartnerCredentials::Fixed(accepted) => Ok(Arc::clone(accepted)),
            PartnerCredentials::Secret(secret) => secret
                .load()
                .await
                .map_err(|e| CredentialError(Box::new(e))),
        }
    }
}

/// The credential we present to Thumbtack: fixed (local) or from Secrets Manager (AWS), so the
/// operator can set or change it without a deploy.
#[derive(Debug)]
pub struct ThumbtackCredentials(Source);

#[derive(Debug)]
enum Source {
    Fixed(Arc<Credential>),
    Secret {
        reader: SecretReader,
        cache: Cache<Credential>,
    },
}

impl ThumbtackCredentials {
    pub fn fixed(credential: Credential) -> Self {
        ThumbtackCredentials(Source::Fixed(Arc::new(credential)))
    }

    pub fn secret(reader: SecretReader, ttl: Duration) -> Self {
        ThumbtackCredentials(Source::Secret {
            reader,
            cache: Cache::new(ttl),
        })
    }

    pub async fn current(&self) -> Result<Arc<Credential>, SecretError> {
        match &self.0 {
            Source::Fixed(credential) => Ok(Arc::clone(credential)),
            Source::Secret { reader, cache } => cache.get(|| read_current(reader)).await,
        }
    }

    /// The secret read again now, past the cache: after Thumbtack refused the credential, which
    /// may have been rotated since it was read. At most one read per [`MIN_REFRESH_INTERVAL`];
    /// within it, the value of the last read.
    pub async fn refresh(&self) -> Result<Arc<Credential>, SecretError> {
        match &self.0 {
            Source::Fixed(credential) => Ok(Arc::clone(credential)),
            Source::Secret { reader, cache } => cache.refresh(|| read_current(reader)).await,
        }
    }
}

async fn read_current(reader: &SecretReader) -> Result<Credential, SecretError> {
    reader
        .read("AWSCURRENT")
        .await?
        .ok_or_else(|| SecretError::Missing(reader.secret_id.clone()))
}

/// Builds the partner credential source a setting names.
pub fn partner_credentials(
    setting: &CredentialSetting,
    sdk: &aws_config::SdkConfig,
) -> PartnerCredentials {
    match setting {
        CredentialSetting::Fixed(credential) => {
            PartnerCredentials::fixed(std::slice::from_ref(credential))
        }
        CredentialSetting::Secret { arn, cache } => PartnerCredentials::Secret(PartnerSecret::new(
            SecretReader::new(Client::new(sdk), arn),
            *cache,
        )),
    }
}

/// Builds the Thumbtack credential source a setting names.
pub fn thumbtack_credentials(
    setting: &CredentialSetting,
    sdk: &aws_config::SdkConfig,
) -> ThumbtackCredentials {
    match setting {
        CredentialSetting::Fixed(credential) => ThumbtackCredentials::fixed(credential.clone()),
        CredentialSetting::Secret { arn, cache } => {
            ThumbtackCredentials::secret(SecretReader::new(Client::new(sdk), arn), *cache)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_forced_refreshes_reads_the_secret_once_per_interval() {
        let cache = Cache::new(Duration::from_secs(300));
        let reads = AtomicU32::new(0);
        let load = || async { Ok::<u32, SecretError>(reads.fetch_add(1, Ordering::SeqCst) + 1) };
        assert_eq!(*cache.get(load).await.unwrap(), 1);
        assert_eq!(*cache.refresh(load).await.unwrap(), 2, "past the cache");
        for _ in 0..20 {
            assert_eq!(*cache.refresh(load).await.unwrap(), 2);
        }
        assert_eq!(
            *cache.get(load).await.unwrap(),
            2,
            "the cache holds the forced read"
        );
        tokio::time::advance(MIN_REFRESH_INTERVAL).await;
        assert_eq!(*cache.refresh(load).await.unwrap(), 3);
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    /// A Secrets Manager stand-in that answers `GetSecretValue` only once `together` reads are
    /// out at the same time (then every read at once). Returns its URL.
    async fn answering_reads_together(together: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (arrived, _) = tokio::sync::watch::channel(0_usize);
        let arrived = Arc::new(arrived);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let arrived = Arc::clone(&arrived);
                tokio::spawn(async move {
                    let mut seen = arrived.subscribe();
                    let mut request = Vec::new();
                    let mut buffer = [0_u8; 4096];
                    loop {
                        let Ok(read) = socket.read(&mut buffer).await else {
                            return;
                        };
                        if read == 0 {
                            return;
                        }
                        request.extend_from_slice(&buffer[..read]);
                        let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                        let Some(end) = text.find("\r\n\r\n") else {
                            continue;
                        };
                        let length: usize = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if request.len() < end + 4 + length {
                            continue;
                        }
                        request.clear();
                        arrived.send_modify(|n| *n += 1);
                        let _ = seen.wait_for(|n| *n >= together).await;
                        let secret = r#"{\"username\":\"thumbtack\",\"password\":\"pw\"}"#;
                        let body = format!(
                            r#"{{"ARN":"arn:secret","Name":"secret","VersionId":"v1","SecretString":"{secret}"}}"#
                        );
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn the_current_and_previous_versions_of_the_partner_secret_are_read_at_once() {
        let url = answering_reads_together(2).await;
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .load()
            .await;
        let secret = PartnerSecret::new(
            SecretReader::new(Client::new(&sdk), "arn:secret"),
            Duration::from_secs(300),
        );
        // One read after the other would wait here for ever: the stand-in answers neither alone.
        let loaded = tokio::time::timeout(Duration::from_secs(20), secret.load())
            .await
            .expect("both versions read together, in one round trip");
        assert!(loaded.is_ok(), "{loaded:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cache_period_too_long_for_the_clock_does_not_panic() {
        let cache = Cache::new(Duration::MAX);
        assert_eq!(*cache.get(|| async { Ok(7) }).await.unwrap(), 7);
        assert_eq!(*cache.refresh(|| async { Ok(8) }).await.unwrap(), 8);
    }
}
