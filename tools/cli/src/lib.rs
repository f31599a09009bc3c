//! What every tool binary shares: one error type ([`Error`]), one exit path ([`exit`]), and the
//! local stack's defaults ([`local`]), which the tools that talk to `make dev` assume too.

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

/// The README's "Local settings": what `make dev` runs with, and what the tools that talk to it
/// assume, when the variable is unset.
pub mod local {
    pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
    pub const DEFAULT_SANDBOX_ADDR: &str = "127.0.0.1:4010";
    pub const DEFAULT_TABLE: &str = "thumbtack-partner-local";
    pub const DEFAULT_USERNAME: &str = "thumbtack";
    pub const DEFAULT_PASSWORD: &str = "local-dev-password";
    pub const DEFAULT_REPLY_QUEUE: &str = "thumbtack-replies.fifo";
    pub const DEFAULT_THUMBTACK_USERNAME: &str = "partner";
    pub const DEFAULT_THUMBTACK_PASSWORD: &str = "sandbox-password";
}
