//! `POST /v1/message`: a customer's message to the partner's pro about a lead.

use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::Invalid;
use crate::time::UnixSeconds;
use crate::walk::{Object, Walker, parse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    #[serde(rename = "customerID")]
    pub customer_id: String,
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
    pub text: String,
}

impl InboundMessage {
    /// Parses and validates a message body, reporting every problem with its path.
    pub fn parse(body: &[u8]) -> Result<InboundMessage, Invalid> {
        parse(body, InboundMessage::follows_the_rules, read_message)
    }

    /// The walker alone, without the fast path: the tests check that both agree on every input.
    #[doc(hidden)]
    pub fn parse_by_walking(body: &[u8]) -> Result<InboundMessage, Invalid> {
        crate::walk::walk_only(body, read_message)
    }

    /// The rules the typed parse cannot check (the walker checks the same, field by field).
    fn follows_the_rules(&self) -> bool {
        is_valid_id(&self.lead_id)
            && is_valid_id(&self.customer_id)
            && is_valid_id(&self.business_id)
            && is_valid_id(&self.message.message_id)
    }
}

fn read_message(w: &mut Walker, root: &Object) -> Option<InboundMessage> {
    let top = Path::Root;
    let lead_id = w.id(root, &top.key("leadID"));
    let customer_id = w.id(root, &top.key("customerID"));
    let business_id = w.id(root, &top.key("businessID"));
    let message = read_body(w, root, &top.key("message"));
    Some(InboundMessage {
        lead_id: lead_id?,
        customer_id: customer_id?,
        business_id: business_id?,
        message: message?,
    })
}

fn read_body(w: &mut Walker, parent: &Object, path: &Path<'_>) -> Option<MessageBody> {
    let object = w.object(parent, path)?;
    let message_id = w.id(object, &path.key("messageID"));
    let create_timestamp = w.timestamp(object, &path.key("createTimestamp"));
    let text = w.text(object, &path.key("text"));
    Some(MessageBody {
        message_id: message_id?,
        create_timestamp: create_timestamp?,
        text: text?,
    })
}
