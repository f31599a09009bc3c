//! The smoke test's v4 leg, when the stack has a Thumbtack simulator (`make dev`'s, or a stage's
//! deployed with `SimulatorEnabled=true`): a pro connects as in a browser (`POST
//! /v1/connections`, the simulator's consent page, Approve, our callback), the connection is
//! listed and read, a customer's request reaches the stack as v4 webhooks and reads back as a v4
//! lead, a sync re-lists the pro's businesses, and the pro is disconnected, so a run leaves
//! nothing connected and the next one connects again.

use crate::smoke_steps::{ReadApi, step, step_value};
use cli::Error;
use serde_json::{Value, json};
use simulator::{Decision, Remote};
use std::time::{Duration, Instant};

const CONNECTIONS: &str = "/v1/connections";
const CALLBACK: &str = "/v1/connections/callback";
const CONNECTION: &str = "/v1/connections/{userID}";
const SYNC: &str = "/v1/connections/{userID}/sync";
const WEBHOOK: &str = "/v4/webhooks/{businessID}";
const LEAD: &str = "/v1/leads/{leadID}";

/// How long a v4 lead may take from the simulator's request to the read API.
const LEAD_WITHIN: Duration = Duration::from_secs(30);

/// Runs the v4 steps, one line each; stops at the first that fails.
pub(crate) async fn run(api: &ReadApi<'_>, simulator: &Remote, stamp: u64) -> Result<(), Error> {
    let reference = format!("smoke-pro-{stamp}");
    let authorize_url = step_value(
        "POST /v1/connections gives the pro's consent link",
        start(api, &reference),
    )
    .await?;
    let back = step_value("the pro approves on the simulator's consent page", async {
        Ok(simulator.consent(&authorize_url, Decision::Approve).await?)
    })
    .await?;
    step(
        "GET /v1/connections/callback connects the pro",
        callback(api, &back),
    )
    .await?;
    let (user_id, business_id) = step_value(
        "GET /v1/connections lists the pro's connection",
        listed(api, &reference),
    )
    .await?;
    step(
        "GET /v1/connections/{userID} shows its businesses and webhooks, never a token",
        show(api, &user_id, "connected"),
    )
    .await?;
    step(
        "a customer's request reaches the stack as v4 webhooks and reads back as a v4 lead",
        v4_lead(api, simulator, &business_id),
    )
    .await?;
    step(
        "POST /v1/connections/{userID}/sync re-lists the pro's businesses",
        sync(api, &user_id, &business_id),
    )
    .await?;
    step(
        "DELETE /v1/connections/{userID} disconnects the pro",
        remove(api, &user_id),
    )
    .await
}

async fn start(api: &ReadApi<'_>, reference: &str) -> Result<String, Error> {
    let body = json!({"reference": reference});
    let started = api.call("POST", CONNECTIONS, &[], "", Some(&body)).await?;
    match started["authorizeURL"].as_str() {
        Some(url) if started["expiresAt"].is_string() => Ok(url.to_owned()),
        _ => Err(format!("no authorizeURL and expiresAt: {started}").into()),
    }
}

/// The pro's browser back at our callback (public: never signed), without a return URL: the
/// small page naming the connected businesses.
async fn callback(api: &ReadApi<'_>, back: &str) -> Result<(), Error> {
    api.note("GET", CALLBACK);
    if !back.starts_with(api.base) || !back.contains(CALLBACK) {
        return Err(format!("the consent page sent the browser elsewhere: {back}").into());
    }
    let page = api.http.get(back).send().await?;
    let status = page.status().as_u16();
    let page = page.text().await?;
    if status != 200 || !page.contains("Connected to Thumbtack") {
        return Err(format!("the callback answered {status}: {page}").into());
    }
    Ok(())
}

