//! Typed configuration, read once at start from an allow-list of environment variables.

use app::auth::Credential;

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

    pub fn optional(&self, var: &'static str) -> Option<String> {
        (self.lookup)(var).filter(|value| !value.trim().is_empty())
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

/// `PARTNER_API_USERNAME` and `PARTNER_API_PASSWORD`: the credentials Thumbtack presents to us.
pub fn partner_credential<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Credential, ConfigError> {
    let username = env.required("PARTNER_API_USERNAME")?;
    if username.contains(':') {
        // HTTP basic auth cannot carry a colon in the username (RFC 7617).
        return Err(ConfigError {
            var: "PARTNER_API_USERNAME",
            problem: "must not contain ':'",
        });
    }
    let password = env.required("PARTNER_API_PASSWORD")?;
    Ok(Credential::new(username, password))
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
        let error = partner_credential(&env(&[("PARTNER_API_USERNAME", "u")])).unwrap_err();
        assert_eq!(error.var, "PARTNER_API_PASSWORD");
    }

    #[test]
    fn a_username_with_a_colon_is_refused() {
        let error = partner_credential(&env(&[
            ("PARTNER_API_USERNAME", "a:b"),
            ("PARTNER_API_PASSWORD", "p"),
        ]))
        .unwrap_err();
        assert_eq!(error.var, "PARTNER_API_USERNAME");
    }

    #[test]
    fn the_error_never_contains_the_password() {
        let credential = partner_credential(&env(&[
            ("PARTNER_API_USERNAME", "thumbtack"),
            ("PARTNER_API_PASSWORD", "hunter2"),
        ]))
        .unwrap();
        assert_eq!(credential.username, "thumbtack");
        assert!(!format!("{credential:?}").contains("hunter2"));
    }
}
