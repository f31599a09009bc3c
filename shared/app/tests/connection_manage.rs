//! A connection managed after it was made, over the in-memory ports: a sync that follows the
//! pro's businesses, a removal that is answered the same twice, the sweep of idle connections,
//! and a sweep that cannot refresh failing so that it runs again.
#![allow(clippy::unwrap_used)]

use app::connections::state::StateKey;
use app::connections::{
    CallbackQuery, ConnectDeps, ConnectSettings, ManageError, ReturnUrls, StartAsked, SweepError,
    callback, remove, start, sweep_idle, sync,
};
use app::memory::{FakeThumbtackV4, MemoryConnections, PlainVault};
use app::ports::{ConnectionStatus, ConnectionStore, V4Error};

const USER: &str = "u-1";
const CONNECTED_AT: u64 = 1_800_000_000_000;
const DAY: u64 = 24 * 3_600_000;

type Deps = ConnectDeps<MemoryConnections, FakeThumbtackV4, PlainVault>;

async fn connected() -> Deps {
    let deps = ConnectDeps {
        store: MemoryConnections::default(),
        thumbtack: FakeThumbtackV4::new(USER, &[("b-1", "Painting"), ("b-2", "Lawns")]),
        vault: PlainVault,
        settings: ConnectSettings {
            state_key: StateKey::new(vec![3; 32]),
            return_urls: ReturnUrls::default(),
            webhook_base_url: "https://api.partner.example/v4/webhooks".into(),
        },
        metrics: app::metrics::Metrics::off(),
    };
    let asked = StartAsked {
        reference: Some("pro"),
        return_url: None,
    };
    let started = start(&deps, asked, CONNECTED_AT).await.unwrap();
    let state = started.authorize_url.split("state=").nth(1).unwrap();
    let state = state.split('&').next().unwrap().to_owned();
    let query = CallbackQuery {
        code: Some("c-1"),
        state: Some(&state),
        error: None,
    };
    callback(&deps, query, CONNECTED_AT).await;
    deps
}

fn webhook_businesses(deps: &Deps) -> Vec<String> {
    deps.thumbtack
        .webhooks_registered()
        .into_iter()
        .map(|(_, business, _, _)| business)
        .collect()
}

#[tokio::test]
async fn a_sync_follows_the_pros_businesses_and_keeps_what_did_not_change() {
    let deps = connected().await;
    deps.thumbtack
        .set_businesses(&[("b-1", "Painting"), ("b-3", "Roofing")]);
    let synced = sync(&deps, USER, || CONNECTED_AT + 1000).await.unwrap();
    assert_eq!(synced.added, ["b-3"]);
    assert_eq!(synced.removed, ["b-2"]);
    let mut hooks = webhook_businesses(&deps);
    hooks.sort();
    assert_eq!(hooks, ["b-1", "b-3"]);
    assert_eq!(deps.store.business_user("b-2").await.unwrap(), None);
    assert_eq!(
        deps.store.business_user("b-3").await.unwrap().as_deref(),
        Some(USER)
    );
    // No status changed: only the connection's creation is a fact.
    assert_eq!(deps.store.changes().len(), 1);
}

#[tokio::test]
async fn a_removal_deletes_the_webhooks_erases_the_tokens_and_is_answered_the_same_twice() {
    let deps = connected().await;
    let removed = remove(&deps, USER, || CONNECTED_AT + 1000).await.unwrap();
    assert_eq!(removed.status, "removed");
    assert!(webhook_businesses(&deps).is_empty());
    let stored = deps.store.connection(USER).await.unwrap().unwrap();
    assert!(stored.sealed_tokens.is_empty());
    assert_eq!(
        remove(&deps, USER, || CONNECTED_AT + 2000).await.unwrap(),
        removed
    );
    let changes: Vec<ConnectionStatus> = deps
        .store
        .changes()
        .into_iter()
        .map(|(_, c)| c.status)
        .collect();
    assert_eq!(
        changes,
        [ConnectionStatus::Connected, ConnectionStatus::Removed]
    );
    assert!(matches!(
        sync(&deps, USER, || CONNECTED_AT + 3000).await,
        Err(ManageError::NotConnected("removed"))
    ));
    assert!(matches!(
        remove(&deps, "u-9", || CONNECTED_AT).await,
        Err(ManageError::NotFound)
    ));
}

#[tokio::test]
async fn the_sweep_leaves_a_connection_idle_under_150_days_and_refreshes_it_after() {
    let deps = connected().await;
    let swept = sweep_idle(&deps, || CONNECTED_AT + 149 * DAY)
        .await
        .unwrap();
    assert_eq!((swept.checked, swept.refreshed), (1, 0));
    assert_eq!(deps.thumbtack.refreshes(), 0);
    let swept = sweep_idle(&deps, || CONNECTED_AT + 150 * DAY)
        .await
        .unwrap();
    assert_eq!(swept.refreshed, 1);
    assert_eq!(deps.thumbtack.refreshes(), 1);
}

#[tokio::test]
async fn a_sweep_that_could_not_refresh_fails_so_that_it_runs_again() {
    let deps = connected().await;
    deps.thumbtack
        .refuse_next_refresh(V4Error::Unavailable("scripted 503".into()));
    let error = sweep_idle(&deps, || CONNECTED_AT + 151 * DAY)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SweepError::Incomplete(swept) if swept.failed == 1),
        "{error:?}"
    );
    let again = sweep_idle(&deps, || CONNECTED_AT + 151 * DAY + 60_000)
        .await
        .unwrap();
    assert_eq!(again.refreshed, 1);
}
