//! The simulator as a function of a non-production stage (`SimulatorEnabled=true`): its settings
//! from the environment the template sets, the stage's credentials from Secrets Manager, the
//! stage's API URL from the SSM parameter the stack writes, its state in the stage's table.
//! Nothing runs after an answer there (see `deliveries::run`).
//!
//! The API's URL comes from a parameter, not the environment: the stage's connections function
//! names this function's URL (its v4 URLs) and the API names the connections function (its
//! routes), so this function naming the API would close a circle CloudFormation refuses.

use crate::config::{Config, PartnerCredentials};
use crate::state::Shared;
use crate::store::DynamoStore;
use aws_sdk_secretsmanager::Client as Secrets;
use std::sync::Arc;

/// What the template gives the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub table: String,
    /// The SSM parameter holding the stage's API base URL: where legacy deliveries go, and what
    /// the stage's v4 redirect URI is under.
    pub partner_url_parameter: String,
    /// `{"username", "password"}` Thumbtack presents to the stage (the simulator plays Thumbtack).
    pub partner_credentials_secret: String,
    /// `{"username", "password"}` the stage's reply function presents to Thumbtack.
    pub thumbtack_credentials_secret: String,
    /// `{"username": <client id>, "password": <client secret>}`: the stage's v4 OAuth client,
    /// the one client this simulator knows.
    pub v4_client_secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("secret {0} could not be read: {1}")]
    Secret(String, String),
    #[error("secret {0} is not {{\"username\", \"password\"}}")]
    SecretShape(String),
    #[error("parameter {0} could not be read: {1}")]
    Parameter(String, String),
}

impl Settings {
    /// `TABLE_NAME`, `SIM_PARTNER_URL_PARAMETER`, `PARTNER_CREDENTIALS_SECRET_ARN`,
    /// `THUMBTACK_CREDENTIALS_SECRET_ARN`, `THUMBTACK_V4_CLIENT_SECRET_ARN`, read once at start.
    pub fn from(var: impl Fn(&str) -> Option<String>) -> Result<Self, InitError> {
        let need = |name: &'static str| {
            var(name)
                .filter(|v| !v.is_empty())
                .ok_or(InitError::Missing(name))
        };
        Ok(Settings {
            table: need("TABLE_NAME")?,
            partner_url_parameter: need("SIM_PARTNER_URL_PARAMETER")?,
            partner_credentials_secret: need("PARTNER_CREDENTIALS_SECRET_ARN")?,
            thumbtack_credentials_secret: need("THUMBTACK_CREDENTIALS_SECRET_ARN")?,
            v4_client_secret: need("THUMBTACK_V4_CLIENT_SECRET_ARN")?,
        })
    }
}

/// What the stage's secrets and parameter hold.
#[derive(Debug)]
pub struct Stage {
    /// The stage's API base URL.
    pub partner_url: String,
    pub partner: PartnerCredentials,
    pub thumbtack: PartnerCredentials,
    pub v4_client: PartnerCredentials,
}

/// The simulator's configuration for the stage: https webhooks only, legacy deliveries to the
/// stage with its own credential, replies accepted with the credential the stage sends, and one
/// OAuth client, the stage's, redirecting to the stage's callback. The credentials stay in the
/// process: never in the stored state, never in `GET /sim/settings`.
pub fn config(stage: Stage) -> Config {
    let Stage {
        partner_url,
        partner,
        thumbtack,
        v4_client,
    } = stage;
    let mut config = Config {
        local_mode: false,
        legacy_reply_username: thumbtack.username,
        legacy_reply_password: thumbtack.password,
        partner_credentials: Some(partner),
        ..Config::default()
    };
    for client in &mut config.clients {
        client.client_id = v4_client.username.clone();
        client.client_secret = v4_client.password.clone();
        client.redirect_uris = vec![format!(
            "{}/v1/connections/callback",
            partner_url.trim_end_matches('/')
        )];
    }
    config.settings.legacy_partner_url = Some(partner_url);
    config
}

