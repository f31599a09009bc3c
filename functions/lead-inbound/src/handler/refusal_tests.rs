//! Refused deliveries leave a trace without their bodies (issue 13, item 6), on real API Gateway
//! events over the in-memory store: 401, 413 and 400 on both routes of this function.

use super::handle;
use app::auth::Credential;
use app::deps::InboundDeps;
use app::memory::{MemoryStore, StaticCredentials};
use app::metrics::Metrics;
use app::ports::RefusalCount;
use http_api::testing::{Encoding, Gateway, basic, send};
use serde_json::{Value, json};

const PASSWORD: &str = "local-dev-password";

fn deps() -> InboundDeps<MemoryStore, StaticCredentials> {
    InboundDeps {
        store: MemoryStore::new(),
        credentials: StaticCredentials::new(&[Credential::new("thumbtack", PASSWORD)]),
        metrics: Metrics::in_memory("test", "lead-inbound"),
    }
}

/// (route, status, reason, credentials presented, count) of every count, for assertions.
fn kinds(counts: &[RefusalCount]) -> Vec<(String, u16, String, bool, u64)> {
    counts
        .iter()
        .map(|c| {
            (
                c.route.clone(),
                c.status,
                c.reason.clone(),
                c.credentials_presented,
                c.count,
            )
        })
        .collect()
}

fn kind(
    route: &str,
    status: u16,
    reason: &str,
    presented: bool,
    count: u64,
) -> (String, u16, String, bool, u64) {
    (
        route.to_owned(),
        status,
        reason.to_owned(),
        presented,
        count,
    )
}

#[tokio::test]
async fn a_wrong_password_is_answered_401_and_recorded_without_the_body_or_the_credentials() {
    let deps = deps();
    for gateway in [Gateway::RestV1, Gateway::HttpV2] {
        let response = handle(
            &deps,
            send(
                gateway,
                "POST",
                "/v1/lead",
                fixtures::LEAD.as_bytes(),
                Encoding::Text,
                Some(&basic("thumbtack", "guessed-password")),
            ),
        )
        .await;
        assert_eq!(response.status(), 401, "{gateway:?}");
    }
    let counts = deps.store.refusal_counts();
    assert_eq!(
        kinds(&counts),
        [kind("lead", 401, "wrong_credentials", true, 2)]
    );
    let trace = format!("{counts:?}");
    for secret in ["guessed-password", "thumbtack", "Jay", "299614694480093245"] {
        assert!(!trace.contains(secret), "{secret} in {trace}");
    }
}

#[tokio::test]
async fn missing_and_malformed_credentials_are_told_apart_and_only_one_presented_any() {
    let deps = deps();
    for authorization in [None, Some("Bearer abc"), Some("Basic !!!")] {
        let response = handle(
            &deps,
            send(
                Gateway::HttpV2,
                "PUT",
                "/v1/lead/update",
                fixtures::LEAD_UPDATE.as_bytes(),
                Encoding::Text,
                authorization,
            ),
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    let mut listed = kinds(&deps.store.refusal_counts());
    listed.sort();
    assert_eq!(
        listed,
        [
            kind("lead-update", 401, "malformed_credentials", true, 2),
            kind("lead-update", 401, "missing_credentials", false, 1),
        ]
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_answered_413_and_recorded() {
    let deps = deps();
    let body = vec![b' '; http_api::MAX_BODY_BYTES + 1];
    let response = handle(
        &deps,
        send(
            Gateway::RestV1,
            "POST",
            "/v1/lead",
            &body,
            Encoding::Base64,
            Some(&basic("thumbtack", PASSWORD)),
        ),
    )
    .await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        kinds(&deps.store.refusal_counts()),
        [kind("lead", 413, "payload_too_large", true, 1)]
    );
}

#[tokio::test]
async fn a_lead_without_its_keys_is_answered_400_and_recorded_beside_its_quarantine() {
    let deps = deps();
    for body in [r#"{"leadID": "1"}"#, "[1, 2]", "not json"] {
        let response = handle(
            &deps,
            send(
                Gateway::HttpV2,
                "POST",
                "/v1/lead",
                body.as_bytes(),
                Encoding::Text,
                Some(&basic("thumbtack", PASSWORD)),
            ),
        )
        .await;
        assert_eq!(response.status(), 400, "{body}");
    }
    let mut listed = kinds(&deps.store.refusal_counts());
    listed.sort();
    assert_eq!(
        listed,
        [
            kind("lead", 400, "invalid_fields", true, 1),
            kind("lead", 400, "invalid_json", true, 1),
            kind("lead", 400, "not_an_object", true, 1),
        ]
    );
    assert_eq!(
        deps.store.quarantine_records().len(),
        3,
        "kept all the same"
    );
}

#[tokio::test]
async fn a_stored_lead_leaves_no_trace_of_refusal() {
    let deps = deps();
    let response = handle(
        &deps,
        send(
            Gateway::HttpV2,
            "POST",
            "/v1/lead",
            fixtures::LEAD.as_bytes(),
            Encoding::Text,
            Some(&basic("thumbtack", PASSWORD)),
        ),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(deps.store.refusal_counts().is_empty());
}

#[tokio::test]
async fn a_refusal_log_that_fails_changes_neither_the_401_nor_the_400() {
    let deps = deps();
    deps.store.fail_refusals(true);
    let unauthorized = handle(
        &deps,
        send(
            Gateway::HttpV2,
            "POST",
            "/v1/lead",
            fixtures::LEAD.as_bytes(),
            Encoding::Text,
            Some(&basic("thumbtack", "wrong")),
        ),
    )
    .await;
    assert_eq!(unauthorized.status(), 401);
    assert!(unauthorized.headers().contains_key("www-authenticate"));
    let refused = handle(
        &deps,
        send(
            Gateway::HttpV2,
            "POST",
            "/v1/lead",
            br#"{"leadID": "1"}"#,
            Encoding::Text,
            Some(&basic("thumbtack", PASSWORD)),
        ),
    )
    .await;
    assert_eq!(refused.status(), 400);
    let body: Value = serde_json::from_slice(refused.body().as_ref()).unwrap();
    assert_eq!(body["error"], json!("invalid_fields"));
    assert!(deps.store.refusal_counts().is_empty());
}
