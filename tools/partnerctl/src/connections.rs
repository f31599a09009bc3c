//! `partnerctl connections`: the v4 connections of pros, as the partner API shows them
//! (`GET /v1/connections/{userID}`): never a token, never a webhook secret's hash.

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
