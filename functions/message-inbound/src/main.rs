//! Lambda entry point: wiring only. The logic is in `handler`.

use adapters::config::{self, Env};
use adapters::{DynamoStore, aws};
use app::auth::StaticCredentials;
use http_api::InboundDeps;
use lambda_http::{Error, service_fn};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let env = Env::process();
    let table = config::table_name(&env)?;
    let credential = config::partner_credential(&env)?;
    let sdk = aws::sdk_config().await;
    let deps = InboundDeps {
        store: DynamoStore::from_config(&sdk, table),
        credentials: StaticCredentials::new(&[credential]),
    };
    lambda_http::run(service_fn(|request| async {
        Ok::<_, Infallible>(message_inbound::handler::handle(&deps, request).await)
    }))
    .await
}
