//! Adapter and end-to-end tests against the moto emulator over real connections.
//!
//! Run them with `make test`, which starts the emulator and sets `AWS_ENDPOINT_URL`. Every test
//! creates its own table, so tests run in parallel and never see each other's items.
#![allow(clippy::unwrap_used)]

mod connection_manage;
mod connections;
mod connections_runtime;
mod consent_browser;
mod devstack_http;
mod dynamo_store;
mod events;
mod feed_writers;
mod iam_calls;
mod inbound_flow;
mod lambda_runtime;
mod late_answers;
mod legacy_routes;
mod listings;
mod logs;
mod parameters;
mod pull_api;
mod queues;
mod readme;
mod refusals;
mod reliability;
mod replay;
mod replies;
mod schedules;
mod secrets;
mod speed;
mod stats;
mod support;
mod v4_ingest;
mod v4_replies;
mod v4_webhook;
