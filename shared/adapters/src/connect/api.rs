//! The v4 API calls of the connect flow (facts §1.7, §2): who connected, their businesses, and
//! their webhooks, with the pro's Bearer token. Answers: 2xx read as JSON; 202 (the WAF's
//! challenge), 408, 429 and 5xx, and any answer that does not read, are worth trying later; any
//! other 4xx is a refusal.

use crate::thumbtack::answer::transient;
use app::ports::{V4Business, V4Error, V4User, V4Webhook, WebhookSpec};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct User {
    #[serde(rename = "userID")]
    user_id: String,
}

#[derive(Deserialize)]
struct Listed<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

#[derive(Deserialize)]
struct Business {
    #[serde(rename = "businessID")]
    business_id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Webhook {
    #[serde(rename = "webhookID")]
    webhook_id: String,
    #[serde(rename = "webhookURL", default)]
    webhook_url: String,
}

impl From<Webhook> for V4Webhook {
    fn from(webhook: Webhook) -> Self {
        V4Webhook {
            webhook_id: webhook.webhook_id,
            webhook_url: webhook.webhook_url,
        }
    }
}

/// One call: `method` on `url` with the Bearer token (and `body` as JSON), its answer read as `T`.
pub(super) async fn call<T: DeserializeOwned>(
    http: &reqwest::Client,
    method: Method,
    url: Url,
    token: &SecretString,
    body: Option<&Value>,
) -> Result<T, V4Error> {
    let mut request = http.request(method, url).bearer_auth(token.expose_secret());
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request
        .send()
        .await
        .map_err(|e| V4Error::Unavailable(Box::new(e.without_url())))?;
    let status = response.status();
    let code = status.as_u16();
    // v4's 202 is the WAF's challenge, not an answer; the rest as every version reads them.
    if code == 202 || transient(&response).is_some() {
        return Err(V4Error::Unavailable(
            format!("Thumbtack answered {code}").into(),
        ));
    }
    if !status.is_success() {
        return Err(V4Error::Refused { status: code });
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| V4Error::Unavailable(Box::new(e.without_url())))?;
    serde_json::from_slice(&bytes).map_err(|e| V4Error::Unavailable(Box::new(e)))
}

/// A `DELETE`: any 2xx, whatever its body (or none), and a 404 (already gone) are done.
pub(super) async fn delete(
    http: &reqwest::Client,
    url: Url,
    token: &SecretString,
) -> Result<(), V4Error> {
    let response = http
        .delete(url)
        .bearer_auth(token.expose_secret())
        .send()
        .await
        .map_err(|e| V4Error::Unavailable(Box::new(e.without_url())))?;
    let code = response.status().as_u16();
    if code == 202 || transient(&response).is_some() {
        return Err(V4Error::Unavailable(
            format!("Thumbtack answered {code}").into(),
        ));
    }
    match code {
        200..=299 | 404 => Ok(()),
        _ => Err(V4Error::Refused { status: code }),
    }
}

pub(super) fn user(answer: Value) -> Result<V4User, V4Error> {
    let user: User = serde_json::from_value(answer).map_err(|e| V4Error::Unavailable(e.into()))?;
    Ok(V4User {
        user_id: user.user_id,
    })
}

pub(super) fn businesses(answer: Value) -> Result<Vec<V4Business>, V4Error> {
    let listed: Listed<Business> =
        serde_json::from_value(answer).map_err(|e| V4Error::Unavailable(e.into()))?;
    Ok(listed
        .data
        .into_iter()
        .map(|b| V4Business {
            business_id: b.business_id,
            name: b.name,
        })
        .collect())
}

pub(super) fn webhooks(answer: Value) -> Result<Vec<V4Webhook>, V4Error> {
    let listed: Listed<Webhook> =
        serde_json::from_value(answer).map_err(|e| V4Error::Unavailable(e.into()))?;
    Ok(listed.data.into_iter().map(V4Webhook::from).collect())
}

pub(super) fn webhook(answer: Value) -> Result<V4Webhook, V4Error> {
    let webhook: Webhook =
        serde_json::from_value(answer).map_err(|e| V4Error::Unavailable(e.into()))?;
    Ok(webhook.into())
}

/// The webhook's whole object (facts §2.2), enabled, with the custom-header auth.
pub(super) fn webhook_body(spec: &WebhookSpec) -> Value {
    json!({
        "webhookURL": spec.url,
        "eventTypes": spec.event_types,
        "enabled": true,
        "auth": {"header": spec.header, "value": spec.secret.expose_secret()},
    })
}
