//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, reply_settings};
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue, aws};
use app::replies::ReplyDeps;
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = reply_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let deps = ReplyDeps {
        ledger: DynamoStore::from_config(&sdk, settings.table),
        thumbtack: HttpThumbtack::new(&settings.thumbtack)?,
        queue: SqsReplyQueue::from_config(&sdk, settings.queue_url, settings.dlq_url),
        policy: settings.policy,
    };
    lambda_runtime::run(service_fn(|event| {
        reply_outbound::handler::handle(&deps, event)
    }))
    .await
}
