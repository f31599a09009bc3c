//! What the connect flow is configured with, read once at start (`adapters::config`).

use super::state::StateKey;
use url::Url;

/// What we ask each pro for (facts §1.5): refresh tokens, who they are, their businesses, their
/// webhooks, and their leads and messages (read, and send replies).
pub const SCOPES: [&str; 8] = [
    "offline_access",
    "supply::users.read",
    "supply::businesses.list",
    "supply::webhooks.read",
    "supply::webhooks.write",
    "supply::negotiations.read",
    "supply::messages.read",
    "supply::messages.write",
];

/// The events each business's webhook is registered for (facts §2.2).
pub const WEBHOOK_EVENT_TYPES: [&str; 3] = [
    "NegotiationCreatedV4",
    "MessageCreatedV4",
    "ReviewCreatedV4",
];

#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub state_key: StateKey,
    pub return_urls: ReturnUrls,
    /// Where a business's deliveries go: `{this}/{businessID}` (the v4 webhook route, whose path
    /// names the business, so that the expected secret can be found).
    pub webhook_base_url: String,
}

impl ConnectSettings {
    /// Our webhook URL for a business.
    pub fn webhook_url(&self, business_id: &str) -> String {
        format!(
            "{}/{business_id}",
            self.webhook_base_url.trim_end_matches('/')
        )
    }
}

/// The return URLs the partner may send its pros back to: no open redirect. An entry allows
/// itself and the paths below it, on the same scheme, host and port; a return URL with a user
/// name or password is never allowed.
#[derive(Debug, Clone, Default)]
pub struct ReturnUrls(Vec<Url>);

impl ReturnUrls {
    /// The entries that parse as http(s) URLs with a host; `Err` names the first that does not.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut urls = Vec::new();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            match Url::parse(entry) {
                Ok(url)
                    if matches!(url.scheme(), "https" | "http")
                        && url.host().is_some()
                        && url.username().is_empty()
                        && url.password().is_none() =>
                {
                    urls.push(url);
                }
                _ => return Err(entry.to_owned()),
            }
        }
        Ok(ReturnUrls(urls))
    }

    pub fn allows(&self, candidate: &str) -> bool {
        let Ok(url) = Url::parse(candidate) else {
            return false;
        };
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        self.0.iter().any(|allowed| {
            let prefix = allowed.path().trim_end_matches('/');
            url.scheme() == allowed.scheme()
                && url.host() == allowed.host()
                && url.port_or_known_default() == allowed.port_or_known_default()
                && (url.path() == prefix
                    || url
                        .path()
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('/')))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_url_is_allowed_only_on_a_listed_origin_at_or_below_a_listed_path() {
        let allowed =
            ReturnUrls::parse(["https://partner.example/app", "http://127.0.0.1:8080"]).unwrap();
        for good in [
            "https://partner.example/app",
            "https://partner.example/app/",
            "https://partner.example/app/pros/7?x=1",
            "https://partner.example:443/app/done",
            "http://127.0.0.1:8080/anything",
        ] {
            assert!(allowed.allows(good), "{good}");
        }
        for bad in [
            "https://partner.example/apple",
            "https://partner.example/",
            "http://partner.example/app",
            "https://partner.example.evil.example/app",
            "https://evil.example/app",
            "https://user:pw@partner.example/app",
            "https://partner.example:8443/app",
            "http://127.0.0.1:8081/",
            "//partner.example/app",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!allowed.allows(bad), "{bad}");
        }
        assert!(!ReturnUrls::default().allows("https://partner.example/app"));
    }

    #[test]
    fn an_entry_that_is_not_an_http_url_with_a_host_is_refused() {
        assert_eq!(
            ReturnUrls::parse(["https://ok.example", "ftp://x.example"]).unwrap_err(),
            "ftp://x.example"
        );
        assert!(ReturnUrls::parse(["partner.example"]).is_err());
        assert!(ReturnUrls::parse([" ", ""]).unwrap().0.is_empty());
    }
}
