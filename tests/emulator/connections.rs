//! Connecting a pro (v4): the registry on the table, the tokens sealed with moto's KMS, and the
//! whole flow against the in-process Thumbtack simulator, the pro's consent played by its driver.

use crate::support::*;
use adapters::connect::{HttpThumbtackV4, KmsVault, OAuthUrls};
use adapters::secrets::ThumbtackCredentials;
use adapters::thumbtack::{ThumbtackClient, ThumbtackSettings};
use adapters::{DynamoStore, provision};
use app::auth::Credential;
use app::connections::state::StateKey;
use app::connections::tokens::{TokenCache, TokenError, access_token};
use app::connections::{
    CallbackQuery, ConnectDeps, ConnectError, ConnectSettings, Outcome, ReturnUrls, StartAsked,
    callback, secret_hash, start,
};
use app::ports::{
    ConnectedBusiness, Connection, ConnectionStatus, ConnectionStore, SaveNotes, TokenSet,
    TokenVault, VaultError,
};
use secrecy::{ExposeSecret, SecretString};
use simulator::{Decision, Simulator};
use std::time::Duration;

/// Our API's public URL in these tests: the redirect URI and the webhook URLs are built on it.
pub(crate) const PUBLIC: &str = "http://127.0.0.1:3999";
pub(crate) const RETURN: &str = "http://127.0.0.1:3998/connected";
pub(crate) const USER: &str = "5001000000000000001";

pub(crate) async fn vault() -> KmsVault {
    let sdk = sdk().await;
    let alias = provision::ensure_token_key(&sdk, &unique_name("tokens"))
        .await
        .unwrap();
    KmsVault::from_config(&sdk, alias)
}

fn tokens(access: &str) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: Some(SecretString::from(format!("{access}-refresh"))),
        expires_in: None,
        scopes: Vec::new(),
    }
}

#[tokio::test]
async fn tokens_sealed_for_a_user_open_for_that_user_only_and_are_not_in_the_ciphertext() {
    let vault = vault().await;
    let sealed = vault.seal(USER, &tokens("access-1")).await.unwrap();
    let text = String::from_utf8_lossy(&sealed);
    assert!(!text.contains("access-1"), "{text}");
    let opened = vault.open(USER, &sealed).await.unwrap();
    assert_eq!(opened.access_token.expose_secret(), "access-1");
    assert_eq!(
        opened.refresh_token.unwrap().expose_secret(),
        "access-1-refresh"
    );
    assert!(matches!(
        vault.open("5001000000000000002", &sealed).await,
        Err(VaultError::Invalid)
    ));
}

