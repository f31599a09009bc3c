//! The local stack's settings: the functions' own loaders (`adapters::config`) over the
//! process's environment, with the README's local defaults under it (`cli::local`), and the few
//! settings only the local stack has: its addresses and the queue it creates.

use adapters::config::{ConfigError, Env, InboundSettings, ReplySettings, inbound_settings};
use adapters::config::{ConnectionsSettings, connections_settings};
use adapters::config::{EventsSettings, events_settings};
use adapters::config::{ReadSettings, read_settings, reply_policy, reply_settings};
use adapters::secrets::CredentialSetting;
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A local invocation gets this share of the queue's visibility timeout: shorter, as AWS
/// requires of the function's timeout, so a message is never handed out twice while it is being
/// handled.
const INVOCATION_SHARE: f64 = 0.8;

/// Locally the redelivery delay stops doubling at this many times its base (16 s by default),
/// not at AWS's 15 minutes: a reply held back behind another comes round within seconds.
const LOCAL_REDELIVERY_CAP: u32 = 8;

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

#[derive(Clone)]
pub struct DevSettings {
    /// `DEV_ADDR`: where the local routes listen.
    pub addr: SocketAddr,
    /// `SANDBOX_ADDR` (its name from before the simulator): where the Thumbtack simulator
    /// listens, when it runs.
    pub sandbox_addr: SocketAddr,
    /// `AWS_ENDPOINT_URL`: the emulator; the local stack refuses to run without one.
    pub endpoint: String,
    /// `REPLY_QUEUE_NAME`: the reply queue it creates (its DLQ beside it).
    pub reply_queue: String,
    /// `REPLY_VISIBILITY_SECONDS`: the queue's visibility timeout. Retries come sooner: the
    /// handler sets their delay.
    pub reply_visibility: Duration,
    /// `REPLY_MAX_RECEIVES`: the queue's maxReceiveCount, only a backstop well above the tries
    /// (a reply held back behind a failing one of its lead is received without being tried).
    pub reply_max_receives: u32,
    /// What the inbound functions load (table, partner credentials).
    pub inbound: InboundSettings,
    /// What the events function loads (table, bus).
    pub events: EventsSettings,
    /// `EVENTS_QUEUE_NAME`: the queue a catch-all rule on the bus delivers to (`make events`).
    pub events_queue: String,
    /// `SPEED_QUEUE_NAME`: where a rule on the bus delivers `Lead Received` for the speed-to-lead
    /// worker (in AWS the rule invokes the function).
    pub speed_queue: String,
    /// `EVENTS_POLL_MILLIS`: how often the table's stream is read (Lambda's event source mapping
    /// polls about four times a second).
    pub events_poll: Duration,
    /// What the read function loads (table, cursor key, the changes feed's settle window).
    pub read: ReadSettings,
    /// The environment the reply function's settings are loaded from once the queues exist.
    env: Lookup,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "AWS_ENDPOINT_URL must point at the local emulator (make dev sets it); refusing to run against real AWS"
    )]
    NoEmulator,
    #[error("{0} {1:?} is not an address such as 127.0.0.1:3000")]
    BadAddr(&'static str, String),
    #[error(
        "REPLY_VISIBILITY_SECONDS must leave a local invocation (80 % of it) room for one try to Thumbtack (THUMBTACK_TIMEOUT_SECONDS + 2) and the write that records it (3 s)"
    )]
    VisibilityTooShort,
    #[error(
        "REPLY_MAX_RECEIVES (the queue's backstop) must be above REPLY_MAX_ATTEMPTS, or replies reach the dead-letter queue untried"
    )]
    BackstopTooLow,
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn addr<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    var: &'static str,
) -> Result<SocketAddr, SettingsError> {
    let text = env.required(var)?;
    text.parse().map_err(|_| SettingsError::BadAddr(var, text))
}

