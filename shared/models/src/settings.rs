//! A business's speed-to-lead settings: the document our read API's
//! `GET`/`PUT /v1/businesses/{businessID}/settings` answer and take, and its defaults. The rules
//! a saved document must follow, and what the settings do, are the domain's (`app::speed`).

use serde::{Deserialize, Serialize};

/// What a template may use, as `{name}`.
pub const TEMPLATE_VARIABLES: [&str; 3] = ["customerFirstName", "businessName", "category"];

/// The acknowledgement a business gets until it writes its own.
pub const DEFAULT_TEMPLATE: &str = "Hi {customerFirstName}, thanks for reaching out to {businessName} about your {category} request! We have your details and will get back to you shortly.";

/// The unanswered threshold when a business set none: Thumbtack says a reply within an hour makes
/// a lead 50 % more likely to become a conversation.
pub const DEFAULT_UNANSWERED_MINUTES: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessSettings {
    pub auto_acknowledgement: AutoAcknowledgement,
    pub quiet_hours: QuietHours,
    /// When a lead with no reply of a person by then is `Lead Unanswered`.
    pub unanswered_after_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoAcknowledgement {
    pub enabled: bool,
    pub template: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuietHours {
    pub enabled: bool,
    /// Local `HH:MM` where quiet begins; it may be after `end` (overnight).
    pub start: String,
    /// Local `HH:MM` where quiet ends.
    pub end: String,
    /// An IANA zone (`America/Chicago`).
    pub time_zone: String,
    /// What an acknowledgement due in quiet hours does.
    pub during: QuietPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QuietPolicy {
    /// Waits for the end of quiet hours.
    Wait,
    /// Goes out at once all the same.
    Send,
}

impl Default for BusinessSettings {
    fn default() -> Self {
        BusinessSettings {
            auto_acknowledgement: AutoAcknowledgement {
                enabled: false,
                template: DEFAULT_TEMPLATE.to_owned(),
            },
            quiet_hours: QuietHours {
                enabled: false,
                start: "21:00".to_owned(),
                end: "08:00".to_owned(),
                time_zone: "America/New_York".to_owned(),
                during: QuietPolicy::Wait,
            },
            unanswered_after_minutes: DEFAULT_UNANSWERED_MINUTES,
        }
    }
}

/// The whole document as `GET` answers it and `PUT` takes it back: the settings, whose business,
/// whether they were ever saved, and what a template may use (read-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDocument {
    #[serde(rename = "businessID")]
    pub business_id: String,
    #[serde(flatten)]
    pub settings: BusinessSettings,
    /// False until the business's settings were first saved (these are the defaults).
    pub configured: bool,
    pub template_variables: [&'static str; 3],
}

impl SettingsDocument {
    pub fn new(business_id: &str, settings: Option<BusinessSettings>) -> Self {
        SettingsDocument {
            business_id: business_id.to_owned(),
            configured: settings.is_some(),
            settings: settings.unwrap_or_default(),
            template_variables: TEMPLATE_VARIABLES,
        }
    }
}
