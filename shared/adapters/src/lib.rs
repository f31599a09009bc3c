//! AWS adapters for the app's ports, the AWS SDK set-up and typed configuration.
//!
//! Each adapter owns an SDK client and the name of its resource; clients are built once per
//! process (in Lambda's init) and are cheap to clone.

pub mod aws;
pub mod config;
pub mod dynamo;
mod errors;
pub mod schema;

pub use dynamo::DynamoStore;
