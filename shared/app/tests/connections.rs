//! The connect flow against in-memory ports: start, the callback's outcomes, and what is stored.
#![allow(clippy::unwrap_used)]

use app::connections::state::{STATE_LIFETIME_MS, StateKey};
use app::connections::{
    CallbackQuery, ConnectDeps, ConnectError, ConnectSettings, Outcome, ReturnUrls, StartAsked,
    StartError, callback, secret_hash, start,
};
use app::memory::{FakeThumbtackV4, MemoryConnections, PlainVault};
use app::ports::{ConnectionStatus, TokenVault, V4Error};
use secrecy::ExposeSecret;

const USER: &str = "5001000000000000001";
const NOW: u64 = 1_800_000_000_000;
const RETURN: &str = "https://partner.example/app/connected";

type Deps = ConnectDeps<MemoryConnections, FakeThumbtackV4, PlainVault>;

fn deps() -> Deps {
    ConnectDeps {
        store: MemoryConnections::default(),
        thumbtack: FakeThumbtackV4::new(USER, &[("b-1", "Painting"), ("b-2", "Lawns")]),
        vault: PlainVault,
        settings: ConnectSettings {
            state_key: StateKey::new(vec![7; 32]),
            return_urls: ReturnUrls::parse(["https://partner.example/app"]).unwrap(),
            webhook_base_url: "https://api.partner.example/v4/webhooks".into(),
        },
        metrics: app::metrics::Metrics::off(),
    }
}

/// The state in a started flow's authorize URL (the fake puts it first, unencoded).
async fn started(deps: &Deps, return_url: Option<&str>) -> String {
    let started = start(
        deps,
        StartAsked {
            reference: Some("pro-42"),
            return_url,
        },
        NOW,
    )
    .await
    .unwrap();
    let state = started
        .authorize_url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    state.to_owned()
}

fn approved<'a>(state: &'a str) -> CallbackQuery<'a> {
    CallbackQuery {
        code: Some("code-1"),
        state: Some(state),
        error: None,
    }
}

fn error_of(outcome: &Outcome) -> Option<ConnectError> {
    match outcome {
        Outcome::Failed { error, .. } => Some(*error),
        Outcome::Connected { .. } => None,
    }
}

#[tokio::test]
async fn start_answers_an_authorize_url_with_a_state_and_when_it_expires() {
    let deps = deps();
    let started = start(
        &deps,
        StartAsked {
            reference: Some("pro-42"),
            return_url: Some(RETURN),
        },
        NOW,
    )
    .await
    .unwrap();
    assert!(started.authorize_url.contains("state=s1."));
    assert!(started.authorize_url.ends_with("verifier_len=43"));
    let expires: jiff::Timestamp = started.expires_at.parse().unwrap();
    assert_eq!(
        expires.as_millisecond(),
        i64::try_from(NOW + STATE_LIFETIME_MS).unwrap()
    );
}

#[tokio::test]
async fn start_refuses_a_missing_reference_and_a_return_url_off_the_allow_list_naming_both() {
    let deps = deps();
    let error = start(
        &deps,
        StartAsked {
            reference: Some("  "),
            return_url: Some("https://evil.example/app"),
        },
        NOW,
    )
    .await
    .unwrap_err();
    let StartError::Invalid(invalid) = error else {
        panic!("{error:?}")
    };
    assert_eq!(invalid.paths(), ["reference", "returnURL"]);
}

