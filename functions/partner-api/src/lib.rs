//! The partner's API, one function for its routes (`Function::PartnerApi` in `http_api::routes`):
//! a lead as received and its whole conversation, a business's leads and reviews, the changes
//! feed (every stored fact in order of receipt, to catch up), and a business's speed-to-lead
//! settings (read and saved) and daily stats. IAM-authorised in AWS (the partner's own systems
//! call it); open on loopback in `make dev`.

pub mod handler;
