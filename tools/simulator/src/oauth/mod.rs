//! The v4 OAuth server (facts §1): the authorize request and its consent page, the token endpoint
//! with single-use codes and single-use refresh tokens (60 s grace), RFC 6749 errors.

mod authorize;
mod token;

use crate::state::Sim;
use axum::Router;
use axum::routing::{get, post};

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/oauth2/auth", get(authorize::authorize))
        .route("/oauth2/auth/consent", post(authorize::consent))
        .route("/oauth2/token", post(token::token))
}
