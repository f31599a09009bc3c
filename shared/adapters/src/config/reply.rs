//! The reply function's settings and its retry policy.

use super::connections::{V4_AUTH_URL, V4_TOKEN_URL, v4_api_and_client};
use super::{
    ConfigError, Env, THUMBTACK_CONNECT_TIMEOUT, credential_setting, http_url, metrics_namespace,
    table_name, thumbtack_timeout,
};
use crate::secrets::CredentialSetting;
use crate::thumbtack::{DEFAULT_BASE_URL, ThumbtackSettings};
use app::replies::RetryPolicy;
use std::time::Duration;

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
    /// Replies through v4 for connected businesses and v4 leads; `None` (every reply through
    /// legacy) unless `TOKEN_KEY_ID` is set.
    pub v4: Option<ReplyV4Settings>,
}

/// What a v4 reply needs: the v4 API, the pro's tokens (the key they are sealed with) and how
/// they are refreshed (our v4 client at Thumbtack's token endpoint).
#[derive(Debug, Clone)]
pub struct ReplyV4Settings {
    /// `THUMBTACK_V4_API_BASE_URL` (`https://api.thumbtack.com/api`).
    pub api: ThumbtackSettings,
    /// `THUMBTACK_V4_TOKEN_URL`.
    pub oauth: crate::connect::OAuthUrls,
    /// `THUMBTACK_V4_CLIENT_SECRET_ARN`, or `THUMBTACK_V4_CLIENT_ID` and
    /// `THUMBTACK_V4_CLIENT_SECRET`.
    pub client: CredentialSetting,
    /// `TOKEN_KEY_ID`: the KMS key the tokens are sealed with.
    pub token_key_id: String,
}

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
        v4: reply_v4_settings(env, timeout)?,
    })
}

/// [`ReplyV4Settings`] when `TOKEN_KEY_ID` is set.
fn reply_v4_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    timeout: Duration,
) -> Result<Option<ReplyV4Settings>, ConfigError> {
    let Some(token_key_id) = env.optional("TOKEN_KEY_ID") else {
        return Ok(None);
    };
    let (api, client) = v4_api_and_client(env, timeout)?;
    let token = http_url(env, "THUMBTACK_V4_TOKEN_URL", Some(V4_TOKEN_URL))?;
    // The client wants an authorization URL and a redirect URI; only the consent flow uses
    // them, never a refresh.
    let oauth =
        crate::connect::OAuthUrls::new(V4_AUTH_URL, &token, &api.base_url).map_err(|_| {
            ConfigError {
                var: "THUMBTACK_V4_TOKEN_URL",
                problem: "must be a URL",
            }
        })?;
    Ok(Some(ReplyV4Settings {
        api,
        oauth,
        client,
        token_key_id,
    }))
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
    use crate::config::testing::env;

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
        assert!(settings.v4.is_none(), "v4 only with TOKEN_KEY_ID");

        let mut v4 = vars.to_vec();
        v4.extend([
            ("TOKEN_KEY_ID", "alias/tokens"),
            ("THUMBTACK_V4_CLIENT_ID", "client-1"),
            ("THUMBTACK_V4_CLIENT_SECRET", "client-secret-1"),
        ]);
        let settings = reply_settings(&env(&v4)).unwrap().v4.unwrap();
        assert_eq!(settings.api.base_url, "https://api.thumbtack.com/api");
        assert_eq!(settings.token_key_id, "alias/tokens");
        assert!(!format!("{settings:?}").contains("client-secret-1"));

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
}
