//! The local stack (`make dev`): the functions' own handlers behind local routes, the reply
//! worker in place of Lambda's SQS event source mapping, the events worker in place of its
//! DynamoDB stream mapping, the speed-to-lead worker in place of its rule and schedules, and the
//! Thumbtack simulator (`tools/simulator`), against the emulator. [`launch`] starts them together; the tests start the pieces alone.

pub mod events;
mod launch;
mod routes;
pub mod settings;
pub mod speed;
pub mod worker;

pub use events::EventsWorker;
pub use launch::{Launched, launch};
pub use routes::{Stack, router};
pub use settings::DevSettings;
pub use speed::{LocalScheduler, SpeedWorker};
pub use worker::Worker;
