//! A value read from a secret, kept for the cache period. If Secrets Manager cannot be read when
//! the period is over, the last value keeps serving (retried every 30 s) for at most
//! [`MAX_STALE`]; after that the read's error is returned, rather than run on a credential that
//! may have been revoked. A read can be forced past the cache, at most once per
//! [`MIN_REFRESH_INTERVAL`].

use super::SecretError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
// tokio's clock, so that tests can move it.
use tokio::time::Instant;

/// How long a value read before a Secrets Manager outage keeps serving.
pub const MAX_STALE: Duration = Duration::from_secs(3600);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);
/// The least time between two forced reads of a secret ([`super::ThumbtackCredentials::refresh`]):
/// a burst of refusals reads Secrets Manager once.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// A value derived from a secret, refreshed after `ttl`.
#[derive(Debug)]
pub(super) struct Cache<T> {
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
    pub(super) fn new(ttl: Duration) -> Self {
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
    pub(super) async fn refresh<F, Fut>(&self, load: F) -> Result<Arc<T>, SecretError>
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
    pub(super) async fn get<F, Fut>(&self, load: F) -> Result<Arc<T>, SecretError>
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

    #[tokio::test(start_paused = true)]
    async fn a_cache_period_too_long_for_the_clock_does_not_panic() {
        let cache = Cache::new(Duration::MAX);
        assert_eq!(*cache.get(|| async { Ok(7) }).await.unwrap(), 7);
        assert_eq!(*cache.refresh(|| async { Ok(8) }).await.unwrap(), 8);
    }
}
