//! The inbound functions' init (lead-inbound, message-inbound: the same dependencies, each under
//! its own name in the metrics).

use crate::config::{Env, inbound_settings};
use crate::secrets::{PartnerCredentials, partner_credentials};
use crate::{DynamoStore, aws, warm_up};
use app::deps::InboundDeps;
use app::metrics::Metrics;
use app::ports::{BoxError, CredentialSource};

/// Reads the settings, builds the store and the credentials, and waits for the credentials' read
/// (the function cannot serve without them).
pub async fn init(
    function: &'static str,
) -> Result<InboundDeps<DynamoStore, PartnerCredentials>, BoxError> {
    let settings = inbound_settings(&Env::process())?;
    let sdk = aws::sdk_config().await;
    let secret = settings.credentials.is_read_at_init();
    let deps = InboundDeps {
        store: DynamoStore::from_config(&sdk, settings.table),
        credentials: partner_credentials(&settings.credentials, &sdk),
        metrics: Metrics::configured(settings.metrics_namespace, function),
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
