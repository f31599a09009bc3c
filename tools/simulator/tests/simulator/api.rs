use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn users_self_names_the_pro_who_connected() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let user: Value = api(&sim, Method::GET, "/api/v4/users/self", &token, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        user,
        json!({"userID": USER, "email": "pro@example.com", "firstName": "Pat", "lastName": "Example"})
    );
}

#[tokio::test]
async fn businesses_lists_every_business_of_the_user_under_data() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let body: Value = api(&sim, Method::GET, "/api/v4/businesses", &token, None)
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|b| b["businessID"].as_str())
        .collect();
    assert_eq!(ids, [BUSINESS, "5001000000000000010"]);
    assert_eq!(body["pagination"]["limit"], 20);
}

#[tokio::test]
async fn a_missing_scope_is_a_401_problem_naming_it() {
    let sim = start().await;
    let tokens = connect(&sim, "offline_access supply::users.read").await;
    let token = tokens["access_token"].as_str().expect("token");
    let response = api(&sim, Method::GET, "/api/v4/businesses", token, None).await;
    assert_eq!(response.status(), 401);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(
        problem["detail"],
        "required scope(s) [supply::businesses.list] not found"
    );
    assert_eq!(problem["status"], 401);
    assert!(problem["traceID"].is_string());
}

#[tokio::test]
async fn a_request_without_a_token_is_a_401() {
    let sim = start().await;
    let response = http()
        .get(format!("{}/api/v4/users/self", sim.url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 401);
}

/// A new lead on the business, through the control API: its negotiation id.
async fn a_lead(sim: &simulator::Simulator) -> String {
    let response = control(
        sim,
        &format!("/sim/v4/businesses/{BUSINESS}/requests"),
        json!({"gapMs": 0}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["negotiationID"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_sent_message_is_answered_with_its_message_id_and_listed_after() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let id = a_lead(&sim).await;
    let path = format!("/api/v4/negotiations/{id}/messages");
    let response = api(
        &sim,
        Method::POST,
        &path,
        &token,
        Some(json!({"text": "Hello!"})),
    )
    .await;
    assert_eq!(response.status(), 201);
    let sent: Value = response.json().await.expect("json");
    assert_eq!(sent["from"], "Business");
    assert_eq!(sent["negotiationID"], id.as_str());
    assert!(sent["messageID"].as_str().is_some_and(|m| !m.is_empty()));

    let listed: Value = api(&sim, Method::GET, &path, &token, None)
        .await
        .json()
        .await
        .expect("json");
    let first = &listed["data"][0];
    assert_eq!(first["messageID"], sent["messageID"], "newest first");
    assert_eq!(
        listed["data"][1]["from"], "Customer",
        "the lead description message"
    );
}

#[tokio::test]
async fn an_empty_message_is_a_400() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let id = a_lead(&sim).await;
    let path = format!("/api/v4/negotiations/{id}/messages");
    let response = api(&sim, Method::POST, &path, &token, Some(json!({"text": ""}))).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_negotiation_reads_back_in_its_webhook_shape() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let id = a_lead(&sim).await;
    let body: Value = api(
        &sim,
        Method::GET,
        &format!("/api/v4/negotiations/{id}"),
        &token,
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(body["negotiationID"], id.as_str());
    assert_eq!(body["status"], "Open");
    assert_eq!(body["business"]["businessID"], BUSINESS);
}

#[tokio::test]
async fn another_pros_negotiation_is_not_found() {
    let sim = start().await;
    let response = control(
        &sim,
        &format!("/sim/v4/businesses/{OTHER_USERS_BUSINESS}/requests"),
        json!({"gapMs": 0}),
    )
    .await;
    let id = response.json::<Value>().await.expect("json")["negotiationID"]
        .as_str()
        .expect("id")
        .to_owned();
    let token = access_token(&sim).await;
    let response = api(
        &sim,
        Method::GET,
        &format!("/api/v4/negotiations/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_revoked_user_s_access_token_and_refresh_token_stop_working() {
    let sim = start().await;
    let tokens = connect(&sim, EVERY_SCOPE).await;
    let token = tokens["access_token"].as_str().expect("token");
    assert_eq!(
        control(&sim, &format!("/sim/users/{USER}/revoke"), json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(
        api(&sim, Method::GET, "/api/v4/users/self", token, None)
            .await
            .status(),
        401
    );
    let response = refresh(&sim, tokens["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn one_business_reads_back_and_another_pros_is_forbidden() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let own: Value = api(
        &sim,
        Method::GET,
        &format!("/api/v4/businesses/{BUSINESS}"),
        &token,
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(own["businessID"], BUSINESS);
    let other = api(
        &sim,
        Method::GET,
        &format!("/api/v4/businesses/{OTHER_USERS_BUSINESS}"),
        &token,
        None,
    )
    .await;
    assert_eq!(other.status(), 403);
}

#[tokio::test]
async fn the_message_list_honours_limit_and_refuses_a_limit_over_twenty() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let id = a_lead(&sim).await;
    control(
        &sim,
        &format!("/sim/v4/negotiations/{id}/customer-messages"),
        json!({"text": "second"}),
    )
    .await;
    let path = format!("/api/v4/negotiations/{id}/messages");
    let one: Value = api(&sim, Method::GET, &format!("{path}?limit=1"), &token, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["data"][0]["text"], "second");
    assert_eq!(
        api(&sim, Method::GET, &format!("{path}?limit=21"), &token, None)
            .await
            .status(),
        400
    );
    let none: Value = api(
        &sim,
        Method::GET,
        &format!("{path}?sentAfter=2999-01-01T00:00:00Z"),
        &token,
        None,
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(none["data"], json!([]));
}

async fn listed_businesses(sim: &simulator::Simulator, token: &str) -> Vec<String> {
    let listed: Value = api(sim, Method::GET, "/api/v4/businesses", token, None)
        .await
        .json()
        .await
        .expect("json");
    listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|b| b["businessID"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_business_the_pro_opens_is_listed_and_one_they_no_longer_have_is_not() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let before = listed_businesses(&sim, &token).await;
    assert!(before.contains(&BUSINESS.to_owned()), "{before:?}");

    let opened = control(
        &sim,
        &format!("/sim/users/{USER}/businesses"),
        json!({"businessID": "5001000000000000099", "name": "New Co"}),
    )
    .await;
    assert_eq!(opened.status(), 201);
    let removed = http()
        .delete(format!(
            "{}/sim/users/{USER}/businesses/{BUSINESS}",
            sim.url()
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(removed.status(), 204);

    let after = listed_businesses(&sim, &token).await;
    assert!(
        after.contains(&"5001000000000000099".to_owned()),
        "{after:?}"
    );
    assert!(!after.contains(&BUSINESS.to_owned()), "{after:?}");
    assert_eq!(after.len(), before.len());

    // Another pro's business is not this one's to close, nor to open.
    let other = http()
        .delete(format!(
            "{}/sim/users/{USER}/businesses/{OTHER_USERS_BUSINESS}",
            sim.url()
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(other.status(), 404);
    let taken = control(
        &sim,
        &format!("/sim/users/{USER}/businesses"),
        json!({"businessID": OTHER_USERS_BUSINESS}),
    )
    .await;
    assert_eq!(taken.status(), 400);
}
