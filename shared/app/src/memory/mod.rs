//! In-memory implementations of the ports for fast unit tests of logic. Not for production: the
//! real adapters (DynamoDB, SQS, reqwest) are tested against the emulator and a real HTTP server.

mod bus;
mod connections;
mod credentials;
mod ledger;
mod listings;
mod quarantine;
mod queue;
mod refusals;
mod speed;
mod store;
mod thumbtack;
mod webhooks;

pub use bus::{BusAnswer, RecordingBus};
pub use connections::{FakeThumbtackV4, MemoryConnections, PlainVault};
pub use credentials::StaticCredentials;
pub use queue::RecordingQueue;
pub use speed::{RecordingOutbox, RecordingScheduler};
pub use store::MemoryStore;
pub use thumbtack::{ScriptedThumbtack, unavailable};
