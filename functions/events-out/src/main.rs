//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, events_settings};
use adapters::{DynamoStore, EventBridgeBus, aws};
use app::deps::EventsDeps;
use app::events::PublishPolicy;
use app::metrics::Metrics;
use lambda_runtime::{Error, service_fn};

type Deps = EventsDeps<DynamoStore, EventBridgeBus>;

// One thread: an invocation waits on I/O, and a worker per core costs start-up and hand-offs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let deps = adapters::start(init()).await?;
    lambda_runtime::run(service_fn(|event| {
        events_out::handler::handle(&deps, event)
    }))
    .await
}

async fn init() -> Result<Deps, Error> {
    let settings = events_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    // No warm-up: init waits for nothing it could overlap, and on a cold start the first batch
    // is already waiting, so its own connections would be ready first (adapters::warm_up).
    Ok(EventsDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        bus: EventBridgeBus::from_config(&sdk, settings.bus_name),
        policy: PublishPolicy::default(),
        metrics: Metrics::configured(settings.metrics_namespace, "events-out"),
    })
}
