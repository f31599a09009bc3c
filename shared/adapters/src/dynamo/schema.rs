//! The table's layout, in one place: its keys, the key of each kind of item, and the names of the
//! attributes the adapter writes and reads. `crate::provision` creates the table from it locally;
//! `infra/template.yaml` declares the same table for AWS (tests/infra holds the two together);
//! `docs/data-model.md` explains it.

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";
pub const GSI2: &str = "GSI2";
pub const GSI2_PK: &str = "GSI2PK";
pub const GSI2_SK: &str = "GSI2SK";

/// What GSI1 copies beside the keys: exactly what its listings read from it (a business's leads:
/// `business_leads`, the lead summary of the list route). Its other listings take only the order
/// and the keys from it, and the records from the table: a business's reviews, and quarantined
/// payloads (`list_quarantine`), whose counters (`deliveries`, `lastReceivedAt`) change with
/// every redelivery and so are not copied: a storm of redeliveries writes the table's record
/// alone, never the one `QUARANTINE` partition of the index. Never a body: `raw` holds customer
/// data, and copying it doubled every write (docs/data-model.md). infra/template.yaml declares
/// the same list (tests/infra).
pub const GSI1_PROJECTED: [&str; 13] = [
    attr::LEAD_ID,
    attr::CREATE_TIMESTAMP,
    attr::CATEGORY,
    attr::TITLE,
    attr::CITY,
    attr::STATE,
    attr::ZIP_CODE,
    attr::LEAD_TYPE,
    attr::LEAD_PRICE,
    attr::CHARGE_STATE,
    attr::FIRST_REPLY_SENT_AT,
    attr::FIRST_REPLY_AUTOMATIC,
    attr::RECEIVED_AT,
];

/// What GSI2 (the changes feed) copies beside the keys: what a change entry shows, ids, kind,
/// status, and nothing else (its time is in the sort key). No body, no name, no text: not a
/// reply's `text` nor its `lastError`, which quotes Thumbtack's answer. infra/template.yaml
/// declares the same list (tests/infra).
pub const GSI2_PROJECTED: [&str; 16] = [
    attr::TYPE,
    attr::LEAD_ID,
    attr::BUSINESS_ID,
    attr::MESSAGE_ID,
    attr::REPLY_ID,
    attr::CREATE_TIMESTAMP,
    attr::OF,
    attr::ID,
    attr::STATUS,
    attr::HTTP_STATUS,
    attr::ATTEMPTS,
    attr::ROUTE,
    attr::PROBLEM_COUNT,
    attr::REVIEW_ID,
    attr::LEAD_PRICE,
    attr::CHARGE_STATE,
];

pub const LEAD_SK: &str = "LEAD";
/// A lead's acknowledgement note, and its record of going unanswered, in its partition.
pub const ACK_SK: &str = "ACK";
pub const UNANSWERED_SK: &str = "UNANSWERED";
/// A business's settings, under [`business_settings_pk`].
pub const SETTINGS_SK: &str = "SETTINGS";
pub const MESSAGE_SK_PREFIX: &str = "MSG#";
pub const REVISION_SK_PREFIX: &str = "REV#";
pub const REPLY_SK_PREFIX: &str = "REPLY#";
/// A reply's outcome, one item per try that ended (`OUTCOME#<replyID>#<attempt>`), in its lead's
/// partition: the fact the feed and the events carry, kept when the reply is tried again.
pub const OUTCOME_SK_PREFIX: &str = "OUTCOME#";
pub const REPLY_GUARD_SK: &str = "REPLYID";
pub const QUARANTINE_SK: &str = "QUARANTINE";
/// A lead update, in its lead's partition: one per distinct update (keyed by its digest).
pub const UPDATE_SK_PREFIX: &str = "UPD#";
/// A review's own item (`REVIEW#<reviewID>` / `REVIEW`), and its entry in the partition of the
/// lead it names (`LEAD#<leadID>` / `REVIEW#<reviewID>`).
pub const REVIEW_SK: &str = "REVIEW";
pub const REVIEW_SK_PREFIX: &str = "REVIEW#";
/// The chunks of a large quarantined body, beside its record.
pub const QUARANTINE_CHUNK_SK_PREFIX: &str = "CHUNK#";
/// GSI1 partition listing every quarantined payload, newest first.
pub const QUARANTINE_INDEX_PK: &str = "QUARANTINE";
const QUARANTINE_PK_PREFIX: &str = "QUARANTINE#";

