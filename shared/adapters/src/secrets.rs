//! Credentials kept in Secrets Manager as `{"username": "...", "password": "..."}`, read at init
//! and then at most once per cache period.
//!
//! The partner credential (what Thumbtack presents to us) is accepted in both its `AWSCURRENT` and
//! `AWSPREVIOUS` versions, so a rotation never rejects Thumbtack while it switches over. Init
//! reads only `AWSCURRENT`; `AWSPREVIOUS` is read when it may be needed, and kept for the cache
//! period (at least a minute): when a credential matches none of what is held, at most once a
//! minute per process whatever is sent (wrong passwords do not become Secrets Manager calls), and
//! when a read of `AWSCURRENT` finds another version than the last one (a rotation: the previous
//! version is now another), once per rotation seen. If Secrets Manager cannot be read when the
//! cache expires, the last value keeps serving (retried every 30 s) for at most [`MAX_STALE`];
//! after that requests fail with 5xx rather than run on a credential that may have been revoked.
//! A malformed `AWSPREVIOUS` version is logged and ignored: it must not take the valid current one
//! down with it.

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
/// The least time between two reads of the partner secret's `AWSPREVIOUS` version that credentials
/// matching nothing held ask for, and the least time a read of it serves.
pub const PREVIOUS_READ_INTERVAL: Duration = Duration::from_secs(60);

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
        Ok(self.read_version(stage).await?.map(|read| read.credential))
    }

    /// [`SecretReader::read`], with the id of the version read.
    async fn read_version(&self, stage: &str) -> Result<Option<Version>, SecretError> {
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
        Ok(Some(Version {
            credential: Credential::new(parsed.username, parsed.password),
            id: output.version_id,
        }))
    }
}

/// One version of a secret: its credential and its id (another id after a rotation).
#[derive(Debug)]
struct Version {
    credential: Credential,
    id: Option<String>,
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

/// The credentials Thumbtack presents, from Secrets Manager: the current version, cached, and the
/// previous one, read only when it may be needed (the module's doc says when).
#[derive(Debug)]
pub struct PartnerSecret {
    reader: SecretReader,
    current: Cache<Version>,
    previous: Previous,
}

impl PartnerSecret {
    pub fn new(reader: SecretReader, ttl: Duration) -> Self {
        PartnerSecret {
            previous: Previous::new(ttl, &reader.secret_id),
            reader,
            current: Cache::new(ttl),
        }
    }

    async fn current(&self) -> Result<Arc<Version>, SecretError> {
        self.current
            .get(|| async {
                self.reader
                    .read_version("AWSCURRENT")
                    .await?
                    .ok_or_else(|| SecretError::Missing(self.reader.secret_id.clone()))
            })
            .await
    }

    /// `AWSPREVIOUS`; `None` when there is none, or it is not a credential (logged).
    async fn read_previous(&self) -> Result<Option<Credential>, SecretError> {
        match self.reader.read("AWSPREVIOUS").await {
            Err(error @ SecretError::Malformed(_)) => {
                tracing::warn!(error = %app::error_chain(&error), "the previous version of the secret is ignored");
                Ok(None)
            }
            read => read,
        }
    }

    /// The current credential and, when held, the previous one. Reads `AWSCURRENT` when the cache
    /// period is over, and `AWSPREVIOUS` only when that read found a rotation.
    async fn load(&self) -> Result<Arc<AcceptedCredentials>, SecretError> {
        let current = self.current().await?;
        let (accepted, _) = self
            .previous
            .accepted(current, PreviousRead::OnRotation, || self.read_previous())
            .await?;
        Ok(accepted)
    }

