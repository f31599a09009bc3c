//! The simulator over real HTTP: each behaviour of docs/thumbtack-simulator.md that a partner can
//! observe. Partners are wiremock servers.

mod api;
mod common;
mod deliveries;
mod drive;
mod faults;
mod legacy;
mod lifecycle;
mod oauth;
mod stored;
mod webhooks;
