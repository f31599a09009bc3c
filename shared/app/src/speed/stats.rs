//! `GET /v1/businesses/{businessID}/stats?days=30`: how fast a business answers its leads, from
//! its daily figures (`StatsDesk`): one item a day of the window, whatever the number of leads.
//!
//! Two waits per lead, from its arrival: to its first reply, whoever sent it (with
//! acknowledgements on, that is the acknowledgement, seconds after arrival), and to its first
//! *person's* reply. `Lead Unanswered` is about the second: a lead whose only reply is the
//! acknowledgement is still unanswered.

use crate::ports::{DayStats, StatsDesk, StoreError};
use models::{Invalid, InvalidKind, Problems};
use serde::Serialize;

/// The window when the caller names none.
pub const DEFAULT_DAYS: u64 = 30;
/// The longest window: a quarter.
pub const MAX_DAYS: u64 = 90;

/// Upper bounds (seconds) of the buckets a wait is counted in; a wait past the last counts in
/// the last. A median or percentile is the bound of its bucket: the wait was at most that. 1 and
/// 4 hours are bounds, so the shares answered within them are exact.
pub const WAIT_BOUNDS: [u64; 24] = [
    10, 30, 60, 120, 180, 300, 600, 900, 1_200, 1_800, 2_700, 3_600, 5_400, 7_200, 10_800, 14_400,
    21_600, 28_800, 43_200, 86_400, 172_800, 345_600, 604_800, 2_592_000,
];

/// The bucket of a wait of `seconds`.
pub fn wait_bucket(seconds: u64) -> usize {
    WAIT_BOUNDS
        .iter()
        .position(|bound| seconds <= *bound)
        .unwrap_or(WAIT_BOUNDS.len() - 1)
}

/// The UTC day (`yyyy-mm-dd`) of a unix time in seconds: the day a lead is counted in.
pub fn stats_day(unix_seconds: u64) -> String {
    let seconds = i64::try_from(unix_seconds).unwrap_or(i64::MAX);
    let time = jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::MAX);
    jiff::tz::Offset::UTC.to_datetime(time).date().to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    #[serde(rename = "businessID")]
    pub business_id: String,
    pub days: u64,
    /// Leads created in the window: today (UTC) and the `days - 1` days before it.
    pub leads: u64,
    /// Of those, the ones with a reply sent, whoever sent it.
    pub leads_replied: u64,
    /// From arrival to the first reply, over the leads replied (seconds, at most).
    pub median_first_reply_seconds: Option<u64>,
    pub p90_first_reply_seconds: Option<u64>,
    /// Shares of all the window's leads (an unanswered lead is not answered in time).
    pub replied_within_1_hour: f64,
    pub replied_within_4_hours: f64,
    /// Whose first reply was the automatic acknowledgement, and whose a person's.
    pub automatic_first_replies: u64,
    pub human_first_replies: u64,
    /// The same for a person's replies only: what `Lead Unanswered` watches.
    pub leads_replied_by_person: u64,
    pub median_first_person_reply_seconds: Option<u64>,
    pub p90_first_person_reply_seconds: Option<u64>,
    pub replied_by_person_within_1_hour: f64,
    pub replied_by_person_within_4_hours: f64,
}

