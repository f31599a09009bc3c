//! The inbound functions' settings (leads, messages).

use super::{ConfigError, Env, credential_setting, metrics_namespace, table_name};
use crate::secrets::CredentialSetting;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::env;
    use std::time::Duration;

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
