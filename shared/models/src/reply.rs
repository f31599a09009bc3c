//! A pro's reply, as the partner's systems put it on the reply queue:
//! `{"replyID": "...", "businessID": "...", "leadID": "...", "text": "..."}`.

use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::Invalid;
use crate::walk::{Entries, Need, Walker, parse};
use serde::{Deserialize, Serialize};

/// The replyID prefix of automatic replies (a lead's acknowledgement is `auto-<leadID>`): a
/// partner's own replies must not use it.
pub const AUTOMATIC_PREFIX: &str = "auto-";

/// Whether the reply is one the bundle sent by itself, not a person.
pub fn is_automatic(reply_id: &str) -> bool {
    reply_id.starts_with(AUTOMATIC_PREFIX)
}

/// The most text one reply may carry (bytes of UTF-8).
pub const MAX_REPLY_TEXT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyRequest {
    /// Chosen by the sender; identifies the reply for ever (the idempotency key).
    #[serde(rename = "replyID")]
    pub reply_id: String,
    #[serde(rename = "businessID")]
    pub business_id: String,
    #[serde(rename = "leadID")]
    pub lead_id: String,
    pub text: String,
}

/// What Thumbtack's messages API takes: `POST /v1/business/:businessID/lead/:leadID/message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage<'a> {
    pub text: &'a str,
}

impl ReplyRequest {
    /// Our own contract, so every field is required: a problem anywhere refuses the reply.
    pub fn parse(body: &[u8]) -> Result<ReplyRequest, Invalid> {
        parse(body, ReplyRequest::follows_the_rules, read_reply).map(|parsed| parsed.value)
    }

    /// The rules the typed parse cannot check (the walker checks the same, field by field).
    fn follows_the_rules(&self) -> bool {
        is_valid_id(&self.reply_id)
            && is_valid_id(&self.business_id)
            && is_valid_id(&self.lead_id)
            && crate::text::has_visible_text(&self.text)
            && self.text.len() <= MAX_REPLY_TEXT_BYTES
    }
}

fn read_reply(w: &mut Walker, root: &Entries) -> Option<ReplyRequest> {
    let top = Path::Root;
    let key = Need::Key;
    let reply_id = w.id(key, root, &top.key("replyID"));
    let business_id = w.id(key, root, &top.key("businessID"));
    let lead_id = w.id(key, root, &top.key("leadID"));
    let text_path = top.key("text");
    let text = w.non_empty(key, root, &text_path).and_then(|text| {
        if text.len() > MAX_REPLY_TEXT_BYTES {
            w.report(key, &text_path, "must be at most 65536 bytes");
            None
        } else {
            Some(text)
        }
    });
    Some(ReplyRequest {
        reply_id: reply_id?,
        business_id: business_id?,
        lead_id: lead_id?,
        text: text?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_parses_with_all_four_fields() {
        let body = br#"{"replyID":"r-1","businessID":"b-1","leadID":"l-1","text":"Hi\nthere"}"#;
        let reply = ReplyRequest::parse(body).unwrap();
        assert_eq!(reply.reply_id, "r-1");
        assert_eq!(reply.text, "Hi\nthere");
    }

    #[test]
    fn every_missing_or_invalid_reply_field_is_named() {
        let invalid =
            ReplyRequest::parse(br#"{"businessID":"b 1","leadID":7,"text":"  "}"#).unwrap_err();
        assert_eq!(invalid.paths(), ["replyID", "businessID", "leadID", "text"]);
    }

    #[test]
    fn reply_text_of_only_zero_width_or_control_characters_is_refused() {
        for blank in ["\u{200B}\u{200B}", "\u{0007}\u{0000}", "\u{FEFF} \u{2060}"] {
            let body =
                serde_json::json!({"replyID":"r","businessID":"b","leadID":"l","text": blank});
            let invalid = ReplyRequest::parse(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(invalid.paths(), ["text"], "{blank:?}");
        }
    }

    #[test]
    fn reply_text_over_the_limit_is_refused() {
        let text = "a".repeat(MAX_REPLY_TEXT_BYTES + 1);
        let body = serde_json::json!({"replyID":"r","businessID":"b","leadID":"l","text": text});
        let invalid = ReplyRequest::parse(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(invalid.paths(), ["text"]);
    }
}
