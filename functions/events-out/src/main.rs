//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, events_settings};
use adapters::{DynamoStore, EventBridgeBus, aws, warm_up};
use app::events::{EventsDeps, PublishPolicy};
use app::metrics::Metrics;
use lambda_runtime::{Error, service_fn};

type Deps = EventsDeps<DynamoStore, EventBridgeBus>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::logging::init();
    let deps = init().await.inspect_err(|error| {
        // The line Lambda's logs show before it reports the failed init.
        tracing::error!(%error, "init failed; the function cannot start");
    })?;
    lambda_runtime::run(service_fn(|event| {
        events_out::handler::handle(&deps, event)
    }))
    .await
}

async fn init() -> Result<Deps, Error> {
    let settings = events_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let deps = EventsDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        bus: EventBridgeBus::from_config(&sdk, settings.bus_name),
        policy: PublishPolicy::default(),
        metrics: Metrics::configured(settings.metrics_namespace, "events-out"),
    };
    // Not on the first batch, and not in init's way: the connections to EventBridge and
    // DynamoDB open in the background while the runtime asks for the first batch.
    let (bus, store) = (deps.bus.warm_up(), deps.store.warm_up());
    warm_up::in_background(async move {
        tokio::join!(bus, store);
    });
    Ok(deps)
}
