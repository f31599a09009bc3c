//! The v4 OAuth server (facts §1): the authorize request and its consent page, the token endpoint
//! with single-use codes and single-use refresh tokens (60 s grace), RFC 6749 errors.

use crate::auth::{basic, form, same};
use crate::config::AUDIENCE;
use crate::problem::oauth_error;
use crate::state::{AccessToken, Code, Consent, RefreshToken, Sim, State, opaque};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Instant;

pub fn routes() -> Router<Sim> {
    Router::new()
        .route("/oauth2/auth", get(authorize))
        .route("/oauth2/auth/consent", post(consent))
        .route("/oauth2/token", post(token))
}

/// A page instead of a redirect: with an unknown client or redirect URI there is nowhere safe to
/// send the browser (RFC 6749 §4.1.2.1).
fn error_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>Error</title><h1>invalid_request</h1><p>{}</p>",
            escape(message)
        )),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `redirect_uri` with the given parameters added.
fn back_to(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{separator}{query}")).into_response()
}

async fn authorize(Extract(sim): Extract<Sim>, RawQuery(query): RawQuery) -> Response {
    let params = form(query.unwrap_or_default().as_bytes());
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let mut state = sim.lock();
    let Some(client) = state
        .config
        .clients
        .iter()
        .find(|c| c.client_id == param("client_id"))
        .cloned()
    else {
        return error_page("unknown client_id");
    };
    let redirect_uri = param("redirect_uri");
    if !client.redirect_uris.iter().any(|u| u == redirect_uri) {
        return error_page("redirect_uri is not registered for this client (exact match)");
    }
    let st = param("state");
    let fail = |error: &str, description: &str| {
        back_to(
            redirect_uri,
            &[
                ("error", error),
                ("error_description", description),
                ("state", st),
            ],
        )
    };
    if param("response_type") != "code" {
        return fail("unsupported_response_type", "response_type must be code");
    }
    if st.chars().count() < 8 {
        return fail("invalid_state", "state must have at least 8 characters");
    }
    if param("audience") != AUDIENCE {
        return fail("invalid_request", "invalid audience parameter");
    }
    let scopes: Vec<String> = param("scope")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return fail("invalid_scope", "no scope requested");
    }
    if let Some(refused) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return fail(
            "invalid_scope",
            &format!("the client may not request scope {refused}"),
        );
    }
    let code_challenge = match (param("code_challenge"), param("code_challenge_method")) {
        ("", _) => None,
        (challenge, "S256") => Some(challenge.to_owned()),
        _ => return fail("invalid_request", "code_challenge_method must be S256"),
    };
    // No login form: the pro is the one named by login_hint (userID or email), else the first.
    let hint = param("login_hint");
    let Some(user) = state
        .config
        .users
        .iter()
        .find(|u| hint.is_empty() || u.user_id == hint || u.email == hint)
        .cloned()
    else {
        return error_page("no such user (login_hint)");
    };
    let challenge = opaque(32);
    state.consents.insert(
        challenge.clone(),
        Consent {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            state: st.to_owned(),
            scopes: scopes.clone(),
            code_challenge,
            user_id: user.user_id.clone(),
        },
    );
    let businesses: String = user
        .businesses
        .iter()
        .map(|b| {
            format!(
                "<li data-business-id=\"{}\">{}</li>",
                escape(&b.business_id),
                escape(&b.name)
            )
        })
        .collect();
    let scope_list: String = scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let decide = |decision: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/oauth2/auth/consent\">\
             <input type=\"hidden\" name=\"challenge\" value=\"{challenge}\">\
             <input type=\"hidden\" name=\"decision\" value=\"{decision}\">\
             <button type=\"submit\" id=\"{decision}\">{label}</button></form>"
        )
    };
    Html(format!(
        "<!doctype html><title>Connect to Thumbtack (simulator)</title>\
         <h1>{client} wants access to your Thumbtack account</h1>\
         <p>Signed in as {first} {last} ({email})</p>\
         <h2>Your businesses</h2><ul id=\"businesses\">{businesses}</ul>\
         <h2>Access requested</h2><ul id=\"scopes\">{scope_list}</ul>{approve}{deny}",
        client = escape(&client.client_id),
        first = escape(&user.first_name),
        last = escape(&user.last_name),
        email = escape(&user.email),
        approve = decide("approve", "Approve"),
        deny = decide("deny", "Deny"),
    ))
    .into_response()
}

async fn consent(Extract(sim): Extract<Sim>, body: Bytes) -> Response {
    let fields = form(&body);
    let challenge = fields.get("challenge").map(String::as_str).unwrap_or("");
    let mut state = sim.lock();
    let Some(consent) = state.consents.remove(challenge) else {
        return error_page("unknown or used consent challenge");
    };
    if fields.get("decision").map(String::as_str) != Some("approve") {
        return back_to(
            &consent.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied access"),
                ("state", &consent.state),
            ],
        );
    }
    let code = opaque(43);
    let expires = Instant::now() + state.config.lifetimes.code();
    let (redirect_uri, st) = (consent.redirect_uri.clone(), consent.state.clone());
    state.codes.insert(
        code.clone(),
        Code {
            consent,
            expires,
            used: false,
        },
    );
    back_to(&redirect_uri, &[("code", &code), ("state", &st)])
}

async fn token(Extract(sim): Extract<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = form(&body);
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    let mut state = sim.lock();
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
        "authorization_code" => exchange_code(&mut state, &client_id, &fields),
        "refresh_token" => refresh(&mut state, &client_id, &fields),
        // Seen live: a supply partner may not use client credentials (facts §1.3).
        "client_credentials" => oauth_error(
            "unauthorized_client",
            "The client is not allowed to use grant client_credentials",
        ),
        "" => oauth_error("invalid_request", "grant_type is required"),
        _ => oauth_error("unsupported_grant_type", "unsupported grant_type"),
    }
}

fn exchange_code(state: &mut State, client_id: &str, fields: &HashMap<String, String>) -> Response {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    let Some(code) = state.codes.get_mut(field("code")) else {
        return oauth_error("invalid_grant", "unknown authorization code");
    };
    if code.used {
        return oauth_error("invalid_grant", "the authorization code was already used");
    }
    if Instant::now() >= code.expires {
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
    let now = Instant::now();
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
    let now = Instant::now();
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
