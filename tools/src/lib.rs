//! The local stack (`make dev`: HTTP routes, reply worker, Thumbtack sandbox) and operator
//! commands (`partnerctl`).
//!
//! The local HTTP server is a thin router in front of the very handlers that run in Lambda: it
//! turns each HTTP request into the `lambda_http::Request` API Gateway would deliver (body, headers,
//! path parameters) and the handler's response back into HTTP.

pub mod devstack;
pub mod faults;
pub mod reliability;
pub mod runtime_api;
pub mod sandbox;
pub mod settings;
pub mod smoke;
pub mod worker;

/// What a tool's `run` ends with.
pub type ToolResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The exit code of a tool named `name`, its error chain printed on failure.
pub fn exit_code(name: &str, result: ToolResult) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{name}: {}", app::error_chain(&*error));
            std::process::ExitCode::FAILURE
        }
    }
}
