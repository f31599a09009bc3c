//! Stored bodies read back. A record keeps the body as received: a legacy payload, or a v4
//! envelope. These read either as the fact legacy has, so that the read side serves both
//! contracts alike; the contract is the body's shape (a v4 envelope has an `event` object, no
//! legacy payload has one), so records stored before v4 need no mark and no migration.

use super::Delivery;
use super::facts::{Fact, LeadV4Fields, Received};
use crate::contract::Contract;
use crate::lead::Lead;
use crate::message::InboundMessage;
use crate::review::ReviewDelivery;
use serde_json::value::RawValue;

/// The contract whose body `raw` is.
pub fn contract_of(raw: &str) -> Contract {
    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        event: Option<&'a RawValue>,
    }
    match serde_json::from_str::<Probe<'_>>(raw) {
        Ok(Probe { event: Some(event) }) if event.get().starts_with('{') => Contract::V4,
        _ => Contract::Legacy,
    }
}

/// Whether a stored lead body is a test lead, in one pass over it whichever its contract:
/// Thumbtack's v4 "Test this webhook" delivery (`data.business.name` is
/// [`super::TEST_BUSINESS_NAME`], its only mark, facts §3.6), or a legacy lead with `"isTest": true`
/// or a `leadID` starting `test-` (the sandbox's and the smoke test's). Everything else in the body
/// is skipped unread, so the speed function and the store can ask it on every lead.
pub fn is_test(raw: &str) -> bool {
    marks(raw).test
}

/// What a stored body says of itself, in one pass: its contract ([`contract_of`]) and whether it
/// is a test ([`is_test`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marks {
    pub contract: Contract,
    pub test: bool,
}

/// [`Marks`] of a body: what the store writes on a lead item, read once.
pub fn marks(raw: &str) -> Marks {
    use std::borrow::Cow;
    #[derive(serde::Deserialize)]
    struct Read<'a> {
        #[serde(borrow, default)]
        event: Option<&'a RawValue>,
        #[serde(borrow, default)]
        data: Option<&'a RawValue>,
        #[serde(rename = "isTest", default)]
        is_test: Option<serde_json::Value>,
        #[serde(rename = "leadID", borrow, default)]
        lead_id: Option<Cow<'a, str>>,
    }
    #[derive(serde::Deserialize)]
    struct Data<'a> {
        #[serde(borrow, default)]
        business: Option<Business<'a>>,
    }
    #[derive(serde::Deserialize)]
    struct Business<'a> {
        #[serde(borrow, default)]
        name: Option<Cow<'a, str>>,
    }
    let Ok(read) = serde_json::from_str::<Read<'_>>(raw) else {
        return Marks {
            contract: Contract::Legacy,
            test: false,
        };
    };
    // The contract as [`contract_of`] tells it: a v4 envelope has an `event` object.
    if read.event.is_some_and(|event| event.get().starts_with('{')) {
        // Read only now: a legacy body's `data`, whatever it holds, is not its concern.
        let test = read
            .data
            .and_then(|data| serde_json::from_str::<Data<'_>>(data.get()).ok())
            .and_then(|data| data.business?.name)
            .is_some_and(|name| name == super::TEST_BUSINESS_NAME);
        return Marks {
            contract: Contract::V4,
            test,
        };
    }
    Marks {
        contract: Contract::Legacy,
        test: read.is_test == Some(serde_json::Value::Bool(true))
            || read.lead_id.is_some_and(|id| id.starts_with("test-")),
    }
}

/// A stored lead as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLead {
    pub lead: Lead,
    pub contract: Contract,
    /// A v4 lead's fields legacy has no place for.
    pub v4: Option<LeadV4Fields>,
    /// Thumbtack's v4 test delivery.
    pub test: bool,
}

/// Unix milliseconds of the record's receipt: the time of a v4 fact whose own is unreadable.
fn received(at_ms: u64, business_id: &str) -> Received<'_> {
    Received {
        webhook_business_id: business_id,
        at_ms,
    }
}

