//! The connect flow's ports in memory: [`MemoryConnections`] (the registry), [`PlainVault`] (a
//! vault bound to the user, without cryptography) and [`FakeThumbtackV4`] (one pro, their
//! businesses and webhooks, with failures on demand).

use crate::ports::{
    Connection, ConnectionStatus, ConnectionStore, Cursor, Page, SaveNotes, StatusChange,
    StoreError, ThumbtackV4, TokenSet, TokenVault, V4Business, V4Error, V4User, V4Webhook,
    VaultError, WebhookSpec,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registry in memory; `fail_saves` makes the next saves fail as storage would.
#[derive(Debug, Default)]
pub struct MemoryConnections {
    used: Mutex<HashSet<String>>,
    connections: Mutex<BTreeMap<String, Connection>>,
    fail_saves: Mutex<u32>,
    /// By user: (holder, until).
    leases: Mutex<BTreeMap<String, (String, u64)>>,
    /// The status changes stored, in order, with their user.
    changes: Mutex<Vec<(String, StatusChange)>>,
}

impl MemoryConnections {
    pub fn all(&self) -> Vec<Connection> {
        lock(&self.connections).values().cloned().collect()
    }

    pub fn fail_next_saves(&self, times: u32) {
        *lock(&self.fail_saves) = times;
    }

    /// Every status change stored (a fact: its event and feed entry), in order, with its user.
    pub fn changes(&self) -> Vec<(String, StatusChange)> {
        lock(&self.changes).clone()
    }
}

impl ConnectionStore for MemoryConnections {
    async fn consume_state(&self, nonce: &str, _expires_at: u64) -> Result<bool, StoreError> {
        Ok(lock(&self.used).insert(nonce.to_owned()))
    }

    async fn connection(&self, user_id: &str) -> Result<Option<Connection>, StoreError> {
        Ok(lock(&self.connections).get(user_id).cloned())
    }

    async fn save_connection(
        &self,
        connection: &Connection,
        notes: &SaveNotes,
    ) -> Result<(), StoreError> {
        let mut fail = lock(&self.fail_saves);
        if *fail > 0 {
            *fail -= 1;
            return Err(StoreError::Unavailable("scripted storage failure".into()));
        }
        // A save replaces the record, its lease with it (as the table's put does).
        lock(&self.leases).remove(&connection.user_id);
        lock(&self.connections).insert(connection.user_id.clone(), connection.clone());
        if let Some(change) = &notes.change {
            lock(&self.changes).push((connection.user_id.clone(), change.clone()));
        }
        Ok(())
    }

    async fn replace_connection(
        &self,
        connection: &Connection,
        notes: &SaveNotes,
        seen: u64,
    ) -> Result<bool, StoreError> {
        let stored = lock(&self.connections)
            .get(&connection.user_id)
            .map(|c| c.updated_at);
        if stored != Some(seen) {
            return Ok(false);
        }
        self.save_connection(connection, notes).await?;
        Ok(true)
    }

    async fn connections(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<Connection>, StoreError> {
        let connections = lock(&self.connections);
        let mut listed = connections
            .range::<str, _>((
                after.map_or(Bound::Unbounded, Bound::Excluded),
                Bound::Unbounded,
            ))
            .map(|(_, c)| c.clone());
        let items: Vec<Connection> = listed.by_ref().take(limit).collect();
        let next = (listed.next().is_some())
            .then(|| items.last().map(|c| Cursor(c.user_id.clone())))
            .flatten();
        Ok(Page { items, next })
    }

    async fn business_user(&self, business_id: &str) -> Result<Option<String>, StoreError> {
        Ok(lock(&self.connections)
            .values()
            .find(|c| c.businesses.iter().any(|b| b.business_id == business_id))
            .map(|c| c.user_id.clone()))
    }

    async fn take_refresh_lease(
        &self,
        user_id: &str,
        holder: &str,
        until: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let mut leases = lock(&self.leases);
        match leases.get(user_id) {
            Some((_, held_until)) if *held_until > now => Ok(false),
            _ => {
                leases.insert(user_id.to_owned(), (holder.to_owned(), until));
                Ok(true)
            }
        }
    }

    async fn save_refreshed(
        &self,
        user_id: &str,
        holder: &str,
        sealed_tokens: Vec<u8>,
        access_expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let mut leases = lock(&self.leases);
        if leases.get(user_id).map(|(h, _)| h.as_str()) != Some(holder) {
            return Ok(false);
        }
        leases.remove(user_id);
        let mut connections = lock(&self.connections);
        let Some(connection) = connections.get_mut(user_id) else {
            return Ok(false);
        };
        connection.sealed_tokens = sealed_tokens;
        connection.access_expires_at = access_expires_at;
        connection.updated_at = now;
        Ok(true)
    }

    async fn mark_broken(
        &self,
        user_id: &str,
        business_ids: &[String],
        now: u64,
    ) -> Result<bool, StoreError> {
        let mut connections = lock(&self.connections);
        let Some(connection) = connections
            .get_mut(user_id)
            .filter(|c| c.status == ConnectionStatus::Connected)
        else {
            return Ok(false);
        };
        lock(&self.leases).remove(user_id);
        connection.status = ConnectionStatus::Broken;
        connection.updated_at = now;
        lock(&self.changes).push((
            user_id.to_owned(),
            StatusChange {
                status: ConnectionStatus::Broken,
                business_ids: business_ids.to_vec(),
                at_ms: now,
            },
        ));
        Ok(true)
    }
}

/// "Seals" as `<userID>\n<access>\n<refresh>`: opens only for the same user, as KMS's
/// encryption context makes the real one. No secrecy at all: tests only.
#[derive(Debug, Default)]
pub struct PlainVault;

impl TokenVault for PlainVault {
    async fn seal(&self, user_id: &str, tokens: &TokenSet) -> Result<Vec<u8>, VaultError> {
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map_or("", |t| t.expose_secret());
        Ok(format!(
            "{user_id}\n{}\n{refresh}",
            tokens.access_token.expose_secret()
        )
        .into_bytes())
    }

    async fn open(&self, user_id: &str, sealed: &[u8]) -> Result<TokenSet, VaultError> {
        let text = std::str::from_utf8(sealed).map_err(|_| VaultError::Invalid)?;
        let mut parts = text.split('\n');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(owner), Some(access), Some(refresh)) if owner == user_id => Ok(TokenSet {
                access_token: SecretString::from(access.to_owned()),
                refresh_token: (!refresh.is_empty())
                    .then(|| SecretString::from(refresh.to_owned())),
                expires_in: None,
                scopes: Vec::new(),
            }),
            _ => Err(VaultError::Invalid),
        }
    }
}

