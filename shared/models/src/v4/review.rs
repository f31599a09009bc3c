//! `ReviewCreatedV4`: a customer reviewed a business (§3.4). No body was ever captured: read as
//! the Reviews REST item (`reviewID` at the top of `data`, `rating`, `reviewText`,
//! `reviewerName`, `createTime`, `negotiationID`, `categoryID`, `images`), which integrators
//! assume, with `text` read where `reviewText` is missing (other receivers' guess). Its key is
//! `reviewID`. It names no business: its business is the webhook's (the caller's to give).

use super::{optional_id, time};
use crate::path::Path;
use crate::walk::{Entries, Need, Walker};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewCreatedV4 {
    #[serde(rename = "reviewID")]
    pub review_id: String,
    /// Stars, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The customer's words (`reviewText`, or `text`): personal, never in logs or events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_text: Option<String>,
    /// Personal, never in logs or events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer_name: Option<String>,
    /// RFC 3339, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// The lead it is about, when it names one.
    #[serde(
        rename = "negotiationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub negotiation_id: Option<String>,
    #[serde(
        rename = "categoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub category_id: Option<String>,
    /// Should Thumbtack name the business after all.
    #[serde(
        rename = "businessID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub business_id: Option<String>,
    /// How many images came with it (the raw body keeps them).
    #[serde(default)]
    pub image_count: usize,
}

pub(super) fn read(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<ReviewCreatedV4> {
    let object = w.object(Need::Key, parent, path)?;
    let review_id = w.id(Need::Key, &object, &path.key("reviewID"));
    let field = Need::Field;
    let rating_path = path.key("rating");
    let rating = w.required(field, &object, &rating_path).and_then(|value| {
        match serde_json::from_str::<u64>(value.get()) {
            Ok(stars @ 1..=5) => u8::try_from(stars).ok(),
            _ => {
                w.report(field, &rating_path, "must be a whole number from 1 to 5");
                None
            }
        }
    });
    // Other receivers guess `text`: read when `reviewText` is not there.
    let words = if !object.has("reviewText") && object.has("text") {
        "text"
    } else {
        "reviewText"
    };
    let review_text = w.optional_text(field, &object, &path.key(words));
    let reviewer_name = w.optional_text(field, &object, &path.key("reviewerName"));
    let create_time = time(w, &object, &path.key("createTime"));
    let negotiation_id = optional_id(w, &object, &path.key("negotiationID"));
    let category_id = w.optional_text(field, &object, &path.key("categoryID"));
    let business_id = optional_id(w, &object, &path.key("businessID"));
    let images = w.optional_array(field, &object, &path.key("images"));
    Some(ReviewCreatedV4 {
        review_id: review_id?,
        rating,
        review_text,
        reviewer_name,
        create_time,
        negotiation_id,
        category_id,
        business_id,
        image_count: images.len(),
    })
}
