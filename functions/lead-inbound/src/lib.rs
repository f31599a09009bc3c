//! `POST /v1/lead`: Thumbtack delivers a lead. The same handler serves Lambda and `make dev`.

pub mod handler;
