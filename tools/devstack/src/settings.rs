//! The local stack's settings: environment variables with documented defaults (README, "Local
//! settings"). The variables override the defaults.

use adapters::config::{ConfigError, Env};
use cli::local::{
    DEFAULT_ADDR, DEFAULT_PASSWORD, DEFAULT_REPLY_QUEUE, DEFAULT_SANDBOX_ADDR, DEFAULT_TABLE,
    DEFAULT_THUMBTACK_PASSWORD, DEFAULT_THUMBTACK_USERNAME, DEFAULT_USERNAME,
};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct DevSettings {
    pub addr: SocketAddr,
    pub table: String,
    pub username: String,
    pub password: String,
    pub endpoint: String,
    pub reply_queue: String,
    /// Longer than a local invocation (25 s), as AWS requires of the function timeout, so a
    /// message is never handed out twice while it is being handled. Retries come sooner: the
    /// handler sets their delay (`reply_retry_base`).
    pub reply_visibility: Duration,
    /// The local queue's maxReceiveCount: only a backstop, well above `reply_max_attempts`
    /// (a reply held back behind a failing one of its lead is received without being tried).
    pub reply_max_receives: u32,
    /// Tries of a reply, as the ledger counts them, before it is failed and parked.
    pub reply_max_attempts: u32,
    pub reply_retry_base: Duration,
    /// `None`: start the sandbox and send replies there.
    pub thumbtack_base_url: Option<String>,
    pub thumbtack_username: String,
    pub thumbtack_password: String,
    pub thumbtack_timeout: Duration,
    pub sandbox_addr: SocketAddr,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "AWS_ENDPOINT_URL must point at the local emulator (make dev sets it); refusing to run against real AWS"
    )]
    NoEmulator,
    #[error("{0} {1:?} is not an address such as 127.0.0.1:3000")]
    BadAddr(&'static str, String),
    #[error("PARTNER_API_USERNAME must not contain ':'")]
    BadUsername,
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
    default: &str,
) -> Result<SocketAddr, SettingsError> {
    let text = env.optional(var).unwrap_or_else(|| default.to_owned());
    text.parse().map_err(|_| SettingsError::BadAddr(var, text))
}

impl DevSettings {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        let or = |var: &'static str, default: &str| {
            env.optional(var).unwrap_or_else(|| default.to_owned())
        };
        let username = or("PARTNER_API_USERNAME", DEFAULT_USERNAME);
        if username.contains(':') {
            return Err(SettingsError::BadUsername);
        }
        let settings = DevSettings {
            addr: addr(env, "DEV_ADDR", DEFAULT_ADDR)?,
            table: or("TABLE_NAME", DEFAULT_TABLE),
            username,
            password: or("PARTNER_API_PASSWORD", DEFAULT_PASSWORD),
            endpoint: env
                .optional("AWS_ENDPOINT_URL")
                .ok_or(SettingsError::NoEmulator)?,
            reply_queue: or("REPLY_QUEUE_NAME", DEFAULT_REPLY_QUEUE),
            reply_visibility: Duration::from_secs(env.number("REPLY_VISIBILITY_SECONDS", 30)?),
            reply_max_receives: u32::try_from(env.number("REPLY_MAX_RECEIVES", 100)?)
                .unwrap_or(u32::MAX),
            reply_max_attempts: u32::try_from(env.number("REPLY_MAX_ATTEMPTS", 5)?)
                .unwrap_or(u32::MAX),
            reply_retry_base: Duration::from_secs(env.number("REPLY_RETRY_BASE_SECONDS", 2)?),
            thumbtack_base_url: env.optional("THUMBTACK_API_BASE_URL"),
            thumbtack_username: or("THUMBTACK_API_USERNAME", DEFAULT_THUMBTACK_USERNAME),
            thumbtack_password: or("THUMBTACK_API_PASSWORD", DEFAULT_THUMBTACK_PASSWORD),
            thumbtack_timeout: Duration::from_secs(env.number("THUMBTACK_TIMEOUT_SECONDS", 10)?),
            sandbox_addr: addr(env, "SANDBOX_ADDR", DEFAULT_SANDBOX_ADDR)?,
        };
        if settings.reply_visibility.mul_f64(0.8)
            <= settings.thumbtack_timeout + Duration::from_secs(2 + 3)
        {
            return Err(SettingsError::VisibilityTooShort);
        }
        if settings.reply_max_receives <= settings.reply_max_attempts {
            return Err(SettingsError::BackstopTooLow);
        }
        Ok(settings)
    }
}
