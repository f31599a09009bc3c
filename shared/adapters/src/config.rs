//! Typed configuration, read once at start from an allow-list of environment variables.

use crate::secrets::CredentialSetting;
use crate::thumbtack::{DEFAULT_BASE_URL, ThumbtackSettings};
use app::auth::Credential;
use app::paging::CursorKey;
use app::pull::PullSettings;
use app::replies::RetryPolicy;
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
fn credential_setting<F: Fn(&str) -> Option<String>>(
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
fn metrics_namespace<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Option<String> {
    env.optional("METRICS_NAMESPACE")
}

/// What the inbound functions (leads, messages) need.
#[derive(Debug, Clone)]
pub struct InboundSettings {
    pub table: String,
    /// `PARTNER_CREDENTIALS_SECRET_ARN`, or `PARTNER_API_USERNAME` and `PARTNER_API_PASSWORD`.
    pub credentials: CredentialSetting,
    pub metrics_namespace: Option<String>,
}

pub fn inbound_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<InboundSettings, ConfigError> {
    Ok(InboundSettings {
        table: table_name(env)?,
        credentials: credential_setting(
            env,
            "PARTNER_CREDENTIALS_SECRET_ARN",
            "PARTNER_API_USERNAME",
            "PARTNER_API_PASSWORD",
        )?,
        metrics_namespace: metrics_namespace(env),
    })
}

/// What the read function needs.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    pub table: String,
    pub pull: PullSettings,
}

/// A cursor key shorter than this is refused: a guessable key would let anyone forge a cursor.
const MIN_CURSOR_KEY_BYTES: usize = 16;

/// `TABLE_NAME`; `CURSOR_KEY`, the HMAC key of the list routes' cursors (at least 16 bytes; in AWS
/// a generated secret); `CHANGES_SETTLE_SECONDS` (30), how old an entry of the changes feed must
/// be before it is served.
pub fn read_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<ReadSettings, ConfigError> {
    let table = table_name(env)?;
    let key = env.required("CURSOR_KEY")?;
    if key.len() < MIN_CURSOR_KEY_BYTES {
        return Err(ConfigError {
            var: "CURSOR_KEY",
            problem: "must be at least 16 bytes",
        });
    }
    let settle = Duration::from_secs(env.number("CHANGES_SETTLE_SECONDS", 30)?);
    // A fact is placed in the feed as its write is sent and is visible within the SDK's
    // operation timeout; a window shorter than twice that could serve past a write in flight.
    if settle < 2 * crate::aws::OPERATION_TIMEOUT {
        return Err(ConfigError {
            var: "CHANGES_SETTLE_SECONDS",
            problem: "must be at least 16: twice the longest a write can take (8 s)",
        });
    }
    Ok(ReadSettings {
        table,
        pull: PullSettings {
            cursors: CursorKey::new(key.into_bytes()),
            settle,
        },
    })
}

/// What the events function needs: `TABLE_NAME` (a message's lead is looked up there),
/// `EVENT_BUS_NAME`, `METRICS_NAMESPACE`.
#[derive(Debug, Clone)]
pub struct EventsSettings {
    pub table: String,
    pub bus_name: String,
    pub metrics_namespace: Option<String>,
}

pub fn events_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<EventsSettings, ConfigError> {
    Ok(EventsSettings {
        table: table_name(env)?,
        bus_name: env.required("EVENT_BUS_NAME")?,
        metrics_namespace: metrics_namespace(env),
    })
}

/// What the speed-to-lead function needs.
#[derive(Debug, Clone)]
pub struct SpeedSettings {
    pub table: String,
    /// `REPLY_QUEUE_URL`: where the acknowledgement goes, as any reply.
    pub queue_url: String,
    /// `SCHEDULE_GROUP`: the stack's EventBridge Scheduler group.
    pub schedule_group: String,
    /// `SCHEDULER_ROLE_ARN`: the role schedules invoke the function with.
    pub scheduler_role_arn: String,
    /// `SCHEDULE_DEAD_LETTER_ARN`: the standard SQS queue a wake-up goes to when Scheduler gives
    /// up on delivering it.
    pub schedule_dead_letter_arn: String,
    pub metrics_namespace: Option<String>,
    /// `ACKNOWLEDGE_WITHIN_MINUTES` (15): a lead created longer ago is neither acknowledged nor
    /// checked for an answer.
    pub fresh_within: Duration,
}

