//! Credentials from Secrets Manager (moto's), as the functions read them in AWS.

use crate::support::*;
use adapters::secrets::{
    CredentialSetting, PartnerCredentials, partner_credentials, thumbtack_credentials,
};
use app::deps::InboundDeps;
use app::ports::CredentialSource;
use http_api::testing::{Encoding, Gateway, basic, post};
use std::time::Duration;

async fn create_secret(username: &str, password: &str) -> (aws_sdk_secretsmanager::Client, String) {
    let client = aws_sdk_secretsmanager::Client::new(&sdk().await);
    let output = client
        .create_secret()
        .name(unique_name("partner-credentials"))
        .secret_string(serde_json::json!({"username": username, "password": password}).to_string())
        .send()
        .await
        .unwrap();
    (client, output.arn.unwrap())
}

async fn rotate(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
    username: &str,
    password: &str,
) {
    client
        .put_secret_value()
        .secret_id(arn)
        .secret_string(serde_json::json!({"username": username, "password": password}).to_string())
        .send()
        .await
        .unwrap();
}

fn header(username: &str, password: &str) -> Vec<u8> {
    basic(username, password).into_bytes()
}

async fn accepts(source: &PartnerCredentials, username: &str, password: &str) -> bool {
    let accepted = source.accepted().await.unwrap();
    accepted
        .verify_header(Some(&header(username, password)))
        .is_ok()
}

#[tokio::test]
async fn during_a_rotation_the_current_and_the_previous_partner_password_are_accepted() {
    let (client, arn) = create_secret("thumbtack", "first-password").await;
    let source = partner_credentials(
        &CredentialSetting::Secret {
            arn: arn.clone(),
            cache: Duration::ZERO,
        },
        &sdk().await,
    );
    assert!(accepts(&source, "thumbtack", "first-password").await);
    assert!(!accepts(&source, "thumbtack", "second-password").await);

    rotate(&client, &arn, "thumbtack", "second-password").await;
    assert!(
        accepts(&source, "thumbtack", "second-password").await,
        "the new one"
    );
    assert!(
        accepts(&source, "thumbtack", "first-password").await,
        "and the previous one"
    );

    rotate(&client, &arn, "thumbtack", "third-password").await;
    assert!(accepts(&source, "thumbtack", "third-password").await);
    assert!(accepts(&source, "thumbtack", "second-password").await);
    assert!(
        !accepts(&source, "thumbtack", "first-password").await,
        "two rotations ago"
    );
}

#[tokio::test]
async fn the_secret_is_read_once_per_cache_period() {
    let (client, arn) = create_secret("thumbtack", "first-password").await;
    let source = partner_credentials(
        &CredentialSetting::Secret {
            arn: arn.clone(),
            cache: Duration::from_secs(3600),
        },
        &sdk().await,
    );
    assert!(accepts(&source, "thumbtack", "first-password").await);
    rotate(&client, &arn, "thumbtack", "second-password").await;
    assert!(
        !accepts(&source, "thumbtack", "second-password").await,
        "still the cached set until the period ends"
    );
}

#[tokio::test]
async fn a_lead_is_accepted_with_the_secret_credentials_and_refused_503_when_no_secret_can_be_read()
{
    let (_, arn) = create_secret("thumbtack", "from-the-secret").await;
    let store = fresh_store().await;
    let deps = InboundDeps {
        store: store.clone(),
        credentials: partner_credentials(
            &CredentialSetting::Secret {
                arn,
                cache: Duration::ZERO,
            },
            &sdk().await,
        ),
        metrics: app::metrics::Metrics::off(),
    };
    let auth = basic("thumbtack", "from-the-secret");
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        LEAD.as_bytes(),
        Encoding::Text,
        Some(&auth),
    );
    assert_eq!(
        lead_inbound::handler::handle(&deps, request).await.status(),
        200
    );

    let missing = InboundDeps {
        store,
        credentials: partner_credentials(
            &CredentialSetting::Secret {
                arn: unique_name("no-such-secret"),
                cache: Duration::ZERO,
            },
            &sdk().await,
        ),
        metrics: app::metrics::Metrics::off(),
    };
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        LEAD.as_bytes(),
        Encoding::Text,
        Some(&auth),
    );
    let response = lead_inbound::handler::handle(&missing, request).await;
    assert_eq!(
        response.status(),
        503,
        "the request cannot be judged: Thumbtack retries"
    );
}

#[tokio::test]
async fn thumbtack_credentials_come_from_their_secret_and_a_placeholder_is_refused() {
    let (client, arn) = create_secret("partner-123", "api-key").await;
    let source = thumbtack_credentials(
        &CredentialSetting::Secret {
            arn: arn.clone(),
            cache: Duration::ZERO,
        },
        &sdk().await,
    );
    let current = source.current().await.unwrap();
    assert_eq!(current.username, "partner-123");

    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("fill me in")
        .send()
        .await
        .unwrap();
    // A process that read a good value keeps serving it while the secret is broken...
    assert_eq!(source.current().await.unwrap().username, "partner-123");
    // ...and one starting now refuses to run on a placeholder.
    let fresh = thumbtack_credentials(
        &CredentialSetting::Secret {
            arn,
            cache: Duration::ZERO,
        },
        &sdk().await,
    );
    let error = fresh.current().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("not JSON with a username and a password"),
        "{error}"
    );
    assert!(!error.to_string().contains("fill me in"));
}

