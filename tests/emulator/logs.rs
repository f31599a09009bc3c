//! What the logs may and may not say: a full flow (leads, messages, refusals, storage faults,
//! replies sent and refused) with its log output captured at DEBUG level, every crate included.

use crate::support::*;
use adapters::DynamoStore;
use adapters::provision::ensure_queues;
use adapters::secrets::ThumbtackCredentials;
use adapters::thumbtack::ThumbtackSettings;
use adapters::{HttpThumbtack, SqsReplyQueue};
use app::auth::Credential;
use app::deps::InboundDeps;
use app::metrics::Metrics;
use app::replies::{ReplyDeps, RetryPolicy};
use devstack::Worker;
use http_api::testing::{Encoding, Gateway, basic, post, send};
use models::ReplyRequest;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CUSTOMER_NAME: &str = "Zelda Quokka-Marsh";
const DESCRIPTION: &str = "SECRET-DESCRIPTION-7731 behind the blue door";
const MESSAGE_TEXT: &str = "MESSAGE-TEXT-4412 please call me";
const PARTNER_PASSWORD: &str = "PW-SECRET-9981";
const WRONG_PASSWORD: &str = "WRONG-PW-5566";
const REPLY_TEXT: &str = "REPLY-TEXT-2290 see you Tuesday";
const REFUSED_REPLY_TEXT: &str = "REPLY-TEXT-3311 rejected one";
const THUMBTACK_PASSWORD: &str = "TT-API-KEY-6620";
const REVIEWER_NAME: &str = "REVIEWER-8841 Quokka";
const REVIEW_TEXT: &str = "REVIEW-TEXT-5520 spotless";
const PHONE: &str = "+1-555-0142-7788";
const ADDRESS: &str = "ADDRESS-1207 Elm Street";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_credential_customer_name_or_message_text_reaches_the_logs() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_env_filter("debug")
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Inbound: a lead and a message, a wrong password, an invalid lead, a storage fault.
    let store = fresh_store().await;
    let deps = InboundDeps {
        store: store.clone(),
        credentials: app::memory::StaticCredentials::new(&[Credential::new(
            USERNAME,
            PARTNER_PASSWORD,
        )]),
        metrics: Metrics::off(),
    };
    let lead = with_field(LEAD, "/customer/name", json!(CUSTOMER_NAME));
    let lead = with_field(&lead, "/request/description", json!(DESCRIPTION));
    let message = with_field(MESSAGE, "/message/text", json!(MESSAGE_TEXT));
    let lead_2025 = with_field(fixtures::LEAD_2025, "/customer/phone", json!(PHONE));
    let lead_2025 = with_field(&lead_2025, "/request/location/address1", json!(ADDRESS));
    let review = with_field(
        fixtures::REVIEW,
        "/review/reviewerName",
        json!(REVIEWER_NAME),
    );
    let review = with_field(&review, "/review/text", json!(REVIEW_TEXT));
    let good = basic(USERNAME, PARTNER_PASSWORD);
    let wrong = basic(USERNAME, WRONG_PASSWORD);
    let review_without_keys = with_field(&review, "/review/reviewID", json!(7));
    for (method, path, body, auth) in [
        ("POST", "/v1/lead", lead.clone(), good.clone()),
        ("POST", "/v1/lead", lead.clone(), good.clone()),
        ("POST", "/v1/message", message.clone(), good.clone()),
        ("POST", "/v1/lead", lead.clone(), wrong.clone()),
        (
            "POST",
            "/v1/lead",
            with_field(&lead, "/request/location/zipCode", json!(CUSTOMER_NAME)),
            good.clone(),
        ),
        ("POST", "/v1/lead", lead_2025, good.clone()),
        (
            "PUT",
            "/v1/lead/update",
            fixtures::LEAD_UPDATE.into(),
            good.clone(),
        ),
        ("POST", "/v1/review", review.clone(), good.clone()),
        ("POST", "/v1/review", review_without_keys, good.clone()),
    ] {
        let request = send(
            Gateway::RestV1,
            method,
            path,
            body.as_bytes(),
            Encoding::Text,
            Some(&auth),
        );
        if path.starts_with("/v1/lead") {
            lead_inbound::handler::handle(&deps, request).await;
        } else {
            message_inbound::handler::handle(&deps, request).await;
        }
    }
    let broken = InboundDeps {
        store: DynamoStore::from_config(&sdk().await, unique_name("never-created")),
        credentials: deps.credentials.clone(),
        metrics: Metrics::off(),
    };
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        lead.as_bytes(),
        Encoding::Base64,
        Some(&good),
    );
    assert_eq!(
        lead_inbound::handler::handle(&broken, request)
            .await
            .status(),
        500
    );
    // A refusal whose trace cannot be written: still a 401, and a warning without the body.
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        lead.as_bytes(),
        Encoding::Text,
        Some(&wrong),
    );
    assert_eq!(
        lead_inbound::handler::handle(&broken, request)
            .await
            .status(),
        401
    );

    // Outbound: one reply sent, one refused by Thumbtack with an answer quoting the text.
    let thumbtack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("REPLY-TEXT-3311"))
        .respond_with(
            ResponseTemplate::new(400).set_body_string(format!("bad text: {REFUSED_REPLY_TEXT}")),
        )
        .with_priority(1)
        .mount(&thumbtack)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&thumbtack)
        .await;
    let sdk = sdk().await;
    let (queue_url, dlq_url) = ensure_queues(
        &sdk,
        &format!("{}.fifo", unique_name("log-replies")),
        Duration::from_secs(1),
        5,
    )
    .await
    .unwrap();
    let worker = Worker {
        deps: ReplyDeps {
            ledger: store.clone(),
            thumbtack: HttpThumbtack::new(
                &ThumbtackSettings {
                    base_url: thumbtack.uri(),
                    connect_timeout: Duration::from_secs(1),
                    timeout: Duration::from_secs(5),
                },
                ThumbtackCredentials::fixed(Credential::new("partner", THUMBTACK_PASSWORD)),
            )
            .unwrap(),
            queue: SqsReplyQueue::from_config(&sdk, queue_url, dlq_url),
            policy: RetryPolicy::default(),
            metrics: Metrics::off(),
        },
        invocation_timeout: Duration::from_secs(60),
        wait: Duration::from_secs(1),
        batch_size: 10,
        lanes: 1,
    };
    for (id, text) in [
        ("log-reply-1", REPLY_TEXT),
        ("log-reply-2", REFUSED_REPLY_TEXT),
    ] {
        let reply = ReplyRequest {
            reply_id: id.into(),
            business_id: "286845156044809661".into(),
            lead_id: LEAD_ID.into(),
            text: text.into(),
        };
        worker.deps.queue.enqueue(&reply).await.unwrap();
    }
    let arn = worker.queue_arn().await;
    for _ in 0..3 {
        worker.poll_once(&arn).await.unwrap();
    }
    let records = app::LeadStore::conversation(&store, LEAD_ID).await.unwrap();
    assert_eq!(records.replies.len(), 2, "both replies went through");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The logs are useful: ids, outcomes and statuses are there...
    for expected in [
        LEAD_ID,
        "8699842694484326245",
        "log-reply-1",
        "log-reply-2",
        "\"outcome\":\"stored\"",
        "\"outcome\":\"duplicate\"",
        "441190338474795011",
        "\"name\":\"review\"",
        "\"name\":\"lead_update\"",
        "refusal not recorded",
        "wrong_credentials",
    ] {
        assert!(
            logs.contains(expected),
            "the logs should mention {expected}"
        );
    }
    // ...and nothing else.
    let good_token = good.trim_start_matches("Basic ").to_owned();
    let wrong_token = wrong.trim_start_matches("Basic ").to_owned();
    for secret in [
        CUSTOMER_NAME,
        "Zelda",
        "SECRET-DESCRIPTION-7731",
        "MESSAGE-TEXT-4412",
        PARTNER_PASSWORD,
        WRONG_PASSWORD,
        "REPLY-TEXT-2290",
        "REPLY-TEXT-3311",
        THUMBTACK_PASSWORD,
        "REVIEWER-8841",
        "REVIEW-TEXT-5520",
        "0142-7788",
        "ADDRESS-1207",
        good_token.as_str(),
        wrong_token.as_str(),
    ] {
        assert!(!logs.contains(secret), "the logs leak {secret:?}");
    }
}
