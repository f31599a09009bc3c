//! `POST /v1/lead`: a customer's job request for one of the partner's pros.

use crate::ids::is_valid_id;
use crate::path::Path;
use crate::problems::Invalid;
use crate::time::UnixSeconds;
use crate::walk::{Object, Walker, parse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    #[serde(rename = "leadID")]
    pub lead_id: String,
    pub create_timestamp: UnixSeconds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub request: Request,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub customer: Customer,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub business: Business,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(rename = "requestID")]
    pub request_id: String,
    pub category: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub location: Location,
    pub travel_preferences: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::map_only::objects"
    )]
    pub details: Vec<Detail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub city: String,
    /// Two-letter abbreviation, as received (case kept).
    pub state: String,
    /// Five digits.
    pub zip_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    #[serde(rename = "customerID")]
    pub customer_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    #[serde(rename = "businessID")]
    pub business_id: String,
    pub name: String,
}

pub const STATE_RULE: &str = "must be a two-letter state abbreviation";
pub const ZIP_RULE: &str = "must be a five-digit ZIP code";

fn is_state(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_zip(text: &str) -> bool {
    text.len() == 5 && text.bytes().all(|b| b.is_ascii_digit())
}

impl Lead {
    /// Parses and validates a lead body, reporting every problem with its path. Unknown fields are
    /// ignored here; the caller keeps the raw body, so nothing Thumbtack adds is lost.
    pub fn parse(body: &[u8]) -> Result<Lead, Invalid> {
        parse(body, Lead::follows_the_rules, read_lead)
    }

    /// The walker alone, without the fast path: the tests check that both agree on every input.
    #[doc(hidden)]
    pub fn parse_by_walking(body: &[u8]) -> Result<Lead, Invalid> {
        crate::walk::walk_only(body, read_lead)
    }

    /// The rules the typed parse cannot check (the walker checks the same, field by field).
    fn follows_the_rules(&self) -> bool {
        let request = &self.request;
        let named = |text: &str| !text.trim().is_empty();
        is_valid_id(&self.lead_id)
            && is_valid_id(&request.request_id)
            && is_valid_id(&self.customer.customer_id)
            && is_valid_id(&self.business.business_id)
            && named(&request.category)
            && named(&request.title)
            && named(&request.location.city)
            && named(&self.customer.name)
            && named(&self.business.name)
            && is_state(&request.location.state)
            && is_zip(&request.location.zip_code)
    }
}

fn read_lead(w: &mut Walker, root: &Object) -> Option<Lead> {
    let top = Path::Root;
    let lead_id = w.id(root, &top.key("leadID"));
    let create_timestamp = w.timestamp(root, &top.key("createTimestamp"));
    let price = w.optional_text(root, &top.key("price"));
    let request = read_request(w, root, &top.key("request"));
    let customer = read_customer(w, root, &top.key("customer"));
    let business = read_business(w, root, &top.key("business"));
    Some(Lead {
        lead_id: lead_id?,
        create_timestamp: create_timestamp?,
        price: price.ok()?,
        request: request?,
        customer: customer?,
        business: business?,
    })
}

fn read_request(w: &mut Walker, parent: &Object, path: &Path<'_>) -> Option<Request> {
    let object = w.object(parent, path)?;
    let request_id = w.id(object, &path.key("requestID"));
    let category = w.non_empty(object, &path.key("category"));
    let title = w.non_empty(object, &path.key("title"));
    let description = w.optional_text(object, &path.key("description"));
    let location = read_location(w, object, &path.key("location"));
    let travel_preferences = w.text(object, &path.key("travelPreferences"));
    let details = read_details(w, object, &path.key("details"));
    Some(Request {
        request_id: request_id?,
        category: category?,
        title: title?,
        description: description.ok()?,
        location: location?,
        travel_preferences: travel_preferences?,
        details: details?,
    })
}

fn read_location(w: &mut Walker, parent: &Object, path: &Path<'_>) -> Option<Location> {
    let object = w.object(parent, path)?;
    let city = w.non_empty(object, &path.key("city"));
    let state = w.formatted(object, &path.key("state"), is_state, STATE_RULE);
    let zip_code = w.formatted(object, &path.key("zipCode"), is_zip, ZIP_RULE);
    Some(Location {
        city: city?,
        state: state?,
        zip_code: zip_code?,
    })
}

/// Optional array; when present every element must be a `{question, answer}` object.
fn read_details(w: &mut Walker, parent: &Object, path: &Path<'_>) -> Option<Vec<Detail>> {
    let items = match parent.get("details") {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            w.report(path, "must be an array");
            return None;
        }
    };
    let mut details = Vec::with_capacity(items.len());
    let mut complete = true;
    for (index, item) in items.iter().enumerate() {
        let item_path = path.index(index);
        let Value::Object(object) = item else {
            w.report(&item_path, "must be an object");
            complete = false;
            continue;
        };
        let question = w.text(object, &item_path.key("question"));
        let answer = w.text(object, &item_path.key("answer"));
        match (question, answer) {
            (Some(question), Some(answer)) => details.push(Detail { question, answer }),
            _ => complete = false,
        }
    }
    complete.then_some(details)
}

fn read_customer(w: &mut Walker, parent: &Object, path: &Path<'_>) -> Option<Customer> {
    let object = w.object(parent, path)?;
    let customer_id = w.id(object, &path.key("customerID"));
    let name = w.non_empty(object, &path.key("name"));
    Some(Customer {
        customer_id: customer_id?,
        name: name?,
    })
}

fn read_business(w: &mut Walker, parent: &Object, path: &Path<'_>) -> Option<Business> {
    let object = w.object(parent, path)?;
    let business_id = w.id(object, &path.key("businessID"));
    let name = w.non_empty(object, &path.key("name"));
    Some(Business {
        business_id: business_id?,
        name: name?,
    })
}
