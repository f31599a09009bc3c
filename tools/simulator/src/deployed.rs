//! The simulator as a function of a non-production stage (`SimulatorEnabled=true`): its settings
//! from the environment the template sets, the stage's credentials from Secrets Manager, its state
//! in the stage's table. Nothing runs after an answer there (see `deliveries::run`).

use crate::config::{Config, PartnerCredentials};
use crate::state::Shared;
use crate::store::DynamoStore;
use aws_sdk_secretsmanager::Client as Secrets;
use std::sync::Arc;

/// What the template gives the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub table: String,
    /// The stage's API base URL: where legacy deliveries go.
    pub partner_url: String,
    /// `{"username", "password"}` Thumbtack presents to the stage (the simulator plays Thumbtack).
    pub partner_credentials_secret: String,
    /// `{"username", "password"}` the stage's reply function presents to Thumbtack.
    pub thumbtack_credentials_secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("secret {0} could not be read: {1}")]
    Secret(String, String),
    #[error("secret {0} is not {{\"username\", \"password\"}}")]
    SecretShape(String),
}

impl Settings {
    /// `TABLE_NAME`, `SIM_PARTNER_URL`, `PARTNER_CREDENTIALS_SECRET_ARN`,
    /// `THUMBTACK_CREDENTIALS_SECRET_ARN`, read once at start.
    pub fn from(var: impl Fn(&str) -> Option<String>) -> Result<Self, InitError> {
        let need = |name: &'static str| {
            var(name)
                .filter(|v| !v.is_empty())
                .ok_or(InitError::Missing(name))
        };
        Ok(Settings {
            table: need("TABLE_NAME")?,
            partner_url: need("SIM_PARTNER_URL")?,
            partner_credentials_secret: need("PARTNER_CREDENTIALS_SECRET_ARN")?,
            thumbtack_credentials_secret: need("THUMBTACK_CREDENTIALS_SECRET_ARN")?,
        })
    }
}

/// The simulator's configuration for the stage: https webhooks only, legacy deliveries to the
/// stage with its own credential, replies accepted with the credential the stage sends. The
/// credentials stay in the process: never in the stored state, never in `GET /sim/settings`.
pub fn config(
    settings: &Settings,
    partner: PartnerCredentials,
    thumbtack: PartnerCredentials,
) -> Config {
    let mut config = Config {
        local_mode: false,
        legacy_reply_username: thumbtack.username,
        legacy_reply_password: thumbtack.password,
        partner_credentials: Some(partner),
        ..Config::default()
    };
    config.settings.legacy_partner_url = Some(settings.partner_url.clone());
    config
}

/// Everything the function needs, built once per instance.
pub async fn init() -> Result<Arc<Shared>, Box<dyn std::error::Error + Send + Sync>> {
    let settings = Settings::from(|name| std::env::var(name).ok())?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = Secrets::new(&sdk);
    let partner = credentials(&secrets, &settings.partner_credentials_secret).await?;
    let thumbtack = credentials(&secrets, &settings.thumbtack_credentials_secret).await?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &settings.table);
    Ok(Arc::new(Shared::stored(
        config(&settings, partner, thumbtack),
        Arc::new(store),
    )))
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

    fn settings() -> Settings {
        Settings {
            table: "t".into(),
            partner_url: "https://api.example".into(),
            partner_credentials_secret: "arn:p".into(),
            thumbtack_credentials_secret: "arn:t".into(),
        }
    }

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
            "SIM_PARTNER_URL",
            "PARTNER_CREDENTIALS_SECRET_ARN",
            "THUMBTACK_CREDENTIALS_SECRET_ARN",
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
        let config = config(&settings(), pair("stage-user"), pair("partner"));
        assert!(!config.local_mode);
        assert_eq!(
            config.settings.legacy_partner_url.as_deref(),
            Some("https://api.example")
        );
        assert_eq!(config.legacy_reply_username, "partner");
        assert_eq!(config.legacy_reply_password, "partner-password");
        let shown = serde_json::to_string(&config.settings).expect("settings serialise");
        assert!(!shown.contains("stage-user-password"), "{shown}");
    }
}
