//! `POST /v1/review`: a customer's review of a business, maybe of one lead:
//! `{"review": {"reviewID", "businessID", "leadID"?, "categoryID"?, "rating", "text"?,
//! "reviewerName"?, "createTime", "modifyTime"?, "verified", "photos": [...]},
//! "reviewEventType": "REVIEW_ADDED"}`.

use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::{Invalid, Parsed};
use crate::time::time_as_unix_seconds;
use crate::walk::{Entries, Need, Walker, parse};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};

/// A review delivery as we keep it typed. Its keys are `review.reviewID` and `review.businessID`;
/// any other problem is a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDelivery {
    #[serde(deserialize_with = "crate::map_only::object")]
    pub review: Review,
    /// `REVIEW_ADDED`; another value is kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_event_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    #[serde(rename = "reviewID")]
    pub review_id: String,
    #[serde(rename = "businessID")]
    pub business_id: String,
    /// The lead it is about, when Thumbtack names one.
    #[serde(rename = "leadID", default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    #[serde(
        rename = "categoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub category_id: Option<String>,
    /// Stars, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The customer's words: personal, never in logs or events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Personal, never in logs or events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer_name: Option<String>,
    /// As sent: a date-time string, or unix seconds (kept as their digits).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_whole_number"
    )]
    pub create_time: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "text_or_whole_number"
    )]
    pub modify_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// How many photos came with it (the raw body keeps their URLs): `photos` on the wire,
    /// `photoCount` in what we show.
    #[serde(
        default,
        rename(serialize = "photoCount", deserialize = "photos"),
        serialize_with = "photo_count",
        deserialize_with = "count_photos"
    )]
    pub photo_count: usize,
}

fn photo_count<S: serde::Serializer>(count: &usize, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(*count as u64)
}

fn count_photos<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    Ok(Option::<Vec<IgnoredAny>>::deserialize(deserializer)?.map_or(0, |all| all.len()))
}

/// A string, or a whole number kept as its digits; `null` is none.
fn text_or_whole_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Time {
        Whole(u64),
        Text(String),
    }
    Ok(
        Option::<Time>::deserialize(deserializer)?.map(|time| match time {
            Time::Whole(seconds) => seconds.to_string(),
            Time::Text(text) => text,
        }),
    )
}

fn is_rating(stars: u64) -> bool {
    (1..=5).contains(&stars)
}

impl ReviewDelivery {
    pub fn parse(body: &[u8]) -> Result<Parsed<ReviewDelivery>, Invalid> {
        parse(body, ReviewDelivery::follows_the_rules, read_delivery)
    }

    /// The walker alone, without the fast path: the tests check that both agree on every input.
    #[doc(hidden)]
    pub fn parse_by_walking(body: &[u8]) -> Result<Parsed<ReviewDelivery>, Invalid> {
        crate::walk::walk_only(body, read_delivery)
    }

    fn follows_the_rules(&self) -> bool {
        let review = &self.review;
        is_valid_id(&review.review_id)
            && is_valid_id(&review.business_id)
            && review.lead_id.as_deref().is_none_or(is_valid_id)
            && review.rating.is_some_and(|r| is_rating(u64::from(r)))
            && review.create_time.as_deref().is_some_and(is_time)
            && review.modify_time.as_deref().is_none_or(is_time)
            && review.verified.is_some()
            && self.review_event_type.is_some()
    }
}

fn read_delivery(w: &mut Walker, root: &Entries) -> Option<ReviewDelivery> {
    let top = Path::Root;
    let review = read_review(w, root, &top.key("review"));
    let review_event_type = w.text(Need::Field, root, &top.key("reviewEventType"));
    Some(ReviewDelivery {
        review: review?,
        review_event_type,
    })
}

fn read_review(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<Review> {
    let object = w.object(Need::Key, parent, path)?;
    let review_id = w.id(Need::Key, &object, &path.key("reviewID"));
    let business_id = w.id(Need::Key, &object, &path.key("businessID"));
    let field = Need::Field;
    let lead_id = match w.optional(field, &object, &path.key("leadID")) {
        None => None,
        Some(_) => w.id(field, &object, &path.key("leadID")),
    };
    let category_id = w.optional_text(field, &object, &path.key("categoryID"));
    let rating_path = path.key("rating");
    let rating = match w.required(field, &object, &rating_path) {
        None => None,
        Some(value) => match serde_json::from_str::<u64>(value.get()) {
            Ok(stars) if is_rating(stars) => u8::try_from(stars).ok(),
            _ => {
                w.report(field, &rating_path, "must be a whole number from 1 to 5");
                None
            }
        },
    };
    let text = w.optional_text(field, &object, &path.key("text"));
    let reviewer_name = w.optional_text(field, &object, &path.key("reviewerName"));
    let create_path = path.key("createTime");
    let create_time = match w.required(field, &object, &create_path) {
        None => None,
        Some(value) => match time(w, value, &create_path) {
            Some(time) if time.trim().is_empty() => {
                w.report(field, &create_path, "must not be empty");
                None
            }
            time => time,
        },
    };
    let modify_path = path.key("modifyTime");
    let modify_time = match w.optional(field, &object, &modify_path) {
        None => None,
        Some(value) => time(w, value, &modify_path),
    };
    let verified_path = path.key("verified");
    let verified = match w.required(field, &object, &verified_path) {
        None => None,
        Some(value) => {
            let read = serde_json::from_str::<bool>(value.get()).ok();
            if read.is_none() {
                w.report(field, &verified_path, "must be true or false");
            }
            read
        }
    };
    let photos = w.optional_array(field, &object, &path.key("photos"));
    Some(Review {
        review_id: review_id?,
        business_id: business_id?,
        lead_id,
        category_id,
        rating,
        text,
        reviewer_name,
        create_time,
        modify_time,
        verified,
        photo_count: photos.len(),
    })
}

/// A time we can place: a date-time or unix seconds within a lead's `createTimestamp` bounds
/// ([`time_as_unix_seconds`]). Unbounded, a value of 13 digits or more (milliseconds,
/// `18446744073709551615`) would overflow the listing's 12-digit sort key and stay first for ever.
fn is_time(text: &str) -> bool {
    time_as_unix_seconds(text).is_some()
}

/// A time: a date-time string, or unix seconds as a string of digits or a whole number (kept as
/// its digits); kept as sent when [`is_time`], else a warning and not kept (the raw body has it).
fn time(w: &mut Walker, value: &serde_json::value::RawValue, path: &Path<'_>) -> Option<String> {
    let text = value.get();
    let read = if text.starts_with('"') {
        serde_json::from_str::<String>(text).ok()
    } else {
        serde_json::from_str::<u64>(text)
            .ok()
            .map(|n| n.to_string())
    };
    match read {
        Some(time) if time.trim().is_empty() || is_time(&time) => Some(time),
        _ => {
            w.report(
                Need::Field,
                path,
                "must be a date-time (YYYY-MM-DDTHH:MM:SS, UTC or with an offset) or unix seconds",
            );
            None
        }
    }
}