#[tokio::test]
async fn a_state_is_consumed_once_and_a_connection_reads_back_as_written_with_its_businesses() {
    let table = fresh_table().await;
    let store = &table.store;
    assert!(
        store
            .consume_state("nonce-1", 1_800_000_000_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_state("nonce-1", 1_800_000_000_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .consume_state("nonce-2", 1_800_000_000_000)
            .await
            .unwrap()
    );

    assert_eq!(store.connection(USER).await.unwrap(), None);
    let connection = Connection {
        user_id: USER.into(),
        reference: "pro-42".into(),
        status: ConnectionStatus::Connected,
        businesses: vec![ConnectedBusiness {
            business_id: "b-1".into(),
            name: "Painting".into(),
            webhook_id: "wh-1".into(),
            secret_hash: secret_hash("secret"),
        }],
        sealed_tokens: vec![0, 1, 2, 255],
        access_expires_at: 1_800_003_600_000,
        scopes: vec!["offline_access".into()],
        connected_at: 1_800_000_000_000,
        updated_at: 1_800_000_000_001,
    };
    store
        .save_connection(&connection, &SaveNotes::default())
        .await
        .unwrap();
    assert_eq!(store.connection(USER).await.unwrap(), Some(connection));

    let items = table.all_items().await;
    let business = items
        .iter()
        .find(|i| i["PK"].as_s().unwrap() == "BUSINESS#b-1")
        .unwrap();
    assert_eq!(business["userID"].as_s().unwrap(), USER);
    assert_eq!(
        business["secretHash"].as_s().unwrap(),
        &secret_hash("secret")
    );
    assert!(
        items.iter().all(|i| !i.contains_key("GSI2PK")),
        "nothing of a connection is in the changes feed"
    );
}

/// The simulator, its client redirecting to our callback.
pub(crate) async fn simulator() -> Simulator {
    simulator_for(PUBLIC).await
}

/// The simulator, its client redirecting to the callback of our API at `public`.
async fn simulator_for(public: &str) -> Simulator {
    let mut config = simulator::Config::default();
    config.clients[0].redirect_uris = vec![format!("{public}/v1/connections/callback")];
    Simulator::start(config).await.unwrap()
}

pub(crate) type Deps = ConnectDeps<DynamoStore, HttpThumbtackV4, KmsVault>;

pub(crate) async fn deps(sim: &Simulator, table: &TestTable) -> Deps {
    deps_for(sim, table, PUBLIC).await
}

/// The flow's dependencies for our API at `public`.
async fn deps_for(sim: &Simulator, table: &TestTable, public: &str) -> Deps {
    let api = ThumbtackClient::new(&ThumbtackSettings {
        base_url: format!("{}/api", sim.url()),
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let oauth = OAuthUrls::new(
        &format!("{}/oauth2/auth", sim.url()),
        &format!("{}/oauth2/token", sim.url()),
        &format!("{public}/v1/connections/callback"),
    )
    .unwrap();
    let client = ThumbtackCredentials::fixed(Credential::new("sim-client", "sim-secret"));
    ConnectDeps {
        store: table.store.clone(),
        thumbtack: HttpThumbtackV4::new(api, oauth, client),
        vault: vault().await,
        settings: ConnectSettings {
            state_key: StateKey::new(unique_name("state-key-of-at-least-32-bytes").into_bytes()),
            return_urls: ReturnUrls::parse([RETURN]).unwrap(),
            webhook_base_url: format!("{public}/v4/webhooks"),
        },
        metrics: app::metrics::Metrics::off(),
    }
}

/// Starts a flow, lets the pro decide on the simulator's consent page, and runs our callback on
/// the URL the browser is sent back to.
pub(crate) async fn connect(sim: &Simulator, deps: &Deps, decision: Decision) -> Outcome {
    connect_to(sim, deps, decision, PUBLIC).await
}

async fn connect_to(sim: &Simulator, deps: &Deps, decision: Decision, public: &str) -> Outcome {
    let started = start(
        deps,
        StartAsked {
            reference: Some("pro-42"),
            return_url: Some(RETURN),
        },
        app::now_millis(),
    )
    .await
    .unwrap();
    let back = sim.consent(&started.authorize_url, decision).await.unwrap();
    assert!(
        back.starts_with(&format!("{public}/v1/connections/callback?")),
        "{back}"
    );
    let back = reqwest::Url::parse(&back).unwrap();
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (code, state, error) = (param("code"), param("state"), param("error"));
    callback(
        deps,
        CallbackQuery {
            code: code.as_deref(),
            state: state.as_deref(),
            error: error.as_deref(),
        },
        app::now_millis(),
    )
    .await
}

/// The business's webhooks as the simulator lists them to the pro's token.
pub(crate) async fn webhooks_at_thumbtack(
    sim: &Simulator,
    token: &str,
    business_id: &str,
) -> Vec<serde_json::Value> {
    let answer: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v4/businesses/{business_id}/webhooks",
            sim.url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_pro_who_approves_is_connected_with_one_webhook_per_business_and_a_rerun_adds_none() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;

    let outcome = connect(&sim, &deps, Decision::Approve).await;
    assert_eq!(
        outcome.redirect().unwrap(),
        format!("{RETURN}?connection={USER}&reference=pro-42&status=connected")
    );
    let connection = deps.store.connection(USER).await.unwrap().unwrap();
    assert_eq!(connection.reference, "pro-42");
    assert_eq!(connection.businesses.len(), 2);
    assert!(connection.scopes.iter().any(|s| s == "offline_access"));
    let tokens = deps
        .vault
        .open(USER, &connection.sealed_tokens)
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some());
    let token = tokens.access_token.expose_secret().to_owned();
    for business in &connection.businesses {
        let hooks = webhooks_at_thumbtack(&sim, &token, &business.business_id).await;
        assert_eq!(hooks.len(), 1, "{hooks:?}");
        assert_eq!(hooks[0]["webhookID"], business.webhook_id.as_str());
        assert_eq!(
            hooks[0]["webhookURL"],
            format!("{PUBLIC}/v4/webhooks/{}", business.business_id)
        );
        assert_eq!(hooks[0]["authType"], "CustomHeader");
        assert_eq!(hooks[0]["enabled"], true);
        assert_eq!(business.secret_hash.len(), 64);
    }

    let again = connect(&sim, &deps, Decision::Approve).await;
    assert!(matches!(again, Outcome::Connected { .. }), "{again:?}");
    let rerun = deps.store.connection(USER).await.unwrap().unwrap();
    assert_eq!(rerun.businesses, connection.businesses);
    for business in &connection.businesses {
        assert_eq!(
            webhooks_at_thumbtack(&sim, &token, &business.business_id)
                .await
                .len(),
            1
        );
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_pro_who_denies_is_sent_back_with_access_denied_and_nothing_is_stored() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;
    let outcome = connect(&sim, &deps, Decision::Deny).await;
    assert!(
        matches!(
            outcome,
            Outcome::Failed {
                error: ConnectError::AccessDenied,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.redirect().unwrap(),
        format!("{RETURN}?status=error&error=access_denied&reference=pro-42")
    );
    assert_eq!(deps.store.connection(USER).await.unwrap(), None);
    let types: Vec<String> = table
        .all_items()
        .await
        .iter()
        .map(|i| i["type"].as_s().unwrap().clone())
        .collect();
    assert_eq!(types, ["oauth-state"]);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_code_the_token_endpoint_refuses_stores_nothing_and_registers_no_webhook() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;
    sim.control(
        "/sim/faults",
        serde_json::json!({"endpoint": "POST /oauth2/token", "fault": {"kind": "status", "status": 503}, "times": 1}),
    )
    .await
    .unwrap();
    let outcome = connect(&sim, &deps, Decision::Approve).await;
    assert!(
        outcome
            .redirect()
            .unwrap()
            .contains("status=error&error=temporarily_unavailable"),
        "{outcome:?}"
    );
    assert_eq!(deps.store.connection(USER).await.unwrap(), None);
    assert!(
        !sim.log()
            .iter()
            .any(|e| e.method == "POST" && e.target.contains("/webhooks")),
        "no webhook call after a failed exchange"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn thumbtack_delivers_to_our_webhook_with_the_secret_whose_hash_we_stored() {
    let partner = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&partner)
        .await;
    let public = partner.uri();
    let sim = simulator_for(&public).await;
    let table = fresh_table().await;
    let deps = deps_for(&sim, &table, &public).await;
    let outcome = connect_to(&sim, &deps, Decision::Approve, &public).await;
    assert!(matches!(outcome, Outcome::Connected { .. }), "{outcome:?}");
    let connection = deps.store.connection(USER).await.unwrap().unwrap();
    let business = &connection.businesses[0];

    sim.new_lead(&business.business_id).await.unwrap();
    let received = partner.received_requests().await.unwrap();
    assert_eq!(received.len(), 2, "the lead's message and negotiation");
    for delivery in received {
        assert_eq!(
            delivery.url.path(),
            format!("/v4/webhooks/{}", business.business_id)
        );
        let secret = delivery.headers.get("x-webhook-secret").unwrap();
        assert_eq!(secret_hash(secret.to_str().unwrap()), business.secret_hash);
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn one_holder_takes_a_refresh_lease_until_it_runs_out_and_only_the_holder_saves_tokens() {
    let table = fresh_table().await;
    let store = &table.store;
    let connection = Connection {
        user_id: USER.into(),
        reference: "pro-42".into(),
        status: ConnectionStatus::Connected,
        businesses: vec![ConnectedBusiness {
            business_id: "b-1".into(),
            name: "Painting".into(),
            webhook_id: "wh-1".into(),
            secret_hash: secret_hash("secret"),
        }],
        sealed_tokens: vec![1],
        access_expires_at: 1_000,
        scopes: Vec::new(),
        connected_at: 1,
        updated_at: 1,
    };
    store
        .save_connection(&connection, &SaveNotes::default())
        .await
        .unwrap();
    assert_eq!(
        store.business_user("b-1").await.unwrap().as_deref(),
        Some(USER)
    );
    assert_eq!(store.business_user("b-2").await.unwrap(), None);
    assert!(
        !store
            .take_refresh_lease("nobody", "a", 30_000, 0)
            .await
            .unwrap()
    );

    assert!(
        store
            .take_refresh_lease(USER, "a", 30_000, 0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_refresh_lease(USER, "b", 30_010, 10)
            .await
            .unwrap()
    );
    assert!(
        !store
            .save_refreshed(USER, "b", vec![2], 9, 10)
            .await
            .unwrap()
    );
    // Past its end the lease is anyone's: the first holder's save then changes nothing.
    assert!(
        store
            .take_refresh_lease(USER, "b", 60_000, 30_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .save_refreshed(USER, "a", vec![3], 9, 30_001)
            .await
            .unwrap()
    );
    assert!(
        store
            .save_refreshed(USER, "b", vec![4], 7_000, 30_002)
            .await
            .unwrap()
    );
    let stored = store.connection(USER).await.unwrap().unwrap();
    assert_eq!(stored.sealed_tokens, vec![4]);
    assert_eq!(stored.access_expires_at, 7_000);
    // Saving released it.
    assert!(
        store
            .take_refresh_lease(USER, "c", 60_000, 30_003)
            .await
            .unwrap()
    );
    assert!(store.mark_broken(USER, &[], 30_004).await.unwrap());
    let broken = store.connection(USER).await.unwrap().unwrap();
    assert_eq!(broken.status, ConnectionStatus::Broken);
    assert!(
        store
            .take_refresh_lease(USER, "d", 60_000, 30_005)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn twenty_callers_with_a_stale_token_make_one_refresh_at_the_simulator_and_its_token_works() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;
    connect(&sim, &deps, Decision::Approve).await;
    let deps = std::sync::Arc::new(deps);
    let cache = std::sync::Arc::new(TokenCache::default());
    // An hour on: the first token is past its expiry.
    let later = app::now_millis() + 3_600_000;
    let mut calls = Vec::new();
    for i in 0..20 {
        let (deps, cache) = (deps.clone(), cache.clone());
        let business = if i % 2 == 0 {
            fixtures::BUSINESS_ID
        } else {
            "5001000000000000010"
        };
        calls.push(tokio::spawn(async move {
            access_token(&deps, &cache, business, || later)
                .await
                .unwrap()
                .expose_secret()
                .to_owned()
        }));
    }
    let mut tokens = Vec::new();
    for call in calls {
        tokens.push(call.await.unwrap());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1);
    let token_calls = sim
        .log()
        .iter()
        .filter(|e| e.kind == "received" && e.target == "/oauth2/token")
        .count();
    assert_eq!(token_calls, 2, "the code exchange and one refresh");
    let me = reqwest::Client::new()
        .get(format!("{}/api/v4/users/self", sim.url()))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // The pro revoked access at Thumbtack: the next refresh is refused, the connection broken.
    sim.control(
        &format!("/sim/users/{USER}/invalid-grant"),
        serde_json::json!({}),
    )
    .await
    .unwrap();
    let error = access_token(&deps, &TokenCache::default(), fixtures::BUSINESS_ID, || {
        later + 3_600_000
    })
    .await
    .unwrap_err();
    assert!(matches!(error, TokenError::Broken), "{error:?}");
    let stored = deps.store.connection(USER).await.unwrap().unwrap();
    assert_eq!(stored.status, ConnectionStatus::Broken);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn partnerctl_shows_a_connection_without_its_tokens_or_secret_hashes() {
    let table = fresh_table().await;
    let connection = Connection {
        user_id: USER.into(),
        reference: "pro-7".into(),
        status: ConnectionStatus::Connected,
        businesses: vec![ConnectedBusiness {
            business_id: "b-7".into(),
            name: "Lawn Care".into(),
            webhook_id: "wh-7".into(),
            secret_hash: secret_hash("the-webhook-secret"),
        }],
        sealed_tokens: b"sealed-token-bytes".to_vec(),
        access_expires_at: 1_800_003_600_000,
        scopes: vec!["offline_access".into()],
        connected_at: 1_800_000_000_000,
        updated_at: 1_800_000_000_001,
    };
    table
        .store
        .save_connection(&connection, &SaveNotes::default())
        .await
        .unwrap();

    let shown = partnerctl(&table.name, &["connections", "show", USER]);
    let view: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(view["userID"], USER);
    assert_eq!(view["reference"], "pro-7");
    assert_eq!(view["status"], "connected");
    assert_eq!(
        view["businesses"],
        serde_json::json!([{"businessID": "b-7", "name": "Lawn Care", "webhookID": "wh-7"}])
    );
    assert!(
        !shown.contains(&secret_hash("the-webhook-secret")),
        "{shown}"
    );
    assert!(!shown.contains("sealed-token-bytes"), "{shown}");

    let unknown = run_partnerctl(&table.name, &["connections", "show", "no-such-user"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no connection for no-such-user"),
        "{unknown:?}"
    );
}
