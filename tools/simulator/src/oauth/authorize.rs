//! `GET /oauth2/auth`: the checks of facts §1.2, then a consent page; the pro's decision comes back
//! to `POST /oauth2/auth/consent`, which redirects with a code or an error.

use crate::auth::form;
use crate::config::{AUDIENCE, OAuthClient, User};
use crate::ids::opaque;
use crate::state::{Code, Consent, Sim};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Extract};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::time::SystemTime;

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

pub async fn authorize(Extract(sim): Extract<Sim>, RawQuery(query): RawQuery) -> Response {
    let params = form(query.unwrap_or_default().as_bytes());
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    sim.update(|state| {
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
        Html(consent_page(&client, &user, &scopes, &challenge)).into_response()
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// The client, the pro, all their businesses, the scopes, and the two decisions.
fn consent_page(client: &OAuthClient, user: &User, scopes: &[String], challenge: &str) -> String {
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
    format!(
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
    )
}

pub async fn consent(Extract(sim): Extract<Sim>, body: Bytes) -> Response {
    let fields = form(&body);
    let challenge = fields.get("challenge").map(String::as_str).unwrap_or("");
    sim.update(|state| {
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
        let expires = SystemTime::now() + state.config.lifetimes.code();
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
    })
    .await
    .unwrap_or_else(IntoResponse::into_response)
}