pub fn speed_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<SpeedSettings, ConfigError> {
    Ok(SpeedSettings {
        table: table_name(env)?,
        queue_url: env.required("REPLY_QUEUE_URL")?,
        schedule_group: env.required("SCHEDULE_GROUP")?,
        scheduler_role_arn: env.required("SCHEDULER_ROLE_ARN")?,
        schedule_dead_letter_arn: env.required("SCHEDULE_DEAD_LETTER_ARN")?,
        metrics_namespace: metrics_namespace(env),
        fresh_within: Duration::from_secs(
            60 * env.number(
                "ACKNOWLEDGE_WITHIN_MINUTES",
                app::speed::DEFAULT_FRESH_WITHIN.as_secs() / 60,
            )?,
        ),
    })
}

/// What the reply function needs.
#[derive(Debug, Clone)]
pub struct ReplySettings {
    pub table: String,
    pub queue_url: String,
    pub dlq_url: String,
    pub thumbtack: ThumbtackSettings,
    /// `THUMBTACK_CREDENTIALS_SECRET_ARN`, or `THUMBTACK_API_USERNAME` and `THUMBTACK_API_PASSWORD`.
    pub thumbtack_credentials: CredentialSetting,
    pub policy: RetryPolicy,
    pub metrics_namespace: Option<String>,
}

/// What the connections function needs (issue 22): the table, Thumbtack's v4 OAuth server and
/// API, our client there, and how the flow is sealed and where it may send pros back to.
#[derive(Debug, Clone)]
pub struct ConnectionsSettings {
    pub table: String,
    /// `THUMBTACK_V4_API_BASE_URL` (`https://api.thumbtack.com/api`; v4 paths under it).
    pub api: ThumbtackSettings,
    /// `THUMBTACK_V4_AUTH_URL`, `THUMBTACK_V4_TOKEN_URL` and the redirect URI,
    /// `<PUBLIC_API_URL>/v1/connections/callback`.
    pub oauth: crate::connect::OAuthUrls,
    /// `THUMBTACK_V4_CLIENT_SECRET_ARN` (`{"username": <client id>, "password": <client
    /// secret>}`: the token endpoint takes them as HTTP Basic), or `THUMBTACK_V4_CLIENT_ID` and
    /// `THUMBTACK_V4_CLIENT_SECRET`.
    pub client: CredentialSetting,
    /// `TOKEN_KEY_ID`: the KMS key the tokens are sealed with.
    pub token_key_id: String,
    /// `CONNECT_STATE_KEY` (at least 32 bytes; a generated secret in AWS), `CONNECT_RETURN_URLS`
    /// (comma-separated allow-list), and the webhook base `<PUBLIC_API_URL>/v4/webhooks`.
    pub connect: app::connections::ConnectSettings,
}

/// Thumbtack's production v4 endpoints (facts §1.1), unless set.
pub const V4_AUTH_URL: &str = "https://auth.thumbtack.com/oauth2/auth";
pub const V4_TOKEN_URL: &str = "https://auth.thumbtack.com/oauth2/token";
pub const V4_API_BASE_URL: &str = "https://api.thumbtack.com/api";

/// Where the pro's browser comes back to, under the API's public URL.
pub const CALLBACK_PATH: &str = "/v1/connections/callback";
/// Where a business's webhook deliveries go, under the API's public URL: `/{businessID}` after it.
pub const V4_WEBHOOK_PATH: &str = "/v4/webhooks";

