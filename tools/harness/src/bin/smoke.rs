//! `make smoke`: plays Thumbtack against a running stack. Locally (default) against `make dev`;
//! against AWS with BASE_URL (the stack's ApiBaseUrl output), PARTNER_API_USERNAME and
//! PARTNER_API_PASSWORD (from the partner secret) and REPLY_QUEUE_URL (the ReplyQueueUrl output).

use adapters::config::Env;
use adapters::{SqsReplyQueue, aws};
use cli::local::{DEFAULT_ADDR, DEFAULT_PASSWORD, DEFAULT_REPLY_QUEUE, DEFAULT_USERNAME};
use harness::smoke::{SmokeSettings, run};
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit("smoke", run_smoke().await)
}

async fn run_smoke() -> cli::Result {
    let env = Env::process();
    let base_url = env
        .optional("BASE_URL")
        .unwrap_or_else(|| format!("http://{DEFAULT_ADDR}"));
    let deployed = base_url.starts_with("https://");
    let settings = SmokeSettings {
        username: env
            .optional("PARTNER_API_USERNAME")
            .unwrap_or_else(|| DEFAULT_USERNAME.to_owned()),
        password: env
            .optional("PARTNER_API_PASSWORD")
            .unwrap_or_else(|| DEFAULT_PASSWORD.to_owned()),
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
        None => {
            let name = env
                .optional("REPLY_QUEUE_NAME")
                .unwrap_or_else(|| DEFAULT_REPLY_QUEUE.to_owned());
            SqsReplyQueue::by_name(&sdk, &name).await?
        }
    };
    println!("smoke: playing Thumbtack against {}", settings.base_url);
    run(&settings, &sdk, &queue).await
}
