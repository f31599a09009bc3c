//! The app's ports on AWS and Thumbtack, and what the functions need to build them.
//!
//! - [`dynamo`]: the table (the lead store, the reply ledger, the operators' listings);
//!   [`sqs`]: the reply queue; [`thumbtack`]: Thumbtack's messages API; [`secrets`]: credentials
//!   from Secrets Manager; [`eventbridge`]: the bus stored facts go out on; [`events_queue`]:
//!   a queue the bus delivers them to, read back; [`scheduler`]: one-time wake-ups (speed to
//!   lead); [`connect`]: Thumbtack's v4 OAuth and API for connecting a pro, and the KMS vault of
//!   their tokens; [`parameters`]: plain values the stack keeps in SSM parameters.
//! - [`aws`]: one SDK configuration per process; [`config`]: typed settings from the
//!   environment; [`logging`]: the functions' log subscriber; [`start`]: every function's start
//!   (logging, its init, the report of a failed init); [`inbound`]: the inbound functions' init.
//! - [`provision`]: creating the table and queues where no template does (the local stack, tests,
//!   benchmarks); no function calls it.
//!
//! Each adapter owns a client and the name of its resource, and no way to reach them from
//! outside: what callers need is a named method. Clients are built once per process (in Lambda's
//! init) and are cheap to clone.

pub mod aws;
pub mod config;
pub mod connect;
pub mod dynamo;
pub mod eventbridge;
pub mod events_queue;
pub mod inbound;
pub mod logging;
pub mod parameters;
pub mod provision;
pub mod scheduler;
pub mod secrets;
pub mod sqs;
mod start;
pub mod thumbtack;
pub mod warm_up;

pub use dynamo::DynamoStore;
pub use eventbridge::EventBridgeBus;
pub use scheduler::EventBridgeScheduler;
pub use sqs::SqsReplyQueue;
pub use start::start;
pub use thumbtack::HttpThumbtack;
