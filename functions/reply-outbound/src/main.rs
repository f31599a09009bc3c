//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, reply_settings};
use adapters::secrets::thumbtack_credentials;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue, aws};
use app::metrics::Metrics;
use app::replies::ReplyDeps;
use lambda_runtime::{Error, service_fn};

type Deps = ReplyDeps<DynamoStore, HttpThumbtack, SqsReplyQueue>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::logging::init();
    let deps = init().await.inspect_err(|error| {
        // The line Lambda's logs show before it reports the failed init.
        tracing::error!(%error, "init failed; the function cannot start");
    })?;
    lambda_runtime::run(service_fn(|event| {
        reply_outbound::handler::handle(&deps, event)
    }))
    .await
}

async fn init() -> Result<Deps, Error> {
    let settings = reply_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let credentials = thumbtack_credentials(&settings.thumbtack_credentials, &sdk);
    let deps = ReplyDeps {
        ledger: DynamoStore::from_config(&sdk, settings.table),
        thumbtack: HttpThumbtack::new(&settings.thumbtack, credentials)?,
        queue: SqsReplyQueue::from_config(&sdk, settings.queue_url, settings.dlq_url),
        policy: settings.policy,
        metrics: Metrics::configured(settings.metrics_namespace, "reply-outbound"),
    };
    // Now, not on the first batch: Thumbtack's credentials from Secrets Manager, and the
    // connections to Thumbtack (a HEAD of its base URL), DynamoDB and SQS.
    deps.thumbtack.warm_up().await?;
    deps.ledger.warm_up().await;
    deps.queue.warm_up().await;
    Ok(deps)
}