#[tokio::test]
async fn an_approved_callback_stores_the_connection_with_sealed_tokens_and_one_webhook_per_business()
 {
    let deps = deps();
    let state = started(&deps, Some(RETURN)).await;
    let outcome = callback(&deps, approved(&state), NOW + 1000).await;

    let redirect = outcome.redirect().unwrap();
    assert_eq!(
        redirect,
        format!("{RETURN}?connection={USER}&reference=pro-42&status=connected")
    );
    let stored = deps.store.all();
    assert_eq!(stored.len(), 1);
    let connection = &stored[0];
    assert_eq!(connection.user_id, USER);
    assert_eq!(connection.reference, "pro-42");
    assert_eq!(connection.status, ConnectionStatus::Connected);
    assert_eq!(connection.access_expires_at, NOW + 1000 + 3_600_000);
    let tokens = PlainVault
        .open(USER, &connection.sealed_tokens)
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "access-for-code-1");

    let webhooks = deps.thumbtack.webhooks_registered();
    assert_eq!(webhooks.len(), 2);
    for business in &connection.businesses {
        let (id, _, url, secret) = webhooks
            .iter()
            .find(|w| w.1 == business.business_id)
            .unwrap();
        assert_eq!(&business.webhook_id, id);
        assert_eq!(
            url,
            &format!(
                "https://api.partner.example/v4/webhooks/{}",
                business.business_id
            )
        );
        // 256 bits, base64url; only its hash is stored.
        assert_eq!(secret.len(), 43);
        assert_eq!(business.secret_hash, secret_hash(secret));
    }
}

#[tokio::test]
async fn a_state_used_once_is_refused_the_second_time_and_nothing_more_is_called() {
    let deps = deps();
    let state = started(&deps, Some(RETURN)).await;
    assert_eq!(
        error_of(&callback(&deps, approved(&state), NOW).await),
        None
    );
    let calls = deps.thumbtack.calls().len();

    let replay = callback(&deps, approved(&state), NOW).await;
    assert_eq!(error_of(&replay), Some(ConnectError::UsedState));
    assert_eq!(
        replay.redirect().unwrap(),
        format!("{RETURN}?status=error&error=used_state&reference=pro-42")
    );
    assert_eq!(deps.thumbtack.calls().len(), calls);
}

#[tokio::test]
async fn an_expired_state_is_refused_with_its_return_url_and_nothing_is_stored() {
    let deps = deps();
    let state = started(&deps, Some(RETURN)).await;
    let outcome = callback(&deps, approved(&state), NOW + STATE_LIFETIME_MS).await;
    assert_eq!(error_of(&outcome), Some(ConnectError::ExpiredState));
    assert!(
        outcome
            .redirect()
            .unwrap()
            .contains("status=error&error=expired_state")
    );
    assert!(deps.store.all().is_empty());
    assert!(deps.thumbtack.calls().is_empty());
}

#[tokio::test]
async fn a_tampered_or_missing_state_is_refused_without_a_redirect() {
    let deps = deps();
    let state = started(&deps, Some(RETURN)).await;
    let tampered = format!("{}x", state);
    for query in [
        approved(&tampered),
        CallbackQuery {
            code: Some("c"),
            ..CallbackQuery::default()
        },
    ] {
        let outcome = callback(&deps, query, NOW).await;
        assert_eq!(error_of(&outcome), Some(ConnectError::InvalidState));
        assert_eq!(outcome.redirect(), None);
    }
    assert!(deps.thumbtack.calls().is_empty());
}

#[tokio::test]
async fn a_denial_sends_the_pro_back_with_access_denied_and_uses_up_the_state() {
    let deps = deps();
    let state = started(&deps, Some(RETURN)).await;
    let denied = CallbackQuery {
        code: None,
        state: Some(&state),
        error: Some("access_denied"),
    };
    let outcome = callback(&deps, denied.clone(), NOW).await;
    assert_eq!(
        outcome.redirect().unwrap(),
        format!("{RETURN}?status=error&error=access_denied&reference=pro-42")
    );
    assert!(deps.store.all().is_empty());
    assert!(deps.thumbtack.calls().is_empty());
    assert_eq!(
        error_of(&callback(&deps, approved(&state), NOW).await),
        Some(ConnectError::UsedState)
    );
}

