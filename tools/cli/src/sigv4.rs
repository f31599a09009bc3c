//! SigV4 for the API's IAM routes: in AWS they are IAM-authorised (`execute-api`), so the smoke
//! test, the load run and partnerctl sign their calls with the usual AWS credentials (which need
//! the stack's PartnerApiReaderPolicy, the SettingsEditorPolicy for a PUT of settings, the
//! ConnectionsManagerPolicy for the connection routes).

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

use crate::Error;

/// Adds the SigV4 headers for `execute-api` in `region` to `request`, signed with the
/// credentials of `sdk`.
pub async fn sign_execute_api(
    request: &mut http::Request<Vec<u8>>,
    sdk: &adapters::aws::SdkConfig,
    region: &str,
) -> Result<(), Error> {
    let provider = sdk
        .credentials_provider()
        .ok_or("no AWS credentials to sign the read request")?;
    let identity = provider.provide_credentials().await?.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()?
        .into();
    let url = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        &url,
        std::iter::empty(),
        SignableBody::Bytes(request.body()),
    )?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}
