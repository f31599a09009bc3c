//! The simulator's OAuth consent page in a real browser (headless Chromium over WebDriver), as a
//! pro meets it: the page, a click, and the redirect back to the partner with a code or an error.

use crate::support::get_json;
use harness::browser::Browser;
use simulator::{Config, Simulator};
use std::collections::HashMap;
use std::time::Duration;

/// The partner's callback stand-in: a loopback server that answers every path, so that the
/// browser lands on a page and its URL can be read.
async fn callback_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v1/connections/callback",
        listener.local_addr().unwrap()
    );
    let app = axum::Router::new().fallback(|| async { "back at the partner" });
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

/// What a partner sends the pro's browser to, with `state` as given.
fn authorize_url(simulator: &Simulator, redirect: &str, state: &str) -> String {
    reqwest::Url::parse_with_params(
        &format!("{}/oauth2/auth", simulator.url()),
        [
            ("client_id", "sim-client"),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("state", state),
            ("audience", "urn:partner-api"),
            (
                "scope",
                "offline_access supply::users.read supply::businesses.list",
            ),
        ],
    )
    .unwrap()
    .to_string()
}

async fn decide_in_a_browser(button: &str, state: &str) -> HashMap<String, String> {
    let (redirect, server) = callback_server().await;
    let mut config = Config::default();
    config.clients[0].redirect_uris = vec![redirect.clone()];
    let names: Vec<String> = config.users[0]
        .businesses
        .iter()
        .map(|business| business.name.clone())
        .collect();
    let simulator = Simulator::start(config).await.unwrap();
    let browser = Browser::start().await.unwrap();

    browser
        .open(&authorize_url(&simulator, &redirect, state))
        .await
        .unwrap();
    let businesses = browser.text("#businesses").await.unwrap();
    assert_eq!(
        businesses.lines().collect::<Vec<_>>(),
        names,
        "the consent page lists the pro's businesses"
    );
    browser.click(button).await.unwrap();
    let landed = browser
        .wait_for_url(&redirect, Duration::from_secs(15))
        .await
        .unwrap();
    let body = browser.text("body").await.unwrap();
    browser.close().await;
    server.abort();
    simulator.shutdown().await.unwrap();
    assert_eq!(body, "back at the partner");
    landed.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn a_pro_who_approves_on_the_consent_page_is_sent_back_with_a_code_and_the_state() {
    let params = decide_in_a_browser("#approve", "state-approve-1234").await;
    assert_eq!(
        params.get("state").map(String::as_str),
        Some("state-approve-1234")
    );
    assert!(
        params.get("code").is_some_and(|code| !code.is_empty()),
        "{params:?}"
    );
    assert!(!params.contains_key("error"), "{params:?}");
}

#[tokio::test]
async fn a_pro_who_denies_on_the_consent_page_is_sent_back_with_access_denied_and_no_code() {
    let params = decide_in_a_browser("#deny", "state-deny-12345").await;
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(
        params.get("state").map(String::as_str),
        Some("state-deny-12345")
    );
    assert!(!params.contains_key("code"), "{params:?}");
}

/// The whole connect flow as a pro lives it, in the browser: the partner's back end starts it
/// (`POST /v1/connections`), the pro approves on Thumbtack's consent page, our callback stores the
/// connection and registers a webhook per business, and the browser lands on the partner's
/// return URL with the connection's id and `status=connected`.
#[tokio::test]
async fn a_pro_connects_in_a_browser_and_lands_on_the_partner_s_page_with_the_connection() {
    let (partner_page, server) = callback_server().await;
    let stack =
        crate::devstack_http::launch_stack_with(&[("CONNECT_RETURN_URLS", partner_page.clone())])
            .await;
    let base = &stack.base_url;
    let http = reqwest::Client::new();
    let started = http
        .post(format!("{base}/v1/connections"))
        .json(&serde_json::json!({"reference": "pro-42", "returnURL": partner_page}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let started: serde_json::Value = started.json().await.unwrap();

    let browser = Browser::start().await.unwrap();
    browser
        .open(started["authorizeURL"].as_str().unwrap())
        .await
        .unwrap();
    browser.click("#approve").await.unwrap();
    let landed = browser
        .wait_for_url(&partner_page, Duration::from_secs(20))
        .await
        .unwrap();
    browser.close().await;
    server.abort();
    let params: HashMap<String, String> = landed.query_pairs().into_owned().collect();
    assert_eq!(
        params.get("status").map(String::as_str),
        Some("connected"),
        "{landed}"
    );

    // The registry holds it, and Thumbtack (the simulator) got one webhook per business.
    let simulator = stack.simulator().unwrap();
    let pro = &simulator::Config::default().users[0];
    let view = get_json(&http, format!("{base}/v1/connections/{}", pro.user_id)).await;
    assert_eq!(view["status"], "connected");
    assert_eq!(view["reference"], "pro-42");
    assert_eq!(params.get("connection"), Some(&pro.user_id), "{landed}");
    let log = get_json(&http, format!("{}/sim/log", simulator.url())).await;
    let mut registered: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| {
            entry["method"] == "POST"
                && entry["target"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("/webhooks"))
                && entry["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
        })
        .map(|entry| entry["target"].as_str().unwrap().to_owned())
        .collect();
    registered.sort();
    let mut expected: Vec<String> = pro
        .businesses
        .iter()
        .map(|b| format!("/api/v4/businesses/{}/webhooks", b.business_id))
        .collect();
    expected.sort();
    assert_eq!(registered, expected);
    stack.stop().await;
}
