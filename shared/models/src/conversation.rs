//! The read API's answer: `GET /v1/leads/{leadID}`.

use crate::problems::FieldProblem;
use crate::time::UnixSeconds;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A lead as received and its whole conversation in time order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    /// The lead body exactly as Thumbtack sent it, unknown fields included.
    pub lead: Box<RawValue>,
    /// What was missing or unusable in the lead's fields when it arrived (the lead was stored all
    /// the same); at most [`crate::MAX_LISTED_PROBLEMS`], `warningCount` says how many in all.
    #[serde(default)]
    pub warnings: Vec<FieldProblem>,
    #[serde(default)]
    pub warning_count: usize,
    pub messages: Vec<ConversationEntry>,
    /// Redeliveries whose body differed from the first delivery (see docs/data-model.md).
    #[serde(default)]
    pub revisions: Vec<RevisionView>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyStatus {
    Sending,
    Sent,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionOf {
    Lead,
    Message,
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