fn http_url<F: Fn(&str) -> Option<String>>(
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

/// `TABLE_NAME`, `TOKEN_KEY_ID`, `PUBLIC_API_URL` (the API's own base URL, which the redirect URI
/// and the webhook URLs are built on), the v4 URLs and client (see [`ConnectionsSettings`]),
/// `THUMBTACK_TIMEOUT_SECONDS`, `CONNECT_STATE_KEY`, `CONNECT_RETURN_URLS`.
pub fn connections_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<ConnectionsSettings, ConfigError> {
    let public = http_url(env, "PUBLIC_API_URL", None)?;
    let auth = http_url(env, "THUMBTACK_V4_AUTH_URL", Some(V4_AUTH_URL))?;
    let token = http_url(env, "THUMBTACK_V4_TOKEN_URL", Some(V4_TOKEN_URL))?;
    let api = http_url(env, "THUMBTACK_V4_API_BASE_URL", Some(V4_API_BASE_URL))?;
    let redirect = format!("{public}{CALLBACK_PATH}");
    let oauth =
        crate::connect::OAuthUrls::new(&auth, &token, &redirect).map_err(|_| ConfigError {
            var: "PUBLIC_API_URL",
            problem: "must make a valid redirect URI",
        })?;
    let key = env.required("CONNECT_STATE_KEY")?;
    if key.len() < app::connections::state::MIN_STATE_KEY_BYTES {
        return Err(ConfigError {
            var: "CONNECT_STATE_KEY",
            problem: "must be at least 32 bytes",
        });
    }
    let return_urls = app::connections::ReturnUrls::parse(
        env.optional("CONNECT_RETURN_URLS")
            .unwrap_or_default()
            .split(','),
    )
    .map_err(|_| ConfigError {
        var: "CONNECT_RETURN_URLS",
        problem: "must be a comma-separated list of http(s) URLs",
    })?;
    let timeout = thumbtack_timeout(env)?;
    Ok(ConnectionsSettings {
        table: table_name(env)?,
        api: ThumbtackSettings {
            base_url: api,
            connect_timeout: THUMBTACK_CONNECT_TIMEOUT.min(timeout),
            timeout,
        },
        oauth,
        client: credential_setting(
            env,
            "THUMBTACK_V4_CLIENT_SECRET_ARN",
            "THUMBTACK_V4_CLIENT_ID",
            "THUMBTACK_V4_CLIENT_SECRET",
        )?,
        token_key_id: env.required("TOKEN_KEY_ID")?,
        connect: app::connections::ConnectSettings {
            state_key: app::connections::state::StateKey::new(key.into_bytes()),
            return_urls,
            webhook_base_url: format!("{public}{V4_WEBHOOK_PATH}"),
        },
    })
}

/// The longest the connection to Thumbtack may take to open (bounded by the whole request's).
const THUMBTACK_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A try's budget beyond the request's own timeout (`RetryPolicy::attempt_budget`): a margin.
const ATTEMPT_MARGIN: Duration = Duration::from_secs(2);
/// The longest redelivery delay, unless the first one is longer.
const REDELIVERY_CAP: Duration = Duration::from_secs(900);

/// `REPLY_QUEUE_URL`, `REPLY_DLQ_URL`, `THUMBTACK_API_BASE_URL` (default
/// `https://api.thumbtack.com`), Thumbtack's credentials and timeout, and the retry policy
/// ([`reply_policy`]), plus `TABLE_NAME` and `METRICS_NAMESPACE`.
pub fn reply_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<ReplySettings, ConfigError> {
    let base_url = env
        .optional("THUMBTACK_API_BASE_URL")
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        return Err(ConfigError {
            var: "THUMBTACK_API_BASE_URL",
            problem: "must be an http(s) URL",
        });
    }
    let timeout = thumbtack_timeout(env)?;
    Ok(ReplySettings {
        table: table_name(env)?,
        queue_url: env.required("REPLY_QUEUE_URL")?,
        dlq_url: env.required("REPLY_DLQ_URL")?,
        thumbtack: ThumbtackSettings {
            base_url,
            connect_timeout: THUMBTACK_CONNECT_TIMEOUT.min(timeout),
            timeout,
        },
        thumbtack_credentials: credential_setting(
            env,
            "THUMBTACK_CREDENTIALS_SECRET_ARN",
            "THUMBTACK_API_USERNAME",
            "THUMBTACK_API_PASSWORD",
        )?,
        policy: reply_policy(env)?,
        metrics_namespace: metrics_namespace(env),
    })
}

/// `THUMBTACK_TIMEOUT_SECONDS` (10): the whole request to Thumbtack.
fn thumbtack_timeout<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(
        env.number("THUMBTACK_TIMEOUT_SECONDS", 10)?,
    ))
}

