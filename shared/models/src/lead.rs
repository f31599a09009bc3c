//! `POST /v1/lead`: a customer's job request for one of the partner's pros.

use crate::attachment::{Attachment, read_attachments};
use crate::ids::is_valid_id;
use crate::lead_type::LeadType;
use crate::path::Path;
use crate::problems::{Invalid, Parsed};
use crate::text::has_visible_text;
use crate::time::UnixSeconds;
use crate::walk::{Entries, Need, Walker, parse};
use serde::{Deserialize, Serialize};

/// A lead as we keep it typed. Only its keys are certain: `leadID`, `createTimestamp` and
/// `business.businessID`. Every other field is `None` when Thumbtack left it out or sent something
/// unusable (the raw body keeps what was sent, and a warning says what was wrong).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    pub create_timestamp: UnixSeconds,
    /// What kind of lead: a known value, or a newer one kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_type: Option<LeadType>,
    /// The job's estimate, free text (`"$258/hour"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// What the pro pays for the lead (`"$25.00"`); may come later, in a lead update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_price: Option<String>,
    /// `"Charged"`, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_state: Option<String>,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub request: Request,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub customer: Customer,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub business: Business,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(rename = "requestID", default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Thumbtack's id of the category.
    #[serde(
        rename = "categoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub category_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub travel_preferences: Option<String>,
    /// Free text over several lines: `"Date: ...\nTime: ...\nLength: ..."`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::map_only::objects"
    )]
    pub details: Vec<Detail>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::map_only::objects"
    )]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Two-letter abbreviation, as received (case kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Street address, for booking-like leads (seen as `""`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    /// Five digits, or ZIP+4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    #[serde(
        rename = "customerID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// "If we have it": personal data, never in logs, events or indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    #[serde(rename = "businessID")]
    pub business_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

pub const STATE_RULE: &str = "must be a two-letter state abbreviation";
pub const ZIP_RULE: &str = "must be a five-digit ZIP code or a ZIP+4";

pub(crate) fn is_state(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `95125`, `95125-1234` or `951251234`.
pub(crate) fn is_zip(text: &str) -> bool {
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    match text.len() {
        5 | 9 => digits(text),
        10 => text.as_bytes()[5] == b'-' && digits(&text[..5]) && digits(&text[6..]),
        _ => false,
    }
}

impl Lead {
    /// Parses a lead body. Refuses it, naming every problem with its path, only when a key is
    /// missing or unusable; any other problem is a warning beside the lead. Unknown fields are
    /// ignored here; the caller keeps the raw body, so nothing Thumbtack adds is lost.
    pub fn parse(body: &[u8]) -> Result<Parsed<Lead>, Invalid> {
        parse(body, Lead::follows_the_rules, read_lead)
    }

    /// The walker alone, without the fast path: the tests check that both agree on every input.
    #[doc(hidden)]
    pub fn parse_by_walking(body: &[u8]) -> Result<Parsed<Lead>, Invalid> {
        crate::walk::walk_only(body, read_lead)
    }

    /// True when the walker would find nothing to warn about: every field the spec requires is
    /// there and well formed (the walker checks the same, field by field).
    fn follows_the_rules(&self) -> bool {
        let request = &self.request;
        let location = &request.location;
        let id = |id: &Option<String>| id.as_deref().is_some_and(is_valid_id);
        let named = |text: &Option<String>| text.as_deref().is_some_and(has_visible_text);
        is_valid_id(&self.lead_id)
            && is_valid_id(&self.business.business_id)
            && id(&request.request_id)
            && id(&self.customer.customer_id)
            && named(&request.category)
            && named(&request.title)
            && named(&location.city)
            && named(&self.customer.name)
            && named(&self.business.name)
            && location.state.as_deref().is_some_and(is_state)
            && location.zip_code.as_deref().is_some_and(is_zip)
            && request.travel_preferences.is_some()
            && request
                .details
                .iter()
                .all(|d| d.question.is_some() && d.answer.is_some())
            && self
                .lead_type
                .as_ref()
                .is_none_or(|kind| !kind.as_str().trim().is_empty())
    }
}

fn read_lead(w: &mut Walker, root: &Entries) -> Option<Lead> {
    let top = Path::Root;
    let lead_id = w.id(Need::Key, root, &top.key("leadID"));
    let create_timestamp = w.timestamp(Need::Key, root, &top.key("createTimestamp"));
    let lead_type = read_lead_type(w, root, &top.key("leadType"));
    let price = w.optional_text(Need::Field, root, &top.key("price"));
    let lead_price = w.optional_text(Need::Field, root, &top.key("leadPrice"));
    let charge_state = w.optional_text(Need::Field, root, &top.key("chargeState"));
    let request = read_request(w, root, &top.key("request"));
    let customer = read_customer(w, root, &top.key("customer"));
    let business = read_business(w, root, &top.key("business"));
    Some(Lead {
        lead_id: lead_id?,
        create_timestamp: create_timestamp?,
        lead_type,
        price,
        lead_price,
        charge_state,
        request,
        customer,
        business: business?,
    })
}

fn read_request(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Request {
    let Some(object) = w.object(Need::Field, parent, path) else {
        return Request::default();
    };
    let field = Need::Field;
    Request {
        request_id: w.id(field, &object, &path.key("requestID")),
        category: w.non_empty(field, &object, &path.key("category")),
        category_id: w.optional_text(field, &object, &path.key("categoryID")),
        title: w.non_empty(field, &object, &path.key("title")),
        description: w.optional_text(field, &object, &path.key("description")),
        location: read_location(w, &object, &path.key("location")),
        travel_preferences: w.text(field, &object, &path.key("travelPreferences")),
        schedule: w.optional_text(field, &object, &path.key("schedule")),
        details: read_details(w, &object, &path.key("details")),
        attachments: read_attachments(w, &object, &path.key("attachments")),
    }
}

pub(crate) fn read_location(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Location {
    let Some(object) = w.object(Need::Field, parent, path) else {
        return Location::default();
    };
    let field = Need::Field;
    Location {
        city: w.non_empty(field, &object, &path.key("city")),
        address1: w.optional_text(field, &object, &path.key("address1")),
        address2: w.optional_text(field, &object, &path.key("address2")),
        state: w.formatted(field, &object, &path.key("state"), is_state, STATE_RULE),
        zip_code: w.formatted(field, &object, &path.key("zipCode"), is_zip, ZIP_RULE),
    }
}

/// Optional array; when present every element should be a `{question, answer}` object. An element
/// that is not an object is left out of the typed lead (the raw body keeps it).
pub(crate) fn read_details(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Vec<Detail> {
    let items = w.optional_array(Need::Field, parent, path);
    let mut details = Vec::with_capacity(items.len().min(64));
    for (index, item) in items.into_iter().enumerate() {
        let item_path = path.index(index);
        let Some(object) = w.entries(Need::Field, item, &item_path) else {
            continue;
        };
        details.push(Detail {
            question: w.text(Need::Field, &object, &item_path.key("question")),
            answer: w.text(Need::Field, &object, &item_path.key("answer")),
        });
    }
    details
}

fn read_customer(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Customer {
    let Some(object) = w.object(Need::Field, parent, path) else {
        return Customer::default();
    };
    Customer {
        customer_id: w.id(Need::Field, &object, &path.key("customerID")),
        name: w.non_empty(Need::Field, &object, &path.key("name")),
        phone: w.optional_text(Need::Field, &object, &path.key("phone")),
    }
}

/// A known lead type or a newer one; an empty one is a warning.
fn read_lead_type(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<LeadType> {
    let text = w.optional_text(Need::Field, parent, path)?;
    if text.trim().is_empty() {
        w.report(Need::Field, path, "must not be empty");
        return None;
    }
    Some(LeadType::from_wire(&text))
}

fn read_business(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<Business> {
    let object = w.object(Need::Key, parent, path)?;
    let business_id = w.id(Need::Key, &object, &path.key("businessID"));
    let name = w.non_empty(Need::Field, &object, &path.key("name"));
    Some(Business {
        business_id: business_id?,
        name,
    })
}
