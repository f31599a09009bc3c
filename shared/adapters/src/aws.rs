//! One AWS SDK configuration for every client of a process.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// Loads region, credentials and endpoint from the environment (`AWS_ENDPOINT_URL` points the
/// clients at the local emulator) with bounded timeouts, so a stuck call ends in an error the
/// handler can answer with 5xx well before API Gateway's 29-second limit.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}
