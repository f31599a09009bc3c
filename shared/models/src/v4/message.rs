//! `MessageCreatedV4`: a message on a negotiation's thread, from *either* side (§3.3). Its keys
//! are `messageID` (never the negotiationID: a conversation has many messages) and
//! `negotiationID` (the lead it belongs to).
//!
//! The spec gives `customer` only when the customer wrote and `business` only when the business
//! did; live captures carry both whoever wrote (§7.10): both blocks are optional, either or both
//! read.

use super::{optional_id, optional_object, time};
use crate::attachment::{Attachment, read_attachments};
use crate::path::Path;
use crate::walk::{Entries, Need, Walker};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageCreatedV4 {
    #[serde(rename = "messageID")]
    pub message_id: String,
    #[serde(rename = "negotiationID")]
    pub negotiation_id: String,
    /// `Customer` or `Business` (the only values seen or specified); another kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The words, `\r\n` and all: personal, never in logs or events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// RFC 3339, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::map_only::optional"
    )]
    pub customer: Option<MessageCustomer>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::map_only::optional"
    )]
    pub business: Option<MessageBusiness>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::map_only::objects"
    )]
    pub attachments: Vec<Attachment>,
}

/// `customer{customerID, displayName}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageCustomer {
    #[serde(
        rename = "customerID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_id: Option<String>,
    /// "First L." in the docs, a full name in a live capture (§7.11): personal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `business{businessID, displayName}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageBusiness {
    #[serde(
        rename = "businessID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub business_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Customer,
    Business,
    /// Missing, or a value nobody documents (Thumbtack's automated messages may carry one, §7.13).
    Unknown,
}

impl MessageCreatedV4 {
    pub fn sender(&self) -> Sender {
        match self.from.as_deref() {
            Some("Customer") => Sender::Customer,
            Some("Business") => Sender::Business,
            _ => Sender::Unknown,
        }
    }

    /// The business it names, if it names one.
    pub fn business_id(&self) -> Option<&str> {
        self.business.as_ref()?.business_id.as_deref()
    }

    /// The customer it names, if it names one.
    pub fn customer_id(&self) -> Option<&str> {
        self.customer.as_ref()?.customer_id.as_deref()
    }
}

pub(super) fn read(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<MessageCreatedV4> {
    let object = w.object(Need::Key, parent, path)?;
    let message_id = w.id(Need::Key, &object, &path.key("messageID"));
    let negotiation_id = w.id(Need::Key, &object, &path.key("negotiationID"));
    let field = Need::Field;
    let from = w.non_empty(field, &object, &path.key("from"));
    // Free text: empty is a message too (one with only attachments).
    let text = w.text(field, &object, &path.key("text"));
    let sent_at = time(w, &object, &path.key("sentAt"));
    let customer = read_customer(w, &object, &path.key("customer"));
    let business = read_business(w, &object, &path.key("business"));
    let attachments = read_attachments(w, &object, &path.key("attachments"));
    Some(MessageCreatedV4 {
        message_id: message_id?,
        negotiation_id: negotiation_id?,
        from,
        text,
        sent_at,
        customer,
        business,
        attachments,
    })
}

fn read_customer(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<MessageCustomer> {
    let object = optional_object(w, parent, path)?;
    Some(MessageCustomer {
        customer_id: optional_id(w, &object, &path.key("customerID")),
        display_name: w.optional_text(Need::Field, &object, &path.key("displayName")),
    })
}

fn read_business(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<MessageBusiness> {
    let object = optional_object(w, parent, path)?;
    Some(MessageBusiness {
        business_id: optional_id(w, &object, &path.key("businessID")),
        display_name: w.optional_text(Need::Field, &object, &path.key("displayName")),
    })
}
