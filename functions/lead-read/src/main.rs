//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, read_settings};
use adapters::{DynamoStore, aws, warm_up};
use http_api::ReadDeps;
use lambda_http::{Error, service_fn};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::logging::init();
    let deps = init().await.inspect_err(|error| {
        // The line Lambda's logs show before it reports the failed init.
        tracing::error!(%error, "init failed; the function cannot start");
    })?;
    lambda_http::run(service_fn(|request| async {
        Ok::<_, Infallible>(lead_read::handler::handle(&deps, request).await)
    }))
    .await
}

async fn init() -> Result<ReadDeps<DynamoStore>, Error> {
    let settings = read_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let deps = ReadDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        pull: settings.pull,
    };
    // Not on the first request, and not in init's way: the connection to DynamoDB opens in the
    // background while the runtime asks for the first request.
    warm_up::in_background(deps.store.warm_up());
    Ok(deps)
}
