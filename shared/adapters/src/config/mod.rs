//! Typed configuration, read once at start from an allow-list of environment variables: what
//! every function's settings are read with here, each function's settings in a module of its own.
//!
//! - `inbound`: the inbound functions (leads, messages); `read`: the read API; `events`: events
//!   out; `speed`: speed to lead; `reply`: replies out and their retry policy; `connections`:
//!   connecting a pro through v4 OAuth (issue 22).

mod connections;
mod events;
mod inbound;
mod read;
mod reply;
mod speed;

pub use connections::{
    CALLBACK_PATH, ConnectionsSettings, PUBLIC_API_URL_PARAMETER, V4_API_BASE_URL, V4_AUTH_URL,
    V4_TOKEN_URL, V4_WEBHOOK_PATH, connections_settings, public_api_url_parameter,
};
pub use events::{EventsSettings, events_settings};
pub use inbound::{InboundSettings, inbound_settings};
pub use read::{ReadSettings, read_settings};
pub use reply::{ReplySettings, ReplyV4Settings, reply_policy, reply_settings};
pub use speed::{SpeedSettings, speed_settings};

use crate::secrets::CredentialSetting;
use app::auth::Credential;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: &'static str,
}

/// Reads variables through `lookup` so tests need not touch the process environment.
pub struct Env<F: Fn(&str) -> Option<String>> {
    lookup: F,
}

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Env {
            lookup: |var| std::env::var(var).ok(),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn with(lookup: F) -> Self {
        Env { lookup }
    }

    /// The same variables, but `var` answered with `value` when there is one: a setting read
    /// from elsewhere at init (an SSM parameter) takes the place of its variable.
    pub fn answering<'a>(
        &'a self,
        var: &'static str,
        value: Option<String>,
    ) -> Env<impl Fn(&str) -> Option<String> + 'a> {
        Env::with(move |asked: &str| match &value {
            Some(value) if asked == var => Some(value.clone()),
            _ => (self.lookup)(asked),
        })
    }

    pub fn required(&self, var: &'static str) -> Result<String, ConfigError> {
        match (self.lookup)(var) {
            Some(value) if !value.trim().is_empty() => Ok(value),
            _ => Err(ConfigError {
                var,
                problem: "must be set",
            }),
        }
    }

    pub fn optional(&self, var: &str) -> Option<String> {
        (self.lookup)(var).filter(|value| !value.trim().is_empty())
    }

    /// A positive whole number, which must be set.
    pub fn required_number(&self, var: &'static str) -> Result<u64, ConfigError> {
        self.required(var)?;
        self.number(var, 0)
    }

    /// A positive whole number, or `default` when unset.
    pub fn number(&self, var: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.optional(var) {
            None => Ok(default),
            Some(text) => match text.trim().parse::<u64>() {
                Ok(value) if value > 0 => Ok(value),
                _ => Err(ConfigError {
                    var,
                    problem: "must be a positive whole number",
                }),
            },
        }
    }
}

impl<F: Fn(&str) -> Option<String>> std::fmt::Debug for Env<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env")
    }
}

/// `TABLE_NAME`: the DynamoDB table of leads, messages and replies.
pub fn table_name<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<String, ConfigError> {
    env.required("TABLE_NAME")
}

/// `<prefix>_SECRET_ARN` (with `SECRETS_CACHE_SECONDS`, default 300) when set, else
/// `<user_var>` and `<password_var>`.
pub(crate) fn credential_setting<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    secret_var: &'static str,
    user_var: &'static str,
    password_var: &'static str,
) -> Result<CredentialSetting, ConfigError> {
    if let Some(arn) = env.optional(secret_var) {
        let cache = Duration::from_secs(env.number("SECRETS_CACHE_SECONDS", 300)?);
        return Ok(CredentialSetting::Secret { arn, cache });
    }
    let username = env.required(user_var)?;
    if username.contains(':') {
        // HTTP basic auth cannot carry a colon in the username (RFC 7617).
        return Err(ConfigError {
            var: user_var,
            problem: "must not contain ':'",
        });
    }
    let password = env.required(password_var)?;
    Ok(CredentialSetting::Fixed(Credential::new(
        username, password,
    )))
}

/// `METRICS_NAMESPACE`: where EMF metrics go; unset, no metrics are written (the local stack).
pub(crate) fn metrics_namespace<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Option<String> {
    env.optional("METRICS_NAMESPACE")
}

pub(crate) fn http_url<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    var: &'static str,
    default: Option<&str>,
) -> Result<String, ConfigError> {
    let url = match (env.optional(var), default) {
        (Some(url), _) => url,
        (None, Some(default)) => default.to_owned(),
        (None, None) => env.required(var)?,
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ConfigError {
            var,
            problem: "must be an http(s) URL",
        });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The longest the connection to Thumbtack may take to open (bounded by the whole request's).
pub(crate) const THUMBTACK_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// `THUMBTACK_TIMEOUT_SECONDS` (10): the whole request to Thumbtack.
pub(crate) fn thumbtack_timeout<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(
        env.number("THUMBTACK_TIMEOUT_SECONDS", 10)?,
    ))
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Env;
    use std::collections::HashMap;

    pub(crate) fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Env::with(move |var| map.get(var).cloned())
    }
}
