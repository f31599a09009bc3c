//! The partner secret's `AWSPREVIOUS` version, read lazily. Init reads only `AWSCURRENT`;
//! `AWSPREVIOUS` is read when it may be needed, and kept for the cache period (at least a
//! minute): when a credential matches none of what is held, at most once a minute per process
//! whatever is sent (wrong passwords do not become Secrets Manager calls), and when a read of
//! `AWSCURRENT` finds another version than the last one (a rotation: the previous version is now
//! another), once per rotation seen. A malformed `AWSPREVIOUS` version is logged and ignored
//! (`partner`): it must not take the valid current one down with it.

use super::SecretError;
use super::cache::MAX_STALE;
use super::reader::Version;
use app::auth::{AcceptedCredentials, Credential};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
// tokio's clock, so that tests can move it.
use tokio::time::Instant;

/// The least time between two reads of the partner secret's `AWSPREVIOUS` version that credentials
/// matching nothing held ask for, and the least time a read of it serves.
pub const PREVIOUS_READ_INTERVAL: Duration = Duration::from_secs(60);

/// When [`Previous::accepted`] reads `AWSPREVIOUS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PreviousRead {
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
pub(super) struct Previous {
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
    pub(super) fn new(ttl: Duration, secret_id: &str) -> Self {
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
    pub(super) async fn accepted<F, Fut>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

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
}