/// One pro and their businesses; webhooks kept as Thumbtack would, with their secrets.
#[derive(Debug)]
pub struct FakeThumbtackV4 {
    pub user_id: String,
    businesses: Mutex<Vec<V4Business>>,
    state: Mutex<FakeState>,
}

#[derive(Debug, Default)]
struct FakeState {
    /// By webhookID: (businessID, URL, secret).
    webhooks: BTreeMap<String, (String, String, String)>,
    next_id: u64,
    /// The answer to the next code exchange, instead of tokens.
    exchange_error: Option<V4Error>,
    /// Fail the webhook calls for this business.
    failing_business: Option<String>,
    /// The answer to the next refresh, instead of tokens.
    refresh_error: Option<V4Error>,
    refreshes: u32,
    calls: Vec<String>,
}

impl FakeThumbtackV4 {
    pub fn new(user_id: &str, businesses: &[(&str, &str)]) -> Self {
        FakeThumbtackV4 {
            user_id: user_id.to_owned(),
            businesses: Mutex::new(business_list(businesses)),
            state: Mutex::default(),
        }
    }

    /// The pro's businesses from now on (one opened, one closed).
    pub fn set_businesses(&self, businesses: &[(&str, &str)]) {
        *lock(&self.businesses) = business_list(businesses);
    }

    /// The next refresh fails with `error`.
    pub fn refuse_next_refresh(&self, error: V4Error) {
        lock(&self.state).refresh_error = Some(error);
    }

    /// How many refreshes were asked for.
    pub fn refreshes(&self) -> u32 {
        lock(&self.state).refreshes
    }

    pub fn refuse_next_exchange(&self, error: V4Error) {
        lock(&self.state).exchange_error = Some(error);
    }

    /// Webhook calls for `business_id` fail as unavailable (`None`: they work again).
    pub fn fail_webhooks_of(&self, business_id: Option<&str>) {
        lock(&self.state).failing_business = business_id.map(str::to_owned);
    }

    /// `(webhookID, businessID, URL, secret)` of every webhook.
    pub fn webhooks_registered(&self) -> Vec<(String, String, String, String)> {
        lock(&self.state)
            .webhooks
            .iter()
            .map(|(id, (b, u, s))| (id.clone(), b.clone(), u.clone(), s.clone()))
            .collect()
    }

    /// Every call made, as `exchange`, `self`, `businesses`, `list <b>`, `create <b>`,
    /// `update <w>`, `delete <w>`.
    pub fn calls(&self) -> Vec<String> {
        lock(&self.state).calls.clone()
    }

    /// A webhook made by someone else (the pro's self-serve one, a previous run of ours).
    pub fn add_webhook(&self, business_id: &str, url: &str) -> String {
        let mut state = lock(&self.state);
        state.next_id += 1;
        let id = format!("wh-{}", state.next_id);
        state.webhooks.insert(
            id.clone(),
            (business_id.to_owned(), url.to_owned(), String::new()),
        );
        id
    }

