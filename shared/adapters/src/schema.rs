//! The table's key schema, in one place: item keys for the adapter and for the table definition
//! of local provisioning (`crate::provision`). `infra/template.yaml` declares the same table for
//! AWS; `docs/data-model.md` explains it.

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";

/// What GSI1 copies beside the keys: exactly what its two listings read (a business's leads:
/// `business_leads`; quarantined payloads: `list_quarantine`, which reads `raw` and `problems`
/// from the base items). Never a body: `raw` holds customer data, and copying it doubled every
/// write (docs/data-model.md). infra/template.yaml declares the same list (tests/infra).
pub const GSI1_PROJECTED: [&str; 9] = [
    "leadID",
    "createTimestamp",
    "category",
    "title",
    "receivedAt",
    "route",
    "deliveries",
    "firstReceivedAt",
    "lastReceivedAt",
];

pub const LEAD_SK: &str = "LEAD";
pub const MESSAGE_SK_PREFIX: &str = "MSG#";
pub const REVISION_SK_PREFIX: &str = "REV#";
pub const REPLY_SK_PREFIX: &str = "REPLY#";
pub const REPLY_GUARD_SK: &str = "REPLYID";
pub const QUARANTINE_SK: &str = "QUARANTINE";
/// The chunks of a large quarantined body, beside its record.
pub const QUARANTINE_CHUNK_SK_PREFIX: &str = "CHUNK#";
/// GSI1 partition listing every quarantined payload, newest first.
pub const QUARANTINE_INDEX_PK: &str = "QUARANTINE";

pub fn lead_pk(lead_id: &str) -> String {
    format!("LEAD#{lead_id}")
}

pub fn message_sk(message_id: &str) -> String {
    format!("{MESSAGE_SK_PREFIX}{message_id}")
}

pub fn revision_sk(digest: &str) -> String {
    format!("{REVISION_SK_PREFIX}{digest}")
}

pub fn reply_sk(reply_id: &str) -> String {
    format!("{REPLY_SK_PREFIX}{reply_id}")
}

/// The item that makes a replyID unique across all leads.
pub fn reply_guard_pk(reply_id: &str) -> String {
    format!("REPLYID#{reply_id}")
}

pub fn quarantine_pk(digest: &str) -> String {
    format!("QUARANTINE#{digest}")
}

pub fn quarantine_chunk_sk(index: usize) -> String {
    format!("{QUARANTINE_CHUNK_SK_PREFIX}{index:05}")
}

pub fn business_pk(business_id: &str) -> String {
    format!("BUSINESS#{business_id}")
}

/// Zero-padded so that string order is time order (GSI1 sorts leads newest first).
pub fn business_sk(create_timestamp: u64, lead_id: &str) -> String {
    format!("{create_timestamp:012}#{lead_id}")
}

pub fn quarantine_index_sk(received_at_ms: u64, digest: &str) -> String {
    format!("{received_at_ms:015}#{digest}")
}
