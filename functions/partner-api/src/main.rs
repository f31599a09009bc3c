//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, read_settings};
use adapters::{DynamoStore, aws};
use app::deps::ReadDeps;
use lambda_http::{Error, service_fn};
use std::convert::Infallible;

// One thread: an invocation waits on I/O, and a worker per core costs start-up and hand-offs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let deps = adapters::start(init()).await?;
    lambda_http::run(service_fn(|request| async {
        Ok::<_, Infallible>(partner_api::handler::handle(&deps, request).await)
    }))
    .await
}

async fn init() -> Result<ReadDeps<DynamoStore>, Error> {
    let settings = read_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    // No warm-up: init waits for nothing it could overlap, and on a cold start the first request
    // is already waiting, so its own connection would be ready first (adapters::warm_up).
    Ok(ReadDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        pull: settings.pull,
    })
}
