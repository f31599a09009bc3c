//! Listings over the table's indexes, a page at a time.

use models::Problems;
use std::future::Future;

use super::{ReviewRecord, StoreError};
use crate::events::FeedEntry;

/// A lead as listed for a business, newest first: what the index copies of it, never its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadSummary {
    pub lead_id: String,
    pub business_id: String,
    /// The contract that carried it.
    pub contract: models::Contract,
    /// Thumbtack's, unix seconds.
    pub create_timestamp: u64,
    /// Ours, unix milliseconds.
    pub received_at_ms: u64,
    pub category: Option<String>,
    pub title: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub lead_type: Option<String>,
    /// What the pro pays for it and whether it was charged: the lead's own, or the newest lead
    /// update's.
    pub lead_price: Option<String>,
    pub charge_state: Option<String>,
    /// When its first reply went out (unix milliseconds), once one did.
    pub first_reply_sent_at_ms: Option<u64>,
    /// Whether that first reply was the automatic acknowledgement.
    pub first_reply_automatic: Option<bool>,
}

/// Which of a business's leads: `createTimestamp` (unix seconds) from `since` (inclusive) to
/// `until` (exclusive); `None` leaves that side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreatedWindow {
    pub since: Option<u64>,
    pub until: Option<u64>,
}

/// A quarantined payload as listed for an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRecord {
    pub route: String,
    pub digest: String,
    pub raw: Vec<u8>,
    pub problems: Problems,
    pub deliveries: u64,
    pub first_received_at_ms: u64,
    pub last_received_at_ms: u64,
    /// The last replay that changed something, if any.
    pub replay: Option<super::ReplayNote>,
}

/// Where a listing goes on: opaque, handed back as the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

/// An entry of a listing with its own position: a page that ends with it goes on from `after`
/// (so a page cut short of what the store gave goes on from its last entry served).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub item: T,
    pub after: Cursor,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` after the last one.
    pub next: Option<Cursor>,
}

/// Listings over the table's indexes, a page at a time: what the read API's list routes serve
/// (`app::pull`) and operators read (partnerctl). Not on [`LeadStore`](super::LeadStore): the
/// inbound and reply paths never list.
pub trait Listings: Send + Sync {
    /// A business's leads within `window`, newest `createTimestamp` first: at most `limit`, from
    /// `after` (the first page when `None`).
    fn business_leads(
        &self,
        business_id: &str,
        window: CreatedWindow,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<LeadSummary>, StoreError>> + Send;

    /// Stored facts of every business in order of their time (receipt; a reply's outcome), from
    /// `since_ms` or, when given, after `after`, and only those before `before_ms`: at most
    /// `limit`. Its `next` is always given: where the feed goes on, even once nothing more is
    /// there yet.
    fn changes(
        &self,
        since_ms: u64,
        before_ms: u64,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<FeedEntry>, StoreError>> + Send;

    /// A business's reviews with their bodies, newest `createTime` first: at most `limit`, from
    /// `after`, each with its position (the read API may serve fewer, to keep within its byte
    /// budget).
    fn business_reviews(
        &self,
        business_id: &str,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<Listed<ReviewRecord>>, StoreError>> + Send;
}
