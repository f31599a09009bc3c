//! A business's access token: served while fresh, refreshed once per user whoever asks at once,
//! a dead refresher's lease taken over, a refused refresh token marking the connection broken.
//! On tokio's paused clock: waits take no time.
#![allow(clippy::unwrap_used)]

use app::connections::state::StateKey;
use app::connections::tokens::{LEASE, TokenCache, TokenError, access_token};
use app::connections::{
    CallbackQuery, ConnectDeps, ConnectSettings, ReturnUrls, StartAsked, callback, start,
};
use app::memory::{FakeThumbtackV4, MemoryConnections, PlainVault};
use app::ports::{ConnectionStatus, ConnectionStore, TokenVault, V4Error};
use secrecy::ExposeSecret;
use std::sync::Arc;

const USER: &str = "u-1";
const CONNECTED_AT: u64 = 1_800_000_000_000;
/// When the first access token (3600 s) is within five minutes of its expiry.
const STALE: u64 = CONNECTED_AT + 3_600_000 - 5 * 60 * 1000;

type Deps = ConnectDeps<MemoryConnections, FakeThumbtackV4, PlainVault>;

async fn connected() -> Arc<Deps> {
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
    let started = start(
        &deps,
        StartAsked {
            reference: Some("pro"),
            return_url: None,
        },
        CONNECTED_AT,
    )
    .await
    .unwrap();
    let state = started.authorize_url.split("state=").nth(1).unwrap();
    let state = state.split('&').next().unwrap().to_owned();
    let query = CallbackQuery {
        code: Some("c-1"),
        state: Some(&state),
        error: None,
    };
    callback(&deps, query, CONNECTED_AT).await;
    Arc::new(deps)
}

/// A clock starting at `at` and moving with tokio's (paused) clock.
fn clock(at: u64) -> impl Fn() -> u64 + Clone + Send + Sync {
    let start = tokio::time::Instant::now();
    move || at + u64::try_from(start.elapsed().as_millis()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_fresh_token_is_served_as_stored_without_a_refresh() {
    let deps = connected().await;
    let cache = TokenCache::default();
    let token = access_token(&deps, &cache, "b-2", clock(CONNECTED_AT + 1000))
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "access-for-c-1");
    assert_eq!(deps.thumbtack.refreshes(), 0);
}

#[tokio::test(start_paused = true)]
async fn twenty_callers_in_two_processes_at_once_make_exactly_one_refresh_and_share_its_token() {
    let deps = connected().await;
    let processes = [
        Arc::new(TokenCache::default()),
        Arc::new(TokenCache::default()),
    ];
    let mut calls = Vec::new();
    for i in 0..20 {
        let deps = Arc::clone(&deps);
        let cache = Arc::clone(&processes[i % 2]);
        let business = if i % 3 == 0 { "b-1" } else { "b-2" };
        calls.push(tokio::spawn(async move {
            access_token(&deps, &cache, business, clock(STALE))
                .await
                .unwrap()
                .expose_secret()
                .to_owned()
        }));
    }
    for call in calls {
        assert_eq!(call.await.unwrap(), "access-refreshed-1");
    }
    assert_eq!(deps.thumbtack.refreshes(), 1);
    let stored = deps.store.connection(USER).await.unwrap().unwrap();
    let tokens = PlainVault.open(USER, &stored.sealed_tokens).await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "access-refreshed-1");
    assert_eq!(
        tokens.refresh_token.unwrap().expose_secret(),
        "refresh-for-c-1-then-1"
    );
    assert!(stored.access_expires_at > STALE + 3_000_000);
}

#[tokio::test(start_paused = true)]
async fn a_lease_whose_holder_died_is_taken_over_once_it_runs_out() {
    let deps = connected().await;
    let lease_ms = u64::try_from(LEASE.as_millis()).unwrap();
    assert!(
        deps.store
            .take_refresh_lease(USER, "dead", STALE + lease_ms, STALE)
            .await
            .unwrap()
    );
    let now = clock(STALE);
    let token = access_token(&deps, &TokenCache::default(), "b-1", now.clone())
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "access-refreshed-1");
    assert!(now() >= STALE + lease_ms, "waited for the lease");
    assert!(now() < STALE + 60_000, "within Thumbtack's 60 s grace");
}

#[tokio::test(start_paused = true)]
async fn a_refused_refresh_token_breaks_the_connection_and_no_later_call_refreshes() {
    let deps = connected().await;
    deps.thumbtack.refuse_next_refresh(V4Error::OAuth {
        code: "invalid_grant".into(),
    });
    let cache = TokenCache::default();
    let error = access_token(&deps, &cache, "b-1", clock(STALE))
        .await
        .unwrap_err();
    assert!(matches!(error, TokenError::Broken), "{error:?}");
    let stored = deps.store.connection(USER).await.unwrap().unwrap();
    assert_eq!(stored.status, ConnectionStatus::Broken);
    let again = access_token(&deps, &cache, "b-2", clock(STALE))
        .await
        .unwrap_err();
    assert!(matches!(again, TokenError::Broken));
    assert_eq!(deps.thumbtack.refreshes(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_thumbtack_cannot_answer_now_is_tried_again_by_the_next_caller() {
    let deps = connected().await;
    deps.thumbtack
        .refuse_next_refresh(V4Error::Unavailable("503".into()));
    let cache = TokenCache::default();
    let error = access_token(&deps, &cache, "b-1", clock(STALE))
        .await
        .unwrap_err();
    assert!(matches!(error, TokenError::Unavailable(_)), "{error:?}");
    let later = STALE + u64::try_from(LEASE.as_millis()).unwrap();
    let token = access_token(&deps, &cache, "b-1", clock(later))
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "access-refreshed-1");
}

#[tokio::test(start_paused = true)]
async fn a_business_no_pro_connected_has_no_token() {
    let deps = connected().await;
    let error = access_token(&deps, &TokenCache::default(), "b-9", clock(STALE))
        .await
        .unwrap_err();
    assert!(matches!(error, TokenError::NotConnected));
}
