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