const LEAD_PK_PREFIX: &str = "LEAD#";

pub fn lead_pk(lead_id: &str) -> String {
    format!("{LEAD_PK_PREFIX}{lead_id}")
}

/// The leadID a lead partition's key names.
pub fn lead_of(pk: &str) -> Option<&str> {
    pk.strip_prefix(LEAD_PK_PREFIX)
}

pub fn message_sk(message_id: &str) -> String {
    format!("{MESSAGE_SK_PREFIX}{message_id}")
}

pub fn revision_sk(digest: &str) -> String {
    format!("{REVISION_SK_PREFIX}{digest}")
}

pub fn update_sk(digest: &str) -> String {
    format!("{UPDATE_SK_PREFIX}{digest}")
}

pub fn review_pk(review_id: &str) -> String {
    format!("REVIEW#{review_id}")
}

/// A review's entry in the conversation of the lead it names.
pub fn lead_review_sk(review_id: &str) -> String {
    format!("{REVIEW_SK_PREFIX}{review_id}")
}

/// GSI1 partition of a business's reviews, newest first.
pub fn business_reviews_pk(business_id: &str) -> String {
    format!("REVIEWS#{business_id}")
}

/// Zero-padded unix seconds, then the id: string order is time order.
pub fn review_index_sk(seconds: u64, review_id: &str) -> String {
    format!("{seconds:012}#{review_id}")
}

pub fn reply_sk(reply_id: &str) -> String {
    format!("{REPLY_SK_PREFIX}{reply_id}")
}

/// The outcome of a reply's `attempt`, zero-padded so that a reply's outcomes sort by attempt.
pub fn outcome_sk(reply_id: &str, attempt: u32) -> String {
    format!("{OUTCOME_SK_PREFIX}{reply_id}#{attempt:05}")
}

/// The item that makes a replyID unique across all leads.
pub fn reply_guard_pk(reply_id: &str) -> String {
    format!("REPLYID#{reply_id}")
}

pub fn quarantine_pk(digest: &str) -> String {
    format!("{QUARANTINE_PK_PREFIX}{digest}")
}

/// The digest a quarantine record's partition key names.
pub fn quarantine_digest(pk: &str) -> &str {
    pk.trim_start_matches(QUARANTINE_PK_PREFIX)
}

pub fn quarantine_chunk_sk(index: usize) -> String {
    format!("{QUARANTINE_CHUNK_SK_PREFIX}{index:05}")
}

const BUSINESS_PK_PREFIX: &str = "BUSINESS#";

/// A business's own partition in the table (its settings); GSI1's `BUSINESS#` partitions are
/// another key space.
pub fn business_settings_pk(business_id: &str) -> String {
    format!("{BUSINESS_PK_PREFIX}{business_id}")
}

pub fn business_pk(business_id: &str) -> String {
    format!("{BUSINESS_PK_PREFIX}{business_id}")
}

/// The businessID a GSI1 business partition names.
pub fn business_of(gsi1_pk: &str) -> Option<&str> {
    gsi1_pk.strip_prefix(BUSINESS_PK_PREFIX)
}

/// A business's figures of one UTC day (`yyyy-mm-dd`), in its own partition beside its
/// settings: a stats read is one `Query` of at most a window's days.
pub fn stats_sk(day: &str) -> String {
    format!("STATS#{day}")
}

/// Zero-padded so that string order is time order (GSI1 sorts leads newest first).
pub fn business_sk(create_timestamp: u64, lead_id: &str) -> String {
    format!("{create_timestamp:012}#{lead_id}")
}

/// Where a business's leads of `create_timestamp` begin: before every one of that second.
pub fn business_start(create_timestamp: u64) -> String {
    format!("{create_timestamp:012}")
}

pub fn quarantine_index_sk(received_at_ms: u64, digest: &str) -> String {
    format!("{received_at_ms:015}#{digest}")
}

