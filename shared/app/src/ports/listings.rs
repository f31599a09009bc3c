//! Listings over the table's index, a page at a time.

use models::Problems;
use std::future::Future;

use super::StoreError;

/// A lead as listed for a business, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadSummary {
    pub lead_id: String,
    pub create_timestamp: u64,
    pub category: Option<String>,
    pub title: Option<String>,
    pub received_at_ms: u64,
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
}

/// Where a listing goes on: opaque, handed back as the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` after the last one.
    pub next: Option<Cursor>,
}

/// Listings over the table's index, newest first, a page at a time: what operators read today
/// (partnerctl), and the partner's systems next. No Lambda path reads them, so they are not on
/// [`LeadStore`], and only the DynamoDB store implements them.
pub trait Listings: Send + Sync {
    /// A business's leads, newest `createTimestamp` first: at most `limit`, from `after` (the
    /// first page when `None`).
    fn business_leads(
        &self,
        business_id: &str,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<LeadSummary>, StoreError>> + Send;

    /// Quarantined payloads with their bodies, newest first: at most `limit`, from `after`.
    fn list_quarantine(
        &self,
        limit: usize,
        after: Option<&Cursor>,
    ) -> impl Future<Output = Result<Page<QuarantineRecord>, StoreError>> + Send;
}
