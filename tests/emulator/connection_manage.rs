//! Managing pros' connections (v4, issue 22 item 6): the paged list, the status changes as facts
//! (their events and feed entries) and the broken connection's metric, against the table, moto's
//! KMS and the Thumbtack simulator.

use crate::connections::{Deps, USER, connect, deps, simulator, webhooks_at_thumbtack};
use crate::support::*;
use adapters::dynamo::changes::fact;
use app::connections::secret_hash;
use app::connections::tokens::{TokenCache, TokenError, access_token};
use app::connections::{ListAsked, ListError, list, remove, sync};
use app::events::Fact;
use app::metrics::Metrics;
use app::ports::{
    ConnectedBusiness, Connection, ConnectionStatus, ConnectionStore, Listings, SaveNotes,
    TokenVault,
};
use secrecy::ExposeSecret;
use simulator::Decision;

fn stored(user_id: &str) -> Connection {
    Connection {
        user_id: user_id.into(),
        reference: format!("ref-{user_id}"),
        status: ConnectionStatus::Connected,
        businesses: vec![ConnectedBusiness {
            business_id: format!("b-{user_id}"),
            name: "Painting".into(),
            webhook_id: format!("wh-{user_id}"),
            secret_hash: secret_hash("secret"),
        }],
        sealed_tokens: b"sealed-token-bytes".to_vec(),
        access_expires_at: 1_800_003_600_000,
        scopes: vec!["offline_access".into()],
        connected_at: 1_800_000_000_000,
        updated_at: 1_800_000_000_001,
    }
}

/// Every fact the connection partitions hold, read as the events function and the feed read
/// them.
async fn connection_facts(table: &TestTable) -> Vec<Fact> {
    let mut facts: Vec<Fact> = table
        .all_items()
        .await
        .iter()
        .filter_map(|item| fact(item, None).unwrap())
        .filter(|f| f.detail_type().starts_with("Connection"))
        .collect();
    facts.sort_by_key(Fact::at_ms);
    facts
}

#[tokio::test]
async fn the_connection_list_goes_across_pages_with_a_sealed_cursor_and_never_shows_a_token() {
    let table = fresh_table().await;
    let users = ["u-1", "u-2", "u-3", "u-4", "u-5"];
    for user in users {
        table
            .store
            .save_connection(&stored(user), &SaveNotes::default())
            .await
            .unwrap();
    }
    let key = app::connections::state::StateKey::new(vec![7; 32]).cursor_key();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = list(
            &table.store,
            &key,
            ListAsked {
                limit: Some("2"),
                cursor: cursor.as_deref(),
            },
        )
        .await
        .unwrap();
        pages += 1;
        let json = serde_json::to_string(&page).unwrap();
        assert!(!json.contains("sealed"), "{json}");
        assert!(!json.contains(&secret_hash("secret")), "{json}");
        assert!(page.connections.len() <= 2);
        seen.extend(page.connections.iter().map(|c| c.user_id.clone()));
        if let Some(next) = &page.next {
            assert!(!next.contains("u-"), "opaque: {next}");
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, users);
    assert!(pages >= 3, "{pages} pages");

    let first = list(
        &table.store,
        &key,
        ListAsked {
            limit: Some("2"),
            cursor: None,
        },
    )
    .await
    .unwrap();
    let next = first.next.unwrap();
    let tampered = format!("x{next}");
    let other_key = app::connections::state::StateKey::new(vec![8; 32]).cursor_key();
    for (key, cursor) in [(&key, tampered.as_str()), (&other_key, next.as_str())] {
        let refused = list(
            &table.store,
            key,
            ListAsked {
                limit: None,
                cursor: Some(cursor),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, ListError::Invalid(_)), "{refused:?}");
    }
    let too_many = list(
        &table.store,
        &key,
        ListAsked {
            limit: Some("101"),
            cursor: None,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(too_many, ListError::Invalid(_)));
}

#[tokio::test]
async fn a_connection_is_a_connection_created_fact_on_the_stream_and_in_the_feed_without_a_token() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;
    let before = app::now_millis();
    connect(&sim, &deps, Decision::Approve).await;
    let facts = connection_facts(&table).await;
    assert_eq!(facts.len(), 1, "{facts:?}");
    let event = facts[0].event();
    assert_eq!(event.detail_type, "Connection Created");
    assert_eq!(event.detail["userID"], USER);
    assert_eq!(event.detail["status"], "connected");
    assert_eq!(event.detail["businessIDs"].as_array().unwrap().len(), 2);
    let text = event.detail.to_string();
    assert!(
        !text.contains("access") && !text.contains("refresh"),
        "{text}"
    );

    // A second run of the flow on a live connection changes no status: no second fact.
    connect(&sim, &deps, Decision::Approve).await;
    assert_eq!(connection_facts(&table).await.len(), 1);

    past_settle().await;
    let feed = table
        .store
        .changes(before, app::now_millis(), 100, None)
        .await
        .unwrap();
    let entries: Vec<_> = feed
        .items
        .iter()
        .filter(|e| e.fact.detail_type() == "Connection Created")
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].fact.event_id(),
        event.id,
        "one fact, one id, either way"
    );
    sim.shutdown().await.unwrap();
}

