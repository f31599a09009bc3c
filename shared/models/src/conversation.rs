//! The read API's answer: `GET /v1/leads/{leadID}`.

use crate::problems::FieldProblem;
use crate::time::UnixSeconds;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A lead as received and its whole conversation in time order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    /// The lead body exactly as Thumbtack sent it, unknown fields included (for v4, the webhook's
    /// whole envelope).
    pub lead: Box<RawValue>,
    /// The lead's fields as they were read: the typed view beside the raw body (`null` should a
    /// later version of the rules no longer read it).
    #[serde(default)]
    pub summary: Option<crate::Lead>,
    /// Which contract carried the lead: `legacy` (a record from before v4 too) or `v4`.
    #[serde(default)]
    pub contract: crate::Contract,
    /// A v4 lead's fields legacy has no place for (status, estimate, price breakdown, proposed
    /// times, booking, travel preferences, the customer's names as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v4: Option<crate::v4::LeadV4Fields>,
    /// What was missing or unusable in the lead's fields when it arrived (the lead was stored all
    /// the same); at most [`crate::MAX_LISTED_PROBLEMS`], `warningCount` says how many in all.
    #[serde(default)]
    pub warnings: Vec<FieldProblem>,
    #[serde(default)]
    pub warning_count: usize,
    /// The lead's current price and charge state: its own, or the latest lead update's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_state: Option<String>,
    /// Every distinct lead update, in the order received.
    #[serde(default)]
    pub price_updates: Vec<PriceUpdateView>,
    pub messages: Vec<ConversationEntry>,
    /// Reviews that name this lead.
    #[serde(default)]
    pub reviews: Vec<ReviewView>,
    /// Redeliveries whose body differed from the first delivery (see docs/data-model.md).
    #[serde(default)]
    pub revisions: Vec<RevisionView>,
    /// What became of the automatic acknowledgement, when the business has them on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<AckNote>,
    /// When the lead was recorded unanswered (unix milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unanswered_at_ms: Option<u64>,
    /// Only when the conversation goes past one answer's byte budget: the cursor of the page that
    /// goes on with its lists (`GET /v1/leads/{leadID}?cursor=<next>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// What became of a lead's acknowledgement, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckNote {
    pub status: AckStatus,
    /// Why it was skipped or deferred (`test-lead`, `person-replied`, `quiet-hours`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unix milliseconds.
    pub at_ms: u64,
    /// For `deferred`: when it is due (unix milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at_ms: Option<u64>,
    /// For `enqueued`: the text as rendered then. A later delivery of the same event enqueues
    /// exactly this again, and reply-outbound sends an `auto-` reply only when it matches: the
    /// note is what a partner cannot forge. Not shown by the read API (the reply shows it).
    #[serde(skip)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AckStatus {
    /// On the reply queue, as reply `auto-<leadID>`.
    Enqueued,
    /// Not sent, for `reason`.
    Skipped,
    /// Waiting for the end of quiet hours.
    Deferred,
}

impl AckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AckStatus::Enqueued => "enqueued",
            AckStatus::Skipped => "skipped",
            AckStatus::Deferred => "deferred",
        }
    }

    pub fn is_final(self) -> bool {
        self != AckStatus::Deferred
    }
}

impl std::str::FromStr for AckStatus {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, UnknownName> {
        [AckStatus::Enqueued, AckStatus::Skipped, AckStatus::Deferred]
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or(UnknownName("acknowledgement status"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the customer, through Thumbtack, to us.
    Inbound,
    /// A pro's reply, from us to Thumbtack.
    Outbound,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationEntry {
    pub direction: Direction,
    /// The messageID of an inbound message, the replyID of an outbound reply.
    pub id: String,
    pub text: String,
    pub create_timestamp: UnixSeconds,
    /// Outbound replies only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ReplyStatus>,
    /// Why an outbound reply failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Inbound messages only: what was missing or unusable in its fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<FieldProblem>,
    /// Outbound replies only: the automatic acknowledgement (`auto-<leadID>`), not a person's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
    /// Sent replies only: the contract the reply went out through (`legacy`, `v4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<crate::Contract>,
    /// Inbound messages of a v4 lead only: Thumbtack's lead-description message (its text is the
    /// request's description, [`crate::v4::is_lead_description`]): kept in the conversation as
    /// Thumbtack's app shows it, not the customer writing again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lead_description: bool,
    /// Sent v4 replies only: Thumbtack delivered it back to our webhook (its echo), so the message
    /// is in the conversation at Thumbtack.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delivered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyStatus {
    Sending,
    Sent,
    Failed,
}

impl ReplyStatus {
    /// The name in JSON, and wherever the status is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyStatus::Sending => "sending",
            ReplyStatus::Sent => "sent",
            ReplyStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for ReplyStatus {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, UnknownName> {
        [ReplyStatus::Sending, ReplyStatus::Sent, ReplyStatus::Failed]
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or(UnknownName("reply status"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionOf {
    Lead,
    Message,
    Review,
}

impl RevisionOf {
    /// The name in JSON, and wherever it is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionOf::Lead => "lead",
            RevisionOf::Message => "message",
            RevisionOf::Review => "review",
        }
    }
}

impl std::str::FromStr for RevisionOf {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, UnknownName> {
        [RevisionOf::Lead, RevisionOf::Message, RevisionOf::Review]
            .into_iter()
            .find(|of| of.as_str() == name)
            .ok_or(UnknownName("revision kind"))
    }
}

/// A name that is none of a type's variants; says which type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownName(pub &'static str);

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a known {}", self.0)
    }
}

impl std::error::Error for UnknownName {}

/// A lead update as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceUpdateView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_state: Option<String>,
    pub received_at_ms: u64,
}

/// A review of the lead, as the customer wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewView {
    #[serde(flatten)]
    pub review: crate::Review,
    pub received_at_ms: u64,
}

/// A redelivery whose body differed from the one stored first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionView {
    pub of: RevisionOf,
    /// The leadID or messageID it is a revision of.
    pub id: String,
    pub received_at_ms: u64,
    pub body: Box<RawValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_status_reads_back_from_its_name_which_is_its_json() {
        for status in [ReplyStatus::Sending, ReplyStatus::Sent, ReplyStatus::Failed] {
            assert_eq!(status.as_str().parse::<ReplyStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap_or_default(),
                status.as_str()
            );
        }
        assert!("Sent".parse::<ReplyStatus>().is_err());
        assert!("".parse::<ReplyStatus>().is_err());
    }

    #[test]
    fn what_a_revision_is_of_reads_back_from_its_name_which_is_its_json() {
        for of in [RevisionOf::Lead, RevisionOf::Message, RevisionOf::Review] {
            assert_eq!(of.as_str().parse::<RevisionOf>(), Ok(of));
            assert_eq!(serde_json::to_value(of).unwrap_or_default(), of.as_str());
        }
        assert!("reply".parse::<RevisionOf>().is_err());
    }
}
