//! The pull APIs: a business's leads, newest first, and the changes feed every consumer replays to
//! catch up. Here are their decisions: the parameters and their bounds, the scope a cursor is bound
//! to, the settle window of the feed, and what an answer shows. The HTTP face is the read
//! function's handler; the queries are `Listings`.
//!
//! Both answer a page and a `next` cursor: opaque, sealed with [`CursorKey`] over the query's scope,
//! so a cursor that was changed or belongs to another query is refused (400 naming `cursor`),
//! never read as a position elsewhere. A caller sends the same parameters again with
//! `cursor=<next>` (the limit may change).

use crate::conversation::review_view;
use crate::events::{FeedEntry, rfc3339_millis};
use crate::paging::{CursorKey, page_size, whole_number};
use crate::ports::{CreatedWindow, Cursor, LeadSummary, Listings, StoreError};
use budget::{ANSWER_BUDGET_BYTES, answer_bytes, fitting};
use models::{Invalid, InvalidKind, Problems, ReviewView, UnixSeconds};
use serde::Serialize;
use std::time::Duration;

pub mod budget;
mod lead_view;
pub use lead_view::{LeadAsked, lead};

/// Entries per page when the caller names no `limit`.
pub const DEFAULT_LIMIT: usize = 25;
/// The most entries a page holds: 100 summaries are about 30 KB of JSON, and one DynamoDB query.
pub const MAX_LIMIT: usize = 100;

/// What a `since` or `until` must be.
pub const SECONDS_RULE: &str = "must be unix seconds (digits only)";
/// What a cursor that does not open says.
pub const CURSOR_RULE: &str = "was not issued for this query, or was changed";

/// The pull APIs' settings: the key cursors are sealed with, and the changes feed's settle window.
#[derive(Debug, Clone)]
pub struct PullSettings {
    pub cursors: CursorKey,
    /// The feed serves only entries older than this. An entry's time is taken before its write
    /// lands (and an index lags its table), so a slow write can land with a time a reader has
    /// already passed; waiting this long first means none lands behind a cursor
    /// (docs/data-model.md).
    pub settle: Duration,
}

/// `GET /v1/businesses/{businessID}/leads`, as the caller asked (query parameters as sent).
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadsAsked<'a> {
    pub business_id: &'a str,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// `GET /v1/businesses/{businessID}/reviews`, as the caller asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReviewsAsked<'a> {
    pub business_id: &'a str,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// `GET /v1/changes`, as the caller asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangesAsked<'a> {
    pub since: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// Why a pull was not answered.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// Parameters out of their bounds, or a cursor refused: every problem, named.
    #[error("invalid request: {0}")]
    Invalid(Invalid),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PullError {
    /// A position the listing cannot read is a bad cursor like any other.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UnreadablePosition => {
                let mut problems = Problems::default();
                problems.add("cursor", CURSOR_RULE);
                refused(problems)
            }
            error => PullError::Store(error),
        }
    }
}

/// `{"leads": [...], "next": <cursor or null>}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadsPage {
    pub leads: Vec<LeadEntry>,
    pub next: Option<String>,
}

/// A lead as listed: ids, times and the facts a CRM routes on; no name, no description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadEntry {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    #[serde(rename = "businessID")]
    pub business_id: String,
    /// `"legacy"` or `"v4"`: the contract that carried it.
    pub contract: models::Contract,
    /// Thumbtack's, unix seconds.
    pub create_timestamp: u64,
    /// When we stored it (RFC 3339, milliseconds).
    pub received_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_type: Option<String>,
    /// The lead's current price and charge state (its own, or the newest lead update's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_state: Option<String>,
    /// Whether a reply to it was sent.
    pub reply_sent: bool,
    /// When the first one went out (RFC 3339), once one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_reply_sent_at: Option<String>,
}