/// The flow's dependencies, counting metrics in memory.
async fn counted(sim: &simulator::Simulator, table: &TestTable) -> Deps {
    let mut deps = deps(sim, table).await;
    deps.metrics = Metrics::in_memory("ThumbtackPartner/test", "connections");
    deps
}

#[tokio::test]
async fn a_broken_connection_emits_its_event_and_counts_its_metric_once() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = counted(&sim, &table).await;
    connect(&sim, &deps, Decision::Approve).await;
    sim.control(
        &format!("/sim/users/{USER}/invalid-grant"),
        serde_json::json!({}),
    )
    .await
    .unwrap();
    let later = app::now_millis() + 3_600_000;
    let error = access_token(&deps, &TokenCache::default(), fixtures::BUSINESS_ID, || {
        later
    })
    .await
    .unwrap_err();
    assert!(matches!(error, TokenError::Broken), "{error:?}");
    // Asked again: still broken, neither written nor counted again.
    let again = access_token(&deps, &TokenCache::default(), fixtures::BUSINESS_ID, || {
        later
    })
    .await
    .unwrap_err();
    assert!(matches!(again, TokenError::Broken), "{again:?}");

    let kinds: Vec<&str> = connection_facts(&table)
        .await
        .iter()
        .map(Fact::detail_type)
        .collect();
    assert_eq!(kinds, ["Connection Created", "Connection Broken"]);
    let broken = connection_facts(&table).await.pop().unwrap().event();
    assert_eq!(broken.detail["userID"], USER);
    assert_eq!(broken.detail["status"], "broken");
    let counted: Vec<String> = deps
        .metrics
        .lines()
        .into_iter()
        .filter(|line| line.contains("\"ConnectionsBroken\""))
        .collect();
    assert_eq!(counted.len(), 1, "{counted:?}");
    assert_eq!(
        deps.store.connection(USER).await.unwrap().unwrap().status,
        ConnectionStatus::Broken
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn partnerctl_lists_connections_without_their_tokens_or_secret_hashes() {
    let table = fresh_table().await;
    for user in ["u-1", "u-2", "u-3"] {
        table
            .store
            .save_connection(&stored(user), &SaveNotes::default())
            .await
            .unwrap();
    }
    let listed = partnerctl(&table.name, &["connections", "list", "--limit", "2"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(lines[0].starts_with("u-1  connected  reference=ref-u-1  businesses=b-u-1"));
    assert!(lines[1].starts_with("u-2  connected"));
    assert_eq!(lines[2], "2 connection(s) shown");
    assert!(!listed.contains(&secret_hash("secret")), "{listed}");
    assert!(!listed.contains("sealed-token-bytes"), "{listed}");
    let all = partnerctl(&table.name, &["connections", "list"]);
    assert!(all.ends_with("3 connection(s) shown\n"), "{all}");
}

/// Our webhooks at the simulator, by business, as the pro's token lists them.
async fn our_webhooks(sim: &simulator::Simulator, deps: &Deps, business_ids: &[&str]) -> usize {
    let token =
        app::connections::tokens::user_token(deps, &TokenCache::default(), USER, app::now_millis)
            .await
            .unwrap();
    let mut count = 0;
    for business in business_ids {
        count += webhooks_at_thumbtack(sim, token.expose_secret(), business)
            .await
            .len();
    }
    count
}

const SECOND_BUSINESS: &str = "5001000000000000010";
const OPENED: &str = "5001000000000000099";

#[tokio::test]
async fn a_sync_after_a_business_was_opened_and_one_closed_registers_one_webhook_and_deletes_the_other()
 {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;
    connect(&sim, &deps, Decision::Approve).await;
    let before = deps.store.connection(USER).await.unwrap().unwrap();
    let kept = before
        .businesses
        .iter()
        .find(|b| b.business_id == fixtures::BUSINESS_ID)
        .unwrap()
        .clone();
    let closed_webhook = before
        .businesses
        .iter()
        .find(|b| b.business_id == SECOND_BUSINESS)
        .unwrap()
        .webhook_id
        .clone();

    sim.control(
        &format!("/sim/users/{USER}/businesses"),
        serde_json::json!({"businessID": OPENED, "name": "New Co"}),
    )
    .await
    .unwrap();
    let closed = reqwest::Client::new()
        .delete(format!(
            "{}/sim/users/{USER}/businesses/{SECOND_BUSINESS}",
            sim.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 204);

    let synced = sync(&deps, USER, app::now_millis).await.unwrap();
    assert_eq!(synced.added, [OPENED]);
    assert_eq!(synced.removed, [SECOND_BUSINESS]);
    let after = deps.store.connection(USER).await.unwrap().unwrap();
    let ids: Vec<&str> = after
        .businesses
        .iter()
        .map(|b| b.business_id.as_str())
        .collect();
    assert_eq!(ids, [fixtures::BUSINESS_ID, OPENED]);
    assert!(
        after.businesses.contains(&kept),
        "the kept business keeps its webhook and secret"
    );
    assert!(!after.sealed_tokens.is_empty());
    // One webhook of ours for each business the pro has; ours of the closed one deleted.
    assert_eq!(
        our_webhooks(&sim, &deps, &[fixtures::BUSINESS_ID, OPENED]).await,
        2
    );
    assert!(
        sim.log()
            .iter()
            .any(|e| e.method == "DELETE" && e.target.ends_with(&closed_webhook)),
        "the closed business's webhook was deleted"
    );
    assert_eq!(
        deps.store.business_user(OPENED).await.unwrap().as_deref(),
        Some(USER)
    );
    assert_eq!(
        deps.store.business_user(SECOND_BUSINESS).await.unwrap(),
        None
    );

    // Nothing changed since: a second sync adds and removes nothing, and registers nothing.
    let again = sync(&deps, USER, app::now_millis).await.unwrap();
    assert!(
        again.added.is_empty() && again.removed.is_empty(),
        "{again:?}"
    );
    assert_eq!(
        our_webhooks(&sim, &deps, &[fixtures::BUSINESS_ID, OPENED]).await,
        2
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_disconnect_deletes_our_webhooks_at_thumbtack_erases_the_tokens_and_answers_the_same_twice()
 {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = counted(&sim, &table).await;
    connect(&sim, &deps, Decision::Approve).await;
    let connected = deps.store.connection(USER).await.unwrap().unwrap();
    let token = deps
        .vault
        .open(USER, &connected.sealed_tokens)
        .await
        .unwrap()
        .access_token;
    let business_ids = [fixtures::BUSINESS_ID, SECOND_BUSINESS];
    assert_eq!(our_webhooks(&sim, &deps, &business_ids).await, 2);
    let lead = sim.new_lead(fixtures::BUSINESS_ID).await;
    assert!(lead.is_ok(), "{lead:?}");
    let items_before = table.all_items().await.len();

    let removed = remove(&deps, USER, app::now_millis).await.unwrap();
    assert_eq!(removed.status, "removed");
    assert!(removed.businesses.is_empty());
    for business in business_ids {
        assert!(
            webhooks_at_thumbtack(&sim, token.expose_secret(), business)
                .await
                .is_empty(),
            "no webhook of ours left for {business}"
        );
        assert_eq!(deps.store.business_user(business).await.unwrap(), None);
    }
    let stored = deps.store.connection(USER).await.unwrap().unwrap();
    assert_eq!(stored.status, ConnectionStatus::Removed);
    assert!(stored.sealed_tokens.is_empty(), "the tokens are erased");
    let record = table
        .all_items()
        .await
        .into_iter()
        .find(|i| {
            i["SK"].as_s().unwrap() == "CONNECTION" && i["PK"].as_s().unwrap().ends_with(USER)
        })
        .unwrap();
    assert!(!record.contains_key("sealedTokens"), "{record:?}");
    let error = access_token(
        &deps,
        &TokenCache::default(),
        fixtures::BUSINESS_ID,
        app::now_millis,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, TokenError::NotConnected), "{error:?}");

    let again = remove(&deps, USER, app::now_millis).await.unwrap();
    assert_eq!(again, removed, "a second disconnect answers the same");
    let kinds: Vec<&str> = connection_facts(&table)
        .await
        .iter()
        .map(Fact::detail_type)
        .collect();
    assert_eq!(kinds, ["Connection Created", "Connection Removed"]);
    // The business records went, one change came: everything else (the connection itself
    // included) stays.
    assert_eq!(table.all_items().await.len(), items_before - 2 + 1);
    let sync_after = sync(&deps, USER, app::now_millis).await.unwrap_err();
    assert!(
        matches!(
            sync_after,
            app::connections::ManageError::NotConnected("removed")
        ),
        "{sync_after:?}"
    );
    sim.shutdown().await.unwrap();
}

/// `partnerctl connections <args>` against the API at `base_url`: its output, or its error.
fn partnerctl_api(base_url: &str, args: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new(binary("partnerctl"))
        .arg("connections")
        .args(args)
        .env("BASE_URL", base_url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

// Two threads: partnerctl blocks this one while the stack answers it on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partnerctl_syncs_and_removes_a_connection_through_the_local_stack() {
    let stack = crate::devstack_http::launch_stack_with(&[]).await;
    let base = stack.base_url.clone();
    let http = reqwest::Client::new();
    let started: serde_json::Value = http
        .post(format!("{base}/v1/connections"))
        .json(&serde_json::json!({"reference": "pro-8"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sim = stack.simulator().unwrap();
    let back = sim
        .consent(started["authorizeURL"].as_str().unwrap(), Decision::Approve)
        .await
        .unwrap();
    assert_eq!(http.get(&back).send().await.unwrap().status(), 200);
    let user = simulator::Config::default().users[0].user_id.clone();
    sim.control(
        &format!("/sim/users/{user}/businesses"),
        serde_json::json!({"businessID": OPENED}),
    )
    .await
    .unwrap();

    let synced: serde_json::Value =
        serde_json::from_str(&partnerctl_api(&base, &["sync", &user]).unwrap()).unwrap();
    assert_eq!(synced["added"], serde_json::json!([OPENED]));
    assert_eq!(
        synced["connection"]["businesses"].as_array().unwrap().len(),
        3
    );

    let removed = partnerctl_api(&base, &["remove", &user]).unwrap();
    let view: serde_json::Value = serde_json::from_str(&removed).unwrap();
    assert_eq!(view["status"], "removed");
    assert_eq!(partnerctl_api(&base, &["remove", &user]).unwrap(), removed);
    let refused = partnerctl_api(&base, &["sync", &user]).unwrap_err();
    assert!(
        refused.contains("400") && refused.contains("removed"),
        "{refused}"
    );
    let unknown = partnerctl_api(&base, &["remove", "no-such-user"]).unwrap_err();
    assert!(unknown.contains("404"), "{unknown}");
    stack.stop().await;
}

#[tokio::test]
async fn the_sweep_refreshes_only_the_connections_idle_for_150_days_page_by_page() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;
    connect(&sim, &deps, Decision::Approve).await;
    let connected = deps.store.connection(USER).await.unwrap().unwrap();
    let day = 24 * 3_600_000;
    let later = connected.updated_at + 151 * day;
    // Another pro, refreshed 10 days before the sweep (its tokens would not even open: never
    // touched); one broken for good (never refreshed again).
    let mut recent = stored("u-recent");
    recent.updated_at = later - 10 * day;
    let mut broken = stored("u-broken");
    broken.status = ConnectionStatus::Broken;
    broken.updated_at = connected.updated_at - 10 * day;
    for other in [&recent, &broken] {
        deps.store
            .save_connection(other, &SaveNotes::default())
            .await
            .unwrap();
    }
    let refreshes = || {
        sim.log()
            .iter()
            .filter(|e| e.kind == "received" && e.target == "/oauth2/token")
            .count()
    };
    let before = refreshes();

    let swept = app::connections::sweep_idle_paged(&deps, || later, 1)
        .await
        .unwrap();
    assert_eq!(swept.checked, 3);
    assert_eq!(swept.refreshed, 1);
    assert_eq!((swept.broken, swept.failed), (0, 0));
    assert_eq!(
        refreshes(),
        before + 1,
        "one refresh, the idle connection's"
    );
    let refreshed = deps.store.connection(USER).await.unwrap().unwrap();
    assert_eq!(refreshed.updated_at, later);
    assert_ne!(refreshed.sealed_tokens, connected.sealed_tokens);
    assert_eq!(
        deps.store.connection("u-recent").await.unwrap().unwrap(),
        recent
    );
    assert_eq!(
        deps.store.connection("u-broken").await.unwrap().unwrap(),
        broken
    );
    // Its new token works at Thumbtack.
    let token = deps
        .vault
        .open(USER, &refreshed.sealed_tokens)
        .await
        .unwrap()
        .access_token;
    let me = reqwest::Client::new()
        .get(format!("{}/api/v4/users/self", sim.url()))
        .bearer_auth(token.expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // The same day again: nothing is idle now.
    let again = app::connections::sweep_idle(&deps, || later).await.unwrap();
    assert_eq!(again.refreshed, 0);
    assert_eq!(refreshes(), before + 1);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_refresh_whose_answer_was_lost_is_recovered_by_the_next_caller_within_the_grace() {
    let sim = simulator().await;
    let table = fresh_table().await;
    let deps = deps(&sim, &table).await;
    connect(&sim, &deps, Decision::Approve).await;
    let connected = deps.store.connection(USER).await.unwrap().unwrap();
    let stored_tokens = deps
        .vault
        .open(USER, &connected.sealed_tokens)
        .await
        .unwrap();
    let old_refresh = stored_tokens.refresh_token.unwrap();
    // A refresher took the lease, Thumbtack rotated the token, and its answer never came back
    // (the process died): the record still holds the old refresh token.
    let later = connected.access_expires_at + 1;
    let lease = u64::try_from(app::connections::tokens::LEASE.as_millis()).unwrap();
    assert!(
        deps.store
            .take_refresh_lease(USER, "died", later + lease, later)
            .await
            .unwrap()
    );
    let lost = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sim.url()))
        .basic_auth("sim-client", Some("sim-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&refresh_token={}",
            url_escape(old_refresh.expose_secret())
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status(), 200, "Thumbtack rotated the token");

    // The next caller waits out the dead holder's lease (our clock runs 100 times faster than
    // Thumbtack's, so the lease ends in well under a second of the grace), then refreshes with
    // the old token, which Thumbtack still takes.
    let started = std::time::Instant::now();
    let now = move || later + u64::try_from(started.elapsed().as_millis()).unwrap() * 100;
    let token = access_token(&deps, &TokenCache::default(), fixtures::BUSINESS_ID, now)
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let me = reqwest::Client::new()
        .get(format!("{}/api/v4/users/self", sim.url()))
        .bearer_auth(token.expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let recovered = deps.store.connection(USER).await.unwrap().unwrap();
    assert_eq!(recovered.status, ConnectionStatus::Connected);
    let saved = deps
        .vault
        .open(USER, &recovered.sealed_tokens)
        .await
        .unwrap();
    assert_ne!(
        saved.refresh_token.unwrap().expose_secret(),
        old_refresh.expose_secret(),
        "a new refresh token is on the record"
    );
    sim.shutdown().await.unwrap();
}

/// `text` as a form value (tokens are base64url-ish; escape the rest).
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
