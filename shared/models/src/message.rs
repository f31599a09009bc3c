//! `POST /v1/message`: a customer's message to the partner's pro about a lead.

use crate::path::Path;
use crate::problems::Invalid;
use crate::time::UnixSeconds;
use crate::walk::{Object, Walker, object_body};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    #[serde(rename = "customerID")]
    pub customer_id: String,
    #[serde(rename = "businessID")]
    pub business_id: String,
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
        let object = object_body(body)?;
        let mut walker = Walker::default();
        let message = read_message(&mut walker, &object);
        walker.finish(message)
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
