//! The connections function's settings (issue 22): Thumbtack's v4 OAuth server and API, our
//! client there, the key of its tokens, and how the flow is sealed.

use super::{
    ConfigError, Env, THUMBTACK_CONNECT_TIMEOUT, credential_setting, http_url, metrics_namespace,
    table_name, thumbtack_timeout,
};
use crate::secrets::CredentialSetting;
use crate::thumbtack::ThumbtackSettings;

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
    /// `METRICS_NAMESPACE`: where a broken connection is counted (`ConnectionsBroken`).
    pub metrics_namespace: Option<String>,
}

/// Thumbtack's production v4 endpoints (facts §1.1), unless set.
pub const V4_AUTH_URL: &str = "https://auth.thumbtack.com/oauth2/auth";
pub const V4_TOKEN_URL: &str = "https://auth.thumbtack.com/oauth2/token";
pub const V4_API_BASE_URL: &str = "https://api.thumbtack.com/api";

/// Where the pro's browser comes back to, under the API's public URL.
pub const CALLBACK_PATH: &str = "/v1/connections/callback";
/// Where a business's webhook deliveries go, under the API's public URL: `/{businessID}` after it.
pub const V4_WEBHOOK_PATH: &str = "/v4/webhooks";

/// Names the SSM parameter that holds the API's public URL, where `PUBLIC_API_URL` cannot be set:
/// in AWS, the function's routes make the API refer to the function, so the function's
/// environment cannot refer to the API. Its init reads the parameter
/// (`adapters::parameters::read_parameter`) and hands the value on as `PUBLIC_API_URL`
/// ([`Env::answering`]).
pub const PUBLIC_API_URL_PARAMETER: &str = "PUBLIC_API_URL_PARAMETER";

/// The parameter to read the API's public URL from, if one is named.
pub fn public_api_url_parameter<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Option<String> {
    env.optional(PUBLIC_API_URL_PARAMETER)
}

/// Thumbtack's v4 API (`THUMBTACK_V4_API_BASE_URL`, its requests bounded by `timeout`) and our
/// client there (`THUMBTACK_V4_CLIENT_SECRET_ARN`, or `THUMBTACK_V4_CLIENT_ID` and
/// `THUMBTACK_V4_CLIENT_SECRET`): what every function that calls v4 reads alike.
pub(super) fn v4_api_and_client<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    timeout: std::time::Duration,
) -> Result<(ThumbtackSettings, CredentialSetting), ConfigError> {
    let api = ThumbtackSettings {
        base_url: http_url(env, "THUMBTACK_V4_API_BASE_URL", Some(V4_API_BASE_URL))?,
        connect_timeout: THUMBTACK_CONNECT_TIMEOUT.min(timeout),
        timeout,
    };
    let client = credential_setting(
        env,
        "THUMBTACK_V4_CLIENT_SECRET_ARN",
        "THUMBTACK_V4_CLIENT_ID",
        "THUMBTACK_V4_CLIENT_SECRET",
    )?;
    Ok((api, client))
}

/// `TABLE_NAME`, `TOKEN_KEY_ID`, `PUBLIC_API_URL` (the API's own base URL, which the redirect URI
/// and the webhook URLs are built on), the v4 URLs and client (see [`ConnectionsSettings`]),
/// `THUMBTACK_TIMEOUT_SECONDS`, `CONNECT_STATE_KEY`, `CONNECT_RETURN_URLS`, `METRICS_NAMESPACE`.
pub fn connections_settings<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<ConnectionsSettings, ConfigError> {
    let public = http_url(env, "PUBLIC_API_URL", None)?;
    let auth = http_url(env, "THUMBTACK_V4_AUTH_URL", Some(V4_AUTH_URL))?;
    let token = http_url(env, "THUMBTACK_V4_TOKEN_URL", Some(V4_TOKEN_URL))?;
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
    let (api, client) = v4_api_and_client(env, thumbtack_timeout(env)?)?;
    Ok(ConnectionsSettings {
        table: table_name(env)?,
        api,
        oauth,
        client,
        token_key_id: env.required("TOKEN_KEY_ID")?,
        connect: app::connections::ConnectSettings {
            state_key: app::connections::state::StateKey::new(key.into_bytes()),
            return_urls,
            webhook_base_url: format!("{public}{V4_WEBHOOK_PATH}"),
        },
        metrics_namespace: metrics_namespace(env),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::env;

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
        assert_eq!(settings.metrics_namespace, None, "none locally");
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
    fn the_api_s_url_read_from_its_parameter_takes_the_place_of_the_variable() {
        let mut vars = connections_vars();
        vars.retain(|(k, _)| *k != "PUBLIC_API_URL");
        vars.push((
            PUBLIC_API_URL_PARAMETER,
            "/thumbtack-partner/dev/public-api-url",
        ));
        let env = env(&vars);
        assert_eq!(
            connections_settings(&env).unwrap_err().var,
            "PUBLIC_API_URL",
            "the parameter's name is not the URL"
        );
        let name = public_api_url_parameter(&env);
        assert_eq!(
            name.as_deref(),
            Some("/thumbtack-partner/dev/public-api-url")
        );
        let read = Some("https://abc.execute-api.us-east-1.amazonaws.com".to_owned());
        let settings = connections_settings(&env.answering("PUBLIC_API_URL", read)).unwrap();
        assert_eq!(
            settings.oauth.redirect_uri(),
            "https://abc.execute-api.us-east-1.amazonaws.com/v1/connections/callback"
        );
        // Without a value, the variable is read as it is.
        assert!(connections_settings(&env.answering("PUBLIC_API_URL", None)).is_err());
    }
}
