//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{Env, inbound_settings};
use adapters::secrets::{PartnerCredentials, partner_credentials};
use adapters::{DynamoStore, aws};
use app::metrics::Metrics;
use app::ports::CredentialSource;
use http_api::InboundDeps;
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
        http_api::panic_if_asked(&request);
        Ok::<_, Infallible>(message_inbound::handler::handle(&deps, request).await)
    }))
    .await
}

async fn init() -> Result<InboundDeps<DynamoStore, PartnerCredentials>, Error> {
    let settings = inbound_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let deps = InboundDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        credentials: partner_credentials(&settings.credentials, &sdk),
        metrics: Metrics::configured(settings.metrics_namespace, "message-inbound"),
    };
    // Now, not on the first request: the credentials from Secrets Manager, and the connection
    // to DynamoDB.
    deps.credentials.accepted().await?;
    deps.store.warm_up().await;
    Ok(deps)
}
