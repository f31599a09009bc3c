//! `NegotiationCreatedV4`: a customer contacted a business with a request (§3.2). Its keys are
//! `negotiationID` (the lead id) and `business.businessID` (whose lead it is).
//!
//! Where sources disagree, both are read: `createdAt` (webhook captures) or `createTime` (the
//! docs' negotiation sample, §4.3); `customer.firstName`/`lastName` or `displayName`;
//! `request.category` as `{categoryID, name}` or as a name; `travelPreferences` as an array or,
//! as on legacy, one string. Parts the spec calls required but captures lack (`attachments`,
//! `proposedTimes`, `travelPreferences`, `business.imageURL`, §7.12) are optional.

use super::{optional_id, optional_object, optional_time, time};
use crate::attachment::{Attachment, read_attachments};
use crate::lead::{Detail, Location, read_details, read_location};
use crate::path::Path;
use crate::walk::{Entries, Need, Walker};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NegotiationCreatedV4 {
    #[serde(rename = "negotiationID")]
    pub negotiation_id: String,
    /// RFC 3339, as sent (`createdAt`, or the docs' `createTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// `Open`, `Canceled`, `Picked` in the spec; another value kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `Created`, `Pending`, `Charged`, `Refunded` in the spec; another value kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_state: Option<String>,
    /// What the pro pays (`"$25.00"`), a display string kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_price: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::map_only::optional"
    )]
    pub lead_price_breakdown: Option<PriceBreakdown>,
    #[serde(deserialize_with = "crate::map_only::object")]
    pub business: NegotiationBusiness,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub customer: NegotiationCustomer,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub request: NegotiationRequest,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::map_only::optional"
    )]
    pub estimate: Option<Estimate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceBreakdown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_tax: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NegotiationBusiness {
    /// The real id, even in a test delivery.
    #[serde(rename = "businessID")]
    pub business_id: String,
    /// "Test Business for Webhooks" in a test delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "imageURL", default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// The customer: personal data (names, a proxy phone number), never in logs, events or indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NegotiationCustomer {
    #[serde(
        rename = "customerID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// The docs' shape ("First L."); captures of leads carry first and last names instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NegotiationRequest {
    /// Shared by every pro the request went to: never a lead's key.
    #[serde(rename = "requestID", default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(
        rename = "customerID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::map_only::optional"
    )]
    pub category: Option<Category>,
    #[serde(default, deserialize_with = "crate::map_only::object")]
    pub location: Location,
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
    pub proposed_times: Vec<TimeSlot>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::map_only::optional"
    )]
    pub booking: Option<Booking>,
    /// `CustomerTravelToProvider`, `ProviderTravelToCustomer`, `Remote`; others kept as sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub travel_preferences: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::map_only::objects"
    )]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    #[serde(
        rename = "categoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub category_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A time the customer proposed, RFC 3339 as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSlot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A booked slot (spec only): its start and length in minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
}

/// The pro's estimate. Money is display text kept as sent (`total` `"$150.00"`, `pricePerUnit`
/// `"150.00"` without the `$`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// `Fixed`, `PerUnit`, `OnSite`, `Hourly`, `MoreInfo`; others kept as sent.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    /// The only number seen in a capture (`1`); a string of one is read too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_quantity: Option<serde_json::Number>,
}

pub(super) fn read(
    w: &mut Walker,
    parent: &Entries,
    path: &Path<'_>,
) -> Option<NegotiationCreatedV4> {
    let object = w.object(Need::Key, parent, path)?;
    let negotiation_id = w.id(Need::Key, &object, &path.key("negotiationID"));
    let business = read_business(w, &object, &path.key("business"));
    let field = Need::Field;
    // The docs' sample names it `createTime`: read when `createdAt` is not there.
    let created = if !object.has("createdAt") && object.has("createTime") {
        "createTime"
    } else {
        "createdAt"
    };
    let created_at = time(w, &object, &path.key(created));
    let status = w.optional_text(field, &object, &path.key("status"));
    let charge_state = w.optional_text(field, &object, &path.key("chargeState"));
    let lead_price = w.optional_text(field, &object, &path.key("leadPrice"));
    let breakdown_path = path.key("leadPriceBreakdown");
    let lead_price_breakdown =
        optional_object(w, &object, &breakdown_path).map(|breakdown| PriceBreakdown {
            subtotal: w.optional_text(field, &breakdown, &breakdown_path.key("subtotal")),
            sales_tax: w.optional_text(field, &breakdown, &breakdown_path.key("salesTax")),
        });
    let customer = read_customer(w, &object, &path.key("customer"));
    let request = read_request(w, &object, &path.key("request"));
    let estimate = read_estimate(w, &object, &path.key("estimate"));
    Some(NegotiationCreatedV4 {
        negotiation_id: negotiation_id?,
        created_at,
        status,
        charge_state,
        lead_price,
        lead_price_breakdown,
        business: business?,
        customer,
        request,
        estimate,
    })
}

