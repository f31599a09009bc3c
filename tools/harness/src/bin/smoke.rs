//! `make smoke`: plays Thumbtack against a running stack. Locally (default) against `make dev`;
//! against AWS with BASE_URL (the stack's ApiBaseUrl output), PARTNER_API_USERNAME and
//! PARTNER_API_PASSWORD (from the partner secret) and REPLY_QUEUE_URL (the ReplyQueueUrl output);
//! with SIMULATOR_URL (the SimulatorUrl output of a stage with SimulatorEnabled=true) it also runs a
//! lead and its reply through the stage's Thumbtack simulator (`make smoke STAGE=...` sets them all).

use adapters::config::Env;
use adapters::{SqsReplyQueue, aws};
use harness::smoke::{SmokeSettings, run};
use harness::smoke_simulator::both_directions;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit("smoke", run_smoke().await)
}

async fn run_smoke() -> cli::Result {
    let env = cli::local::env(Env::process());
    let base_url = cli::local::base_url(&env);
    let deployed = base_url.starts_with("https://");
    let simulator = env.optional("SIMULATOR_URL").filter(|url| !url.is_empty());
    let settings = SmokeSettings {
        username: env.required("PARTNER_API_USERNAME")?,
        password: env.required("PARTNER_API_PASSWORD")?,
        sign_reads: deployed,
        region: env
            .optional("AWS_REGION")
            .unwrap_or_else(|| "us-east-1".to_owned()),
        // With the simulator the stage's replies go to it, which takes every lead's.
        accept_failed_reply: deployed && simulator.is_none(),
        reply_timeout: Duration::from_secs(if deployed { 120 } else { 30 }),
        base_url,
        simulator_url: simulator.clone(),
    };
    let sdk = aws::sdk_config().await;
    let queue = match env.optional("REPLY_QUEUE_URL") {
        Some(url) => SqsReplyQueue::from_config(&sdk, url, ""),
        None => SqsReplyQueue::by_name(&sdk, &env.required("REPLY_QUEUE_NAME")?).await?,
    };
    println!("smoke: playing Thumbtack against {}", settings.base_url);
    run(&settings, &sdk, &queue).await?;
    if let Some(url) = simulator {
        println!("smoke: both directions through the stage's Thumbtack simulator at {url}");
        let lead = both_directions(&url, app::now_millis(), settings.reply_timeout, |reply| {
            let queue = &queue;
            async move {
                queue.enqueue(&reply).await?;
                Ok(())
            }
        })
        .await?;
        println!("  ok   the simulator delivered lead {lead}, the stage stored it and replied");
    }
    Ok(())
}
