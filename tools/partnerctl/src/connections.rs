//! `partnerctl connections`: the v4 connections of pros, as the partner API shows them
//! (`GET /v1/connections/{userID}`): never a token, never a webhook secret's hash.

use adapters::DynamoStore;

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
