use crate::common::*;
use crate::deliveries::{bodies, partner, subscribe};
use serde_json::Value;
use simulator::{Decision, DriveError};

fn authorize_url(sim: &simulator::Simulator, state: &str) -> String {
    let mut params = authorize_params(EVERY_SCOPE);
    params[3].1 = state.into();
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("{}/oauth2/auth?{}", sim.url(), query(&pairs))
}

fn params_of(location: &str) -> std::collections::HashMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn the_driver_approves_the_consent_page_and_returns_a_code_that_exchanges() {
    let sim = start().await;
    let location = sim
        .consent(&authorize_url(&sim, "drive-state-1"), Decision::Approve)
        .await
        .expect("consent");
    assert!(location.starts_with(REDIRECT));
    let params = params_of(&location);
    assert_eq!(params["state"], "drive-state-1");
    assert_eq!(exchange(&sim, &params["code"]).await.status(), 200);
}

#[tokio::test]
async fn the_driver_denies_and_returns_access_denied() {
    let sim = start().await;
    let location = sim
        .consent(&authorize_url(&sim, "drive-state-1"), Decision::Deny)
        .await
        .expect("consent");
    assert_eq!(params_of(&location)["error"], "access_denied");
}

#[tokio::test]
async fn the_driver_returns_the_error_redirect_of_a_refused_authorize_request() {
    let sim = start().await;
    let location = sim
        .consent(&authorize_url(&sim, "short"), Decision::Approve)
        .await
        .expect("a redirect");
    assert_eq!(params_of(&location)["error"], "invalid_state");
}

#[tokio::test]
async fn the_driver_makes_a_lead_and_waits_for_its_two_deliveries() {
    let sim = start().await;
    let partner = partner(200).await;
    subscribe(&sim, &partner, Value::Null).await;
    let lead = sim.new_lead(BUSINESS).await.expect("lead");
    let delivered = sim
        .wait_for_deliveries(2, std::time::Duration::from_secs(2))
        .await;
    assert_eq!(delivered.len(), 2);
    let bodies = bodies(&partner).await;
    assert_eq!(bodies[0]["data"]["messageID"], lead.message_id.as_str());
    assert_eq!(
        bodies[1]["data"]["negotiationID"],
        lead.negotiation_id.as_str()
    );
}

#[tokio::test]
async fn a_refused_control_call_is_an_error_with_its_status() {
    let sim = start().await;
    let error = sim.new_lead("no-such-business").await.expect_err("refused");
    assert!(matches!(error, DriveError::Refused(_, 404, _)), "{error}");
}

#[tokio::test]
async fn a_control_call_with_a_null_body_takes_the_defaults() {
    let sim = start().await;
    let path = format!("/sim/v4/businesses/{BUSINESS}/requests");
    let answer = sim.control(&path, Value::Null).await.expect("accepted");
    assert!(answer["negotiationID"].is_string());
}