/// The run's connection, found by its reference in the paged list: its userID and first
/// business.
async fn listed(api: &ReadApi<'_>, reference: &str) -> Result<(String, String), Error> {
    let mut query = "?limit=100".to_owned();
    // Bounded: a stage with more connections than this is not one to smoke-test blind.
    for _ in 0..50 {
        let page = api.get(CONNECTIONS, &[], &query).await?;
        let found = page["connections"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["reference"] == reference);
        if let Some(connection) = found {
            let user = connection["userID"].as_str().unwrap_or_default();
            let business = connection["businesses"][0]["businessID"]
                .as_str()
                .unwrap_or_default();
            if user.is_empty() || business.is_empty() {
                return Err(format!("a connection without user or business: {connection}").into());
            }
            return Ok((user.to_owned(), business.to_owned()));
        }
        match page["next"].as_str() {
            Some(cursor) => query = format!("?limit=100&cursor={cursor}"),
            None => break,
        }
    }
    Err(format!("no connection with the reference {reference} in the list").into())
}

async fn show(api: &ReadApi<'_>, user_id: &str, status: &str) -> Result<(), Error> {
    let view = api.get(CONNECTION, &[("userID", user_id)], "").await?;
    if let Some(key) = token_key(&view) {
        return Err(format!("the connection's answer has a key {key:?}").into());
    }
    let webhooks = view["businesses"]
        .as_array()
        .is_some_and(|all| !all.is_empty() && all.iter().all(|b| b["webhookID"].is_string()));
    if view["status"] != status || (status == "connected" && !webhooks) {
        return Err(format!("expected a {status} connection: {view}").into());
    }
    Ok(())
}

/// A key of `value`, at any depth, that names a token: none may be in an answer.
fn token_key(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, inner)| {
            if key.to_ascii_lowercase().contains("token") {
                Some(key.clone())
            } else {
                token_key(inner)
            }
        }),
        Value::Array(items) => items.iter().find_map(token_key),
        _ => None,
    }
}

/// The simulator's customer requests the business; the pair of webhooks it delivers to our
/// webhook route becomes a lead the read API shows with `"contract": "v4"`.
async fn v4_lead(api: &ReadApi<'_>, simulator: &Remote, business_id: &str) -> Result<(), Error> {
    let lead = simulator.new_lead(business_id).await?;
    api.note("POST", WEBHOOK);
    let started = Instant::now();
    loop {
        let read = api.get(LEAD, &[("leadID", &lead.negotiation_id)], "").await;
        match read {
            Ok(view)
                if view["contract"] == "v4"
                    && view["summary"]["business"]["businessID"] == business_id
                    && view["messages"].as_array().is_some_and(|m| !m.is_empty()) =>
            {
                return Ok(());
            }
            Ok(view) if started.elapsed() > LEAD_WITHIN => {
                return Err(format!("the v4 lead reads back incomplete: {view}").into());
            }
            Err(error) if started.elapsed() > LEAD_WITHIN => {
                return Err(format!(
                    "lead {} not readable after {LEAD_WITHIN:?}: {error}",
                    lead.negotiation_id
                )
                .into());
            }
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

async fn sync(api: &ReadApi<'_>, user_id: &str, business_id: &str) -> Result<(), Error> {
    let synced = api
        .call("POST", SYNC, &[("userID", user_id)], "", Some(&json!({})))
        .await?;
    // `added` and `removed` name what changed (nothing, here); `connection` is as shown.
    let kept = synced["connection"]["businesses"]
        .as_array()
        .is_some_and(|all| all.iter().any(|b| b["businessID"] == business_id));
    if !kept || !synced["added"].is_array() || token_key(&synced).is_some() {
        return Err(format!("the sync lost the business {business_id}: {synced}").into());
    }
    Ok(())
}

async fn remove(api: &ReadApi<'_>, user_id: &str) -> Result<(), Error> {
    api.call("DELETE", CONNECTION, &[("userID", user_id)], "", None)
        .await?;
    show(api, user_id, "removed").await
}

#[cfg(test)]
mod tests {
    use super::token_key;
    use serde_json::json;

    #[test]
    fn a_token_anywhere_in_an_answer_is_found() {
        let answer = json!({"businesses": [{"businessID": "b", "webhook": {"accessToken": "x"}}]});
        assert_eq!(token_key(&answer).as_deref(), Some("accessToken"));
    }

    #[test]
    fn an_answer_without_a_token_passes() {
        let answer =
            json!({"userID": "u", "scopes": ["messages"], "businesses": [{"businessID": "b"}]});
        assert_eq!(token_key(&answer), None);
    }
}