impl DevSettings {
    /// From `env` (the process's, or a test's), over the local defaults.
    pub fn from_env<F>(env: Env<F>) -> Result<Self, SettingsError>
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        let local = cli::local::env(env);
        let lookup: Lookup = Arc::new(move |var: &str| local.optional(var));
        let env = Env::with(|var: &str| lookup(var));
        let settings = DevSettings {
            addr: addr(&env, "DEV_ADDR")?,
            sandbox_addr: addr(&env, "SANDBOX_ADDR")?,
            endpoint: env
                .optional("AWS_ENDPOINT_URL")
                .ok_or(SettingsError::NoEmulator)?,
            reply_queue: env.required("REPLY_QUEUE_NAME")?,
            reply_visibility: Duration::from_secs(env.required_number("REPLY_VISIBILITY_SECONDS")?),
            reply_max_receives: u32::try_from(env.required_number("REPLY_MAX_RECEIVES")?)
                .unwrap_or(u32::MAX),
            inbound: inbound_settings(&env)?,
            events: events_settings(&env)?,
            events_queue: env.required("EVENTS_QUEUE_NAME")?,
            speed_queue: env.required("SPEED_QUEUE_NAME")?,
            events_poll: Duration::from_millis(env.required_number("EVENTS_POLL_MILLIS")?),
            read: read_settings(&env)?,
            env: Arc::clone(&lookup),
        };
        // The queue is created before the reply settings can be loaded (they name it): what it
        // is created with must suit the policy now.
        let policy = reply_policy(&env)?;
        if settings.invocation_timeout() <= policy.try_budget() {
            return Err(SettingsError::VisibilityTooShort);
        }
        if settings.reply_max_receives <= policy.max_attempts {
            return Err(SettingsError::BackstopTooLow);
        }
        Ok(settings)
    }

    /// The deadline of one local invocation of the reply handler.
    pub fn invocation_timeout(&self) -> Duration {
        self.reply_visibility.mul_f64(INVOCATION_SHARE)
    }

    /// `THUMBTACK_API_BASE_URL`, when set: replies go there and no simulator starts.
    pub fn thumbtack_base_url(&self) -> Option<String> {
        (self.env)("THUMBTACK_API_BASE_URL")
    }

    /// The reply function's settings, loaded as the function loads them, once the queues exist
    /// and Thumbtack's URL is known (the simulator's, or `THUMBTACK_API_BASE_URL`).
    pub fn reply(
        &self,
        queue_url: &str,
        dlq_url: &str,
        thumbtack_url: &str,
    ) -> Result<ReplySettings, ConfigError> {
        let known = [
            ("REPLY_QUEUE_URL", queue_url),
            ("REPLY_DLQ_URL", dlq_url),
            ("THUMBTACK_API_BASE_URL", thumbtack_url),
        ];
        let env = Env::with(|var: &str| {
            known
                .iter()
                .find(|(name, _)| *name == var)
                .map(|(_, value)| (*value).to_owned())
                .or_else(|| (self.env)(var))
        });
        let mut reply = reply_settings(&env)?;
        reply.policy.redelivery_cap = reply
            .policy
            .redelivery_base
            .saturating_mul(LOCAL_REDELIVERY_CAP);
        Ok(reply)
    }
}

/// Where the local stack's connect flow talks to: the simulator's OAuth client and URLs, when it
/// runs.
#[derive(Debug, Clone, Copy)]
pub struct LocalThumbtackV4<'a> {
    pub url: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

impl DevSettings {
    /// The connections function's settings, loaded as it loads them, once the routes' address,
    /// the simulator and the KMS key are known: the API's public URL is the local stack's; with
    /// the simulator running, its URLs (and its client, unless `THUMBTACK_V4_CLIENT_ID` is set);
    /// `CONNECT_STATE_KEY` a new random key per run unless set. `None` without a v4 client (the
    /// simulator off and no `THUMBTACK_V4_CLIENT_ID` or secret ARN): the routes then answer 404.
    pub fn connections(
        &self,
        base_url: &str,
        simulator: Option<LocalThumbtackV4<'_>>,
        token_key_id: &str,
    ) -> Result<Option<ConnectionsSettings>, ConfigError> {
        let configured = (self.env)("THUMBTACK_V4_CLIENT_ID").is_some()
            || (self.env)("THUMBTACK_V4_CLIENT_SECRET_ARN").is_some();
        if simulator.is_none() && !configured {
            return Ok(None);
        }
        let state_key = app::connections::random_token(32);
        let mut known: Vec<(&str, String)> = vec![
            ("PUBLIC_API_URL", base_url.to_owned()),
            ("TOKEN_KEY_ID", token_key_id.to_owned()),
        ];
        if let Some(sim) = simulator {
            known.push(("THUMBTACK_V4_AUTH_URL", format!("{}/oauth2/auth", sim.url)));
            known.push((
                "THUMBTACK_V4_TOKEN_URL",
                format!("{}/oauth2/token", sim.url),
            ));
            known.push(("THUMBTACK_V4_API_BASE_URL", format!("{}/api", sim.url)));
            if !configured {
                known.push(("THUMBTACK_V4_CLIENT_ID", sim.client_id.to_owned()));
                known.push(("THUMBTACK_V4_CLIENT_SECRET", sim.client_secret.to_owned()));
            }
        }
        let env = Env::with(|var: &str| {
            known
                .iter()
                .find(|(name, _)| *name == var)
                .map(|(_, value)| value.clone())
                .or_else(|| (self.env)(var))
                .or_else(|| (var == "CONNECT_STATE_KEY").then(|| state_key.clone()))
        });
        connections_settings(&env).map(Some)
    }
}

impl std::fmt::Debug for DevSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevSettings")
            .field("addr", &self.addr)
            .field("sandbox_addr", &self.sandbox_addr)
            .field("endpoint", &self.endpoint)
            .field("reply_queue", &self.reply_queue)
            .field("reply_visibility", &self.reply_visibility)
            .field("reply_max_receives", &self.reply_max_receives)
            .field("inbound", &self.inbound)
            .field("events", &self.events)
            .field("events_queue", &self.events_queue)
            .field("speed_queue", &self.speed_queue)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

