//! `make smoke` through a stage's Thumbtack simulator (`SimulatorEnabled=true`, the stack output
//! `SimulatorUrl`): the simulator delivers a legacy lead to the stage, as Thumbtack would, and the
//! stage's reply to it arrives back at the simulator, so both directions run without Thumbtack.

use cli::Error;
use models::ReplyRequest;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The business of the simulator's lead (the smoke test's own).
const BUSINESS_ID: &str = "smoke-business";

/// A lead of the run's own through the simulator: delivered and stored (the stage answered 2xx),
/// then `send_reply` (the reply queue, in a real run) and the reply seen by the simulator within
/// `within`. Answers the lead's id.
pub async fn both_directions<F, Fut>(
    simulator_url: &str,
    stamp: u64,
    within: Duration,
    send_reply: F,
) -> Result<String, Error>
where
    F: FnOnce(ReplyRequest) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(70))
        .build()?;
    let base = simulator_url.trim_end_matches('/');
    let lead_id = format!("smoke-sim-{stamp}");
    let request = json!({"leadID": lead_id, "businessID": BUSINESS_ID, "shape": "2025"});
    let answer = http
        .post(format!("{base}/sim/legacy/leads"))
        .json(&request)
        .send()
        .await?;
    if !answer.status().is_success() {
        let status = answer.status();
        let body = answer.text().await.unwrap_or_default();
        return Err(format!("the simulator refused the lead: {status} {body}").into());
    }
    // The control call answers after its delivery: the log already has it.
    let log: Value = http
        .get(format!("{base}/sim/log"))
        .send()
        .await?
        .json()
        .await?;
    let delivered = log.as_array().into_iter().flatten().find(|entry| {
        entry["kind"] == "delivered"
            && entry["eventType"] == "POST /v1/lead"
            && entry["body"]["leadID"] == lead_id.as_str()
    });
    match delivered.and_then(|entry| entry["status"].as_u64()) {
        Some(status) if (200..300).contains(&status) => {}
        _ => {
            return Err(format!("the stage did not take the lead {lead_id}: {delivered:?}").into());
        }
    }
    send_reply(ReplyRequest {
        reply_id: format!("smoke-sim-reply-{stamp}"),
        business_id: BUSINESS_ID.to_owned(),
        lead_id: lead_id.clone(),
        text: "Thanks, through the simulator.".to_owned(),
    })
    .await?;
    let started = Instant::now();
    loop {
        let replies: Value = http
            .get(format!("{base}/sandbox/messages"))
            .send()
            .await?
            .json()
            .await?;
        let arrived = replies
            .as_array()
            .into_iter()
            .flatten()
            .any(|reply| reply["leadID"] == lead_id.as_str());
        if arrived {
            return Ok(lead_id);
        }
        if started.elapsed() > within {
            return Err(format!("no reply to {lead_id} at the simulator after {within:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simulator::{Config, Simulator};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A stage that takes every lead; its reply function is played by the test.
    async fn stage() -> MockServer {
        let stage = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/lead"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&stage)
            .await;
        stage
    }

    async fn simulator(stage: &MockServer) -> Simulator {
        let mut config = Config::default();
        config.settings.legacy_partner_url = Some(stage.uri());
        Simulator::start(config).await.expect("simulator")
    }

    /// The stage's reply function: the reply to the simulator's legacy endpoint, with Basic.
    async fn reply_to(sim_url: String, reply: ReplyRequest) -> Result<(), Error> {
        let url = format!(
            "{sim_url}/v1/business/{}/lead/{}/message",
            reply.business_id, reply.lead_id
        );
        reqwest::Client::new()
            .post(url)
            .basic_auth("partner", Some("sandbox-password"))
            .json(&json!({"text": reply.text}))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    #[tokio::test]
    async fn a_lead_delivered_by_the_simulator_and_its_reply_back_pass_both_directions() {
        let stage = stage().await;
        let sim = simulator(&stage).await;
        let url = sim.url().to_owned();
        let lead = both_directions(sim.url(), 1, Duration::from_secs(5), |reply| {
            reply_to(url, reply)
        })
        .await
        .expect("both directions");
        assert_eq!(lead, "smoke-sim-1");
        let received = stage.received_requests().await.expect("recorded");
        assert_eq!(received.len(), 1);
    }

    #[tokio::test]
    async fn a_reply_that_never_reaches_the_simulator_fails_the_run() {
        let stage = stage().await;
        let sim = simulator(&stage).await;
        let outcome = both_directions(sim.url(), 2, Duration::from_millis(600), |_| async {
            Ok(())
        })
        .await;
        let error = outcome.expect_err("no reply arrived").to_string();
        assert!(error.contains("no reply to smoke-sim-2"), "{error}");
    }

    #[tokio::test]
    async fn a_stage_that_refuses_the_lead_fails_the_run() {
        let stage = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401))
            .mount(&stage)
            .await;
        let sim = simulator(&stage).await;
        let outcome =
            both_directions(sim.url(), 3, Duration::from_secs(1), |_| async { Ok(()) }).await;
        let error = outcome.expect_err("the lead was refused").to_string();
        assert!(error.contains("did not take the lead"), "{error}");
    }
}
