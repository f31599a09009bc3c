use crate::common::*;
use base64::Engine;
use sha2::{Digest, Sha256};
use simulator::Config;
use std::time::Duration;

#[tokio::test]
async fn the_consent_page_shows_the_users_businesses_and_both_choices() {
    let sim = start().await;
    let response = get_authorize(&sim, &authorize_params(EVERY_SCOPE)).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("Tim&#39;s Painting Business") || page.contains("Tim's Painting Business")
    );
    assert!(page.contains("Example Lawn Co"));
    assert!(
        !page.contains("Other Co"),
        "another pro's business is not shown"
    );
    assert!(page.contains("value=\"approve\"") && page.contains("value=\"deny\""));
}

#[tokio::test]
async fn approving_redirects_back_with_a_code_and_the_state() {
    let sim = start().await;
    let page = get_authorize(&sim, &authorize_params(EVERY_SCOPE))
        .await
        .text()
        .await
        .expect("page");
    let params = decide(&sim, &page, "approve").await;
    assert_eq!(params["state"], "state-1234");
    assert!(!params["code"].is_empty());
}

#[tokio::test]
async fn denying_redirects_back_with_access_denied_and_the_state() {
    let sim = start().await;
    let page = get_authorize(&sim, &authorize_params(EVERY_SCOPE))
        .await
        .text()
        .await
        .expect("page");
    let params = decide(&sim, &page, "deny").await;
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "state-1234");
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn a_redirect_uri_that_differs_by_a_trailing_slash_gets_an_error_page_not_a_redirect() {
    let sim = start().await;
    let mut params = authorize_params(EVERY_SCOPE);
    params[1].1 = format!("{REDIRECT}/");
    let response = get_authorize(&sim, &params).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page() {
    let sim = start().await;
    let mut params = authorize_params(EVERY_SCOPE);
    params[0].1 = "someone-else".into();
    assert_eq!(get_authorize(&sim, &params).await.status(), 400);
}

#[tokio::test]
async fn a_missing_audience_is_refused_with_invalid_request() {
    let sim = start().await;
    let mut params = authorize_params(EVERY_SCOPE);
    params.retain(|(k, _)| *k != "audience");
    let response = get_authorize(&sim, &params).await;
    assert_eq!(redirect_params(&response)["error"], "invalid_request");
}

#[tokio::test]
async fn a_state_shorter_than_eight_characters_is_refused() {
    let sim = start().await;
    let mut params = authorize_params(EVERY_SCOPE);
    params[3].1 = "1234567".into();
    let response = get_authorize(&sim, &params).await;
    assert_eq!(redirect_params(&response)["error"], "invalid_state");
}

#[tokio::test]
async fn a_response_type_other_than_code_is_refused() {
    let sim = start().await;
    let mut params = authorize_params(EVERY_SCOPE);
    params[2].1 = "token".into();
    let response = get_authorize(&sim, &params).await;
    assert_eq!(
        redirect_params(&response)["error"],
        "unsupported_response_type"
    );
}

#[tokio::test]
async fn a_scope_the_client_was_not_given_is_refused_with_invalid_scope() {
    let mut config = config();
    config.clients[0].scopes = vec!["offline_access".into(), "supply::negotiations.write".into()];
    let sim = start_with(config).await;
    let response = get_authorize(
        &sim,
        &authorize_params("offline_access supply::businesses.list"),
    )
    .await;
    assert_eq!(redirect_params(&response)["error"], "invalid_scope");
}

#[tokio::test]
async fn a_code_is_exchanged_for_an_opaque_bearer_token_of_an_hour() {
    let sim = start().await;
    let tokens = connect(&sim, EVERY_SCOPE).await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert!(tokens["refresh_token"].is_string());
    assert_eq!(
        tokens["scope"],
        EVERY_SCOPE.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    assert_eq!(
        tokens["access_token"]
            .as_str()
            .expect("token")
            .split('.')
            .count(),
        1,
        "not a JWT"
    );
}

#[tokio::test]
async fn without_offline_access_no_refresh_token_is_issued() {
    let sim = start().await;
    let tokens = connect(&sim, "supply::businesses.list").await;
    assert!(tokens.get("refresh_token").is_none());
}

#[tokio::test]
async fn a_code_works_only_once() {
    let sim = start().await;
    let code = code_for(&sim, &authorize_params(EVERY_SCOPE)).await;
    assert_eq!(exchange(&sim, &code).await.status(), 200);
    let again = exchange(&sim, &code).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn an_expired_code_is_an_invalid_grant() {
    let mut config = config();
    config.lifetimes.authorization_code_ms = 100;
    let sim = start_with(config).await;
    let code = code_for(&sim, &authorize_params(EVERY_SCOPE)).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = exchange(&sim, &code).await;
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_code_exchanged_with_another_redirect_uri_is_an_invalid_grant() {
    let sim = start().await;
    let code = code_for(&sim, &authorize_params(EVERY_SCOPE)).await;
    let response = token_request(
        &sim,
        (CLIENT_ID, CLIENT_SECRET),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:3000/other"),
        ],
    )
    .await;
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_invalid_client_with_401() {
    let sim = start().await;
    let code = code_for(&sim, &authorize_params(EVERY_SCOPE)).await;
    let response = token_request(
        &sim,
        (CLIENT_ID, "wrong"),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_client"
    );
}

#[tokio::test]
async fn client_credentials_are_refused_as_an_unauthorized_client() {
    let sim = start().await;
    let response = token_request(
        &sim,
        (CLIENT_ID, CLIENT_SECRET),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["error"],
        "unauthorized_client"
    );
}

fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[tokio::test]
async fn with_pkce_the_right_verifier_is_needed() {
    let sim = start().await;
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefgh";
    let mut params = authorize_params(EVERY_SCOPE);
    params.push(("code_challenge", challenge_of(verifier)));
    params.push(("code_challenge_method", "S256".into()));
    let code = code_for(&sim, &params).await;
    let form = |v: &'static str| {
        [
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
            ("code_verifier", v),
        ]
    };
    let mut wrong = form("not-the-verifier").to_vec();
    wrong.push(("code", &code));
    let refused = token_request(&sim, (CLIENT_ID, CLIENT_SECRET), &wrong).await;
    assert_eq!(
        refused.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_grant"
    );

    let code = code_for(&sim, &params).await;
    let mut right = form("a-verifier-of-enough-length-0123456789-abcdefgh").to_vec();
    right.push(("code", &code));
    assert_eq!(
        token_request(&sim, (CLIENT_ID, CLIENT_SECRET), &right)
            .await
            .status(),
        200
    );
}

async fn refresh_token_of(sim: &simulator::Simulator) -> String {
    connect(sim, EVERY_SCOPE).await["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned()
}

#[tokio::test]
async fn each_refresh_returns_a_new_refresh_token() {
    let sim = start().await;
    let first = refresh_token_of(&sim).await;
    let response = refresh(&sim, &first).await;
    assert_eq!(response.status(), 200);
    let tokens: serde_json::Value = response.json().await.expect("json");
    let second = tokens["refresh_token"].as_str().expect("new refresh token");
    assert_ne!(second, first);
    assert_eq!(refresh(&sim, second).await.status(), 200);
}

#[tokio::test]
async fn a_used_refresh_token_still_works_within_the_grace_window() {
    let sim = start().await;
    let first = refresh_token_of(&sim).await;
    assert_eq!(refresh(&sim, &first).await.status(), 200);
    assert_eq!(
        refresh(&sim, &first).await.status(),
        200,
        "lost response, retried at once"
    );
}

#[tokio::test]
async fn a_used_refresh_token_fails_after_the_grace_window() {
    let mut config = config();
    config.lifetimes.refresh_grace_ms = 100;
    let sim = start_with(config).await;
    let first = refresh_token_of(&sim).await;
    assert_eq!(refresh(&sim, &first).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = refresh(&sim, &first).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn an_unused_refresh_token_expires_after_its_lifetime() {
    let mut config = config();
    config.lifetimes.refresh_token_ms = 100;
    let sim = start_with(config).await;
    let first = refresh_token_of(&sim).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = refresh(&sim, &first).await;
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_refresh_asking_for_a_scope_not_granted_is_an_invalid_scope() {
    let sim = start().await;
    let code = code_for(&sim, &authorize_params("offline_access supply::users.read")).await;
    let tokens: serde_json::Value = exchange(&sim, &code).await.json().await.expect("json");
    let response = token_request(
        &sim,
        (CLIENT_ID, CLIENT_SECRET),
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("rt"),
            ),
            ("scope", "supply::businesses.list"),
        ],
    )
    .await;
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_scope"
    );
}

#[tokio::test]
async fn an_expired_access_token_is_refused_with_401() {
    let mut config: Config = config();
    config.lifetimes.access_token_ms = 100;
    let sim = start_with(config).await;
    let token = access_token(&sim).await;
    assert_eq!(
        api(
            &sim,
            reqwest::Method::GET,
            "/api/v4/users/self",
            &token,
            None
        )
        .await
        .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        api(
            &sim,
            reqwest::Method::GET,
            "/api/v4/users/self",
            &token,
            None
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn login_hint_picks_the_pro_whose_businesses_the_page_shows() {
    let sim = start().await;
    let mut params = authorize_params(EVERY_SCOPE);
    params.push(("login_hint", "other@example.com".into()));
    let page = get_authorize(&sim, &params)
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("Other Co"));
    assert!(!page.contains("Example Lawn Co"));
}
