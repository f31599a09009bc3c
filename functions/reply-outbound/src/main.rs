//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, reply_settings};
use adapters::secrets::thumbtack_credentials;
use adapters::{DynamoStore, HttpThumbtack, SqsReplyQueue, aws, warm_up};
use app::deps::ReplyDeps;
use app::metrics::Metrics;
use lambda_runtime::{Error, service_fn};

type Deps = ReplyDeps<DynamoStore, HttpThumbtack, SqsReplyQueue>;

// One thread: an invocation waits on I/O, and a worker per core costs start-up and hand-offs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let deps = adapters::start(init()).await?;
    lambda_runtime::run(service_fn(|event| {
        reply_outbound::handler::handle(&deps, event)
    }))
    .await
}

async fn init() -> Result<Deps, Error> {
    let settings = reply_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let secret = settings.thumbtack_credentials.is_read_at_init();
    let credentials = thumbtack_credentials(&settings.thumbtack_credentials, &sdk);
    let ledger = DynamoStore::from_config(&sdk, settings.table);
    let metrics = Metrics::configured(settings.metrics_namespace, "reply-outbound");
    let mut thumbtack = HttpThumbtack::new(&settings.thumbtack, credentials)?;
    // v4 for connected businesses and v4 leads (their tokens in the same table); no v4 client
    // secret read at init: a process that only ever replies through legacy never needs it.
    if let Some(v4) = settings.v4 {
        thumbtack = thumbtack.with_v4_settings(&sdk, ledger.clone(), v4, metrics.clone())?;
    }
    let deps = ReplyDeps {
        ledger,
        thumbtack,
        queue: SqsReplyQueue::from_config(&sdk, settings.queue_url, settings.dlq_url),
        policy: settings.policy,
        metrics,
    };
    // Init waits for Thumbtack's credentials (it fails without them): the connections a send
    // uses, to DynamoDB (the ledger) and to Thumbtack (a HEAD of its base URL), open meanwhile,
    // in the background. Not SQS's: a send that goes through never calls it (only parking and
    // redelivery do). Credentials from the environment leave init nothing to wait for, and a
    // warm-up nothing to win (adapters::warm_up).
    if secret {
        let (thumbtack, ledger) = (deps.thumbtack.open_connection(), deps.ledger.warm_up());
        warm_up::in_background(async move {
            tokio::join!(thumbtack, ledger);
        });
    }
    deps.thumbtack.credentials_ready().await?;
    Ok(deps)
}