/// `{"reviews": [...], "next": <cursor or null>}`: each review as its lead's conversation shows
/// it (the route is the read API's, behind IAM: the text and the reviewer's name are there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewsPage {
    pub reviews: Vec<ReviewView>,
    pub next: Option<String>,
}

/// `{"changes": [...], "next": <cursor>}`: `next` is always there; an empty page means caught up
/// for now, and the same cursor asks again later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangesPage {
    pub changes: Vec<FeedEntry>,
    pub next: String,
}

/// A business's leads, newest `createTimestamp` first, within `since` (inclusive) and `until`
/// (exclusive), unix seconds.
pub async fn business_leads<L: Listings>(
    listings: &L,
    settings: &PullSettings,
    asked: LeadsAsked<'_>,
) -> Result<LeadsPage, PullError> {
    let mut problems = Problems::default();
    if !models::is_valid_id(asked.business_id) {
        problems.add("businessID", models::ids::ID_RULE);
    }
    let since = seconds(&mut problems, "since", asked.since);
    let until = seconds(&mut problems, "until", asked.until);
    if let (Some(Some(since)), Some(Some(until))) = (since, until)
        && until <= since
    {
        problems.add("until", "must be after since");
    }
    let limit = page_limit(&mut problems, asked.limit);
    // The cursor is judged only against a query that could be read.
    let after = match (since, until) {
        (Some(since), Some(until)) if problems.is_empty() => {
            let scope = format!(
                "leads|{}|{}|{}",
                asked.business_id,
                shown(since),
                shown(until)
            );
            opened(&mut problems, &settings.cursors, &scope, asked.cursor).map(|at| (scope, at))
        }
        _ => None,
    };
    let (Some((scope, after)), Some(limit), Some(since), Some(until)) =
        (after, limit, since, until)
    else {
        return Err(refused(problems));
    };
    let window = CreatedWindow { since, until };
    let page = listings
        .business_leads(asked.business_id, window, limit, after.as_ref())
        .await?;
    Ok(LeadsPage {
        leads: page.items.into_iter().map(lead_entry).collect(),
        next: page.next.map(|next| settings.cursors.seal(&scope, &next.0)),
    })
}

/// A business's reviews, newest `createTime` first (a review without a readable one, by receipt).
pub async fn business_reviews<L: Listings>(
    listings: &L,
    settings: &PullSettings,
    asked: ReviewsAsked<'_>,
) -> Result<ReviewsPage, PullError> {
    let mut problems = Problems::default();
    if !models::is_valid_id(asked.business_id) {
        problems.add("businessID", models::ids::ID_RULE);
    }
    let limit = page_limit(&mut problems, asked.limit);
    let scope = format!("reviews|{}", asked.business_id);
    let after = if problems.is_empty() {
        opened(&mut problems, &settings.cursors, &scope, asked.cursor)
    } else {
        None
    };
    let (Some(after), Some(limit)) = (after, limit) else {
        return Err(refused(problems));
    };
    let page = listings
        .business_reviews(asked.business_id, limit, after.as_ref())
        .await?;
    let mut reviews: Vec<(ReviewView, Cursor)> = page
        .items
        .into_iter()
        .filter_map(|listed| {
            review_view(listed.item, asked.business_id).map(|view| (view, listed.after))
        })
        .collect();
    // The page stops where the byte budget runs out, and goes on from its last review served.
    let costs = reviews.iter().map(|(view, _)| answer_bytes(view) + 1);
    let held = fitting(0, costs, ANSWER_BUDGET_BYTES);
    let next = if held < reviews.len() {
        reviews.truncate(held);
        reviews.last().map(|(_, after)| after.clone())
    } else {
        page.next
    };
    Ok(ReviewsPage {
        reviews: reviews.into_iter().map(|(view, _)| view).collect(),
        next: next.map(|next| settings.cursors.seal(&scope, &next.0)),
    })
}