    /// After a credential matched none of [`PartnerSecret::load`]: the set again with
    /// `AWSPREVIOUS` read now, unless it is held or was asked for within
    /// [`PREVIOUS_READ_INTERVAL`]; `None` when nothing was read.
    async fn after_mismatch(&self) -> Result<Option<Arc<AcceptedCredentials>>, SecretError> {
        let current = self.current().await?;
        let (accepted, read) = self
            .previous
            .accepted(current, PreviousRead::IfDue, || self.read_previous())
            .await?;
        Ok(read.then_some(accepted))
    }
}

/// When [`Previous::accepted`] reads `AWSPREVIOUS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PreviousRead {
    /// Only when the current version is not the one seen last: a rotation made another version
    /// the previous one.
    OnRotation,
    /// Also when none is held for the current version and it was not asked for within
    /// [`PREVIOUS_READ_INTERVAL`]: a credential matched nothing held.
    IfDue,
}

/// The partner secret's previous version as far as this process knows it, and the accepted set
/// built from it and the current version.
#[derive(Debug)]
struct Previous {
    /// How long a read of `AWSPREVIOUS` serves: the cache period, and never less than
    /// [`PREVIOUS_READ_INTERVAL`] (the value could not be read again sooner).
    ttl: Duration,
    secret_id: String,
    state: tokio::sync::Mutex<PreviousState>,
}

#[derive(Debug, Default)]
struct PreviousState {
    /// The current version's id at the last look: another one means a rotation.
    seen: Option<Option<String>>,
    /// The last good read of `AWSPREVIOUS`, with the current version it was read beside.
    read: Option<PreviousValue>,
    /// When `AWSPREVIOUS` was last asked for, and whether that failed.
    asked: Option<(Instant, bool)>,
    /// The set last built, with the current version it was built from and the read of the
    /// previous credential it holds (when it was read).
    built: Option<(Arc<Version>, Option<Instant>, Arc<AcceptedCredentials>)>,
}

#[derive(Debug)]
struct PreviousValue {
    of_current: Option<String>,
    credential: Option<Credential>,
    read_at: Instant,
}

impl Previous {
    fn new(ttl: Duration, secret_id: &str) -> Self {
        Previous {
            ttl: ttl.max(PREVIOUS_READ_INTERVAL),
            secret_id: secret_id.to_owned(),
            state: tokio::sync::Mutex::new(PreviousState::default()),
        }
    }

    /// The accepted set beside `current`, after reading `AWSPREVIOUS` with `read` when `when`
    /// says so; and whether it was read. A read that fails after a rotation is logged (the current
    /// version serves on); one a mismatch asked for is the caller's error, and so is every
    /// mismatch after it until the next read is due: such a credential cannot be judged.
    async fn accepted<F, Fut>(
        &self,
        current: Arc<Version>,
        when: PreviousRead,
        read: F,
    ) -> Result<(Arc<AcceptedCredentials>, bool), SecretError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Credential>, SecretError>>,
    {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        let rotated = state.seen.as_ref().is_some_and(|seen| *seen != current.id);
        state.seen = Some(current.id.clone());
        let held = state.held(now, self.ttl, &current.id).is_some();
        let recently = state
            .asked
            .filter(|(at, _)| now.duration_since(*at) < PREVIOUS_READ_INTERVAL);
        let due = rotated || (when == PreviousRead::IfDue && !held && recently.is_none());
        if due {
            let result = read().await;
            state.asked = Some((now, result.is_err()));
            match result {
                Ok(credential) => {
                    state.read = Some(PreviousValue {
                        of_current: current.id.clone(),
                        credential,
                        read_at: now,
                    });
                }
                Err(error) if when == PreviousRead::OnRotation => {
                    tracing::warn!(error = %app::error_chain(&error), "the previous version of the secret could not be read after a rotation");
                }
                Err(error) => return Err(error),
            }
        } else if when == PreviousRead::IfDue && !held && recently.is_some_and(|(_, failed)| failed)
        {
            return Err(SecretError::Unavailable(
                self.secret_id.clone(),
                "its previous version could not be read a moment ago".into(),
            ));
        }
        Ok((state.build(now, self.ttl, current), due))
    }
}

