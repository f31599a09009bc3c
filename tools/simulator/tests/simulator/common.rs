use serde_json::Value;
use simulator::{Config, Simulator};
use std::collections::HashMap;

pub const CLIENT_ID: &str = "sim-client";
pub const CLIENT_SECRET: &str = "sim-secret";
pub const REDIRECT: &str = "http://127.0.0.1:3000/v1/connections/callback";
pub const BUSINESS: &str = "286845156044809661";
pub const OTHER_USERS_BUSINESS: &str = "7001000000000000010";
pub const USER: &str = "5001000000000000001";
pub const EVERY_SCOPE: &str = "offline_access supply::users.read supply::businesses.list \
    supply::negotiations.read supply::messages.read supply::messages.write \
    supply::webhooks.read supply::webhooks.write";

/// The default configuration with a quick new-lead gap, and a second pro.
pub fn config() -> Config {
    let mut config = Config::default();
    config.settings.new_lead_gap_ms = 50;
    config.users.push(simulator::User {
        user_id: "7001000000000000001".into(),
        email: "other@example.com".into(),
        first_name: "Other".into(),
        last_name: "Pro".into(),
        businesses: vec![simulator::Business {
            business_id: OTHER_USERS_BUSINESS.into(),
            name: "Other Co".into(),
            image_url: None,
        }],
    });
    config
}

pub async fn start() -> Simulator {
    start_with(config()).await
}

pub async fn start_with(config: Config) -> Simulator {
    Simulator::start(config).await.expect("simulator starts")
}

/// A client that shows redirects instead of following them.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn query(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A valid authorize request's parameters, to be changed one at a time.
pub fn authorize_params(scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", REDIRECT.into()),
        ("response_type", "code".into()),
        ("state", "state-1234".into()),
        ("audience", "urn:partner-api".into()),
        ("scope", scope.into()),
    ]
}

pub async fn get_authorize(sim: &Simulator, params: &[(&str, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    http()
        .get(format!("{}/oauth2/auth?{}", sim.url(), query(&pairs)))
        .send()
        .await
        .expect("authorize answers")
}

/// The query of a redirect's `Location`, as a map.
pub fn redirect_params(response: &reqwest::Response) -> HashMap<String, String> {
    let location = response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .expect("ascii");
    assert!(location.starts_with(REDIRECT), "{location}");
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The page's hidden challenge, and the redirect after the given decision.
pub async fn decide(sim: &Simulator, page: &str, decision: &str) -> HashMap<String, String> {
    let marker = "name=\"challenge\" value=\"";
    let start = page.find(marker).expect("a consent form") + marker.len();
    let challenge = &page[start..start + page[start..].find('"').expect("end")];
    let response = http()
        .post(format!("{}/oauth2/auth/consent", sim.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query(&[("challenge", challenge), ("decision", decision)]))
        .send()
        .await
        .expect("consent answers");
    assert!(response.status().is_redirection(), "{}", response.status());
    redirect_params(&response)
}

/// Runs the browser part of the flow with `params` and approves: the code.
pub async fn code_for(sim: &Simulator, params: &[(&str, String)]) -> String {
    let page = get_authorize(sim, params).await.text().await.expect("page");
    decide(sim, &page, "approve").await["code"].clone()
}

pub async fn token_request(
    sim: &Simulator,
    auth: (&str, &str),
    form: &[(&str, &str)],
) -> reqwest::Response {
    http()
        .post(format!("{}/oauth2/token", sim.url()))
        .basic_auth(auth.0, Some(auth.1))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query(form))
        .send()
        .await
        .expect("token answers")
}

pub async fn exchange(sim: &Simulator, code: &str) -> reqwest::Response {
    token_request(
        sim,
        (CLIENT_ID, CLIENT_SECRET),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
}

pub async fn refresh(sim: &Simulator, refresh_token: &str) -> reqwest::Response {
    token_request(
        sim,
        (CLIENT_ID, CLIENT_SECRET),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// The whole flow with `scope`: the token response.
pub async fn connect(sim: &Simulator, scope: &str) -> Value {
    let code = code_for(sim, &authorize_params(scope)).await;
    let response = exchange(sim, &code).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

pub async fn access_token(sim: &Simulator) -> String {
    connect(sim, EVERY_SCOPE).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

pub async fn api(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = http()
        .request(method, format!("{}{path}", sim.url()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("api answers")
}

pub async fn control(sim: &Simulator, path: &str, body: Value) -> reqwest::Response {
    http()
        .post(format!("{}{path}", sim.url()))
        .json(&body)
        .send()
        .await
        .expect("control answers")
}

pub async fn settings(sim: &Simulator, change: Value) {
    let response = http()
        .put(format!("{}/sim/settings", sim.url()))
        .json(&change)
        .send()
        .await
        .expect("settings answer");
    assert_eq!(response.status(), 200);
}

/// Waits until the log has `count` deliveries (at most two seconds).
pub async fn deliveries(sim: &Simulator, count: usize) -> Vec<simulator::LogEntry> {
    sim.wait_for_deliveries(count, std::time::Duration::from_secs(2))
        .await
}
