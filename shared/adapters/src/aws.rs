//! One AWS SDK configuration for every client of a process.

use aws_config::BehaviorVersion;
pub use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use std::time::Duration;

/// The longest an AWS call takes, retries included: the SDK gives up after it. A fact's place in
/// the changes feed is taken as its write is sent, so the write is visible within this or has
/// failed; the read function's settle window must be at least twice it (`config::read_settings`).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);

/// How long one attempt of a call may take in AWS before the SDK tries again.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

/// Loads region, credentials and endpoint from the environment (`AWS_ENDPOINT_URL` points the
/// clients at the local emulator) with bounded timeouts, so a stuck call ends in an error the
/// handler can answer with 5xx well before API Gateway's 29-second limit.
pub async fn sdk_config() -> SdkConfig {
    sdk_config_trusting(&extra_roots()).await
}

/// [`sdk_config`] trusting the CA certificates of `extra_pem` beside Amazon's (what
/// `AWS_CA_BUNDLE` names for [`sdk_config`]).
pub async fn sdk_config_trusting(extra_pem: &[u8]) -> SdkConfig {
    let timeouts = TimeoutConfig::builder().operation_attempt_timeout(ATTEMPT_TIMEOUT);
    load(timeouts, extra_pem).await
}

/// [`sdk_config`] for the emulator (`make dev`'s stack, the emulator tests): one attempt may take
/// the whole [`OPERATION_TIMEOUT`]. moto answers some calls in seconds: its PutEvents spends about
/// 0.3 s of CPU on each entry (it builds a JSONPath parser for each of the target's eight input
/// paths) and one Python process serves every caller, so ten entries take close to 3 s when it is
/// idle and more when anything runs beside it. An attempt the SDK gives up on is still carried out
/// by moto, and the retry puts the same entries again: each event reached the bus two or three
/// times. Here a call is sent again only when it failed; connecting stays bounded (a call not yet
/// sent is safe to retry).
pub async fn emulator_sdk_config() -> SdkConfig {
    let timeouts = TimeoutConfig::builder().disable_operation_attempt_timeout();
    load(timeouts, &extra_roots()).await
}

/// The CA certificates (PEM) of the file `AWS_CA_BUNDLE` names, the variable the AWS CLI and the
/// other SDKs read for the same purpose: a TLS proxy or emulator in front of AWS that Amazon's
/// roots do not sign (the cold-start bench's HTTPS proxy). Unset, empty or unreadable: none, and
/// only Amazon's roots are trusted (an unreadable file is logged).
fn extra_roots() -> Vec<u8> {
    let Some(path) = std::env::var_os("AWS_CA_BUNDLE").filter(|p| !p.is_empty()) else {
        return Vec::new();
    };
    std::fs::read(&path).unwrap_or_else(|error| {
        tracing::error!(%error, path = %path.to_string_lossy(), "AWS_CA_BUNDLE not read");
        Vec::new()
    })
}

async fn load(timeouts: aws_config::timeout::TimeoutConfigBuilder, extra_pem: &[u8]) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client(extra_pem))
        .timeout_config(
            timeouts
                .connect_timeout(Duration::from_secs(2))
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// The roots of Amazon Trust Services, which sign every AWS service endpoint (Amazon Root CA 1-4
/// and the Starfield Services G2 root they are cross-signed by).
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// The SDK's HTTPS client, trusting Amazon's roots only. The default trusts the system store,
/// which it reads and parses at start-up: about 150 files here, most of the cold start of a
/// function. Trusting only the CAs that sign AWS endpoints is also the narrower trust; `extra_pem`
/// adds what `AWS_CA_BUNDLE` names.
fn http_client(extra_pem: &[u8]) -> aws_sdk_dynamodb::config::SharedHttpClient {
    let mut trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_ROOTS);
    if !extra_pem.is_empty() {
        trust = trust.with_pem_certificate(extra_pem);
    }
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::AMAZON_ROOTS;
    use base64::Engine as _;

    #[test]
    fn the_bundled_roots_are_the_five_amazon_trust_services_certificates() {
        let text = std::str::from_utf8(AMAZON_ROOTS).unwrap();
        let certificates: Vec<Vec<u8>> = text
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|block| {
                let body: String = block
                    .split("-----END CERTIFICATE-----")
                    .next()
                    .unwrap()
                    .split_whitespace()
                    .collect();
                base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .unwrap()
            })
            .collect();
        assert_eq!(certificates.len(), 5);
        for der in &certificates {
            assert_eq!(der[0], 0x30, "a DER SEQUENCE");
        }
        let contains =
            |der: &[u8], name: &str| der.windows(name.len()).any(|w| w == name.as_bytes());
        for name in [
            "Amazon Root CA 1",
            "Amazon Root CA 2",
            "Amazon Root CA 3",
            "Amazon Root CA 4",
        ] {
            assert!(certificates.iter().any(|der| contains(der, name)), "{name}");
        }
        assert!(
            certificates
                .iter()
                .any(|der| contains(der, "Starfield Services Root"))
        );
    }

    /// aws-lc's CPU jitter entropy costs about 30 ms of CPU at a process's first TLS handshake,
    /// inside every cold start: `.cargo/config.toml` builds aws-lc without it. Its code is absent
    /// from a binary built so, and present in one built by default.
    #[test]
    fn the_crypto_under_tls_is_built_without_cpu_jitter_entropy() {
        let binary = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        // The symbol's name, spelled backwards here: the literal itself is in this binary.
        let needle: Vec<u8> = "tini_yportne_tnej".bytes().rev().collect();
        let linked = binary.windows(needle.len()).any(|w| w == needle);
        assert!(
            !linked,
            "aws-lc was built with CPU jitter entropy (AWS_LC_SYS_NO_JITTER_ENTROPY)"
        );
    }

    #[tokio::test]
    async fn the_sdk_configuration_builds_with_the_amazon_trust_store() {
        let config = super::sdk_config().await;
        assert!(config.http_client().is_some());
    }

    #[tokio::test]
    async fn only_in_aws_is_an_attempt_cut_short_and_every_call_ends_within_the_operation_timeout()
    {
        let aws = super::sdk_config().await;
        let aws = aws.timeout_config().unwrap();
        assert_eq!(
            aws.operation_attempt_timeout(),
            Some(super::ATTEMPT_TIMEOUT)
        );
        assert_eq!(aws.operation_timeout(), Some(super::OPERATION_TIMEOUT));
        let emulator = super::emulator_sdk_config().await;
        assert!(emulator.http_client().is_some());
        let emulator = emulator.timeout_config().unwrap();
        assert_eq!(emulator.operation_attempt_timeout(), None);
        assert_eq!(emulator.operation_timeout(), Some(super::OPERATION_TIMEOUT));
        assert_eq!(emulator.connect_timeout(), aws.connect_timeout());
    }
}
