//! Lambda entry point: wiring only. The logic is in `handler` and `app::connections`.

use adapters::config::{Env, connections_settings, public_api_url_parameter};
use adapters::connect::{HttpThumbtackV4, KmsVault};
use adapters::parameters::read_parameter;
use adapters::secrets::thumbtack_credentials;
use adapters::thumbtack::ThumbtackClient;
use adapters::{DynamoStore, aws};
use app::connections::ConnectDeps;
use app::metrics::Metrics;
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::{Error, service_fn};
use serde_json::value::RawValue;

type Deps = ConnectDeps<DynamoStore, HttpThumbtackV4, KmsVault>;

// One thread: an invocation waits on I/O, and a worker per core costs start-up and hand-offs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let deps = adapters::start(init()).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| {
        connections::handler::handle(&deps, event)
    }))
    .await
}

async fn init() -> Result<Deps, Error> {
    let env = Env::process();
    let sdk = aws::sdk_config().await;
    // In AWS the API's URL is in a parameter (adapters::parameters says why); locally a variable.
    let public_api_url = match public_api_url_parameter(&env) {
        Some(name) => Some(read_parameter(&sdk, &name).await?),
        None => None,
    };
    let settings = connections_settings(&env.answering("PUBLIC_API_URL", public_api_url))?;
    let client = thumbtack_credentials(&settings.client, &sdk);
    // Our v4 client's secret read now: a missing secret or permission fails init, not a pro's
    // callback halfway through.
    client.current().await?;
    // No warm-up: a pro connects now and then, and the first request's own connections are
    // ready as soon as a warm-up's would be (adapters::warm_up).
    Ok(ConnectDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        thumbtack: HttpThumbtackV4::new(
            ThumbtackClient::new(&settings.api)?,
            settings.oauth,
            client,
        ),
        vault: KmsVault::from_config(&sdk, settings.token_key_id),
        settings: settings.connect,
        metrics: Metrics::configured(settings.metrics_namespace, "connections"),
    })
}