/// The reply function's retry policy: `REPLY_MAX_ATTEMPTS` (5: tries of a reply, as the ledger
/// counts them, before it is failed and parked; the queue's maxReceiveCount is a backstop well
/// above it), `REPLY_RETRY_BASE_SECONDS` (30: the first redelivery delay, doubling up to 15
/// minutes), and a try's budget from `THUMBTACK_TIMEOUT_SECONDS`.
pub fn reply_policy<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<RetryPolicy, ConfigError> {
    let max_attempts = env.number("REPLY_MAX_ATTEMPTS", 5)?;
    let retry_base = Duration::from_secs(env.number("REPLY_RETRY_BASE_SECONDS", 30)?);
    Ok(RetryPolicy {
        max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
        redelivery_base: retry_base,
        redelivery_cap: REDELIVERY_CAP.max(retry_base),
        attempt_budget: thumbtack_timeout(env)?.saturating_add(ATTEMPT_MARGIN),
        ..RetryPolicy::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Env::with(move |var| map.get(var).cloned())
    }

    #[test]
    fn a_missing_or_blank_variable_is_named_in_the_error() {
        let error = table_name(&env(&[("TABLE_NAME", "  ")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration error: TABLE_NAME must be set"
        );
        let error = inbound_settings(&env(&[("TABLE_NAME", "t"), ("PARTNER_API_USERNAME", "u")]))
            .unwrap_err();
        assert_eq!(error.var, "PARTNER_API_PASSWORD");
    }

    #[test]
    fn reply_settings_take_defaults_and_refuse_bad_numbers() {
        let vars = [
            ("TABLE_NAME", "t"),
            ("REPLY_QUEUE_URL", "http://q"),
            ("REPLY_DLQ_URL", "http://d"),
            ("THUMBTACK_API_USERNAME", "partner"),
            ("THUMBTACK_API_PASSWORD", "secret"),
        ];
        let settings = reply_settings(&env(&vars)).unwrap();
        assert_eq!(settings.thumbtack.base_url, "https://api.thumbtack.com");
        assert_eq!(settings.thumbtack.timeout, Duration::from_secs(10));
        assert_eq!(settings.policy.max_attempts, 5);
        assert!(!format!("{settings:?}").contains("secret"));

        let mut bad = vars.to_vec();
        bad.push(("REPLY_MAX_ATTEMPTS", "0"));
        assert_eq!(
            reply_settings(&env(&bad)).unwrap_err().var,
            "REPLY_MAX_ATTEMPTS"
        );
        let mut bad = vars.to_vec();
        bad.push(("THUMBTACK_API_BASE_URL", "api.thumbtack.com"));
        assert_eq!(
            reply_settings(&env(&bad)).unwrap_err().var,
            "THUMBTACK_API_BASE_URL"
        );
    }

    #[test]
    fn a_secret_arn_takes_the_place_of_the_username_and_password() {
        let settings = inbound_settings(&env(&[
            ("TABLE_NAME", "t"),
            (
                "PARTNER_CREDENTIALS_SECRET_ARN",
                "arn:aws:secretsmanager:us-east-1:1:secret:p",
            ),
            ("SECRETS_CACHE_SECONDS", "60"),
        ]))
        .unwrap();
        assert!(matches!(
            settings.credentials,
            CredentialSetting::Secret { cache, .. } if cache == Duration::from_secs(60)
        ));
        assert_eq!(settings.metrics_namespace, None);
    }

    #[test]
    fn the_read_function_takes_its_cursor_key_and_the_settle_window_of_the_changes_feed() {
        let key = "k".repeat(32);
        let settings = read_settings(&env(&[("TABLE_NAME", "t"), ("CURSOR_KEY", &key)])).unwrap();
        assert_eq!(settings.table, "t");
        assert_eq!(settings.pull.settle, Duration::from_secs(30));
        let cursor = settings.pull.cursors.seal("scope", "position");
        let same_key = app::paging::CursorKey::new(key.clone().into_bytes());
        assert_eq!(same_key.open("scope", &cursor).as_deref(), Ok("position"));
        assert!(!format!("{settings:?}").contains(&key), "{settings:?}");

        let settled = read_settings(&env(&[
            ("TABLE_NAME", "t"),
            ("CURSOR_KEY", &key),
            ("CHANGES_SETTLE_SECONDS", "16"),
        ]))
        .unwrap();
        assert_eq!(settled.pull.settle, Duration::from_secs(16));
        for (vars, var) in [
            (vec![("TABLE_NAME", "t")], "CURSOR_KEY"),
            (
                vec![("TABLE_NAME", "t"), ("CURSOR_KEY", "short")],
                "CURSOR_KEY",
            ),
            (
                vec![
                    ("TABLE_NAME", "t"),
                    ("CURSOR_KEY", &key),
                    ("CHANGES_SETTLE_SECONDS", "0"),
                ],
                "CHANGES_SETTLE_SECONDS",
            ),
            // Shorter than twice a write's longest: a write in flight could land behind a reader.
            (
                vec![
                    ("TABLE_NAME", "t"),
                    ("CURSOR_KEY", &key),
                    ("CHANGES_SETTLE_SECONDS", "15"),
                ],
                "CHANGES_SETTLE_SECONDS",
            ),
        ] {
            assert_eq!(read_settings(&env(&vars)).unwrap_err().var, var);
        }
    }

    fn connections_vars() -> Vec<(&'static str, &'static str)> {
        vec![
            ("TABLE_NAME", "t"),
            ("TOKEN_KEY_ID", "alias/tokens"),
            ("PUBLIC_API_URL", "https://api.partner.example/Prod/"),
            ("THUMBTACK_V4_CLIENT_ID", "client-1"),
            ("THUMBTACK_V4_CLIENT_SECRET", "client-secret-1"),
            ("CONNECT_STATE_KEY", "s".repeat(32).leak()),
            (
                "CONNECT_RETURN_URLS",
                "https://partner.example/app, http://127.0.0.1:9000",
            ),
        ]
    }

    #[test]
    fn the_connections_settings_default_to_thumbtack_production_and_derive_their_urls_from_the_api()
    {
        let settings = connections_settings(&env(&connections_vars())).unwrap();
        assert_eq!(settings.api.base_url, "https://api.thumbtack.com/api");
        assert_eq!(
            settings.oauth.redirect_uri(),
            "https://api.partner.example/Prod/v1/connections/callback"
        );
        assert_eq!(
            settings.connect.webhook_url("123"),
            "https://api.partner.example/Prod/v4/webhooks/123"
        );
        assert!(
            settings
                .connect
                .return_urls
                .allows("http://127.0.0.1:9000/x")
        );
        assert!(
            !settings
                .connect
                .return_urls
                .allows("https://other.example/")
        );
        let CredentialSetting::Fixed(client) = &settings.client else {
            panic!("{:?}", settings.client)
        };
        assert_eq!(client.username, "client-1");
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("client-secret-1") && !debug.contains("ssss"),
            "{debug}"
        );
    }

    #[test]
    fn the_connections_settings_take_the_simulator_s_urls_and_refuse_a_short_key_or_a_bad_url() {
        let mut vars = connections_vars();
        vars.push(("THUMBTACK_V4_AUTH_URL", "http://127.0.0.1:4010/oauth2/auth"));
        vars.push(("THUMBTACK_V4_API_BASE_URL", "http://127.0.0.1:4010/api"));
        let settings = connections_settings(&env(&vars)).unwrap();
        assert_eq!(settings.api.base_url, "http://127.0.0.1:4010/api");
        for (var, value) in [
            ("CONNECT_STATE_KEY", "too-short"),
            ("CONNECT_RETURN_URLS", "partner.example"),
            ("PUBLIC_API_URL", "api.partner.example"),
            ("THUMBTACK_V4_TOKEN_URL", "auth.example/token"),
        ] {
            let mut bad = connections_vars();
            bad.retain(|(k, _)| *k != var);
            bad.push((var, value));
            assert_eq!(connections_settings(&env(&bad)).unwrap_err().var, var);
        }
        let mut secret = connections_vars();
        secret.retain(|(k, _)| !k.starts_with("THUMBTACK_V4_CLIENT"));
        secret.push((
            "THUMBTACK_V4_CLIENT_SECRET_ARN",
            "arn:aws:secretsmanager:us-east-1:1:secret:v4",
        ));
        assert!(
            connections_settings(&env(&secret))
                .unwrap()
                .client
                .is_read_at_init()
        );
    }

    #[test]
    fn a_username_with_a_colon_is_refused() {
        let error = inbound_settings(&env(&[
            ("TABLE_NAME", "t"),
            ("PARTNER_API_USERNAME", "a:b"),
            ("PARTNER_API_PASSWORD", "p"),
        ]))
        .unwrap_err();
        assert_eq!(error.var, "PARTNER_API_USERNAME");
    }

    #[test]
    fn the_error_never_contains_the_password() {
        let settings = inbound_settings(&env(&[
            ("TABLE_NAME", "t"),
            ("PARTNER_API_USERNAME", "thumbtack"),
            ("PARTNER_API_PASSWORD", "hunter2"),
        ]))
        .unwrap();
        assert!(format!("{settings:?}").contains("thumbtack"));
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
