//! The `data` of v4 deliveries, shaped as the captures in facts §3.2–3.4 (values invented).

use crate::ids::now_rfc3339;
use crate::state::State;
use serde_json::{Value, json};

/// The customer of a simulated request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Customer {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
}

impl Default for Customer {
    fn default() -> Self {
        Customer {
            first_name: "Pat".into(),
            last_name: "Customer".into(),
            phone: "6695550100".into(),
        }
    }
}

/// The name Thumbtack's "Test this webhook" puts on the real business id (facts §3.6).
pub const TEST_BUSINESS_NAME: &str = "Test Business for Webhooks";

/// A `NegotiationCreatedV4` `data`, stored as the negotiation itself.
pub fn negotiation(
    state: &mut State,
    business_id: &str,
    business_name: &str,
    customer: &Customer,
    description: &str,
) -> Value {
    let negotiation_id = state.new_id();
    let customer_id = state.new_id();
    let request_id = state.new_id();
    json!({
        "negotiationID": negotiation_id,
        "createdAt": now_rfc3339(),
        "status": "Open",
        "chargeState": "Created",
        "leadPrice": "$25.00",
        "leadPriceBreakdown": { "subtotal": "$23.15", "salesTax": "$1.85" },
        "business": { "businessID": business_id, "name": business_name },
        "customer": { "customerID": customer_id, "firstName": customer.first_name,
                      "lastName": customer.last_name, "phone": customer.phone },
        "estimate": { "type": "Fixed", "total": "$150.00", "pricePerUnit": "150.00",
                      "unitName": "service", "unitQuantity": 1 },
        "request": {
            "requestID": request_id,
            "customerID": customer_id,
            "description": description,
            "category": { "categoryID": "240123621172183344", "name": "Full Service Lawn Care" },
            "location": { "address1": "1 Example St", "address2": "", "city": "San Francisco",
                          "state": "CA", "zipCode": "94103" },
            "details": [ { "question": "Frequency of services", "answer": "One time only" } ]
        }
    })
}

/// The test fixture "Test this webhook" sends: the lawn-care lead, "Test Customer", phone
/// `1234567890`, the real business id (facts §3.6).
pub fn test_negotiation(state: &mut State, business_id: &str) -> Value {
    let customer = Customer {
        first_name: "Test".into(),
        last_name: "Customer".into(),
        phone: "1234567890".into(),
    };
    negotiation(
        state,
        business_id,
        TEST_BUSINESS_NAME,
        &customer,
        "Need Full Service Lawn Care",
    )
}

/// A `MessageCreatedV4` `data` on a stored negotiation: both `customer` and `business` blocks, as
/// in every live capture (facts §3.3), whoever wrote it.
pub fn message(state: &mut State, negotiation: &Value, from: &str, text: &str) -> Value {
    let business_id = negotiation["business"]["businessID"].clone();
    let business_name = business_id
        .as_str()
        .and_then(|id| state.business(id))
        .map(|(_, b)| b.name.clone())
        .unwrap_or_default();
    let customer = &negotiation["customer"];
    let display = format!(
        "{} {}",
        customer["firstName"].as_str().unwrap_or(""),
        customer["lastName"].as_str().unwrap_or("")
    );
    json!({
        "messageID": state.new_id(),
        "negotiationID": negotiation["negotiationID"],
        "from": from,
        "text": text,
        "sentAt": now_rfc3339(),
        "customer": { "customerID": customer["customerID"], "displayName": display.trim() },
        "business": { "businessID": business_id, "displayName": business_name },
    })
}

/// A `ReviewCreatedV4` `data`: unverified, the REST review item (facts §3.4).
pub fn review(state: &mut State, negotiation: &Value, rating: u8, text: &str) -> Value {
    let customer = &negotiation["customer"];
    let reviewer = format!(
        "{}{}",
        customer["firstName"]
            .as_str()
            .unwrap_or("")
            .chars()
            .next()
            .unwrap_or('A'),
        customer["lastName"]
            .as_str()
            .unwrap_or("")
            .chars()
            .next()
            .unwrap_or('B'),
    );
    json!({
        "reviewID": state.new_id(),
        "rating": rating,
        "reviewText": text,
        "reviewerName": reviewer,
        "createTime": now_rfc3339(),
        "negotiationID": negotiation["negotiationID"],
        "categoryID": negotiation["request"]["category"]["categoryID"],
        "images": [],
    })
}