impl PreviousState {
    /// The previous credential to accept beside the current version `of_current`: read beside
    /// it within `ttl`, or within [`MAX_STALE`] while reads of it fail.
    fn held(
        &self,
        now: Instant,
        ttl: Duration,
        of_current: &Option<String>,
    ) -> Option<&Credential> {
        self.held_read(now, ttl, of_current)?.credential.as_ref()
    }

    fn held_read(
        &self,
        now: Instant,
        ttl: Duration,
        of_current: &Option<String>,
    ) -> Option<&PreviousValue> {
        let read = self.read.as_ref().filter(|r| r.of_current == *of_current)?;
        let age = now.duration_since(read.read_at);
        let failing = self.asked.is_some_and(|(_, failed)| failed);
        (age < ttl || (failing && age < MAX_STALE)).then_some(read)
    }

    /// The accepted set: `current`, and the previous credential when held; built again only when
    /// either changed, so each credential is hashed once.
    fn build(
        &mut self,
        now: Instant,
        ttl: Duration,
        current: Arc<Version>,
    ) -> Arc<AcceptedCredentials> {
        let previous = self
            .held_read(now, ttl, &current.id)
            .and_then(|read| Some((read.read_at, read.credential.clone()?)));
        let read_at = previous.as_ref().map(|(at, _)| *at);
        if let Some((built_from, built_read_at, set)) = &self.built
            && Arc::ptr_eq(built_from, &current)
            && *built_read_at == read_at
        {
            return Arc::clone(set);
        }
        let set = Arc::new(AcceptedCredentials::new(
            std::iter::once(&current.credential).chain(previous.as_ref().map(|(_, c)| c)),
        ));
        self.built = Some((current, read_at, Arc::clone(&set)));
        set
    }
}

/// Where the partner credentials come from: the environment (local) or Secrets Manager (AWS).
#[derive(Debug)]
pub enum PartnerCredentials {
    /// Fixed at start (from the environment).
    Fixed(Arc<AcceptedCredentials>),
    /// Boxed: its caches are larger than a pointer.
    Secret(Box<PartnerSecret>),
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

