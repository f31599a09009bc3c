//! The local stack (`make dev`) and operator commands.
//!
//! The local HTTP server is a thin router in front of the very handlers that run in Lambda: it
//! turns each HTTP request into the `lambda_http::Request` API Gateway would deliver (body, headers,
//! path parameters) and the handler's response back into HTTP.

pub mod devstack;
pub mod settings;
