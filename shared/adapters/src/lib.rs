//! AWS adapters for the app's ports, the AWS SDK set-up and typed configuration.
//!
//! Each adapter owns an SDK client and the name of its resource; clients are built once per
//! process (in Lambda's init) and are cheap to clone.

pub mod aws;
pub mod config;
pub mod dynamo;
pub mod logging;
pub mod provision;
pub mod secrets;
pub mod sqs;
pub mod thumbtack;
mod warm_up;

pub use dynamo::DynamoStore;
pub use sqs::SqsReplyQueue;
pub use thumbtack::HttpThumbtack;
