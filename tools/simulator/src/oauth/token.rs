//! `POST /oauth2/token` (facts §1.3, §1.4): client Basic auth, the authorization-code and
//! refresh-token grants, opaque tokens.

use crate::auth::{basic, form, same};
use crate::ids::opaque;
use crate::problem::oauth_error;
use crate::state::{AccessToken, RefreshToken, Sim, State};
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::SystemTime;

pub async fn token(Extract(sim): Extract<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = form(&body);
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    sim.update(|state| {
        let Some((client_id, secret)) = basic(&headers) else {
            return oauth_error(
                "invalid_client",
                "client authentication by HTTP Basic is required",
            );
        };
        let known = state
            .config
            .clients
            .iter()
            .any(|c| c.client_id == client_id && same(&c.client_secret, &secret));
        if !known {
            return oauth_error("invalid_client", "client authentication failed");
        }
        match field("grant_type") {
            "authorization_code" => exchange_code(state, &client_id, &fields),
            "refresh_token" => refresh(state, &client_id, &fields),
            // Seen live: a supply partner may not use client credentials (facts §1.3).
            "client_credentials" => oauth_error(
                "unauthorized_client",
                "The client is not allowed to use grant client_credentials",
            ),
            "" => oauth_error("invalid_request", "grant_type is required"),
            _ => oauth_error("unsupported_grant_type", "unsupported grant_type"),
        }
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

fn exchange_code(state: &mut State, client_id: &str, fields: &HashMap<String, String>) -> Response {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    let Some(code) = state.codes.get_mut(field("code")) else {
        return oauth_error("invalid_grant", "unknown authorization code");
    };
    if code.used {
        return oauth_error("invalid_grant", "the authorization code was already used");
    }
    if SystemTime::now() >= code.expires {
        return oauth_error("invalid_grant", "the authorization code expired");
    }
    if code.consent.client_id != client_id {
        return oauth_error("invalid_grant", "the code was issued to another client");
    }
    if code.consent.redirect_uri != field("redirect_uri") {
        return oauth_error(
            "invalid_grant",
            "redirect_uri does not match the authorize request",
        );
    }
    if let Some(challenge) = &code.consent.code_challenge {
        let verifier = field("code_verifier");
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if verifier.is_empty() || !same(&computed, challenge) {
            return oauth_error(
                "invalid_grant",
                "code_verifier does not match code_challenge",
            );
        }
    }
    code.used = true;
    let consent = code.consent.clone();
    issue(state, client_id, &consent.user_id, consent.scopes)
}

fn refresh(state: &mut State, client_id: &str, fields: &HashMap<String, String>) -> Response {
    let presented = fields.get("refresh_token").cloned().unwrap_or_default();
    let grace = state.config.lifetimes.grace();
    let now = SystemTime::now();
    let Some(token) = state.refresh_tokens.get(&presented).cloned() else {
        return oauth_error("invalid_grant", "unknown refresh token");
    };
    if token.client_id != client_id {
        return oauth_error(
            "invalid_grant",
            "the refresh token was issued to another client",
        );
    }
    if now >= token.expires {
        return oauth_error("invalid_grant", "the refresh token expired");
    }
    if token.used_at.is_some_and(|used| now >= used + grace) {
        return oauth_error("invalid_grant", "the refresh token was already used");
    }
    if state.revoked_users.contains(&token.user_id) {
        return oauth_error("invalid_grant", "the user revoked access");
    }
    if state.fail_next_refresh.remove(&token.user_id) {
        return oauth_error(
            "invalid_grant",
            "simulated: the refresh token is no longer valid",
        );
    }
    let scopes = match fields.get("scope") {
        Some(asked) if !asked.trim().is_empty() => {
            let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
            if let Some(extra) = asked.iter().find(|s| !token.scopes.contains(s)) {
                return oauth_error("invalid_scope", &format!("scope {extra} was not granted"));
            }
            asked
        }
        _ => token.scopes.clone(),
    };
    if let Some(old) = state.refresh_tokens.get_mut(&presented) {
        old.used_at.get_or_insert(now);
    }
    issue(state, client_id, &token.user_id, scopes)
}

/// A new access token, and a new refresh token when `offline_access` was granted (facts §1.4).
fn issue(state: &mut State, client_id: &str, user_id: &str, scopes: Vec<String>) -> Response {
    let lifetimes = state.config.lifetimes.clone();
    let now = SystemTime::now();
    let access = opaque(64);
    state.access_tokens.insert(
        access.clone(),
        AccessToken {
            client_id: client_id.to_owned(),
            user_id: user_id.to_owned(),
            scopes: scopes.clone(),
            expires: now + lifetimes.access(),
        },
    );
    let mut body = json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": lifetimes.access_token_ms.div_ceil(1000),
        "scope": scopes.join(" "),
    });
    if scopes.iter().any(|s| s == "offline_access") {
        let refresh = opaque(64);
        state.refresh_tokens.insert(
            refresh.clone(),
            RefreshToken {
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
                scopes,
                expires: now + lifetimes.refresh(),
                used_at: None,
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
