//! The connection routes on real API Gateway events (both payload formats), over in-memory ports.

use super::handle;
use crate::testing::{Encoding, GATEWAYS, Gateway, get, post};
use app::connections::state::StateKey;
use app::connections::{ConnectDeps, ConnectSettings, ReturnUrls};
use app::memory::{FakeThumbtackV4, MemoryConnections, PlainVault};
use lambda_http::{Body, Response};
use serde_json::Value;

const RETURN: &str = "https://partner.example/app/done";

type Deps = ConnectDeps<MemoryConnections, FakeThumbtackV4, PlainVault>;

fn deps() -> Deps {
    ConnectDeps {
        store: MemoryConnections::default(),
        thumbtack: FakeThumbtackV4::new("u-1", &[("b-1", "Tim's <Painting>")]),
        vault: PlainVault,
        settings: ConnectSettings {
            state_key: StateKey::new(vec![9; 32]),
            return_urls: ReturnUrls::parse(["https://partner.example/app"]).unwrap(),
            webhook_base_url: "https://api.partner.example/v4/webhooks".into(),
        },
        metrics: app::metrics::Metrics::off(),
    }
}

fn text(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn started(deps: &Deps, gateway: Gateway, body: &Value) -> Response<Body> {
    let body = body.to_string();
    handle(
        deps,
        post(
            gateway,
            "/v1/connections",
            body.as_bytes(),
            Encoding::Text,
            None,
        ),
    )
    .await
}

/// The state of a started flow (the fake puts it in the authorize URL, unencoded).
async fn state(deps: &Deps, gateway: Gateway, return_url: Option<&str>) -> String {
    let mut body = serde_json::json!({"reference": "pro-42"});
    if let Some(url) = return_url {
        body["returnURL"] = url.into();
    }
    let response = started(deps, gateway, &body).await;
    let answer: Value = serde_json::from_str(&text(&response)).unwrap();
    let url = answer["authorizeURL"].as_str().unwrap();
    url.split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

async fn back(deps: &Deps, gateway: Gateway, query: &[(&str, &str)]) -> Response<Body> {
    let path = "/v1/connections/callback";
    handle(deps, get(gateway, path, path, &[], query)).await
}

#[tokio::test]
async fn a_start_answers_201_with_the_authorize_url_and_its_expiry() {
    for gateway in GATEWAYS {
        let deps = deps();
        let body = serde_json::json!({"reference": "pro-42", "returnURL": RETURN});
        let response = started(&deps, gateway, &body).await;
        assert_eq!(response.status(), 201, "{gateway:?}");
        let answer: Value = serde_json::from_str(&text(&response)).unwrap();
        assert!(
            answer["authorizeURL"]
                .as_str()
                .unwrap()
                .contains("state=s1.")
        );
        assert!(answer["expiresAt"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test]
async fn a_start_without_a_reference_or_to_a_return_url_off_the_list_is_a_400_naming_both() {
    let deps = deps();
    let body = serde_json::json!({"returnURL": "https://evil.example/"});
    let response = started(&deps, Gateway::HttpV2, &body).await;
    assert_eq!(response.status(), 400);
    let answer: Value = serde_json::from_str(&text(&response)).unwrap();
    let paths: Vec<&str> = answer["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["reference", "returnURL"]);
    let response = handle(
        &deps,
        post(
            Gateway::RestV1,
            "/v1/connections",
            b"nope",
            Encoding::Text,
            None,
        ),
    )
    .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_approved_callback_redirects_to_the_return_url_with_the_connection() {
    for gateway in GATEWAYS {
        let deps = deps();
        let state = state(&deps, gateway, Some(RETURN)).await;
        let response = back(&deps, gateway, &[("code", "c-1"), ("state", &state)]).await;
        assert_eq!(response.status(), 303, "{gateway:?}");
        assert_eq!(
            header(&response, "location"),
            format!("{RETURN}?connection=u-1&reference=pro-42&status=connected")
        );
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        assert_eq!(deps.store.all().len(), 1);
    }
}

#[tokio::test]
async fn without_a_return_url_a_page_names_the_businesses_connected_escaped() {
    let deps = deps();
    let state = state(&deps, Gateway::HttpV2, None).await;
    let response = back(
        &deps,
        Gateway::HttpV2,
        &[("code", "c-1"), ("state", &state)],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("text/html"));
    let page = text(&response);
    assert!(
        page.contains("<li>Tim&#39;s &lt;Painting&gt;</li>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_replayed_or_forged_state_and_a_denial_are_answered_without_storing_anything_new() {
    let deps = deps();
    let state = state(&deps, Gateway::RestV1, Some(RETURN)).await;
    let denied = back(
        &deps,
        Gateway::RestV1,
        &[("error", "access_denied"), ("state", &state)],
    )
    .await;
    assert_eq!(denied.status(), 303);
    assert_eq!(
        header(&denied, "location"),
        format!("{RETURN}?status=error&error=access_denied&reference=pro-42")
    );
    let replayed = back(&deps, Gateway::RestV1, &[("code", "c"), ("state", &state)]).await;
    assert!(header(&replayed, "location").ends_with("error=used_state&reference=pro-42"));
    let forged = back(
        &deps,
        Gateway::RestV1,
        &[("code", "c"), ("state", "s1.e30.AAAA")],
    )
    .await;
    assert_eq!(forged.status(), 400);
    assert!(text(&forged).contains("invalid_state"));
    assert!(deps.store.all().is_empty());
}

#[tokio::test]
async fn a_connection_reads_back_without_its_tokens_or_secret_hashes_and_an_unknown_one_is_404() {
    for gateway in GATEWAYS {
        let deps = deps();
        let state = state(&deps, gateway, None).await;
        back(&deps, gateway, &[("code", "c-1"), ("state", &state)]).await;
        let template = "/v1/connections/{userID}";
        let response = handle(
            &deps,
            get(
                gateway,
                template,
                "/v1/connections/u-1",
                &[("userID", "u-1")],
                &[],
            ),
        )
        .await;
        assert_eq!(response.status(), 200, "{gateway:?}");
        let body = text(&response);
        let view: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(view["userID"], "u-1");
        assert_eq!(view["reference"], "pro-42");
        assert_eq!(view["status"], "connected");
        assert_eq!(view["businesses"][0]["businessID"], "b-1");
        assert!(view["businesses"][0]["webhookID"].is_string());
        let stored = &deps.store.all()[0];
        assert!(!body.contains(&stored.businesses[0].secret_hash), "{body}");
        assert!(!body.contains("access-for-c-1"), "{body}");
        assert!(
            !body.contains("secretHash") && !body.contains("sealed"),
            "{body}"
        );

        let unknown = handle(
            &deps,
            get(
                gateway,
                template,
                "/v1/connections/u-9",
                &[("userID", "u-9")],
                &[],
            ),
        )
        .await;
        assert_eq!(unknown.status(), 404);
    }
}

#[tokio::test]
async fn the_list_pages_with_a_sealed_cursor_and_a_bad_one_is_a_400_naming_it() {
    for gateway in GATEWAYS {
        let deps = deps();
        let state = state(&deps, gateway, None).await;
        back(&deps, gateway, &[("code", "c-1"), ("state", &state)]).await;
        let path = "/v1/connections";
        let response = handle(&deps, get(gateway, path, path, &[], &[("limit", "1")])).await;
        assert_eq!(response.status(), 200, "{gateway:?}");
        let body = text(&response);
        let page: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(page["connections"][0]["userID"], "u-1");
        assert_eq!(page["next"], Value::Null);
        assert!(!body.contains("access-for-c-1"), "{body}");

        let refused = handle(
            &deps,
            get(gateway, path, path, &[], &[("cursor", "forged.cursor")]),
        )
        .await;
        assert_eq!(refused.status(), 400);
        assert!(text(&refused).contains("cursor"));
    }
}
