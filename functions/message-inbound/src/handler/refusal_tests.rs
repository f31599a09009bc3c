//! Refused messages and reviews leave a trace without their bodies (issue 13, item 6), on real
//! API Gateway events over the in-memory store.

use super::handle;
use app::auth::Credential;
use app::deps::InboundDeps;
use app::memory::{MemoryStore, StaticCredentials};
use app::metrics::Metrics;
use http_api::testing::{Encoding, GATEWAYS, basic, post};

/// A request: path, body, authorization; and the status and reason expected.
type Case<'a> = (&'a str, &'a [u8], Option<String>, u16, &'a str);

#[tokio::test]
async fn every_refusal_of_a_message_or_a_review_is_counted_by_route_status_and_reason() {
    let valid = Some(basic("thumbtack", "pw"));
    let wrong = Some(basic("thumbtack", "not-the-password"));
    let too_large = vec![b'x'; http_api::MAX_BODY_BYTES + 1];
    let cases: [Case; 6] = [
        (
            "/v1/message",
            fixtures::MESSAGE.as_bytes(),
            None,
            401,
            "missing_credentials",
        ),
        (
            "/v1/message",
            fixtures::MESSAGE.as_bytes(),
            wrong.clone(),
            401,
            "wrong_credentials",
        ),
        ("/v1/message", b"{}", valid.clone(), 400, "invalid_fields"),
        (
            "/v1/review",
            fixtures::REVIEW.as_bytes(),
            wrong,
            401,
            "wrong_credentials",
        ),
        ("/v1/review", b"", valid.clone(), 400, "empty_body"),
        ("/v1/review", &too_large, valid, 413, "payload_too_large"),
    ];
    for gateway in GATEWAYS {
        for (path, body, authorization, status, reason) in &cases {
            let deps = InboundDeps {
                store: MemoryStore::new(),
                credentials: StaticCredentials::new(&[Credential::new("thumbtack", "pw")]),
                metrics: Metrics::off(),
            };
            let request = post(
                gateway,
                path,
                body,
                Encoding::Base64,
                authorization.as_deref(),
            );
            let response = handle(&deps, request).await;
            assert_eq!(response.status(), *status, "{gateway:?} {path} {reason}");
            let counts = deps.store.refusal_counts();
            assert_eq!(counts.len(), 1, "{gateway:?} {path} {reason}");
            let route = path.trim_start_matches("/v1/");
            assert_eq!(
                (
                    counts[0].route.as_str(),
                    counts[0].status,
                    counts[0].reason.as_str(),
                    counts[0].count
                ),
                (route, *status, *reason, 1),
                "{gateway:?}"
            );
            assert_eq!(counts[0].credentials_presented, authorization.is_some());
        }
    }
}