/// Everything the function needs, built once per instance.
pub async fn init() -> Result<Arc<Shared>, Box<dyn std::error::Error + Send + Sync>> {
    let settings = Settings::from(|name| std::env::var(name).ok())?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = Secrets::new(&sdk);
    let stage = Stage {
        partner_url: parameter(&sdk, &settings.partner_url_parameter).await?,
        partner: credentials(&secrets, &settings.partner_credentials_secret).await?,
        thumbtack: credentials(&secrets, &settings.thumbtack_credentials_secret).await?,
        v4_client: credentials(&secrets, &settings.v4_client_secret).await?,
    };
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &settings.table);
    Ok(Arc::new(Shared::stored(config(stage), Arc::new(store))))
}

async fn parameter(sdk: &aws_config::SdkConfig, name: &str) -> Result<String, InitError> {
    let output = aws_sdk_ssm::Client::new(sdk)
        .get_parameter()
        .name(name)
        .send()
        .await
        .map_err(|e| {
            let cause = aws_sdk_ssm::error::DisplayErrorContext(e).to_string();
            InitError::Parameter(name.to_owned(), cause)
        })?;
    output
        .parameter
        .and_then(|p| p.value)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| InitError::Parameter(name.to_owned(), "no value".to_owned()))
}

async fn credentials(secrets: &Secrets, arn: &str) -> Result<PartnerCredentials, InitError> {
    let value = secrets
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            let cause = aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string();
            InitError::Secret(arn.to_owned(), cause)
        })?;
    value
        .secret_string()
        .and_then(|text| serde_json::from_str::<PartnerCredentials>(text).ok())
        .ok_or_else(|| InitError::SecretShape(arn.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(username: &str) -> PartnerCredentials {
        PartnerCredentials {
            username: username.into(),
            password: format!("{username}-password"),
        }
    }

    #[test]
    fn every_setting_is_required() {
        for missing in [
            "TABLE_NAME",
            "SIM_PARTNER_URL_PARAMETER",
            "PARTNER_CREDENTIALS_SECRET_ARN",
            "THUMBTACK_CREDENTIALS_SECRET_ARN",
            "THUMBTACK_V4_CLIENT_SECRET_ARN",
        ] {
            let error = Settings::from(|name| (name != missing).then(|| "x".to_owned()));
            assert!(
                matches!(error, Err(InitError::Missing(name)) if name == missing),
                "{missing}"
            );
        }
    }

    #[test]
    fn the_stage_config_delivers_to_the_stage_and_keeps_its_credentials_out_of_the_settings() {
        let config = config(Stage {
            partner_url: "https://api.example".into(),
            partner: pair("stage-user"),
            thumbtack: pair("partner"),
            v4_client: pair("v4-client"),
        });
        assert!(!config.local_mode);
        assert_eq!(
            config.settings.legacy_partner_url.as_deref(),
            Some("https://api.example")
        );
        assert_eq!(config.legacy_reply_username, "partner");
        assert_eq!(config.legacy_reply_password, "partner-password");
        let shown = serde_json::to_string(&config.settings).expect("settings serialise");
        assert!(!shown.contains("stage-user-password"), "{shown}");
        assert!(!shown.contains("v4-client-password"), "{shown}");
    }

    #[test]
    fn the_stage_s_v4_client_is_the_one_client_and_redirects_to_the_stage_s_callback() {
        let config = config(Stage {
            partner_url: "https://api.example/".into(),
            partner: pair("stage-user"),
            thumbtack: pair("partner"),
            v4_client: pair("v4-client"),
        });
        assert_eq!(config.clients.len(), 1);
        let client = &config.clients[0];
        assert_eq!(client.client_id, "v4-client");
        assert_eq!(client.client_secret, "v4-client-password");
        assert_eq!(
            client.redirect_uris,
            ["https://api.example/v1/connections/callback"]
        );
    }
}