/// The changes feed is spread over this many GSI2 partitions, `CHANGES#0` .. `CHANGES#15`, each
/// fact in the one its item's keys hash to; a page merges them by place. One partition takes
/// about 1,000 writes a second, so 16 take about 6x the model's peak fact rate
/// (docs/data-model.md, docs/capacity.md). Raising it is safe (every older entry is in a shard the
/// readers still read); lowering it would hide the entries of the shards left out.
pub const FEED_SHARDS: u32 = 16;

/// A pro's v4 connection (`CONNECTION#<userID>` / [`CONNECTION_SK`]): their businesses, the
/// sealed tokens; and, in each business's own partition ([`business_pk`] / [`CONNECTION_SK`]),
/// the user it belongs to and our webhook with its secret's hash.
pub const CONNECTION_SK: &str = "CONNECTION";

const CONNECTION_PK_PREFIX: &str = "CONNECTION#";

pub fn connection_pk(user_id: &str) -> String {
    format!("{CONNECTION_PK_PREFIX}{user_id}")
}

/// The userID a connection partition's key names.
pub fn connection_of(pk: &str) -> Option<&str> {
    pk.strip_prefix(CONNECTION_PK_PREFIX)
}

/// A change of a connection's status, a fact (`Connection Created`, `Broken`, `Removed`), in the
/// connection's partition: `CHANGE#<ms, 15 digits>#<status>`.
pub const CONNECTION_CHANGE_SK_PREFIX: &str = "CHANGE#";

pub fn connection_change_sk(at_ms: u64, status: &str) -> String {
    format!("{CONNECTION_CHANGE_SK_PREFIX}{at_ms:015}#{status}")
}

/// GSI1 partition listing every connection, by userID (`GSI1SK` the userID): the index gives
/// the order and the keys, the records come from the table.
pub const CONNECTIONS_INDEX_PK: &str = "CONNECTIONS";

/// A used OAuth `state` nonce (`OAUTHSTATE#<nonce>` / [`STATE_SK`]), kept past the state's
/// expiry (TTL), after which the state is refused by its own expiry.
pub const STATE_SK: &str = "STATE";

pub fn oauth_state_pk(nonce: &str) -> String {
    format!("OAUTHSTATE#{nonce}")
}

/// The one GSI2 partition of the feed before it was sharded: entries written then stay there,
/// and the readers merge it with the shards.
pub const CHANGES_PK: &str = "CHANGES";