/// How a credential is shown on the local stack's console: `user:password` (local ones are
/// made up), or where a secret is.
pub fn login(setting: &CredentialSetting) -> String {
    match setting {
        CredentialSetting::Fixed(credential) => format!(
            "{}:{}",
            credential.username,
            credential.password.expose_secret()
        ),
        CredentialSetting::Secret { arn, .. } => format!("from the secret {arn}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use adapters::secrets::CredentialSetting;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<DevSettings, SettingsError> {
        let mut vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        vars.insert("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:4566".into());
        DevSettings::from_env(Env::with(move |var| vars.get(var).cloned()))
    }

    fn login(setting: &CredentialSetting) -> (String, String) {
        match setting {
            CredentialSetting::Fixed(c) => (c.username.clone(), c.password.expose_secret().into()),
            CredentialSetting::Secret { arn, .. } => panic!("a secret: {arn}"),
        }
    }

    #[test]
    fn the_local_stack_loads_the_functions_settings_over_the_readmes_local_defaults() {
        let settings = settings(&[]).unwrap();
        assert_eq!(settings.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.sandbox_addr.to_string(), "127.0.0.1:4010");
        assert_eq!(settings.inbound.table, "thumbtack-partner-local");
        assert_eq!(
            login(&settings.inbound.credentials),
            ("thumbtack".into(), "local-dev-password".into())
        );
        assert_eq!(settings.reply_queue, "thumbtack-replies.fifo");
        assert_eq!(settings.reply_visibility, Duration::from_secs(30));
        assert_eq!(settings.reply_max_receives, 100);
        assert_eq!(settings.read.table, "thumbtack-partner-local");
        assert_eq!(settings.read.pull.settle, Duration::from_secs(16));
        let reply = settings
            .reply("http://q", "http://d", "http://sandbox")
            .unwrap();
        assert_eq!(reply.table, "thumbtack-partner-local");
        assert_eq!(
            (reply.queue_url.as_str(), reply.dlq_url.as_str()),
            ("http://q", "http://d")
        );
        assert_eq!(reply.thumbtack.base_url, "http://sandbox");
        assert_eq!(
            login(&reply.thumbtack_credentials),
            ("partner".into(), "sandbox-password".into())
        );
        // The functions' own numbers, but for the local retry base and its cap.
        assert_eq!(reply.thumbtack.timeout, Duration::from_secs(10));
        assert_eq!(reply.thumbtack.connect_timeout, Duration::from_secs(3));
        assert_eq!(reply.policy.attempt_budget, Duration::from_secs(12));
        assert_eq!(reply.policy.max_attempts, 5);
        assert_eq!(reply.policy.redelivery_base, Duration::from_secs(2));
        assert_eq!(reply.policy.redelivery_cap, Duration::from_secs(16));
    }

    #[test]
    fn a_variable_set_for_the_local_stack_wins_over_its_local_default() {
        let settings = settings(&[
            ("TABLE_NAME", "mine"),
            ("REPLY_RETRY_BASE_SECONDS", "1"),
            ("THUMBTACK_TIMEOUT_SECONDS", "2"),
            ("DEV_ADDR", "127.0.0.1:0"),
        ])
        .unwrap();
        assert_eq!(settings.inbound.table, "mine");
        assert_eq!(settings.addr.port(), 0);
        let reply = settings
            .reply("http://q", "http://d", "http://sandbox")
            .unwrap();
        assert_eq!(reply.policy.redelivery_base, Duration::from_secs(1));
        assert_eq!(reply.policy.redelivery_cap, Duration::from_secs(8));
        assert_eq!(reply.thumbtack.connect_timeout, Duration::from_secs(2));
        assert_eq!(reply.policy.attempt_budget, Duration::from_secs(4));
    }

    #[test]
    fn a_visibility_timeout_without_room_for_one_try_and_its_record_is_refused() {
        // 80 % of 20 s is 16 s: one try (10 s + 2 s) and its `sent` write (3 s) fit...
        assert!(settings(&[("REPLY_VISIBILITY_SECONDS", "20")]).is_ok());
        // ...in 80 % of 18 s (14.4 s), they do not.
        assert!(matches!(
            settings(&[("REPLY_VISIBILITY_SECONDS", "18")]),
            Err(SettingsError::VisibilityTooShort)
        ));
    }

    #[test]
    fn a_backstop_not_above_the_tries_is_refused_and_so_is_real_aws() {
        assert!(matches!(
            settings(&[("REPLY_MAX_RECEIVES", "5")]),
            Err(SettingsError::BackstopTooLow)
        ));
        let error = DevSettings::from_env(Env::with(|_: &str| None)).unwrap_err();
        assert!(matches!(error, SettingsError::NoEmulator), "{error}");
    }
}
