//! Plain values the stack keeps in SSM parameters for a function that cannot be given them in its
//! environment: the connections function's own API URL (its routes make the API refer to the
//! function, so the function's environment cannot refer to the API: CloudFormation would find a
//! circle). Read once, at init.

use aws_sdk_ssm::Client;

#[derive(Debug, thiserror::Error)]
pub enum ParameterError {
    #[error("parameter {0} could not be read")]
    Unavailable(String, #[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("parameter {0} has no value")]
    Empty(String),
}

/// The value of the parameter `name`.
pub async fn read_parameter(
    sdk: &aws_config::SdkConfig,
    name: &str,
) -> Result<String, ParameterError> {
    let output = Client::new(sdk)
        .get_parameter()
        .name(name)
        .send()
        .await
        .map_err(|e| {
            ParameterError::Unavailable(name.to_owned(), Box::new(e.into_service_error()))
        })?;
    output
        .parameter
        .and_then(|p| p.value)
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| ParameterError::Empty(name.to_owned()))
}