    fn call(&self, call: String) {
        lock(&self.state).calls.push(call);
    }

    fn check_business(&self, business_id: &str) -> Result<(), V4Error> {
        if lock(&self.state).failing_business.as_deref() == Some(business_id) {
            return Err(V4Error::Unavailable("scripted 503".into()));
        }
        Ok(())
    }
}

impl ThumbtackV4 for FakeThumbtackV4 {
    async fn authorize_url(&self, state: &str, pkce_verifier: &str) -> Result<String, V4Error> {
        Ok(format!(
            "https://auth.example/oauth2/auth?state={state}&verifier_len={}",
            pkce_verifier.len()
        ))
    }

    async fn exchange_code(&self, code: &str, _pkce_verifier: &str) -> Result<TokenSet, V4Error> {
        self.call("exchange".into());
        if let Some(error) = lock(&self.state).exchange_error.take() {
            return Err(error);
        }
        Ok(TokenSet {
            access_token: SecretString::from(format!("access-for-{code}")),
            refresh_token: Some(SecretString::from(format!("refresh-for-{code}"))),
            expires_in: Some(Duration::from_secs(3600)),
            scopes: vec!["offline_access".into()],
        })
    }

    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, V4Error> {
        let n = {
            let mut state = lock(&self.state);
            state.calls.push("refresh".into());
            if let Some(error) = state.refresh_error.take() {
                return Err(error);
            }
            state.refreshes += 1;
            state.refreshes
        };
        // A real refresh is a round trip: concurrent callers overlap it.
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(TokenSet {
            access_token: SecretString::from(format!("access-refreshed-{n}")),
            refresh_token: Some(SecretString::from(format!(
                "{}-then-{n}",
                refresh_token.expose_secret()
            ))),
            expires_in: Some(Duration::from_secs(3600)),
            scopes: Vec::new(),
        })
    }

    async fn user_self(&self, _token: &SecretString) -> Result<V4User, V4Error> {
        self.call("self".into());
        Ok(V4User {
            user_id: self.user_id.clone(),
        })
    }

    async fn businesses(&self, _token: &SecretString) -> Result<Vec<V4Business>, V4Error> {
        self.call("businesses".into());
        Ok(lock(&self.businesses).clone())
    }

    async fn webhooks(
        &self,
        _token: &SecretString,
        business_id: &str,
    ) -> Result<Vec<V4Webhook>, V4Error> {
        self.call(format!("list {business_id}"));
        self.check_business(business_id)?;
        Ok(lock(&self.state)
            .webhooks
            .iter()
            .filter(|(_, (b, _, _))| b == business_id)
            .map(|(id, (_, url, _))| V4Webhook {
                webhook_id: id.clone(),
                webhook_url: url.clone(),
            })
            .collect())
    }

    async fn create_webhook(
        &self,
        _token: &SecretString,
        business_id: &str,
        spec: &WebhookSpec,
    ) -> Result<V4Webhook, V4Error> {
        self.call(format!("create {business_id}"));
        self.check_business(business_id)?;
        let mut state = lock(&self.state);
        state.next_id += 1;
        let id = format!("wh-{}", state.next_id);
        state.webhooks.insert(
            id.clone(),
            (
                business_id.to_owned(),
                spec.url.clone(),
                spec.secret.expose_secret().to_owned(),
            ),
        );
        Ok(V4Webhook {
            webhook_id: id,
            webhook_url: spec.url.clone(),
        })
    }

    async fn update_webhook(
        &self,
        _token: &SecretString,
        business_id: &str,
        webhook_id: &str,
        spec: &WebhookSpec,
    ) -> Result<V4Webhook, V4Error> {
        self.call(format!("update {webhook_id}"));
        self.check_business(business_id)?;
        let mut state = lock(&self.state);
        let entry = state
            .webhooks
            .get_mut(webhook_id)
            .ok_or(V4Error::Refused { status: 404 })?;
        *entry = (
            business_id.to_owned(),
            spec.url.clone(),
            spec.secret.expose_secret().to_owned(),
        );
        Ok(V4Webhook {
            webhook_id: webhook_id.to_owned(),
            webhook_url: spec.url.clone(),
        })
    }

    async fn delete_webhook(
        &self,
        _token: &SecretString,
        business_id: &str,
        webhook_id: &str,
    ) -> Result<(), V4Error> {
        self.call(format!("delete {webhook_id}"));
        self.check_business(business_id)?;
        lock(&self.state).webhooks.remove(webhook_id);
        Ok(())
    }
}

fn business_list(businesses: &[(&str, &str)]) -> Vec<V4Business> {
    businesses
        .iter()
        .map(|(id, name)| V4Business {
            business_id: (*id).to_owned(),
            name: (*name).to_owned(),
        })
        .collect()
}
