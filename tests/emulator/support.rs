use adapters::dynamo::schema::{GSI1, GSI2, changes_partitions};
use adapters::{DynamoStore, aws, provision};
use app::auth::Credential;
use app::deps::InboundDeps;
use app::memory::StaticCredentials;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

pub const LEAD: &str = fixtures::LEAD;
pub const MESSAGE: &str = fixtures::MESSAGE;
pub const LEAD_ID: &str = fixtures::LEAD_ID;
pub const USERNAME: &str = "thumbtack";
pub const PASSWORD: &str = "emulator-test-password";

/// How long a call to the emulator may take in these tests, retries included. One moto process
/// serves every test running at once, on a machine that may be busy, and some of its calls are
/// slow (PutEvents spends about 0.3 s of CPU on each entry): a put of four events has taken more
/// than 8 s. A call that runs out of time is a failure the code handles as in AWS (the events
/// handler reads its batch again and puts it a second time); no test here is about that.
const EMULATOR_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The SDK configuration for the emulator, as `make dev` loads it (the functions' own, but an
/// attempt is never cut short and retried while moto still carries it out: see
/// [`aws::emulator_sdk_config`]), with [`EMULATOR_CALL_TIMEOUT`] for a call.
pub async fn sdk() -> adapters::aws::SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run these tests with `make test`, which starts the moto emulator"
    );
    let sdk = aws::emulator_sdk_config().await;
    let timeouts = sdk
        .timeout_config()
        .unwrap()
        .to_builder()
        .operation_timeout(EMULATOR_CALL_TIMEOUT)
        .build();
    sdk.to_builder().timeout_config(timeouts).build()
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

/// A table of the test's own: the adapter under test on it, and the test's own client to look at
/// the table past the adapter.
#[derive(Debug)]
pub struct TestTable {
    pub name: String,
    pub store: DynamoStore,
    client: aws_sdk_dynamodb::Client,
}

/// A freshly created table.
pub async fn fresh_table() -> TestTable {
    let sdk = sdk().await;
    let name = unique_name("test");
    provision::ensure_table(&sdk, &name).await.unwrap();
    TestTable {
        store: DynamoStore::from_config(&sdk, &name),
        client: aws_sdk_dynamodb::Client::new(&sdk),
        name,
    }
}

/// A store on `table` whose calls go through a proxy that counts them by operation.
pub async fn counted_store(table: &str) -> (DynamoStore, harness::faults::RunningProxy) {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let proxy = harness::faults::start(&endpoint, harness::faults::FaultPlan::none())
        .await
        .unwrap();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk().await)
        .endpoint_url(&proxy.url)
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table);
    (store, proxy)
}

/// A store on a freshly created table.
pub async fn fresh_store() -> DynamoStore {
    fresh_table().await.store
}

/// The read function's pull settings in these tests: a settle window of 1 s.
pub fn pull_settings() -> app::pull::PullSettings {
    app::pull::PullSettings {
        cursors: app::paging::CursorKey::new(b"emulator tests' cursor key".to_vec()),
        settle: SETTLE,
    }
}

pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Waits until what was written before the call is past the settle window of [`pull_settings`].
pub async fn past_settle() {
    tokio::time::sleep(SETTLE + std::time::Duration::from_millis(5)).await;
}

pub fn credentials() -> StaticCredentials {
    StaticCredentials::new(&[Credential::new(USERNAME, PASSWORD)])
}

/// The inbound functions' dependencies on a fresh table, and that table.
pub async fn inbound_deps() -> (TestTable, InboundDeps<DynamoStore, StaticCredentials>) {
    let table = fresh_table().await;
    let deps = InboundDeps {
        store: table.store.clone(),
        credentials: credentials(),
        metrics: app::metrics::Metrics::off(),
    };
    (table, deps)
}

impl TestTable {
    /// Every item in the table, read straight from DynamoDB (not through the adapter under test),
    /// across scan pages (a page stops at 1 MB).
    pub async fn all_items(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.name)
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
    pub async fn count_items_with_sk_prefix(&self, prefix: &str) -> usize {
        self.all_items()
            .await
            .iter()
            .filter(|item| {
                matches!(item.get("SK"), Some(AttributeValue::S(sk)) if sk.starts_with(prefix))
            })
            .count()
    }

    /// The items of one partition of the index, as the index holds them.
    pub async fn index_partition(&self, partition: &str) -> Vec<HashMap<String, AttributeValue>> {
        self.client
            .query()
            .table_name(&self.name)
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
            .send()
            .await
            .unwrap()
            .items
            .unwrap_or_default()
    }
}

impl TestTable {
    /// The changes feed's index (GSI2), as the index holds it: every shard, and the partition of
    /// before the sharding.
    pub async fn changes_index(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut entries = Vec::new();
        for partition in changes_partitions() {
            let page = self
                .client
                .query()
                .table_name(&self.name)
                .index_name(GSI2)
                .key_condition_expression("GSI2PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(partition))
                .send()
                .await
                .unwrap();
            assert!(page.last_evaluated_key.is_none(), "one page per shard here");
            entries.extend(page.items.unwrap_or_default());
        }
        entries
    }
}

/// The same store, placing what it writes in the changes feed at `ms` (the feed's order at
/// chosen times, instead of the wall clock's).
pub fn at(store: &DynamoStore, ms: u64) -> DynamoStore {
    store.clone().with_clock(move || ms)
}

/// `json` with the field at `pointer` (e.g. `/request/location/city`) set, added if absent.
pub fn with_field(json: &str, pointer: &str, value: serde_json::Value) -> String {
    let mut document: serde_json::Value = serde_json::from_str(json).unwrap();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    document.pointer_mut(parent).unwrap()[key] = value;
    document.to_string()
}

/// The debug build of a workspace binary (a function, partnerctl) (`make test` builds them first).
pub fn binary(name: &str) -> std::path::PathBuf {
    let debug = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let path = debug.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` (make test does)",
        path.display()
    );
    path
}

/// Runs the `partnerctl` binary on `table`, with the emulator's settings from the environment.
pub fn run_partnerctl(table: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(binary("partnerctl"))
        .args(args)
        .env("TABLE_NAME", table)
        .output()
        .unwrap()
}

/// [`run_partnerctl`], which must succeed: its standard output.
pub fn partnerctl(table: &str, args: &[&str]) -> String {
    let output = run_partnerctl(table, args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `GET url`, its body read as JSON: the test fails on an unreachable server or a body that is not.
pub async fn get_json(http: &reqwest::Client, url: impl reqwest::IntoUrl) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Turns on `business_id`'s automatic acknowledgement through the local stack at `base`
/// (`GET`, then `PUT` of its settings with `autoAcknowledgement.enabled`).
pub async fn turn_on_acknowledgement(base: &str, business_id: &str) {
    let http = reqwest::Client::new();
    let settings_url = format!("{base}/v1/businesses/{business_id}/settings");
    let mut document = get_json(&http, &settings_url).await;
    document["autoAcknowledgement"]["enabled"] = serde_json::json!(true);
    let saved = http
        .put(&settings_url)
        .json(&document)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
}
