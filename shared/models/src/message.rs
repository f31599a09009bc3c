//! `POST /v1/message`: a customer's message to the partner's pro about a lead.

use crate::attachment::{Attachment, read_attachments};
use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::{Invalid, Parsed};
use crate::time::UnixSeconds;
use crate::walk::{Entries, Need, Walker, parse};
use serde::{Deserialize, Serialize};

/// A message as we keep it typed. Its keys are `leadID`, `businessID`, `message.messageID` and
/// `message.createTimestamp`; the other fields are `None` when missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    #[serde(
        rename = "customerID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_id: Option<String>,
    #[serde(rename = "businessID")]
    pub business_id: String,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub message: MessageBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageBody {
    #[serde(rename = "messageID")]
    pub message_id: String,
    pub create_timestamp: UnixSeconds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::map_only::objects"
    )]
    pub attachments: Vec<Attachment>,
}

impl InboundMessage {
    /// Parses a message body. Refuses it only when a key is missing or unusable; any other problem
    /// is a warning beside the message.
    pub fn parse(body: &[u8]) -> Result<Parsed<InboundMessage>, Invalid> {
        parse(body, InboundMessage::follows_the_rules, read_message)
    }

    /// The walker alone, without the fast path: the tests check that both agree on every input.
    #[doc(hidden)]
    pub fn parse_by_walking(body: &[u8]) -> Result<Parsed<InboundMessage>, Invalid> {
        crate::walk::walk_only(body, read_message)
    }

    /// True when the walker would find nothing to warn about (it checks the same, field by field).
    fn follows_the_rules(&self) -> bool {
        is_valid_id(&self.lead_id)
            && self.customer_id.as_deref().is_some_and(is_valid_id)
            && is_valid_id(&self.business_id)
            && is_valid_id(&self.message.message_id)
            && self.message.text.is_some()
    }
}

fn read_message(w: &mut Walker, root: &Entries) -> Option<InboundMessage> {
    let top = Path::Root;
    let lead_id = w.id(Need::Key, root, &top.key("leadID"));
    let customer_id = w.id(Need::Field, root, &top.key("customerID"));
    let business_id = w.id(Need::Key, root, &top.key("businessID"));
    let message = read_body(w, root, &top.key("message"));
    Some(InboundMessage {
        lead_id: lead_id?,
        customer_id,
        business_id: business_id?,
        message: message?,
    })
}

fn read_body(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<MessageBody> {
    let object = w.object(Need::Key, parent, path)?;
    let message_id = w.id(Need::Key, &object, &path.key("messageID"));
    let create_timestamp = w.timestamp(Need::Key, &object, &path.key("createTimestamp"));
    // Free text: empty is a message too (one with only attachments, say).
    let text = w.text(Need::Field, &object, &path.key("text"));
    let attachments = read_attachments(w, &object, &path.key("attachments"));
    Some(MessageBody {
        message_id: message_id?,
        create_timestamp: create_timestamp?,
        text,
        attachments,
    })
}