#[tokio::test]
async fn a_refused_code_exchange_stores_nothing_and_registers_nothing() {
    let deps = deps();
    deps.thumbtack.refuse_next_exchange(V4Error::OAuth {
        code: "invalid_grant".into(),
    });
    let state = started(&deps, Some(RETURN)).await;
    let outcome = callback(&deps, approved(&state), NOW).await;
    assert_eq!(error_of(&outcome), Some(ConnectError::AuthorizationFailed));
    assert!(deps.store.all().is_empty());
    assert!(deps.thumbtack.webhooks_registered().is_empty());
}

#[tokio::test]
async fn a_failure_midway_stores_nothing_and_the_next_run_reuses_the_webhooks_it_left() {
    let deps = deps();
    deps.thumbtack.fail_webhooks_of(Some("b-2"));
    let state = started(&deps, Some(RETURN)).await;
    let outcome = callback(&deps, approved(&state), NOW).await;
    assert_eq!(error_of(&outcome), Some(ConnectError::Unavailable));
    assert!(deps.store.all().is_empty());
    assert_eq!(deps.thumbtack.webhooks_registered().len(), 1);

    deps.thumbtack.fail_webhooks_of(None);
    let state = started(&deps, Some(RETURN)).await;
    assert_eq!(
        error_of(&callback(&deps, approved(&state), NOW).await),
        None
    );
    let webhooks = deps.thumbtack.webhooks_registered();
    assert_eq!(webhooks.len(), 2, "{webhooks:?}");
    // The webhook left behind had a secret nobody kept: it was given a new one, which is stored.
    let stored = &deps.store.all()[0];
    for (id, business, _, secret) in &webhooks {
        let recorded = stored
            .businesses
            .iter()
            .find(|b| &b.business_id == business)
            .unwrap();
        assert_eq!(&recorded.webhook_id, id);
        assert_eq!(recorded.secret_hash, secret_hash(secret));
    }
    assert!(
        deps.thumbtack
            .calls()
            .iter()
            .any(|c| c.starts_with("update"))
    );
}

#[tokio::test]
async fn a_storage_failure_at_the_end_stores_nothing_and_a_rerun_converges_on_the_same_webhooks() {
    let deps = deps();
    deps.store.fail_next_saves(1);
    let state = started(&deps, Some(RETURN)).await;
    let outcome = callback(&deps, approved(&state), NOW).await;
    assert_eq!(error_of(&outcome), Some(ConnectError::Unavailable));
    assert!(
        outcome
            .redirect()
            .unwrap()
            .contains("error=temporarily_unavailable")
    );
    assert!(deps.store.all().is_empty());

    let state = started(&deps, Some(RETURN)).await;
    assert_eq!(
        error_of(&callback(&deps, approved(&state), NOW).await),
        None
    );
    assert_eq!(deps.thumbtack.webhooks_registered().len(), 2);
}

#[tokio::test]
async fn connecting_again_keeps_the_webhooks_and_secrets_recorded_and_the_first_connection_time() {
    let deps = deps();
    let state = started(&deps, Some(RETURN)).await;
    callback(&deps, approved(&state), NOW).await;
    let first = deps.store.all().remove(0);
    let self_serve = deps
        .thumbtack
        .add_webhook("b-1", "https://elsewhere.example/hook");

    let state = started(&deps, None).await;
    let outcome = callback(&deps, approved(&state), NOW + 5000).await;
    assert_eq!(outcome.redirect(), None);
    let Outcome::Connected { businesses, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(businesses.len(), 2);
    let second = deps.store.all().remove(0);
    assert_eq!(second.businesses, first.businesses);
    assert_eq!(second.connected_at, NOW);
    assert_eq!(second.updated_at, NOW + 5000);
    let webhooks = deps.thumbtack.webhooks_registered();
    assert_eq!(webhooks.len(), 3, "ours twice and the pro's own");
    assert!(webhooks.iter().any(|w| w.0 == self_serve));
    assert!(
        !deps
            .thumbtack
            .calls()
            .iter()
            .any(|c| c.starts_with("update"))
    );
}
