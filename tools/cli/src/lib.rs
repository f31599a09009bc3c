//! What every tool binary shares: one error type ([`Error`]), one exit path ([`exit`]), and the
//! local stack's environment ([`local`]), which the tools that talk to `make dev` read too.

use std::process::ExitCode;

/// Any error a tool ends with; its chain of causes is printed on exit.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// What a tool's `run` returns.
pub type Result<T = ()> = std::result::Result<T, Error>;

/// `cause`, with what was being done when it happened.
pub fn context(what: impl Into<String>, cause: impl Into<Error>) -> Error {
    Box::new(Context {
        what: what.into(),
        cause: cause.into(),
    })
}

#[derive(Debug)]
struct Context {
    what: String,
    cause: Error,
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Context {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.cause)
    }
}

/// The exit code of the tool `name`: success, or failure with its error chain on stderr.
pub fn exit(name: &str, result: Result) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{name}: {}", app::error_chain(&*error));
            ExitCode::FAILURE
        }
    }
}

pub mod sigv4;

/// The README's "Local settings": what `make dev` runs with, and what the tools that talk to it
/// assume, when a variable is unset. The functions' own defaults (`adapters::config`) stand for
/// the rest.
pub mod local {
    use adapters::config::Env;

    /// Variable and local default, in the README's order.
    pub const DEFAULTS: [(&str, &str); 17] = [
        ("DEV_ADDR", "127.0.0.1:3000"),
        ("TABLE_NAME", "thumbtack-partner-local"),
        ("PARTNER_API_USERNAME", "thumbtack"),
        ("PARTNER_API_PASSWORD", "local-dev-password"),
        ("CURSOR_KEY", "local-cursor-key-not-a-secret"),
        ("CHANGES_SETTLE_SECONDS", "16"),
        ("REPLY_QUEUE_NAME", "thumbtack-replies.fifo"),
        ("REPLY_VISIBILITY_SECONDS", "30"),
        ("REPLY_RETRY_BASE_SECONDS", "2"),
        ("REPLY_MAX_RECEIVES", "100"),
        ("THUMBTACK_API_USERNAME", "partner"),
        ("THUMBTACK_API_PASSWORD", "sandbox-password"),
        ("SANDBOX_ADDR", "127.0.0.1:4010"),
        ("EVENT_BUS_NAME", "thumbtack-partner-local"),
        ("EVENTS_QUEUE_NAME", "thumbtack-partner-events-local"),
        ("EVENTS_POLL_MILLIS", "200"),
        ("SPEED_QUEUE_NAME", "thumbtack-partner-speed-local"),
    ];

    /// `env`, with the local default of each variable it leaves unset or blank.
    pub fn env<F: Fn(&str) -> Option<String>>(env: Env<F>) -> Env<impl Fn(&str) -> Option<String>> {
        Env::with(move |var: &str| {
            env.optional(var).or_else(|| {
                DEFAULTS
                    .iter()
                    .find(|(name, _)| *name == var)
                    .map(|(_, value)| (*value).to_owned())
            })
        })
    }

    /// Where a tool finds the stack it plays Thumbtack against: `BASE_URL` (a deployed stack's),
    /// else the local stack's `DEV_ADDR`.
    pub fn base_url<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> String {
        env.optional("BASE_URL")
            .unwrap_or_else(|| format!("http://{}", env.optional("DEV_ADDR").unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::local;
    use adapters::config::Env;

    #[test]
    fn a_variable_unset_or_blank_takes_its_local_default() {
        let env = local::env(Env::with(|var: &str| match var {
            "TABLE_NAME" => Some("mine".to_owned()),
            "REPLY_QUEUE_NAME" => Some("  ".to_owned()),
            _ => None,
        }));
        assert_eq!(env.required("TABLE_NAME").unwrap(), "mine");
        assert_eq!(
            env.required("REPLY_QUEUE_NAME").unwrap(),
            "thumbtack-replies.fifo"
        );
        assert_eq!(env.required_number("REPLY_RETRY_BASE_SECONDS").unwrap(), 2);
        assert_eq!(
            env.optional("THUMBTACK_API_BASE_URL"),
            None,
            "unset: the sandbox"
        );
    }

    #[test]
    fn the_tools_find_the_local_stack_where_dev_addr_puts_it() {
        let moved = local::env(Env::with(|var: &str| {
            (var == "DEV_ADDR").then(|| "127.0.0.1:3100".to_owned())
        }));
        assert_eq!(local::base_url(&moved), "http://127.0.0.1:3100");
        let deployed = local::env(Env::with(|var: &str| {
            (var == "BASE_URL").then(|| "https://api.example".to_owned())
        }));
        assert_eq!(local::base_url(&deployed), "https://api.example");
        assert_eq!(
            local::base_url(&local::env(Env::with(|_: &str| None))),
            "http://127.0.0.1:3000"
        );
    }
}
