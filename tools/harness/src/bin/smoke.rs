//! `make smoke`: plays Thumbtack against a running stack. Locally (default) against `make dev`;
//! against AWS with BASE_URL (the stack's ApiBaseUrl output), PARTNER_API_USERNAME and
//! PARTNER_API_PASSWORD (from the partner secret) and REPLY_QUEUE_URL (the ReplyQueueUrl output).

use adapters::config::Env;
use adapters::{SqsReplyQueue, aws};
use harness::smoke::{SmokeSettings, run};
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
    let settings = SmokeSettings {
        username: env.required("PARTNER_API_USERNAME")?,
        password: env.required("PARTNER_API_PASSWORD")?,
        sign_reads: deployed,
        region: env
            .optional("AWS_REGION")
            .unwrap_or_else(|| "us-east-1".to_owned()),
        accept_failed_reply: deployed,
        reply_timeout: Duration::from_secs(if deployed { 120 } else { 30 }),
        base_url,
    };
    let sdk = aws::sdk_config().await;
    let queue = match env.optional("REPLY_QUEUE_URL") {
        Some(url) => SqsReplyQueue::from_config(&sdk, url, ""),
        None => SqsReplyQueue::by_name(&sdk, &env.required("REPLY_QUEUE_NAME")?).await?,
    };
    println!("smoke: playing Thumbtack against {}", settings.base_url);
    run(&settings, &sdk, &queue).await?;
    Ok(())
}