/// Every stored fact, in order of its time, from `since` (unix seconds of receipt) or after the
/// cursor, and only those older than the settle window at `now_ms`.
pub async fn changes<L: Listings>(
    listings: &L,
    settings: &PullSettings,
    asked: ChangesAsked<'_>,
    now_ms: u64,
) -> Result<ChangesPage, PullError> {
    let mut problems = Problems::default();
    let since = seconds(&mut problems, "since", asked.since);
    let limit = page_limit(&mut problems, asked.limit);
    let after = match since {
        Some(since) if problems.is_empty() => {
            let scope = format!("changes|{}", shown(since));
            opened(&mut problems, &settings.cursors, &scope, asked.cursor).map(|at| (scope, at))
        }
        _ => None,
    };
    let (Some((scope, after)), Some(limit), Some(since)) = (after, limit, since) else {
        return Err(refused(problems));
    };
    let since_ms = since.unwrap_or(0).saturating_mul(1000);
    let settle_ms = u64::try_from(settings.settle.as_millis()).unwrap_or(u64::MAX);
    let before_ms = now_ms.saturating_sub(settle_ms);
    let page = listings
        .changes(since_ms, before_ms, limit, after.as_ref())
        .await?;
    let next = page.next.or(after).ok_or_else(|| {
        StoreError::Corrupt("the changes feed gave no position to go on from".to_owned())
    })?;
    Ok(ChangesPage {
        changes: page.items,
        next: settings.cursors.seal(&scope, &next.0),
    })
}

fn refused(problems: Problems) -> PullError {
    PullError::Invalid(Invalid {
        kind: InvalidKind::Parameters,
        problems,
    })
}

/// `Some(None)` when not given, `Some(Some(seconds))` when valid, `None` (and a problem) if not.
fn seconds(problems: &mut Problems, name: &str, asked: Option<&str>) -> Option<Option<u64>> {
    match asked {
        None => Some(None),
        Some(text) => match UnixSeconds::parse(text) {
            Some(seconds) => Some(Some(seconds.0)),
            None => {
                problems.add(name, SECONDS_RULE);
                None
            }
        },
    }
}

/// The bound as it goes into a scope: the same query always has the same scope ("0100" and
/// "100" alike), and an open bound is empty.
fn shown(bound: Option<u64>) -> String {
    bound.map(|b| b.to_string()).unwrap_or_default()
}

fn page_limit(problems: &mut Problems, asked: Option<&str>) -> Option<usize> {
    // Anything but digits is refused as 0 is.
    let asked = asked.map(|text| whole_number(text).unwrap_or(0));
    match page_size(asked, DEFAULT_LIMIT, MAX_LIMIT) {
        Ok(limit) => Some(limit),
        Err(refused) => {
            problems.add("limit", refused.to_string());
            None
        }
    }
}

/// `Some(None)` without a cursor, `Some(Some(position))` for one of this scope, `None` (and a
/// problem) for any other.
fn opened(
    problems: &mut Problems,
    key: &CursorKey,
    scope: &str,
    cursor: Option<&str>,
) -> Option<Option<Cursor>> {
    match cursor {
        None => Some(None),
        Some(cursor) => match key.open(scope, cursor) {
            Ok(position) => Some(Some(Cursor(position))),
            Err(_) => {
                problems.add("cursor", CURSOR_RULE);
                None
            }
        },
    }
}

fn lead_entry(lead: LeadSummary) -> LeadEntry {
    LeadEntry {
        lead_id: lead.lead_id,
        business_id: lead.business_id,
        contract: lead.contract,
        create_timestamp: lead.create_timestamp,
        received_at: rfc3339_millis(lead.received_at_ms),
        category: lead.category,
        title: lead.title,
        city: lead.city,
        state: lead.state,
        zip_code: lead.zip_code,
        lead_type: lead.lead_type,
        lead_price: lead.lead_price,
        charge_state: lead.charge_state,
        reply_sent: lead.first_reply_sent_at_ms.is_some(),
        first_reply_sent_at: lead.first_reply_sent_at_ms.map(rfc3339_millis),
    }
}
