//! Thumbtack's partner API as types.
//!
//! The wire structs serialise exactly as Thumbtack sends them (camelCase, timestamps as strings), so
//! partners' code and our tests can build payloads with them. Parsing never goes through their
//! `Deserialize` alone: [`Lead::parse`] and [`InboundMessage::parse`] walk the JSON and report every
//! problem with its field path, which is what the caller needs to fix a payload. Only a missing or
//! unusable key refuses a payload; other problems are warnings stored beside it.

pub mod attachment;
pub mod contract;
pub mod conversation;
pub mod ids;
pub mod lead;
pub mod lead_type;
mod map_only;
pub mod message;
pub mod patch;
mod path;
pub mod problems;
pub mod reply;
pub mod review;
pub mod settings;
pub mod text;
pub mod time;
pub mod update;
pub mod v4;
mod walk;

pub use attachment::Attachment;
pub use contract::Contract;
pub use conversation::{
    AckNote, AckStatus, ConversationEntry, ConversationView, Direction, PriceUpdateView,
    ReplyStatus, ReviewView, RevisionOf, RevisionView,
};
pub use ids::is_valid_id;
pub use lead::{Business, Customer, Detail, Lead, Location, Request};
pub use lead_type::LeadType;
pub use message::{InboundMessage, MessageBody};
pub use patch::Patch;
pub use problems::{FieldProblem, Invalid, InvalidKind, MAX_LISTED_PROBLEMS, Parsed, Problems};
pub use reply::{OutboundMessage, ReplyRequest};
pub use review::{Review, ReviewDelivery};
pub use text::has_visible_text;
pub use time::UnixSeconds;
pub use update::LeadUpdate;
