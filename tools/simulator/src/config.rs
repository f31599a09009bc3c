//! What a simulator plays: its OAuth clients, its pros and their businesses, its lifetimes, and the
//! settings a test or a person may change while it runs (`PUT /sim/settings`).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Every v4 scope the facts sheet names (§1.5); the default client may request them all.
pub const ALL_SCOPES: [&str; 10] = [
    "offline_access",
    "supply::users.read",
    "supply::businesses.list",
    "supply::negotiations.read",
    "supply::negotiations.write",
    "supply::messages.read",
    "supply::messages.write",
    "supply::webhooks.read",
    "supply::webhooks.write",
    "supply::users.disconnect",
];

/// The audience every authorize request must name (facts §1.2).
pub const AUDIENCE: &str = "urn:partner-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    pub clients: Vec<OAuthClient>,
    pub users: Vec<User>,
    pub lifetimes: Lifetimes,
    /// Local mode lets a webhook point at `http://` on loopback; Thumbtack wants `https://`.
    pub local_mode: bool,
    /// The credential partners present on the legacy reply endpoint.
    pub legacy_reply_username: String,
    pub legacy_reply_password: String,
    /// Print each legacy reply on standard output, as `make dev`'s terminal shows it.
    pub print_legacy_replies: bool,
    /// The Basic credential of legacy deliveries, in place of the settings' pair: a deployed
    /// simulator's real stage credential stays out of the stored and served settings.
    #[serde(skip)]
    pub partner_credentials: Option<PartnerCredentials>,
    pub settings: Settings,
}

/// A username and password, as the stage's secrets hold them.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct PartnerCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for PartnerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    /// Compared exactly, trailing slash included (facts §1.1).
    pub redirect_uris: Vec<String>,
    /// What this client was provisioned to request (facts §1.5: per client).
    pub scopes: Vec<String>,
}

/// A Thumbtack user (a pro account), owner of one or more businesses.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(rename = "userID")]
    pub user_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub businesses: Vec<Business>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Business {
    #[serde(rename = "businessID")]
    pub business_id: String,
    pub name: String,
    #[serde(rename = "imageURL", skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// Lifetimes in milliseconds, so that a test can expire a token in a fraction of a second.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Lifetimes {
    pub authorization_code_ms: u64,
    pub access_token_ms: u64,
    pub refresh_token_ms: u64,
    pub refresh_grace_ms: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            authorization_code_ms: 5 * 60 * 1000,
            access_token_ms: 3600 * 1000,
            refresh_token_ms: 180 * 24 * 3600 * 1000,
            refresh_grace_ms: 60 * 1000,
        }
    }
}

impl Lifetimes {
    pub fn code(&self) -> Duration {
        Duration::from_millis(self.authorization_code_ms)
    }
    pub fn access(&self) -> Duration {
        Duration::from_millis(self.access_token_ms)
    }
    pub fn refresh(&self) -> Duration {
        Duration::from_millis(self.refresh_token_ms)
    }
    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.refresh_grace_ms)
    }
}

/// What may change while the simulator runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Echo a message the partner sent through the API to its webhooks (unverified: facts §7.2).
    pub echo_sent_messages: bool,
    /// Delay before an echo is delivered.
    pub echo_delay_ms: u64,
    /// The gap between the two deliveries of a new lead (facts §3.6: about a second).
    pub new_lead_gap_ms: u64,
    /// How long a delivery may take before it counts as failed.
    pub delivery_timeout_ms: u64,
    pub retry: RetryPolicy,
    /// Where legacy deliveries go (`{url}/v1/lead`...), and with which Basic credential.
    pub legacy_partner_url: Option<String>,
    pub legacy_partner_username: String,
    pub legacy_partner_password: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            echo_sent_messages: true,
            echo_delay_ms: 0,
            new_lead_gap_ms: 1000,
            delivery_timeout_ms: 10_000,
            retry: RetryPolicy::default(),
            legacy_partner_url: None,
            legacy_partner_username: "thumbtack".into(),
            legacy_partner_password: "thumbtack-password".into(),
        }
    }
}

/// Thumbtack's retry policy is undocumented (facts §3.6): by default a failed delivery is not
/// retried, so that a partner which relies on retries is caught.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryPolicy {
    /// Attempts in all, the first included: 1 means never retry.
    pub max_attempts: u32,
    /// Wait before the second attempt, doubled before each later one.
    pub backoff_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 1,
            backoff_ms: 1000,
        }
    }
}

impl Default for Config {
    /// One client allowed every scope, redirecting to the local product; one pro with two businesses.
    fn default() -> Self {
        Config {
            clients: vec![OAuthClient {
                client_id: "sim-client".into(),
                client_secret: "sim-secret".into(),
                redirect_uris: vec!["http://127.0.0.1:3000/v1/connections/callback".into()],
                scopes: ALL_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            }],
            users: vec![User {
                user_id: "5001000000000000001".into(),
                email: "pro@example.com".into(),
                first_name: "Pat".into(),
                last_name: "Example".into(),
                businesses: vec![
                    Business {
                        business_id: fixtures::BUSINESS_ID.into(),
                        name: "Tim's Painting Business".into(),
                        image_url: None,
                    },
                    Business {
                        business_id: "5001000000000000010".into(),
                        name: "Example Lawn Co".into(),
                        image_url: None,
                    },
                ],
            }],
            lifetimes: Lifetimes::default(),
            local_mode: true,
            legacy_reply_username: "partner".into(),
            legacy_reply_password: "sandbox-password".into(),
            print_legacy_replies: false,
            partner_credentials: None,
            settings: Settings::default(),
        }
    }
}
