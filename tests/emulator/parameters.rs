//! Plain values from SSM parameters (moto's), as the connections function and a stage's simulator
//! read the stage's API URL at init (adapters::parameters says why it is not in their environment).

use crate::support::*;
use adapters::config::{Env, connections_settings, public_api_url_parameter};
use adapters::parameters::{ParameterError, read_parameter};
use aws_sdk_ssm::types::ParameterType;

const API_URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com";

async fn put(name: &str, value: &str) {
    aws_sdk_ssm::Client::new(&sdk().await)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_connections_settings_take_the_api_s_url_from_the_parameter_the_template_names() {
    let name = format!("/thumbtack-partner/{}/public-api-url", unique_name("stage"));
    put(&name, API_URL).await;
    // The function's init, on the variables the template sets (no PUBLIC_API_URL among them).
    let vars: std::collections::HashMap<&str, String> = [
        ("TABLE_NAME", "t".to_owned()),
        ("TOKEN_KEY_ID", "alias/tokens".to_owned()),
        ("PUBLIC_API_URL_PARAMETER", name.clone()),
        ("THUMBTACK_V4_CLIENT_ID", "client".to_owned()),
        ("THUMBTACK_V4_CLIENT_SECRET", "secret".to_owned()),
        ("CONNECT_STATE_KEY", "k".repeat(32)),
    ]
    .into();
    let env = Env::with(move |var| vars.get(var).cloned());
    let parameter = public_api_url_parameter(&env).unwrap();
    let url = read_parameter(&sdk().await, &parameter).await.unwrap();
    assert_eq!(url, API_URL);
    let settings = connections_settings(&env.answering("PUBLIC_API_URL", Some(url))).unwrap();
    assert_eq!(
        settings.oauth.redirect_uri(),
        format!("{API_URL}/v1/connections/callback")
    );
}

#[tokio::test]
async fn a_parameter_that_does_not_exist_is_an_error_that_names_it() {
    let name = format!(
        "/thumbtack-partner/{}/public-api-url",
        unique_name("missing")
    );
    let error = read_parameter(&sdk().await, &name).await.unwrap_err();
    assert!(
        matches!(error, ParameterError::Unavailable(..)),
        "{error:?}"
    );
    assert!(error.to_string().contains(&name), "{error}");
}
