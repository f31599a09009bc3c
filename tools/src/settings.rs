//! The local stack's settings: environment variables with documented defaults (README, "Local
//! settings"). The variables override the defaults.

use adapters::config::Env;
use std::net::SocketAddr;

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_TABLE: &str = "thumbtack-partner-local";
pub const DEFAULT_USERNAME: &str = "thumbtack";
pub const DEFAULT_PASSWORD: &str = "local-dev-password";

#[derive(Debug, Clone)]
pub struct DevSettings {
    pub addr: SocketAddr,
    pub table: String,
    pub username: String,
    pub password: String,
    pub endpoint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "AWS_ENDPOINT_URL must point at the local emulator (make dev sets it); refusing to run against real AWS"
    )]
    NoEmulator,
    #[error("DEV_ADDR {0:?} is not an address such as 127.0.0.1:3000")]
    BadAddr(String),
    #[error("PARTNER_API_USERNAME must not contain ':'")]
    BadUsername,
}

impl DevSettings {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        let addr_text = env
            .optional("DEV_ADDR")
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr = addr_text
            .parse()
            .map_err(|_| SettingsError::BadAddr(addr_text.clone()))?;
        let username = env
            .optional("PARTNER_API_USERNAME")
            .unwrap_or_else(|| DEFAULT_USERNAME.to_owned());
        if username.contains(':') {
            return Err(SettingsError::BadUsername);
        }
        Ok(DevSettings {
            addr,
            table: env
                .optional("TABLE_NAME")
                .unwrap_or_else(|| DEFAULT_TABLE.to_owned()),
            username,
            password: env
                .optional("PARTNER_API_PASSWORD")
                .unwrap_or_else(|| DEFAULT_PASSWORD.to_owned()),
            endpoint: env
                .optional("AWS_ENDPOINT_URL")
                .ok_or(SettingsError::NoEmulator)?,
        })
    }
}
