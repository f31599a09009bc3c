//! `partnerctl connections`: the v4 connections of pros, as the partner API shows them
//! (`GET /v1/connections/{userID}`): never a token, never a webhook secret's hash. `list` and
//! `show` read the table; `sync` and `remove` ask the API (they call Thumbtack with the pro's
//! token, which only the connections function may open), signed with SigV4 for its IAM routes.

use adapters::DynamoStore;
use app::ports::ConnectionStore;

/// `connections show <userID>`: the connection, or an error naming the user when there is none.
pub async fn show(store: &DynamoStore, user_id: &str) -> cli::Result {
    match app::connections::show(store, user_id).await? {
        Some(view) => {
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        None => Err(format!("no connection for {user_id}").into()),
    }
}

/// `connections list [--limit N]`: the first `limit` connections in order of userID, one a line:
/// userID, status, the partner's reference, the businesses.
pub async fn list(store: &DynamoStore, limit: usize) -> cli::Result {
    let mut after: Option<String> = None;
    let mut shown = 0;
    while shown < limit {
        let page = store
            .connections((limit - shown).min(100), after.as_deref())
            .await?;
        for connection in page.items {
            let view = app::connections::view(connection);
            let businesses: Vec<&str> = view
                .businesses
                .iter()
                .map(|b| b.business_id.as_str())
                .collect();
            println!(
                "{}  {}  reference={}  businesses={}",
                view.user_id,
                view.status,
                view.reference,
                businesses.join(",")
            );
            shown += 1;
        }
        match page.next {
            Some(next) => after = Some(next.0),
            None => break,
        }
    }
    println!("{shown} connection(s) shown");
    Ok(())
}

/// `connections sync <userID>` (`POST /v1/connections/{userID}/sync`) or `connections remove
/// <userID>` (`DELETE /v1/connections/{userID}`) on the API at `base_url`: its answer printed.
pub async fn ask_api(
    base_url: &str,
    sdk: &adapters::aws::SdkConfig,
    method: http::Method,
    path: &str,
) -> cli::Result {
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
    let mut request = http::Request::builder()
        .method(method)
        .uri(&url)
        .body(Vec::new())?;
    sign(&mut request, sdk).await?;
    let request = reqwest::Request::try_from(request)?;
    let response = reqwest::Client::new()
        .execute(request)
        .await
        .map_err(|e| cli::context(format!("the API at {base_url}"), e))?;
    let status = response.status();
    let body = response.text().await?;
    let shown = serde_json::from_str::<serde_json::Value>(&body)
        .and_then(|json| serde_json::to_string_pretty(&json))
        .unwrap_or(body);
    if !status.is_success() {
        return Err(format!("the API answered {status}: {shown}").into());
    }
    println!("{shown}");
    Ok(())
}

/// The SigV4 headers for `execute-api` ([`cli::sigv4`]), when there are AWS credentials to sign
/// with (locally the routes are open on loopback and the signature is not checked).
async fn sign(request: &mut http::Request<Vec<u8>>, sdk: &adapters::aws::SdkConfig) -> cli::Result {
    use aws_credential_types::provider::ProvideCredentials;
    let (Some(provider), Some(region)) = (sdk.credentials_provider(), sdk.region()) else {
        return Ok(());
    };
    // The SDK caches what it provides: asking here first costs the signature nothing.
    if provider.provide_credentials().await.is_err() {
        return Ok(());
    }
    cli::sigv4::sign_execute_api(request, sdk, region.as_ref()).await
}
