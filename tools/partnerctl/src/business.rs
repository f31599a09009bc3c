//! `partnerctl business`: a business's speed-to-lead settings, the same document the read API's
//! `GET`/`PUT /v1/businesses/{businessID}/settings` answer and take.

use adapters::DynamoStore;
use app::ports::BusinessDesk;
use app::speed::{SettingsDocument, parse_settings};

/// `business show <businessID>`: the document (the defaults when never configured).
pub async fn show(store: &DynamoStore, business_id: &str) -> cli::Result {
    let saved = store.settings(business_id).await?;
    let document = SettingsDocument::new(business_id, saved);
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(())
}

/// `business set <businessID> FILE|-`: the whole document from a file (or standard input), as
/// `show` prints it; `business set <businessID> --ack on|off`: only the acknowledgement turned on
/// or off. Checked as the route checks it; printed back once saved.
pub async fn set(store: &DynamoStore, business_id: &str, args: &[String]) -> cli::Result {
    let body = match args.first().map(String::as_str) {
        Some("--ack") => {
            let enabled = match args.get(1).map(String::as_str) {
                Some("on") => true,
                Some("off") => false,
                _ => return Err("--ack takes on or off".into()),
            };
            let saved = store.settings(business_id).await?;
            let mut document = SettingsDocument::new(business_id, saved);
            document.settings.auto_acknowledgement.enabled = enabled;
            serde_json::to_vec(&document)?
        }
        Some("-") => {
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)?;
            body
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("{path}: {e}"))?,
        None => return Err("business set <businessID> FILE|-|--ack on|off".into()),
    };
    let settings = parse_settings(business_id, &body).map_err(|invalid| {
        let problems: Vec<String> = invalid
            .problems
            .listed()
            .iter()
            .map(|p| format!("{}: {}", p.path, p.reason))
            .collect();
        format!("settings refused: {}", problems.join("; "))
    })?;
    store
        .save_settings(business_id, &settings, app::now_millis())
        .await?;
    show(store, business_id).await
}
