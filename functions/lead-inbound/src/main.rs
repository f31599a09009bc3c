//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, inbound_settings};
use adapters::secrets::{PartnerCredentials, partner_credentials};
use adapters::{DynamoStore, aws, warm_up};
use app::deps::InboundDeps;
use app::metrics::Metrics;
use app::ports::CredentialSource;
use lambda_http::{Error, service_fn};
use std::convert::Infallible;

// One thread: an invocation waits on I/O, and a worker per core costs start-up and hand-offs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let deps = adapters::start(init()).await?;
    lambda_http::run(service_fn(|request| async {
        http_api::panic_if_asked(&request);
        Ok::<_, Infallible>(lead_inbound::handler::handle(&deps, request).await)
    }))
    .await
}

async fn init() -> Result<InboundDeps<DynamoStore, PartnerCredentials>, Error> {
    let settings = inbound_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let secret = settings.credentials.is_read_at_init();
    let deps = InboundDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        credentials: partner_credentials(&settings.credentials, &sdk),
        metrics: Metrics::configured(settings.metrics_namespace, "lead-inbound"),
    };
    // Init waits for the credentials' read (it fails without them): the connection to DynamoDB
    // opens meanwhile, in the background. Credentials from the environment leave init nothing to
    // wait for, and a warm-up nothing to win (adapters::warm_up).
    if secret {
        warm_up::in_background(deps.store.warm_up());
    }
    deps.credentials.accepted().await?;
    Ok(deps)
}
