//! The simulator's memory: everything behind one mutex, never held across an `.await`.

use crate::config::{Config, Settings, User};
use crate::faults::Faults;
use crate::log::LogEntry;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

pub type Sim = Arc<Shared>;

#[derive(Debug)]
pub struct Shared {
    state: Mutex<State>,
    /// The client for deliveries, one per simulator.
    pub http: reqwest::Client,
}

impl Shared {
    pub fn new(config: Config) -> Self {
        Shared {
            state: Mutex::new(State::new(config)),
            http: reqwest::Client::new(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An authorize request that passed its checks, waiting for the pro's decision.
#[derive(Debug, Clone)]
pub struct Consent {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub user_id: String,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub consent: Consent,
    pub expires: Instant,
    pub used: bool,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub expires: Instant,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub expires: Instant,
    /// First use: the token still works for the grace window after it.
    pub used_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub enum WebhookAuth {
    None,
    Basic { username: String, password: String },
    Header { name: String, value: String },
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub webhook_id: String,
    pub business_id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub auth: WebhookAuth,
}

#[derive(Debug)]
pub struct State {
    pub config: Config,
    pub settings: Settings,
    pub consents: HashMap<String, Consent>,
    pub codes: HashMap<String, Code>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub webhooks: BTreeMap<String, Webhook>,
    /// Negotiations as their webhook `data` (facts §3.2), by id.
    pub negotiations: BTreeMap<String, Value>,
    /// Messages as their webhook `data` (facts §3.3), oldest first.
    pub messages: Vec<Value>,
    /// Replies received on the legacy endpoint.
    pub legacy_replies: Vec<Value>,
    pub revoked_users: HashSet<String>,
    /// Users whose next refresh fails with `invalid_grant`.
    pub fail_next_refresh: HashSet<String>,
    pub faults: Faults,
    pub log: Vec<LogEntry>,
    next_id: u64,
}

impl State {
    fn new(config: Config) -> Self {
        State {
            settings: config.settings.clone(),
            config,
            consents: HashMap::new(),
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            webhooks: BTreeMap::new(),
            negotiations: BTreeMap::new(),
            messages: Vec::new(),
            legacy_replies: Vec::new(),
            revoked_users: HashSet::new(),
            fail_next_refresh: HashSet::new(),
            faults: Faults::default(),
            log: Vec::new(),
            // Thumbtack's ids are int64 values written as strings (facts §6.1).
            next_id: 5_900_000_000_000_000_000 + u64::from(fastrand::u32(..)) * 1000,
        }
    }

    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
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

/// An opaque token or code: nothing a partner could decode (facts §1.3: do not read tokens).
pub fn opaque(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

/// Now, as Thumbtack writes times: RFC 3339, UTC, second precision.
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second())
        .map(|t| t.to_string())
        .unwrap_or_else(|_| now.to_string())
}
