//! Outbound replies: an SQS-triggered function that sends each queued reply to Thumbtack. The same
//! handler serves Lambda and the local worker of `make dev`.

pub mod handler;
