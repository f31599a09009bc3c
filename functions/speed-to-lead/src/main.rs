//! Lambda entry point: wiring only. The logic is in `handler` and `app::speed`.

use adapters::config::{Env, speed_settings};
use adapters::{DynamoStore, EventBridgeScheduler, SqsReplyQueue, aws};
use app::deps::SpeedDeps;
use app::metrics::Metrics;
use lambda_runtime::{Error, service_fn};

type Deps = SpeedDeps<DynamoStore, SqsReplyQueue, EventBridgeScheduler>;

// One thread: an invocation waits on I/O, and a worker per core costs start-up and hand-offs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let deps = adapters::start(init()).await?;
    lambda_runtime::run(service_fn(|event: lambda_runtime::LambdaEvent<_>| {
        // Schedules wake this function: it learns its own ARN from its first invocation.
        deps.scheduler.target(&event.context.invoked_function_arn);
        let deps = &deps;
        async move {
            speed_to_lead::handler::handle(deps, event.payload)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}

async fn init() -> Result<Deps, Error> {
    let settings = speed_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    // No warm-up: init waits for nothing it could overlap, and on a cold start the first event
    // is already waiting, so its own connections would be ready first (adapters::warm_up).
    Ok(SpeedDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        // Only enqueues: the dead-letter queue is the reply function's business.
        outbox: SqsReplyQueue::from_config(&sdk, settings.queue_url, ""),
        scheduler: EventBridgeScheduler::from_config(
            &sdk,
            settings.schedule_group,
            settings.scheduler_role_arn,
            settings.schedule_dead_letter_arn,
        ),
        metrics: Metrics::configured(settings.metrics_namespace, "speed-to-lead"),
        fresh_within: settings.fresh_within,
    })
}
