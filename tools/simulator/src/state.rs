//! The simulator's memory: one [`State`], changed only inside [`Shared::update`] sections that
//! never span an `.await`. In process it lives behind a mutex; in a deployed stage it lives in a
//! [`SnapshotStore`] (the stage's table) and each section is one optimistic transaction.

use crate::config::{Config, Settings, User};
use crate::faults::Faults;
use crate::log::LogEntry;
use crate::store::{SnapshotStore, StoreError};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

pub type Sim = Arc<Shared>;

/// Attempts of one section against concurrent writers before it gives up with a 503; between
/// attempts a random wait that grows, so that writers who collided do not collide again.
const MAX_ATTEMPTS: u32 = 20;
const BACKOFF_MS: u64 = 10;

#[derive(Debug)]
pub struct Shared {
    memory: Mutex<State>,
    /// `Some` in a deployed stage: the state is loaded and written back by every section.
    store: Option<Arc<dyn SnapshotStore>>,
    config: Config,
    /// The client for deliveries, one per simulator.
    pub http: reqwest::Client,
}

impl Shared {
    pub fn new(config: Config) -> Self {
        Shared {
            memory: Mutex::new(State::new(config.clone())),
            store: None,
            config,
            http: reqwest::Client::new(),
        }
    }

    /// A simulator whose state lives in `store`, shared by every process using it.
    pub fn stored(config: Config, store: Arc<dyn SnapshotStore>) -> Self {
        Shared {
            store: Some(store),
            ..Shared::new(config)
        }
    }

    /// True when the state lives in a store: nothing may run after an answer (Lambda).
    pub fn is_stored(&self) -> bool {
        self.store.is_some()
    }

    /// The in-process state. With a store this is not the state: use [`Shared::read`].
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `change` on the current state and keeps what it did. With a store: load, change,
    /// write back if the version is still the one loaded, else run `change` again on the newer
    /// state (so `change` must do nothing but change the state).
    pub async fn update<R>(
        &self,
        mut change: impl FnMut(&mut State) -> R,
    ) -> Result<R, StoreError> {
        let Some(store) = &self.store else {
            return Ok(change(&mut self.lock()));
        };
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                let most = BACKOFF_MS * u64::from(attempt.min(10));
                tokio::time::sleep(std::time::Duration::from_millis(fastrand::u64(1..=most))).await;
            }
            let (mut state, version, before) = self.load(store.as_ref()).await?;
            let result = change(&mut state);
            let after = state.snapshot()?;
            if after == before || store.save(after, version).await? {
                return Ok(result);
            }
        }
        Err(StoreError::Contended)
    }

    /// [`Shared::update`] for a section that answers early with a response; a storage fault is a
    /// 5xx response too.
    pub async fn apply<T>(
        &self,
        change: impl FnMut(&mut State) -> Result<T, Response>,
    ) -> Result<T, Response> {
        self.update(change)
            .await
            .map_err(IntoResponse::into_response)?
    }

    /// Reads the current state without changing it.
    pub async fn read<R>(&self, look: impl FnOnce(&State) -> R) -> Result<R, StoreError> {
        match &self.store {
            None => Ok(look(&self.lock())),
            Some(store) => Ok(look(&self.load(store.as_ref()).await?.0)),
        }
    }

    /// The stored state (a fresh one before the first write), its version and its snapshot.
    async fn load(
        &self,
        store: &dyn SnapshotStore,
    ) -> Result<(State, Option<u64>, String), StoreError> {
        let (mut state, version) = match store.load().await? {
            Some(stored) => (
                serde_json::from_str::<State>(&stored.body).map_err(StoreError::corrupt)?,
                Some(stored.version),
            ),
            None => (State::new(self.config.clone()), None),
        };
        // The configuration is the process's, never stored: a redeploy changes it. The pros'
        // businesses added or removed since (`/sim/users/{userID}/businesses`) are stored.
        state.config = self.config.clone();
        state.apply_business_changes();
        let before = state.snapshot()?;
        Ok((state, version, before))
    }
}

