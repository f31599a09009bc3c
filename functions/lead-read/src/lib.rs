//! `GET /v1/leads/{leadID}`: a lead as received and its whole conversation. IAM-authorised in
//! AWS (the partner's own systems call it); open on loopback in `make dev`.

pub mod handler;
