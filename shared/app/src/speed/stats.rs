//! `GET /v1/businesses/{businessID}/stats?days=30`: how fast a business answers its leads, from
//! the leads' summaries (when each arrived, when its first reply went out, whether that reply was
//! the automatic acknowledgement).

use crate::ports::{CreatedWindow, Cursor, LeadSummary, Listings, StoreError};
use models::{Invalid, InvalidKind, Problems};
use serde::Serialize;

/// The window when the caller names none.
pub const DEFAULT_DAYS: u64 = 30;
/// The longest window: a quarter (a page of 100 leads a query, so a busy business's year would be
/// a slow answer).
pub const MAX_DAYS: u64 = 90;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    #[serde(rename = "businessID")]
    pub business_id: String,
    pub days: u64,
    /// Leads created in the window (by their `createTimestamp`).
    pub leads: u64,
    /// Of those, the ones with a reply sent.
    pub leads_replied: u64,
    /// From arrival to the first reply sent, over the leads replied (seconds).
    pub median_first_reply_seconds: Option<u64>,
    pub p90_first_reply_seconds: Option<u64>,
    /// Shares of all the window's leads (an unanswered lead is not answered in time).
    pub replied_within_1_hour: f64,
    pub replied_within_4_hours: f64,
    /// Whose first reply was the automatic acknowledgement, and whose a person's.
    pub automatic_first_replies: u64,
    pub human_first_replies: u64,
}

/// The stats of `business_id` over the `days` (as sent) before `now_ms`.
pub async fn business_stats<L: Listings>(
    listings: &L,
    business_id: &str,
    days: Option<&str>,
    now_ms: u64,
) -> Result<Stats, StatsError> {
    let mut problems = Problems::default();
    if !models::is_valid_id(business_id) {
        problems.add("businessID", models::ids::ID_RULE);
    }
    let days = window_days(&mut problems, days);
    let (Some(days), true) = (days, problems.is_empty()) else {
        return Err(StatsError::Invalid(Invalid {
            kind: InvalidKind::Parameters,
            problems,
        }));
    };
    let since = (now_ms / 1000).saturating_sub(days * 86_400);
    let window = CreatedWindow {
        since: Some(since),
        until: None,
    };
    let mut leads = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = listings
            .business_leads(business_id, window, 100, after.as_ref())
            .await?;
        leads.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(summarise(business_id, days, &leads))
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("invalid request: {0}")]
    Invalid(Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The figures of these leads.
pub fn summarise(business_id: &str, days: u64, leads: &[LeadSummary]) -> Stats {
    let mut waits: Vec<u64> = leads
        .iter()
        .filter_map(|lead| {
            let sent = lead.first_reply_sent_at_ms?;
            Some(sent.saturating_sub(lead.received_at_ms) / 1000)
        })
        .collect();
    waits.sort_unstable();
    let total = leads.len() as u64;
    let within = |seconds: u64| {
        if total == 0 {
            return 0.0;
        }
        let count = waits.iter().filter(|wait| **wait <= seconds).count();
        // Two decimals: a share, not a measurement.
        (count as f64 / total as f64 * 100.0).round() / 100.0
    };
    let automatic = leads
        .iter()
        .filter(|lead| lead.first_reply_automatic == Some(true))
        .count() as u64;
    Stats {
        business_id: business_id.to_owned(),
        days,
        leads: total,
        leads_replied: waits.len() as u64,
        median_first_reply_seconds: percentile(&waits, 50),
        p90_first_reply_seconds: percentile(&waits, 90),
        replied_within_1_hour: within(3600),
        replied_within_4_hours: within(4 * 3600),
        automatic_first_replies: automatic,
        human_first_replies: waits.len() as u64 - automatic.min(waits.len() as u64),
    }
}

/// `days` as asked: the default when not given, else digits only (no sign, no space, as `since`
/// and `limit`) from 1 to [`MAX_DAYS`].
fn window_days(problems: &mut Problems, asked: Option<&str>) -> Option<u64> {
    let Some(text) = asked else {
        return Some(DEFAULT_DAYS);
    };
    let days = crate::paging::whole_number(text);
    if days.is_none_or(|d| !(1..=MAX_DAYS).contains(&d)) {
        problems.add("days", "must be a whole number of days from 1 to 90");
        return None;
    }
    days
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], percent: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(received_s: u64, replied_after_s: Option<u64>, automatic: bool) -> LeadSummary {
        LeadSummary {
            lead_id: format!("l-{received_s}"),
            business_id: "b-1".into(),
            create_timestamp: received_s,
            received_at_ms: received_s * 1000,
            category: None,
            title: None,
            city: None,
            state: None,
            zip_code: None,
            lead_type: None,
            lead_price: None,
            charge_state: None,
            first_reply_sent_at_ms: replied_after_s.map(|after| (received_s + after) * 1000),
            first_reply_automatic: replied_after_s.map(|_| automatic),
        }
    }

    #[test]
    fn response_times_are_medians_percentiles_and_shares_of_all_leads() {
        let leads = [
            lead(100, Some(5), true),
            lead(200, Some(600), false),
            lead(300, Some(3 * 3600), false),
            lead(400, Some(10 * 3600), false),
            lead(500, None, false),
        ];
        let stats = summarise("b-1", 30, &leads);
        assert_eq!(stats.leads, 5);
        assert_eq!(stats.leads_replied, 4);
        // Sorted waits 5, 600, 10800, 36000: the median is the 2nd, the p90 the 4th.
        assert_eq!(stats.median_first_reply_seconds, Some(600));
        assert_eq!(stats.p90_first_reply_seconds, Some(36_000));
        assert!((stats.replied_within_1_hour - 0.4).abs() < f64::EPSILON);
        assert!((stats.replied_within_4_hours - 0.6).abs() < f64::EPSILON);
        assert_eq!(stats.automatic_first_replies, 1);
        assert_eq!(stats.human_first_replies, 3);
    }

    #[test]
    fn days_are_digits_only_like_since_and_limit() {
        for bad in [
            "+30",
            "-30",
            " 30",
            "30 ",
            "3e1",
            "0",
            "91",
            "",
            "99999999999999999999999",
        ] {
            let mut problems = Problems::default();
            assert_eq!(window_days(&mut problems, Some(bad)), None, "{bad:?}");
            assert_eq!(problems.paths(), ["days"], "{bad:?}");
        }
        let mut problems = Problems::default();
        assert_eq!(window_days(&mut problems, Some("030")), Some(30));
        assert_eq!(window_days(&mut problems, Some("90")), Some(90));
        assert_eq!(window_days(&mut problems, None), Some(DEFAULT_DAYS));
        assert!(problems.is_empty());
    }

    #[test]
    fn no_leads_give_zero_shares_and_no_times() {
        let stats = summarise("b-1", 7, &[]);
        assert_eq!(stats.leads, 0);
        assert_eq!(stats.median_first_reply_seconds, None);
        assert!(stats.replied_within_1_hour.abs() < f64::EPSILON);
    }
}