/// The feed shard of the item at `pk`/`sk`: FNV-1a of its keys, so that a fact stays in its shard
/// whoever writes it and whenever (a reply's outcome written again, a quarantine record counted).
pub fn changes_pk(pk: &str, sk: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in pk.bytes().chain([b'#']).chain(sk.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{CHANGES_PK}#{}", hash % FEED_SHARDS)
}

/// Every GSI2 partition a feed reader merges: the shards, and the partition of before.
pub fn changes_partitions() -> impl Iterator<Item = String> {
    (0..FEED_SHARDS)
        .map(|shard| format!("{CHANGES_PK}#{shard}"))
        .chain([CHANGES_PK.to_owned()])
}

/// A fact's place in the changes feed: the time of the write that made it visible (taken by
/// `DynamoStore` immediately before it sends that write), zero-padded so that string order is
/// time order, then its item's keys, which make the place unique.
pub fn changes_sk(at_ms: u64, pk: &str, sk: &str) -> String {
    format!("{at_ms:015}#{pk}#{sk}")
}

/// Where the changes feed starts for a time: before every fact of that millisecond.
pub fn changes_start(at_ms: u64) -> String {
    format!("{at_ms:015}")
}

/// The one partition of refused deliveries: a count per minute and kind, sorted by minute so
/// that one `Query` lists the newest first (docs/data-model.md: why not GSI1).
pub const REFUSED_PK: &str = "REFUSED";

/// A refusal count's place: its minute (`2026-11-27T09:30`, which sorts as time does), then its
/// kind.
pub fn refused_sk(minute: &str, route: &str, status: u16, reason: &str) -> String {
    format!("{minute}#{route}#{status}#{reason}")
}

/// The minute a refusal count's sort key begins with.
pub fn refused_minute(sk: &str) -> &str {
    sk.split('#').next().unwrap_or_default()
}

/// The attribute DynamoDB's TTL deletes items by (unix seconds); the template enables it on the
/// same name (tests/infra). Only refusal counts carry it.
pub const TTL_ATTRIBUTE: &str = attr::EXPIRES_AT;

/// The `type` of each kind of item.
pub mod item_type {
    pub const LEAD: &str = "lead";
    pub const MESSAGE: &str = "message";
    pub const REVISION: &str = "revision";
    pub const LEAD_UPDATE: &str = "lead-update";
    pub const REVIEW: &str = "review";
    pub const LEAD_REVIEW: &str = "lead-review";
    pub const QUARANTINE: &str = "quarantine";
    pub const QUARANTINE_CHUNK: &str = "quarantine-chunk";
    pub const REPLY: &str = "reply";
    pub const REPLY_GUARD: &str = "reply-guard";
    pub const REPLY_OUTCOME: &str = "reply-outcome";
    pub const REFUSED: &str = "refused";
    pub const BUSINESS_SETTINGS: &str = "business-settings";
    pub const ACKNOWLEDGEMENT: &str = "acknowledgement";
    pub const UNANSWERED: &str = "unanswered";
    pub const BUSINESS_STATS: &str = "business-stats";
    pub const CONNECTION: &str = "connection";
    pub const CONNECTION_CHANGE: &str = "connection-change";
    pub const BUSINESS_CONNECTION: &str = "business-connection";
    pub const OAUTH_STATE: &str = "oauth-state";
}

/// Attribute names (besides the keys). docs/data-model.md lists which item has which.
pub mod attr {
    pub const TYPE: &str = "type";
    pub const RAW: &str = "raw";
    pub const RECEIVED_AT: &str = "receivedAt";
    pub const WARNINGS: &str = "warnings";
    pub const WARNING_COUNT: &str = "warningCount";
    // Copied from a lead or a message beside its raw body.
    pub const LEAD_ID: &str = "leadID";
    pub const BUSINESS_ID: &str = "businessID";
    pub const CUSTOMER_ID: &str = "customerID";
    pub const REQUEST_ID: &str = "requestID";
    pub const CATEGORY: &str = "category";
    pub const TITLE: &str = "title";
    pub const CITY: &str = "city";
    pub const STATE: &str = "state";
    pub const ZIP_CODE: &str = "zipCode";
    pub const PRICE: &str = "price";
    pub const LEAD_TYPE: &str = "leadType";
    pub const LEAD_PRICE: &str = "leadPrice";
    pub const CHARGE_STATE: &str = "chargeState";
    /// When the lead's price was last set by a lead update (its first receipt).
    pub const PRICE_UPDATED_AT: &str = "priceUpdatedAt";
    /// When the lead's charge state was last set by a lead update (its first receipt).
    pub const CHARGE_STATE_UPDATED_AT: &str = "chargeStateUpdatedAt";
    // A review (its text and reviewer's name stay in `raw`).
    pub const REVIEW_ID: &str = "reviewID";
    pub const RATING: &str = "rating";
    pub const VERIFIED: &str = "verified";
    pub const CATEGORY_ID: &str = "categoryID";
    pub const CREATE_TIME: &str = "createTime";
    pub const CREATE_TIMESTAMP: &str = "createTimestamp";
    pub const MESSAGE_ID: &str = "messageID";
    /// Set on the lead when its first reply was sent.
    pub const FIRST_REPLY_SENT_AT: &str = "firstReplySentAt";
    /// Whether the lead's first reply was the automatic acknowledgement (BOOL).
    pub const FIRST_REPLY_AUTOMATIC: &str = "firstReplyAutomatic";
    /// Set on the lead when its first person's reply was sent (N, ms).
    pub const FIRST_PERSON_REPLY_AT: &str = "firstPersonReplyAt";
    /// Set on the lead once it is counted in its business's day (BOOL).
    pub const STATS_COUNTED: &str = "statsCounted";
    /// Set (BOOL true) on a test lead (`models::v4::stored::is_test`): its events say `test`, and
    /// it stays out of its business's figures.
    pub const TEST: &str = "test";
    // A business's day of figures (`stats_sk`): counts, and a count per wait bucket
    // (`fr00`.., `pr00`..: `app::speed::stats::WAIT_BOUNDS`).
    pub const LEADS: &str = "leads";
    pub const REPLIED: &str = "replied";
    pub const AUTOMATIC_FIRST: &str = "automaticFirst";
    pub const PERSON_REPLIED: &str = "personReplied";
    pub const DAY: &str = "day";
    // A revision: what it is a revision of.
    pub const OF: &str = "of";
    pub const ID: &str = "id";
    // A quarantined payload, and the chunks of a large one. On a lead, message or review: the
    // route that delivered it when it was the v4 webhook (`v4-webhook`; none for legacy).
    pub const ROUTE: &str = "route";
    pub const SIZE: &str = "size";
    pub const CHUNKS: &str = "chunks";
    pub const DATA: &str = "data";
    pub const PROBLEMS: &str = "problems";
    pub const PROBLEM_COUNT: &str = "problemCount";
    pub const DELIVERIES: &str = "deliveries";
    pub const FIRST_RECEIVED_AT: &str = "firstReceivedAt";
    pub const LAST_RECEIVED_AT: &str = "lastReceivedAt";
    /// On a quarantine record: what its last replay made of it, and when (ms).
    pub const REPLAY_OUTCOME: &str = "replayOutcome";
    pub const REPLAYED_AT: &str = "replayedAt";
    // Speed to lead: a business's settings (JSON), a lead's acknowledgement note.
    pub const SETTINGS: &str = "settings";
    pub const DUE_AT: &str = "dueAt";
    // A problem (warning or refusal) in a list.
    pub const PATH: &str = "path";
    pub const REASON: &str = "reason";
    // A reply, as the ledger keeps it.
    pub const REPLY_ID: &str = "replyID";
    pub const TEXT: &str = "text";
    pub const STATUS: &str = "status";
    pub const ATTEMPTS: &str = "attempts";
    pub const ENQUEUED_AT: &str = "enqueuedAt";
    pub const SEQUENCE: &str = "sequence";
    pub const LEASE_UNTIL: &str = "leaseUntil";
    pub const LAST_ERROR: &str = "lastError";
    /// A failed reply's reason as a fixed word (`refused`, `gave_up`, ...): what events carry.
    pub const FAILURE: &str = "failure";
    pub const HTTP_STATUS: &str = "httpStatus";
    pub const SENT_AT: &str = "sentAt";
    /// The contract a reply went out through (`legacy`, `v4`).
    pub const CONTRACT: &str = "contract";
    /// The id Thumbtack gave the message a reply created (v4): what its echo is matched by.
    pub const SENT_MESSAGE_ID: &str = "sentMessageID";
    /// When Thumbtack delivered a sent reply back to our webhook (its v4 echo), and the echo's
    /// messageID.
    pub const DELIVERED_AT: &str = "deliveredAt";
    pub const ECHO_MESSAGE_ID: &str = "echoMessageID";
    pub const CREATED_AT: &str = "createdAt";
    pub const UPDATED_AT: &str = "updatedAt";
    // A count of refused deliveries (no body, no credentials, no address).
    pub const COUNT: &str = "count";
    pub const CREDENTIALS_PRESENTED: &str = "credentialsPresented";
    // A v4 connection, and a business's part in it (no token in clear, no secret, no e-mail).
    pub const USER_ID: &str = "userID";
    pub const REFERENCE: &str = "reference";
    pub const BUSINESSES: &str = "businesses";
    pub const NAME: &str = "name";
    pub const WEBHOOK_ID: &str = "webhookID";
    /// SHA-256 (hex) of the webhook's header secret.
    pub const SECRET_HASH: &str = "secretHash";
    /// The access and refresh tokens, KMS ciphertext (B).
    pub const SEALED_TOKENS: &str = "sealedTokens";
    pub const ACCESS_EXPIRES_AT: &str = "accessExpiresAt";
    pub const SCOPES: &str = "scopes";
    /// On a connection's status change: its businesses then (L of S).
    pub const BUSINESS_IDS: &str = "businessIDs";
    pub const CONNECTED_AT: &str = "connectedAt";
    /// Who holds a connection's refresh lease, and until when (N, ms).
    pub const LEASE_HOLDER: &str = "leaseHolder";
    /// Unix seconds: DynamoDB's TTL deletes the item after it.
    pub const EXPIRES_AT: &str = "expiresAt";
}
