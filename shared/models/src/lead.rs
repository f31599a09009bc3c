//! `POST /v1/lead`: a customer's job request for one of the partner's pros.

use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::{Invalid, Parsed};
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub request: Request,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub customer: Customer,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub business: Business,
    /// `leadType` (AVAILABILITY, INSTANT_BOOK, REQUEST_A_QUOTE... Thumbtack adds values), when a
    /// string. No rule of ours applies to it, so any other value is left out without a warning.
    #[serde(
        rename = "leadType",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_none"
    )]
    pub lead_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(rename = "requestID", default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub travel_preferences: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::map_only::objects"
    )]
    pub details: Vec<Detail>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Two-letter abbreviation, as received (case kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
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

fn is_state(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `95125`, `95125-1234` or `951251234`.
fn is_zip(text: &str) -> bool {
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
        let named = |text: &Option<String>| text.as_deref().is_some_and(|t| !t.trim().is_empty());
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
    }
}

fn read_lead(w: &mut Walker, root: &Entries) -> Option<Lead> {
    let top = Path::Root;
    let lead_id = w.id(Need::Key, root, &top.key("leadID"));
    let create_timestamp = w.timestamp(Need::Key, root, &top.key("createTimestamp"));
    let price = w.optional_text(Need::Field, root, &top.key("price"));
    let request = read_request(w, root, &top.key("request"));
    let customer = read_customer(w, root, &top.key("customer"));
    let business = read_business(w, root, &top.key("business"));
    Some(Lead {
        lead_id: lead_id?,
        create_timestamp: create_timestamp?,
        price,
        request,
        customer,
        business: business?,
        lead_type: read_lead_type(w, root, &top.key("leadType")),
    })
}

/// `leadType` when it is a string, silently nothing otherwise (as [`string_or_none`]).
fn read_lead_type(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<String> {
    let value = w.optional(Need::Field, parent, path)?;
    serde_json::from_str(value.get()).ok()
}

/// The typed path's `leadType`: a string is kept, any other value read past and left out.
fn string_or_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    struct StringOrNone;
    impl<'de> Visitor<'de> for StringOrNone {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(Some(text.to_owned()))
        }

        fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
            Ok(Some(text))
        }

        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Self::Value, A::Error> {
            while items.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
            while entries.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(StringOrNone)
}

fn read_request(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Request {
    let Some(object) = w.object(Need::Field, parent, path) else {
        return Request::default();
    };
    let field = Need::Field;
    Request {
        request_id: w.id(field, &object, &path.key("requestID")),
        category: w.non_empty(field, &object, &path.key("category")),
        title: w.non_empty(field, &object, &path.key("title")),
        description: w.optional_text(field, &object, &path.key("description")),
        location: read_location(w, &object, &path.key("location")),
        travel_preferences: w.text(field, &object, &path.key("travelPreferences")),
        details: read_details(w, &object, &path.key("details")),
    }
}

fn read_location(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Location {
    let Some(object) = w.object(Need::Field, parent, path) else {
        return Location::default();
    };
    let field = Need::Field;
    Location {
        city: w.non_empty(field, &object, &path.key("city")),
        state: w.formatted(field, &object, &path.key("state"), is_state, STATE_RULE),
        zip_code: w.formatted(field, &object, &path.key("zipCode"), is_zip, ZIP_RULE),
    }
}

/// Optional array; when present every element should be a `{question, answer}` object. An element
/// that is not an object is left out of the typed lead (the raw body keeps it).
fn read_details(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Vec<Detail> {
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
    }
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
