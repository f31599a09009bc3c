//! Reviews on the table: a review's own item, once per reviewID (in GSI1 under its business,
//! newest first), and its entry in the conversation of the lead it names.

use super::DynamoStore;
use super::item::{Item, cut, insert_warnings, n, s};
use super::schema::{
    GSI1_PK, GSI1_SK, PK, REVIEW_SK, SK, attr, business_reviews_pk, item_type, lead_pk,
    lead_review_sk, review_index_sk, review_pk,
};
use super::store::MAX_COPIED_BYTES;
use app::StoreError;
use app::ports::{Insert, NewReview};
use aws_sdk_dynamodb::types::AttributeValue;

impl DynamoStore {
    pub(super) async fn put_review(&self, new: NewReview<'_>) -> Result<Insert, StoreError> {
        let review = new.review;
        let mut item = Item::with_capacity(16);
        item.insert(PK.into(), s(review_pk(&review.review_id)));
        item.insert(SK.into(), s(REVIEW_SK));
        item.insert(attr::TYPE.into(), s(item_type::REVIEW));
        item.insert(attr::REVIEW_ID.into(), s(&review.review_id));
        item.insert(attr::BUSINESS_ID.into(), s(&review.business_id));
        if let Some(lead_id) = &review.lead_id {
            item.insert(attr::LEAD_ID.into(), s(lead_id));
        }
        if let Some(category_id) = &review.category_id {
            item.insert(
                attr::CATEGORY_ID.into(),
                s(cut(category_id, MAX_COPIED_BYTES)),
            );
        }
        if let Some(rating) = review.rating {
            item.insert(attr::RATING.into(), n(u64::from(rating)));
        }
        if let Some(verified) = review.verified {
            item.insert(attr::VERIFIED.into(), AttributeValue::Bool(verified));
        }
        if let Some(time) = &review.create_time {
            item.insert(attr::CREATE_TIME.into(), s(cut(time, MAX_COPIED_BYTES)));
        }
        item.insert(attr::RAW.into(), s(new.raw));
        item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
        insert_warnings(&mut item, new.warnings);
        let seconds = review
            .create_time
            .as_deref()
            .and_then(unix_seconds)
            .unwrap_or(new.received_at_ms / 1000);
        item.insert(GSI1_PK.into(), s(business_reviews_pk(&review.business_id)));
        item.insert(
            GSI1_SK.into(),
            s(review_index_sk(seconds, &review.review_id)),
        );
        self.insert(item).await
    }

    /// The review's entry in its lead's partition: the same body, so the conversation query has it.
    pub(super) async fn put_lead_review(
        &self,
        new: NewReview<'_>,
        lead_id: &str,
    ) -> Result<(), StoreError> {
        let mut item = Item::with_capacity(6);
        item.insert(PK.into(), s(lead_pk(lead_id)));
        item.insert(SK.into(), s(lead_review_sk(&new.review.review_id)));
        item.insert(attr::TYPE.into(), s(item_type::LEAD_REVIEW));
        item.insert(attr::REVIEW_ID.into(), s(&new.review.review_id));
        item.insert(attr::RAW.into(), s(new.raw));
        item.insert(attr::RECEIVED_AT.into(), n(new.received_at_ms));
        // The first one stays: a redelivery finds it there.
        self.insert_item(item).await.map(|_| ())
    }
}

/// A review time as unix seconds: digits are seconds; `YYYY-MM-DDTHH:MM:SS` (any fraction and
/// zone after it ignored but `Z`/`±hh:mm`) is read as UTC with its offset.
pub(super) fn unix_seconds(time: &str) -> Option<u64> {
    if !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit()) {
        return time.parse().ok();
    }
    let bytes = time.as_bytes();
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b' ')
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| time.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let mut seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    // An offset after the seconds (and any fraction): `+hh:mm` or `-hh:mm` is subtracted.
    let rest = &time[19..];
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(sign @ ('+' | '-')) = rest.chars().next() {
        let offset = rest.get(1..3)?.parse::<i64>().ok()? * 3600
            + rest
                .get(4..6)
                .and_then(|m| m.parse::<i64>().ok())
                .unwrap_or(0)
                * 60;
        seconds += if sign == '+' { -offset } else { offset };
    }
    u64::try_from(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::unix_seconds;

    #[test]
    fn review_times_are_read_as_unix_seconds_or_not_at_all() {
        assert_eq!(unix_seconds("2025-06-09T15:04:05Z"), Some(1_749_481_445));
        assert_eq!(
            unix_seconds("2025-06-09T15:04:05.250Z"),
            Some(1_749_481_445)
        );
        assert_eq!(
            unix_seconds("2025-06-09T17:04:05+02:00"),
            Some(1_749_481_445)
        );
        assert_eq!(unix_seconds("1749481445"), Some(1_749_481_445));
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        for bad in [
            "",
            "yesterday",
            "2025-13-01T00:00:00Z",
            "2025-06-09",
            "06/09/2025 15:04",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }
}