/// An authorize request that passed its checks, waiting for the pro's decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Consent {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub user_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    pub consent: Consent,
    pub expires: SystemTime,
    pub used: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessToken {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub expires: SystemTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshToken {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub expires: SystemTime,
    /// First use: the token still works for the grace window after it.
    pub used_at: Option<SystemTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WebhookAuth {
    None,
    Basic { username: String, password: String },
    Header { name: String, value: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub webhook_id: String,
    pub business_id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub auth: WebhookAuth,
}

/// Everything the simulator remembers. Stored as one JSON snapshot but for `config`.
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    #[serde(skip)]
    pub config: Config,
    pub settings: Settings,
    pub consents: BTreeMap<String, Consent>,
    pub codes: BTreeMap<String, Code>,
    pub access_tokens: BTreeMap<String, AccessToken>,
    pub refresh_tokens: BTreeMap<String, RefreshToken>,
    pub webhooks: BTreeMap<String, Webhook>,
    /// Negotiations as their webhook `data` (facts §3.2), by id.
    pub negotiations: BTreeMap<String, Value>,
    /// Messages as their webhook `data` (facts §3.3), oldest first.
    pub messages: Vec<Value>,
    /// Replies received on the legacy endpoint.
    pub legacy_replies: Vec<Value>,
    pub revoked_users: BTreeSet<String>,
    /// Users whose next refresh fails with `invalid_grant`.
    pub fail_next_refresh: BTreeSet<String>,
    pub faults: Faults,
    pub log: Vec<LogEntry>,
    next_id: u64,
    /// Businesses a pro opened since the configuration's, by userID.
    #[serde(default)]
    pub added_businesses: BTreeMap<String, Vec<crate::config::Business>>,
    /// Businesses a pro no longer has.
    #[serde(default)]
    pub removed_businesses: BTreeSet<String>,
}

impl State {
    fn new(config: Config) -> Self {
        State {
            settings: config.settings.clone(),
            config,
            consents: BTreeMap::new(),
            codes: BTreeMap::new(),
            access_tokens: BTreeMap::new(),
            refresh_tokens: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            negotiations: BTreeMap::new(),
            messages: Vec::new(),
            legacy_replies: Vec::new(),
            revoked_users: BTreeSet::new(),
            fail_next_refresh: BTreeSet::new(),
            faults: Faults::default(),
            log: Vec::new(),
            added_businesses: BTreeMap::new(),
            removed_businesses: BTreeSet::new(),
            // Thumbtack's ids are int64 values written as strings (facts §6.1).
            next_id: 5_900_000_000_000_000_000 + u64::from(fastrand::u32(..)) * 1000,
        }
    }

    /// The stored form: JSON, the log cut to what fits in one table item.
    fn snapshot(&mut self) -> Result<String, StoreError> {
        crate::log::cap(&mut self.log);
        loop {
            let body = serde_json::to_string(self).map_err(StoreError::corrupt)?;
            if body.len() <= crate::store::MAX_SNAPSHOT_BYTES || self.log.is_empty() {
                return Ok(body);
            }
            let drop = self.log.len().div_ceil(4);
            self.log.drain(..drop);
        }
    }

    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    /// The configuration's pros with the businesses added and removed since: idempotent.
    pub fn apply_business_changes(&mut self) {
        for user in &mut self.config.users {
            for added in self
                .added_businesses
                .get(&user.user_id)
                .into_iter()
                .flatten()
            {
                if !user
                    .businesses
                    .iter()
                    .any(|b| b.business_id == added.business_id)
                {
                    user.businesses.push(added.clone());
                }
            }
            user.businesses
                .retain(|b| !self.removed_businesses.contains(&b.business_id));
        }
    }

    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.config.users.iter().find(|u| u.user_id == user_id)
    }

    /// The user owning a business, and its name.
    pub fn business(&self, business_id: &str) -> Option<(&User, &crate::config::Business)> {
        self.config.users.iter().find_map(|u| {
            u.businesses
                .iter()
                .find(|b| b.business_id == business_id)
                .map(|b| (u, b))
        })
    }
}
