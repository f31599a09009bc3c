//! The connections binary under our Lambda Runtime API, started as the template starts it: the
//! API's URL in an SSM parameter, the v4 client in a Secrets Manager secret, the tokens' key in
//! KMS (moto's). It answers an HTTP API request with the consent link built on the parameter's
//! URL, and takes the daily schedule's event.

use crate::support::*;
use harness::runtime_api::{Answer, RuntimeApi};
use serde_json::{Value, json};
use std::process::Stdio;

const API_URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com";

/// The function polling `runtime` with `env` (and Lambda's own variables).
fn launch(runtime: &RuntimeApi, env: &[(&str, String)]) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(binary("connections"));
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &runtime.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "connections")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/connections")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env(
            "AWS_ENDPOINT_URL",
            std::env::var("AWS_ENDPOINT_URL").unwrap(),
        )
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command.spawn().unwrap()
}

/// What the template gives the function, with the stage's parameter, secret and key made in moto.
async fn deployed_env(table: &str) -> Vec<(&'static str, String)> {
    let sdk = sdk().await;
    let parameter = format!("/thumbtack-partner/{}/public-api-url", unique_name("stage"));
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(&parameter)
        .value(API_URL)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let client = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(unique_name("thumbtack-v4-client"))
        .secret_string(json!({"username": "v4-client", "password": "v4-secret"}).to_string())
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let key = aws_sdk_kms::Client::new(&sdk)
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    vec![
        ("TABLE_NAME", table.to_owned()),
        ("PUBLIC_API_URL_PARAMETER", parameter),
        ("TOKEN_KEY_ID", key),
        ("THUMBTACK_V4_CLIENT_SECRET_ARN", client),
        ("SECRETS_CACHE_SECONDS", "300".to_owned()),
        (
            "THUMBTACK_V4_AUTH_URL",
            "https://auth.thumbtack.com/oauth2/auth".to_owned(),
        ),
        (
            "THUMBTACK_V4_TOKEN_URL",
            "https://auth.thumbtack.com/oauth2/token".to_owned(),
        ),
        (
            "THUMBTACK_V4_API_BASE_URL",
            "https://api.thumbtack.com/api".to_owned(),
        ),
        ("THUMBTACK_TIMEOUT_SECONDS", "5".to_owned()),
        ("CONNECT_STATE_KEY", "s".repeat(64)),
        (
            "CONNECT_RETURN_URLS",
            "https://partner.example/app".to_owned(),
        ),
        ("METRICS_NAMESPACE", "ThumbtackPartner/test".to_owned()),
    ]
}

fn answered(answer: Option<Answer>) -> Value {
    match answer {
        Some(Answer::Response(value)) => value,
        Some(Answer::Error(error)) => panic!("the function failed: {error}"),
        None => panic!("the function did not answer in time"),
    }
}

#[tokio::test]
async fn the_deployed_function_builds_its_consent_link_on_the_parameter_s_url_and_takes_the_schedule()
 {
    let table = fresh_table().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let _function = launch(&runtime, &deployed_env(&table.name).await);

    let mut start: Value = serde_json::from_str(fixtures::events::HTTP_POST).unwrap();
    start["routeKey"] = json!("POST /v1/connections");
    start["rawPath"] = json!("/v1/connections");
    start["requestContext"]["http"]["path"] = json!("/v1/connections");
    start["requestContext"]["routeKey"] = json!("POST /v1/connections");
    start["body"] = json!(json!({"reference": "pro-42"}).to_string());
    let started = answered(runtime.invoke(start).await);
    assert_eq!(started["statusCode"], 201, "{started}");
    let body: Value = serde_json::from_str(started["body"].as_str().unwrap()).unwrap();
    let link = reqwest::Url::parse(body["authorizeURL"].as_str().unwrap()).unwrap();
    let query: std::collections::HashMap<String, String> =
        link.query_pairs().into_owned().collect();
    assert_eq!(link.host_str(), Some("auth.thumbtack.com"));
    assert_eq!(query["client_id"], "v4-client", "from the secret");
    assert_eq!(
        query["redirect_uri"],
        format!("{API_URL}/v1/connections/callback"),
        "from the parameter"
    );

    // EventBridge's event for the daily schedule: the sweep, over an empty registry.
    let scheduled = json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-08T04:30:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/sweep"],
        "detail": {}
    });
    assert_eq!(answered(runtime.invoke(scheduled).await)["checked"], 0);
}

#[tokio::test]
async fn without_its_parameter_the_function_fails_init_and_names_it() {
    let table = fresh_table().await;
    let runtime = RuntimeApi::start().await.unwrap();
    let mut env = deployed_env(&table.name).await;
    let missing = format!("/thumbtack-partner/{}/public-api-url", unique_name("none"));
    for (key, value) in &mut env {
        if *key == "PUBLIC_API_URL_PARAMETER" {
            *value = missing.clone();
        }
    }
    let function = launch(&runtime, &env);
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        function.wait_with_output(),
    )
    .await
    .expect("init ends")
    .unwrap();
    assert!(!output.status.success());
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(logs.contains(&missing), "{logs}");
    assert!(logs.contains("init failed"), "{logs}");
}
