use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn hooks(business: &str) -> String {
    format!("/api/v4/businesses/{business}/webhooks")
}

fn a_webhook() -> Value {
    json!({"webhookURL": "https://partner.example.com/thumbtack", "eventTypes": ["NegotiationCreatedV4", "MessageCreatedV4"],
           "enabled": true, "auth": {"username": "tt", "password": "secret"}})
}

#[tokio::test]
async fn a_created_webhook_is_answered_201_with_its_id_and_auth_type_but_not_its_secret() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let response = api(
        &sim,
        Method::POST,
        &hooks(BUSINESS),
        &token,
        Some(a_webhook()),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("json");
    assert!(created["webhookID"].is_string());
    assert_eq!(created["authType"], "Basic");
    assert_eq!(created["businessID"], BUSINESS);
    assert_eq!(created["enabled"], true);
    assert!(!created.to_string().contains("secret"));
}

#[tokio::test]
async fn webhooks_are_read_listed_updated_and_deleted() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let created: Value = api(
        &sim,
        Method::POST,
        &hooks(BUSINESS),
        &token,
        Some(a_webhook()),
    )
    .await
    .json()
    .await
    .expect("json");
    let one = format!(
        "{}/{}",
        hooks(BUSINESS),
        created["webhookID"].as_str().expect("id")
    );

    let read: Value = api(&sim, Method::GET, &one, &token, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read, created);
    let listed: Value = api(&sim, Method::GET, &hooks(BUSINESS), &token, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["data"], json!([created]));

    let change = json!({"webhookURL": "https://partner.example.com/v2", "eventTypes": ["ReviewCreatedV4"],
                        "enabled": false, "auth": {"header": "X-Secret", "value": "v"}});
    let updated: Value = api(&sim, Method::PUT, &one, &token, Some(change))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["authType"], "CustomHeader");
    assert_eq!(updated["enabled"], false);
    assert_eq!(updated["webhookURL"], "https://partner.example.com/v2");

    assert_eq!(
        api(&sim, Method::DELETE, &one, &token, None).await.status(),
        204
    );
    assert_eq!(
        api(&sim, Method::GET, &one, &token, None).await.status(),
        404
    );
}

#[tokio::test]
async fn a_plain_http_webhook_url_is_refused_unless_on_loopback_in_local_mode() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let mut hook = a_webhook();
    hook["webhookURL"] = json!("http://partner.example.com/thumbtack");
    assert_eq!(
        api(
            &sim,
            Method::POST,
            &hooks(BUSINESS),
            &token,
            Some(hook.clone())
        )
        .await
        .status(),
        400
    );
    hook["webhookURL"] = json!("http://127.0.0.1:9/thumbtack");
    assert_eq!(
        api(
            &sim,
            Method::POST,
            &hooks(BUSINESS),
            &token,
            Some(hook.clone())
        )
        .await
        .status(),
        201
    );

    let mut config = config();
    config.local_mode = false;
    let strict = start_with(config).await;
    let token = access_token(&strict).await;
    assert_eq!(
        api(&strict, Method::POST, &hooks(BUSINESS), &token, Some(hook))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn an_unknown_event_type_is_refused() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let mut hook = a_webhook();
    hook["eventTypes"] = json!(["NegotationCreatedV4"]);
    let response = api(&sim, Method::POST, &hooks(BUSINESS), &token, Some(hook)).await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("NegotationCreatedV4")
    );
}

#[tokio::test]
async fn webhooks_of_another_pros_business_are_forbidden() {
    let sim = start().await;
    let token = access_token(&sim).await;
    let response = api(
        &sim,
        Method::POST,
        &hooks(OTHER_USERS_BUSINESS),
        &token,
        Some(a_webhook()),
    )
    .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn webhook_calls_need_the_webhook_scopes() {
    let sim = start().await;
    let tokens = connect(&sim, "supply::webhooks.read").await;
    let token = tokens["access_token"].as_str().expect("token");
    assert_eq!(
        api(&sim, Method::GET, &hooks(BUSINESS), token, None)
            .await
            .status(),
        200
    );
    let response = api(
        &sim,
        Method::POST,
        &hooks(BUSINESS),
        token,
        Some(a_webhook()),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("supply::webhooks.write")
    );
}
