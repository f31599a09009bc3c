use adapters::{DynamoStore, aws, provision};
use app::auth::{Credential, StaticCredentials};
use aws_sdk_dynamodb::types::AttributeValue;
use http_api::InboundDeps;
use std::sync::atomic::{AtomicU32, Ordering};

pub const LEAD: &str = include_str!("../fixtures/lead.json");
pub const MESSAGE: &str = include_str!("../fixtures/message.json");
pub const LEAD_ID: &str = "299614694480093245";
pub const USERNAME: &str = "thumbtack";
pub const PASSWORD: &str = "emulator-test-password";

/// The SDK configuration for the emulator, as the functions load it.
pub async fn sdk() -> aws_config::SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run these tests with `make test`, which starts the moto emulator"
    );
    aws::sdk_config().await
}

/// A table name no other test uses.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store on a freshly created table.
pub async fn fresh_store() -> DynamoStore {
    let sdk = sdk().await;
    let table = unique_name("test");
    let store = DynamoStore::from_config(&sdk, &table);
    provision::ensure_table(&sdk, &table).await.unwrap();
    store
}

pub fn credentials() -> StaticCredentials {
    StaticCredentials::new(&[Credential::new(USERNAME, PASSWORD)])
}

pub async fn inbound_deps() -> InboundDeps<DynamoStore, StaticCredentials> {
    InboundDeps {
        store: fresh_store().await,
        credentials: credentials(),
        metrics: app::metrics::Metrics::off(),
    }
}

/// Every item in the table, read straight from DynamoDB (not through the adapter under test),
/// across scan pages (a page stops at 1 MB).
pub async fn all_items(
    store: &DynamoStore,
) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let output = store
            .client()
            .scan()
            .table_name(store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        items.extend(output.items.unwrap_or_default());
        match output.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return items,
        }
    }
}

/// Items whose sort key starts with `prefix`.
pub async fn count_items_with_sk_prefix(store: &DynamoStore, prefix: &str) -> usize {
    all_items(store)
        .await
        .iter()
        .filter(
            |item| matches!(item.get("SK"), Some(AttributeValue::S(sk)) if sk.starts_with(prefix)),
        )
        .count()
}

/// `json` with the field at `pointer` (e.g. `/request/location/city`) set, added if absent.
pub fn with_field(json: &str, pointer: &str, value: serde_json::Value) -> String {
    let mut document: serde_json::Value = serde_json::from_str(json).unwrap();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    document.pointer_mut(parent).unwrap()[key] = value;
    document.to_string()
}