    async fn after_mismatch(&self) -> Result<Option<Arc<AcceptedCredentials>>, CredentialError> {
        match self {
            PartnerCredentials::Fixed(_) => Ok(None),
            PartnerCredentials::Secret(secret) => secret
                .after_mismatch()
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
        CredentialSetting::Secret { arn, cache } => PartnerCredentials::Secret(Box::new(
            PartnerSecret::new(SecretReader::new(Client::new(sdk), arn), *cache),
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

    fn version(id: &str, password: &str) -> Arc<Version> {
        Arc::new(Version {
            credential: Credential::new("thumbtack", password),
            id: Some(id.to_owned()),
        })
    }

    fn accepts(set: &AcceptedCredentials, password: &str) -> bool {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("thumbtack:{password}"));
        set.verify_header(Some(format!("Basic {encoded}").as_bytes()))
            .is_ok()
    }

    /// A read of `AWSPREVIOUS` that counts itself and finds `found`.
    fn previous_read<'a>(
        reads: &'a AtomicU32,
        found: Option<&'a str>,
    ) -> impl Fn() -> std::future::Ready<Result<Option<Credential>, SecretError>> + 'a {
        move || {
            reads.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(found.map(|p| Credential::new("thumbtack", p))))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_matching_nothing_read_the_previous_version_at_most_once_a_minute() {
        let previous = Previous::new(Duration::from_secs(300), "arn:secret");
        let current = version("v1", "the-password");
        let reads = AtomicU32::new(0);
        // A secret never rotated: there is no previous version, and a scanner sends guesses.
        for _ in 0..100 {
            let (set, _) = previous
                .accepted(
                    Arc::clone(&current),
                    PreviousRead::IfDue,
                    previous_read(&reads, None),
                )
                .await
                .unwrap();
            assert!(!accepts(&set, "a-guess"));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        tokio::time::advance(PREVIOUS_READ_INTERVAL - Duration::from_secs(1)).await;
        let read = previous_read(&reads, None);
        previous
            .accepted(Arc::clone(&current), PreviousRead::IfDue, read)
            .await
            .unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(1)).await;
        let read = previous_read(&reads, None);
        previous
            .accepted(current, PreviousRead::IfDue, read)
            .await
            .unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 2, "a minute later, once more");
    }

    #[tokio::test(start_paused = true)]
    async fn the_previous_version_read_on_a_mismatch_serves_for_the_cache_period() {
        let previous = Previous::new(Duration::from_secs(300), "arn:secret");
        let current = version("v2", "second");
        let reads = AtomicU32::new(0);
        let read = || previous_read(&reads, Some("first"));
        let (set, _) = previous
            .accepted(Arc::clone(&current), PreviousRead::OnRotation, read())
            .await
            .unwrap();
        assert!(
            !accepts(&set, "first"),
            "init reads the current version only"
        );
        let (set, was_read) = previous
            .accepted(Arc::clone(&current), PreviousRead::IfDue, read())
            .await
            .unwrap();
        assert!(was_read && accepts(&set, "first") && accepts(&set, "second"));
        tokio::time::advance(Duration::from_secs(299)).await;
        let (set, _) = previous
            .accepted(Arc::clone(&current), PreviousRead::OnRotation, read())
            .await
            .unwrap();
        assert!(accepts(&set, "first"));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Past the cache period it is read again, should the operator have retired it.
        tokio::time::advance(Duration::from_secs(1)).await;
        let (set, _) = previous
            .accepted(Arc::clone(&current), PreviousRead::OnRotation, read())
            .await
            .unwrap();
        assert!(!accepts(&set, "first"));
        let (set, _) = previous
            .accepted(current, PreviousRead::IfDue, || {
                previous_read(&reads, None)()
            })
            .await
            .unwrap();
        assert!(!accepts(&set, "first"), "retired");
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rotation_seen_reads_the_previous_version_once() {
        let previous = Previous::new(Duration::from_secs(300), "arn:secret");
        let reads = AtomicU32::new(0);
        let read = || previous_read(&reads, Some("first"));
        for _ in 0..3 {
            previous
                .accepted(version("v1", "first"), PreviousRead::OnRotation, read())
                .await
                .unwrap();
        }
        assert_eq!(reads.load(Ordering::SeqCst), 0);
        let second = version("v2", "second");
        for _ in 0..3 {
            let (set, _) = previous
                .accepted(Arc::clone(&second), PreviousRead::OnRotation, read())
                .await
                .unwrap();
            assert!(accepts(&set, "first") && accepts(&set, "second"));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_read_of_the_previous_version_leaves_mismatches_unjudged_until_the_next_is_due()
     {
        let previous = Previous::new(Duration::from_secs(300), "arn:secret");
        let current = version("v1", "the-password");
        let reads = AtomicU32::new(0);
        let failing = || {
            reads.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Err::<Option<Credential>, _>(SecretError::Unavailable(
                "arn:secret".into(),
                "unreachable".into(),
            )))
        };
        for _ in 0..10 {
            let answer = previous
                .accepted(Arc::clone(&current), PreviousRead::IfDue, failing)
                .await;
            assert!(matches!(answer, Err(SecretError::Unavailable(..))));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // The current version still serves those that match it.
        let (set, _) = previous
            .accepted(Arc::clone(&current), PreviousRead::OnRotation, failing)
            .await
            .unwrap();
        assert!(accepts(&set, "the-password"));
        tokio::time::advance(PREVIOUS_READ_INTERVAL).await;
        let read = previous_read(&reads, None);
        assert!(
            previous
                .accepted(current, PreviousRead::IfDue, read)
                .await
                .is_ok()
        );
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cache_period_too_long_for_the_clock_does_not_panic() {
        let cache = Cache::new(Duration::MAX);
        assert_eq!(*cache.get(|| async { Ok(7) }).await.unwrap(), 7);
        assert_eq!(*cache.refresh(|| async { Ok(8) }).await.unwrap(), 8);
    }
}