fn read_business(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<NegotiationBusiness> {
    let object = w.object(Need::Key, parent, path)?;
    let business_id = w.id(Need::Key, &object, &path.key("businessID"));
    let field = Need::Field;
    Some(NegotiationBusiness {
        business_id: business_id?,
        name: w.optional_text(field, &object, &path.key("name")),
        image_url: w.optional_text(field, &object, &path.key("imageURL")),
        phone_number: w.optional_text(field, &object, &path.key("phoneNumber")),
    })
}

/// Expected in every lead (a warning when missing); each of its fields optional.
fn read_customer(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> NegotiationCustomer {
    let Some(object) = w.object(Need::Field, parent, path) else {
        return NegotiationCustomer::default();
    };
    let field = Need::Field;
    NegotiationCustomer {
        customer_id: optional_id(w, &object, &path.key("customerID")),
        first_name: w.optional_text(field, &object, &path.key("firstName")),
        last_name: w.optional_text(field, &object, &path.key("lastName")),
        display_name: w.optional_text(field, &object, &path.key("displayName")),
        phone: w.optional_text(field, &object, &path.key("phone")),
    }
}

/// Expected in every lead (a warning when missing), and its location with city, state and ZIP
/// code (the spec's required ones, checked as on legacy); the rest optional.
fn read_request(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> NegotiationRequest {
    let Some(object) = w.object(Need::Field, parent, path) else {
        return NegotiationRequest::default();
    };
    let field = Need::Field;
    NegotiationRequest {
        request_id: optional_id(w, &object, &path.key("requestID")),
        customer_id: optional_id(w, &object, &path.key("customerID")),
        description: w.optional_text(field, &object, &path.key("description")),
        category: read_category(w, &object, &path.key("category")),
        location: read_location(w, &object, &path.key("location")),
        details: read_details(w, &object, &path.key("details")),
        proposed_times: read_time_slots(w, &object, &path.key("proposedTimes")),
        booking: read_booking(w, &object, &path.key("booking")),
        travel_preferences: read_travel(w, &object, &path.key("travelPreferences")),
        attachments: read_attachments(w, &object, &path.key("attachments")),
    }
}

/// `{categoryID, name}` as captured, or a name alone.
fn read_category(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<Category> {
    let value = w.optional(Need::Field, parent, path)?;
    if value.get().starts_with('"') {
        let name = w.optional_text(Need::Field, parent, path)?;
        return Some(Category {
            category_id: None,
            name: Some(name),
        });
    }
    let object = w.entries(Need::Field, value, path)?;
    Some(Category {
        category_id: w.optional_text(Need::Field, &object, &path.key("categoryID")),
        name: w.optional_text(Need::Field, &object, &path.key("name")),
    })
}

fn read_time_slots(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Vec<TimeSlot> {
    let items = w.optional_array(Need::Field, parent, path);
    let mut slots = Vec::with_capacity(items.len().min(16));
    for (index, item) in items.into_iter().enumerate() {
        let item_path = path.index(index);
        let Some(object) = w.entries(Need::Field, item, &item_path) else {
            continue;
        };
        slots.push(TimeSlot {
            start: time(w, &object, &item_path.key("start")),
            end: optional_time(w, &object, &item_path.key("end")),
        });
    }
    slots
}

fn read_booking(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<Booking> {
    let object = optional_object(w, parent, path)?;
    Some(Booking {
        start: time(w, &object, &path.key("start")),
        duration: w.optional_count(Need::Field, &object, &path.key("duration")),
    })
}

/// An array of strings; legacy's one sentence is read as one element.
fn read_travel(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Vec<String> {
    let Some(value) = w.optional(Need::Field, parent, path) else {
        return Vec::new();
    };
    let text = value.get();
    let items: Vec<&RawValue> = if text.starts_with('"') {
        vec![value]
    } else if let Some(items) = text
        .starts_with('[')
        .then(|| serde_json::from_str(text).ok())
        .flatten()
    {
        items
    } else {
        w.report(Need::Field, path, "must be an array of strings");
        return Vec::new();
    };
    let mut preferences = Vec::with_capacity(items.len().min(8));
    for (index, item) in items.into_iter().enumerate() {
        match serde_json::from_str::<String>(item.get()) {
            Ok(preference) => preferences.push(preference),
            Err(_) if text.starts_with('"') => {
                w.report(Need::Field, path, "must be a string of valid Unicode")
            }
            Err(_) => w.report(Need::Field, &path.index(index), "must be a string"),
        }
    }
    preferences
}

fn read_estimate(w: &mut Walker, parent: &Entries, path: &Path<'_>) -> Option<Estimate> {
    let object = optional_object(w, parent, path)?;
    let field = Need::Field;
    let quantity_path = path.key("unitQuantity");
    let unit_quantity = w
        .optional(field, &object, &quantity_path)
        .and_then(|value| {
            let text = value.get();
            let number = if text.starts_with('"') {
                serde_json::from_str::<String>(text)
                    .ok()
                    .and_then(|digits| digits.trim().parse::<serde_json::Number>().ok())
            } else {
                serde_json::from_str::<serde_json::Number>(text).ok()
            };
            if number.is_none() {
                w.report(field, &quantity_path, "must be a number");
            }
            number
        });
    Some(Estimate {
        kind: w.optional_text(field, &object, &path.key("type")),
        total: w.optional_text(field, &object, &path.key("total")),
        price_per_unit: w.optional_text(field, &object, &path.key("pricePerUnit")),
        unit_name: w.optional_text(field, &object, &path.key("unitName")),
        unit_quantity,
    })
}
