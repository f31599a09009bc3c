//! Connecting a pro's Thumbtack account (v4 OAuth, issue 22), one function for its routes
//! (`Function::Connections` in `http_api::routes`): the partner starts a pro's connection, the
//! pro's browser comes back from Thumbtack's consent page, the partner reads a connection. The
//! start and read routes are IAM-authorised in AWS (the partner's own systems call them); the
//! callback is public (the pro's browser). Once a day an EventBridge schedule invokes it to sweep
//! the connections idle too long.

pub mod handler;
