//! The trace of refused deliveries (401, 413, 400): when, which route, why, and whether
//! credentials came with it. Never the body, the username, the password or the caller's address:
//! what an operator needs to tell a rotation gone wrong or a payload we refuse from a scanner.

use super::{Route, StoreError};
use models::InvalidKind;
use std::future::Future;

/// How long a refusal is kept (DynamoDB's TTL deletes it after that).
pub const REFUSALS_KEPT_DAYS: u64 = 14;

/// Why a delivery was refused: a fixed code, never a value from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// No `Authorization` header (401).
    MissingCredentials,
    /// A header that is not HTTP Basic of `user:password` (401).
    MalformedCredentials,
    /// Well-formed credentials we do not accept (401).
    WrongCredentials,
    /// A body over the size limit (413).
    PayloadTooLarge,
    /// Under the limit, but too large to store with its copied fields (413).
    TooLargeToStore,
    /// An authenticated body refused by validation (400): empty, not JSON, not an object, or a
    /// key missing or unusable.
    Invalid(InvalidKind),
}

impl RefusalReason {
    pub fn code(self) -> &'static str {
        match self {
            RefusalReason::MissingCredentials => "missing_credentials",
            RefusalReason::MalformedCredentials => "malformed_credentials",
            RefusalReason::WrongCredentials => "wrong_credentials",
            RefusalReason::PayloadTooLarge => "payload_too_large",
            RefusalReason::TooLargeToStore => "too_large_to_store",
            RefusalReason::Invalid(kind) => kind.code(),
        }
    }

    /// The status the delivery was answered with.
    pub fn status(self) -> u16 {
        match self {
            RefusalReason::MissingCredentials
            | RefusalReason::MalformedCredentials
            | RefusalReason::WrongCredentials => 401,
            RefusalReason::PayloadTooLarge
            | RefusalReason::TooLargeToStore
            | RefusalReason::Invalid(InvalidKind::TooLarge) => 413,
            RefusalReason::Invalid(_) => 400,
        }
    }

    /// Whether the request carried an `Authorization` header at all: a 413 or a 400 comes after
    /// authentication, so it did.
    pub fn credentials_presented(self) -> bool {
        self != RefusalReason::MissingCredentials
    }
}

/// One refused delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Unix milliseconds.
    pub at_ms: u64,
    pub route: Route,
    pub reason: RefusalReason,
}

impl Refusal {
    /// The minute it falls in, `2026-11-27T09:30` (UTC): refusals are counted per minute and
    /// kind, so a flood costs one item a minute, not one per request.
    pub fn minute(&self) -> String {
        let mut text = models::time::rfc3339_millis(self.at_ms);
        text.truncate("yyyy-mm-ddThh:mm".len());
        text
    }

    /// When the store may forget it: unix **seconds** (DynamoDB's TTL unit).
    pub fn expires_at(&self) -> u64 {
        self.at_ms / 1000 + REFUSALS_KEPT_DAYS * 86_400
    }
}

/// The refusals of one kind (route, status, reason) in one minute, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalCount {
    /// `2026-11-27T09:30` (UTC).
    pub minute: String,
    pub route: String,
    pub status: u16,
    pub reason: String,
    pub credentials_presented: bool,
    pub count: u64,
    /// Unix milliseconds of the first and the last refusal counted.
    pub first_at_ms: u64,
    pub last_at_ms: u64,
}

/// Where refusals are counted, and listed newest first.
pub trait RefusalLog: Send + Sync {
    /// Counts one refusal in its minute and kind. Best effort for the caller (it never changes
    /// the answer); an implementation may hold some back under a flood and add them to a later
    /// write.
    fn record(&self, refusal: &Refusal) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The newest `limit` counts (minute, then kind), newest minute first.
    fn refusals(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RefusalCount>, StoreError>> + Send;
}
