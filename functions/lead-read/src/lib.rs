//! The read API, one function for its three routes: `GET /v1/leads/{leadID}` (a lead as
//! received and its whole conversation), `GET /v1/businesses/{businessID}/leads` (a business's
//! leads, newest first) and `GET /v1/changes` (every stored fact in order of receipt, to catch
//! up). IAM-authorised in AWS (the partner's own systems call it); open on loopback in `make dev`.

pub mod handler;