async fn create_raw_secret(text: &str) -> (aws_sdk_secretsmanager::Client, String) {
    let client = aws_sdk_secretsmanager::Client::new(&sdk().await);
    let output = client
        .create_secret()
        .name(unique_name("raw-credentials"))
        .secret_string(text)
        .send()
        .await
        .unwrap();
    (client, output.arn.unwrap())
}

fn uncached(arn: &str) -> CredentialSetting {
    CredentialSetting::Secret {
        arn: arn.to_owned(),
        cache: Duration::ZERO,
    }
}

#[tokio::test]
async fn a_malformed_previous_version_is_ignored_and_the_valid_current_one_still_serves() {
    let (client, arn) = create_raw_secret("fill me in").await;
    rotate(&client, &arn, "thumbtack", "the-real-password").await;
    let source = partner_credentials(&uncached(&arn), &sdk().await);
    assert!(
        accepts(&source, "thumbtack", "the-real-password").await,
        "the current version works although AWSPREVIOUS is not a credential"
    );
    assert!(!accepts(&source, "thumbtack", "fill me in").await);
}

#[tokio::test]
async fn a_blank_password_is_refused_for_both_credentials() {
    for blank in ["", "   ", "\t\n"] {
        let secret = serde_json::json!({"username": "thumbtack", "password": blank}).to_string();
        let (_, arn) = create_raw_secret(&secret).await;
        let partner = partner_credentials(&uncached(&arn), &sdk().await);
        assert!(partner.accepted().await.is_err(), "partner {blank:?}");
        let thumbtack = thumbtack_credentials(&uncached(&arn), &sdk().await);
        assert!(thumbtack.current().await.is_err(), "thumbtack {blank:?}");
    }
}

/// A partner credential source on `arn`, cached for the deployed period, whose Secrets Manager
/// calls go through a proxy that counts them.
async fn counted_source(arn: &str) -> (PartnerCredentials, harness::faults::RunningProxy) {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let plan = harness::faults::FaultPlan::none();
    let proxy = harness::faults::start(&endpoint, plan).await.unwrap();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&proxy.url)
        .load()
        .await;
    let setting = CredentialSetting::Secret {
        arn: arn.to_owned(),
        cache: Duration::from_secs(300),
    };
    (partner_credentials(&setting, &sdk), proxy)
}

/// The status `POST /v1/lead` answers with these credentials.
async fn post_lead(
    deps: &InboundDeps<adapters::DynamoStore, PartnerCredentials>,
    password: &str,
) -> u16 {
    let auth = basic("thumbtack", password);
    let request = post(
        Gateway::HttpV2,
        "/v1/lead",
        LEAD.as_bytes(),
        Encoding::Text,
        Some(&auth),
    );
    lead_inbound::handler::handle(deps, request)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_instance_starting_reads_only_the_current_version_of_the_partner_secret() {
    let (client, arn) = create_secret("thumbtack", "first-password").await;
    rotate(&client, &arn, "thumbtack", "second-password").await;
    let (source, proxy) = counted_source(&arn).await;
    // What init does.
    source.accepted().await.unwrap();
    assert_eq!(proxy.counts.calls("GetSecretValue"), 1);
}

#[tokio::test]
async fn many_wrong_passwords_within_a_minute_read_the_previous_version_at_most_once() {
    let (client, arn) = create_secret("thumbtack", "first-password").await;
    rotate(&client, &arn, "thumbtack", "second-password").await;
    let (credentials, proxy) = counted_source(&arn).await;
    credentials.accepted().await.unwrap();
    let deps = InboundDeps {
        store: fresh_store().await,
        credentials,
        metrics: app::metrics::Metrics::off(),
    };
    for n in 0..30 {
        assert_eq!(post_lead(&deps, &format!("guess-{n}")).await, 401);
    }
    assert_eq!(
        proxy.counts.calls("GetSecretValue"),
        2,
        "the current version at start, the previous one once"
    );
    // What that one read found serves the rotated password, with no further call.
    assert_eq!(post_lead(&deps, "first-password").await, 200);
    assert_eq!(proxy.counts.calls("GetSecretValue"), 2);
}

#[tokio::test]
async fn a_rotated_password_is_still_accepted_by_an_instance_started_after_the_rotation() {
    let (client, arn) = create_secret("thumbtack", "first-password").await;
    rotate(&client, &arn, "thumbtack", "second-password").await;
    let (credentials, proxy) = counted_source(&arn).await;
    credentials.accepted().await.unwrap();
    let deps = InboundDeps {
        store: fresh_store().await,
        credentials,
        metrics: app::metrics::Metrics::off(),
    };
    assert_eq!(
        post_lead(&deps, "first-password").await,
        200,
        "the previous one"
    );
    assert_eq!(
        post_lead(&deps, "second-password").await,
        200,
        "the current one"
    );
    assert_eq!(post_lead(&deps, "first-password").await, 200);
    assert_eq!(proxy.counts.calls("GetSecretValue"), 2);
}