/// The stats of `business_id` over the `days` (as sent) ending on the day of `now_ms`.
pub async fn business_stats<D: StatsDesk>(
    desk: &D,
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
    let now = now_ms / 1000;
    let from = stats_day(now.saturating_sub((days - 1) * 86_400));
    let daily = desk
        .daily_stats(business_id, &from, &stats_day(now))
        .await?;
    Ok(summarise(business_id, days, &daily))
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("invalid request: {0}")]
    Invalid(Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The figures of these days.
pub fn summarise(business_id: &str, days: u64, daily: &[DayStats]) -> Stats {
    let sum = |figure: fn(&DayStats) -> u64| daily.iter().map(figure).sum::<u64>();
    let merged = |waits: fn(&DayStats) -> &Vec<u64>| {
        let mut all = vec![0u64; WAIT_BOUNDS.len()];
        for day in daily {
            for (bucket, count) in all.iter_mut().zip(waits(day)) {
                *bucket += count;
            }
        }
        all
    };
    let leads = sum(|d| d.leads);
    let first = merged(|d| &d.first_reply);
    let person = merged(|d| &d.first_person_reply);
    let replied = first.iter().sum::<u64>();
    let automatic = sum(|d| d.automatic_first).min(replied);
    Stats {
        business_id: business_id.to_owned(),
        days,
        leads,
        leads_replied: replied,
        median_first_reply_seconds: percentile(&first, 50),
        p90_first_reply_seconds: percentile(&first, 90),
        replied_within_1_hour: share(&first, 3_600, leads),
        replied_within_4_hours: share(&first, 14_400, leads),
        automatic_first_replies: automatic,
        human_first_replies: replied - automatic,
        leads_replied_by_person: person.iter().sum(),
        median_first_person_reply_seconds: percentile(&person, 50),
        p90_first_person_reply_seconds: percentile(&person, 90),
        replied_by_person_within_1_hour: share(&person, 3_600, leads),
        replied_by_person_within_4_hours: share(&person, 14_400, leads),
    }
}

/// The share of `total` whose wait was at most `seconds` (a bound of [`WAIT_BOUNDS`]), two
/// decimals: a share, not a measurement.
fn share(buckets: &[u64], seconds: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let within: u64 = WAIT_BOUNDS
        .iter()
        .zip(buckets)
        .filter(|(bound, _)| **bound <= seconds)
        .map(|(_, count)| count)
        .sum();
    (within as f64 / total as f64 * 100.0).round() / 100.0
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

/// The nearest-rank percentile of bucketed waits: the bound of the bucket it falls in.
fn percentile(buckets: &[u64], percent: u64) -> Option<u64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = (percent * total).div_ceil(100).max(1);
    let mut seen = 0;
    for (bound, count) in WAIT_BOUNDS.iter().zip(buckets) {
        seen += count;
        if seen >= rank {
            return Some(*bound);
        }
    }
    WAIT_BOUNDS.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A day with these waits to the first reply (and whether it was automatic), and to the
    /// first person's reply.
    fn day(leads: u64, first: &[(u64, bool)], person: &[u64]) -> DayStats {
        let mut stats = DayStats {
            day: "2026-12-07".into(),
            leads,
            first_reply: vec![0; WAIT_BOUNDS.len()],
            first_person_reply: vec![0; WAIT_BOUNDS.len()],
            ..DayStats::default()
        };
        for (wait, automatic) in first {
            stats.replied += 1;
            stats.automatic_first += u64::from(*automatic);
            stats.first_reply[wait_bucket(*wait)] += 1;
        }
        for wait in person {
            stats.person_replied += 1;
            stats.first_person_reply[wait_bucket(*wait)] += 1;
        }
        stats
    }

    #[test]
    fn response_times_are_medians_percentiles_and_shares_of_all_leads_across_days() {
        let daily = [
            day(2, &[(5, true), (600, false)], &[600, 3 * 3600]),
            day(3, &[(3 * 3600, false), (10 * 3600, false)], &[10 * 3600]),
        ];
        let stats = summarise("b-1", 30, &daily);
        assert_eq!(stats.leads, 5);
        assert_eq!(stats.leads_replied, 4);
        // Waits 5, 600, 10800, 36000 in buckets of at most 10, 600, 10800 and 43200 seconds:
        // the median is the 2nd, the p90 the 4th.
        assert_eq!(stats.median_first_reply_seconds, Some(600));
        assert_eq!(stats.p90_first_reply_seconds, Some(43_200));
        assert!((stats.replied_within_1_hour - 0.4).abs() < f64::EPSILON);
        assert!((stats.replied_within_4_hours - 0.6).abs() < f64::EPSILON);
        assert_eq!(stats.automatic_first_replies, 1);
        assert_eq!(stats.human_first_replies, 3);
    }

    #[test]
    fn an_acknowledgement_is_the_first_reply_but_not_a_person_s() {
        // Acknowledged within seconds; a person answered one lead after 3 hours, never the other.
        let daily = [day(2, &[(5, true), (8, true)], &[3 * 3600])];
        let stats = summarise("b-1", 7, &daily);
        assert_eq!(stats.median_first_reply_seconds, Some(10));
        assert!((stats.replied_within_1_hour - 1.0).abs() < f64::EPSILON);
        assert_eq!(stats.leads_replied_by_person, 1);
        assert_eq!(stats.median_first_person_reply_seconds, Some(10_800));
        assert!(stats.replied_by_person_within_1_hour.abs() < f64::EPSILON);
        assert!((stats.replied_by_person_within_4_hours - 0.5).abs() < f64::EPSILON);
    }

    #[test]
    fn a_wait_is_counted_in_the_first_bucket_that_holds_it() {
        assert_eq!(wait_bucket(0), 0);
        assert_eq!(WAIT_BOUNDS[wait_bucket(3_600)], 3_600);
        assert_eq!(WAIT_BOUNDS[wait_bucket(3_601)], 5_400);
        assert_eq!(wait_bucket(u64::MAX), WAIT_BOUNDS.len() - 1);
        assert!(WAIT_BOUNDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_lead_is_counted_in_the_utc_day_of_its_creation() {
        assert_eq!(stats_day(0), "1970-01-01");
        assert_eq!(stats_day(1_796_601_599), "2026-12-06");
        assert_eq!(stats_day(1_796_601_600), "2026-12-07");
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
        assert_eq!(stats.median_first_person_reply_seconds, None);
        assert!(stats.replied_within_1_hour.abs() < f64::EPSILON);
    }
}
