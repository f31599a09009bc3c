//! `POST /v1/message`: Thumbtack delivers a customer's message. The same handler serves Lambda and
//! `make dev`.

pub mod handler;