/// The v4 fact of a stored envelope, if it still reads as one.
fn fact(raw: &str, received: Received<'_>) -> Option<Fact> {
    let parsed = Delivery::parse(raw.as_bytes()).ok()?;
    Some(Fact::from_delivery(&parsed.value, received))
}

/// A stored lead body (`received_at_ms`: its record's), or `None` should a later version of the
/// rules no longer read it.
pub fn lead(raw: &str, received_at_ms: u64) -> Option<StoredLead> {
    match contract_of(raw) {
        Contract::Legacy => Some(StoredLead {
            lead: Lead::parse(raw.as_bytes()).ok()?.value,
            contract: Contract::Legacy,
            v4: None,
            test: false,
        }),
        // A lead names its business itself.
        Contract::V4 => match fact(raw, received(received_at_ms, ""))? {
            Fact::Lead(fact) => Some(StoredLead {
                lead: fact.lead,
                contract: Contract::V4,
                v4: Some(fact.v4),
                test: fact.test,
            }),
            _ => None,
        },
    }
}

/// A stored message body; a v4 message that names no business is `business_id`'s (its lead's).
pub fn message(raw: &str, business_id: &str, received_at_ms: u64) -> Option<InboundMessage> {
    match contract_of(raw) {
        Contract::Legacy => Some(InboundMessage::parse(raw.as_bytes()).ok()?.value),
        Contract::V4 => match fact(raw, received(received_at_ms, business_id))? {
            Fact::Message(fact) => Some(fact.message),
            _ => None,
        },
    }
}

/// A stored review body; a v4 review is `business_id`'s (its webhook's, or its lead's).
pub fn review(raw: &str, business_id: &str, received_at_ms: u64) -> Option<ReviewDelivery> {
    match contract_of(raw) {
        Contract::Legacy => Some(ReviewDelivery::parse(raw.as_bytes()).ok()?.value),
        Contract::V4 => match fact(raw, received(received_at_ms, business_id))? {
            Fact::Review(review) => Some(review),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_with_an_event_object_is_v4_and_any_other_is_legacy() {
        assert_eq!(contract_of(r#"{"event": {}, "data": {}}"#), Contract::V4);
        assert_eq!(contract_of(r#"{"leadID": "1"}"#), Contract::Legacy);
        assert_eq!(contract_of(r#"{"event": "x"}"#), Contract::Legacy);
        assert_eq!(contract_of("not json"), Contract::Legacy);
    }

    #[test]
    fn a_test_lead_is_told_in_one_pass_whichever_its_contract() {
        let v4 = |name: &str| {
            format!(
                r#"{{"event": {{"eventType": "NegotiationCreatedV4"}},
                    "data": {{"negotiationID": "1", "business": {{"businessID": "b", "name": "{name}"}}}}}}"#
            )
        };
        assert!(is_test(&v4(super::super::TEST_BUSINESS_NAME)));
        assert!(!is_test(&v4("Example Lawn Co")));
        assert!(is_test(r#"{"leadID": "1", "isTest": true}"#));
        assert!(is_test(r#"{"leadID": "test-1"}"#));
        assert!(!is_test(r#"{"leadID": "1", "isTest": "yes"}"#));
        assert!(!is_test(r#"{"leadID": "1"}"#));
        // A legacy body's marks are not read into a v4 one, nor the other way round.
        assert!(!is_test(
            r#"{"event": {}, "data": {"business": {}}, "isTest": true, "leadID": "test-1"}"#
        ));
        assert!(!is_test(
            r#"{"leadID": "1", "data": {"business": {"name": "Test Business for Webhooks"}}}"#
        ));
        assert!(is_test(r#"{"leadID": "1", "isTest": true, "data": "x"}"#));
        assert!(!is_test("not json"));
    }
}
