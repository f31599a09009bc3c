//! A v4 delivery as the facts legacy already has: a negotiation is a lead, a message a message of
//! its lead (with who wrote it), a review a review routed to its webhook's business; test
//! deliveries marked; a business-side message told apart as our reply's echo or the pro's own.
#![allow(clippy::unwrap_used)]

use models::UnixSeconds;
use models::v4::{
    Delivery, EchoMatch, Fact, LeadFact, MessageFact, Origin, Received, Sender, SentReply, classify,
};
use serde_json::{Value, json};

const WEBHOOK_BUSINESS: &str = "553300000000000001";
const RECEIVED_MS: u64 = 1_800_000_000_123;

fn received() -> Received<'static> {
    Received {
        webhook_business_id: WEBHOOK_BUSINESS,
        at_ms: RECEIVED_MS,
    }
}

fn fact(document: &Value) -> Fact {
    let parsed = Delivery::parse(&serde_json::to_vec(document).unwrap()).unwrap();
    Fact::from_delivery(&parsed.value, received())
}

fn sample(source: &str) -> Value {
    serde_json::from_str(source).unwrap()
}

fn lead_of(document: &Value) -> LeadFact {
    match fact(document) {
        Fact::Lead(lead) => *lead,
        other => panic!("not a lead: {other:?}"),
    }
}

fn message_of(document: &Value) -> MessageFact {
    match fact(document) {
        Fact::Message(message) => message,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn a_negotiation_is_a_lead_with_every_field_legacy_has_and_the_rest_beside_it() {
    let fact = lead_of(&sample(fixtures::v4::NEGOTIATION_CREATED));
    let lead = &fact.lead;
    assert_eq!(lead.lead_id, "587700000000000100");
    assert_eq!(lead.create_timestamp, UnixSeconds(1_786_900_380));
    assert_eq!(lead.business.business_id, "586100000000000001");
    assert_eq!(lead.business.name.as_deref(), Some("Example Lawn Co"));
    assert_eq!(
        lead.customer.customer_id.as_deref(),
        Some("587700000000000200")
    );
    assert_eq!(lead.customer.name.as_deref(), Some("Pat Example"));
    assert_eq!(lead.customer.phone.as_deref(), Some("6695550100"));
    assert_eq!(lead.lead_price.as_deref(), Some("$25.00"));
    assert_eq!(lead.charge_state.as_deref(), Some("Created"));
    assert_eq!(lead.price.as_deref(), Some("$150.00"));
    assert_eq!(lead.lead_type, None);
    let request = &lead.request;
    assert_eq!(request.request_id.as_deref(), Some("587700000000000300"));
    assert_eq!(request.category.as_deref(), Some("Full Service Lawn Care"));
    assert_eq!(request.category_id.as_deref(), Some("240123621172183344"));
    assert_eq!(
        request.description.as_deref(),
        Some("Need Full Service Lawn Care")
    );
    assert_eq!(request.title, None);
    assert_eq!(request.location.city.as_deref(), Some("San Francisco"));
    assert_eq!(request.location.address1.as_deref(), Some("1 Example St"));
    assert_eq!(request.details[0].answer.as_deref(), Some("One time only"));
    assert_eq!(
        request.travel_preferences.as_deref(),
        Some("ProviderTravelToCustomer")
    );
    assert_eq!(
        request.attachments[0].file_name.as_deref(),
        Some("yard.jpg")
    );

    let v4 = &fact.v4;
    assert_eq!(v4.status.as_deref(), Some("Open"));
    assert_eq!(v4.created_at.as_deref(), Some("2026-08-16T17:13:00Z"));
    assert_eq!(
        v4.lead_price_breakdown
            .as_ref()
            .and_then(|b| b.sales_tax.as_deref()),
        Some("$1.85")
    );
    assert_eq!(
        v4.estimate.as_ref().and_then(|e| e.unit_name.as_deref()),
        Some("service")
    );
    assert_eq!(
        v4.proposed_times[0].start.as_deref(),
        Some("2026-08-17T17:00:00Z")
    );
    assert_eq!(v4.travel_preferences, ["ProviderTravelToCustomer"]);
    assert_eq!(v4.customer_first_name.as_deref(), Some("Pat"));
    assert!(!fact.test);
    // What the read API shows beside the lead, in Thumbtack's names.
    let shown = serde_json::to_value(v4).unwrap();
    assert_eq!(shown["leadPriceBreakdown"]["subtotal"], "$23.15");
    assert_eq!(shown["estimate"]["type"], "Fixed");
    assert_eq!(shown["estimate"]["unitQuantity"], 1);
}

#[test]
fn thumbtacks_test_delivery_is_a_lead_marked_test() {
    let fact = lead_of(&sample(fixtures::v4::TEST_NEGOTIATION_CREATED));
    assert!(fact.test);
    assert_eq!(fact.lead.business.business_id, "586100000000000001");
    assert_eq!(fact.lead.customer.name.as_deref(), Some("Test Customer"));
}

#[test]
fn a_lead_without_a_readable_creation_time_is_placed_when_triggered_else_when_received() {
    let mut document = sample(fixtures::v4::NEGOTIATION_CREATED);
    document["data"]["createdAt"] = json!("soon");
    assert_eq!(
        lead_of(&document).lead.create_timestamp,
        UnixSeconds(1_786_900_385)
    );
    document["event"]
        .as_object_mut()
        .unwrap()
        .remove("triggeredAt");
    assert_eq!(
        lead_of(&document).lead.create_timestamp,
        UnixSeconds(RECEIVED_MS / 1000)
    );
}

#[test]
fn a_customer_name_comes_from_first_and_last_names_else_the_display_name() {
    let mut document = sample(fixtures::v4::NEGOTIATION_CREATED);
    document["data"]["customer"] = json!({"firstName": "Pat", "lastName": "", "displayName": "X"});
    assert_eq!(
        lead_of(&document).lead.customer.name.as_deref(),
        Some("Pat")
    );
    document["data"]["customer"] = json!({"displayName": "Pat E."});
    assert_eq!(
        lead_of(&document).lead.customer.name.as_deref(),
        Some("Pat E.")
    );
}

#[test]
fn a_customers_message_is_a_message_of_the_negotiation_it_names() {
    let fact = message_of(&sample(fixtures::v4::MESSAGE_CREATED));
    assert_eq!(fact.sender, Sender::Customer);
    assert!(!fact.test);
    let message = &fact.message;
    assert_eq!(message.lead_id, "582400000000000100");
    assert_eq!(message.business_id, "553300000000000001");
    assert_eq!(message.customer_id.as_deref(), Some("582400000000000200"));
    assert_eq!(message.message.message_id, "582400000000000500");
    assert_eq!(message.message.create_timestamp, UnixSeconds(1_790_761_791));
    assert_eq!(
        message.message.text.as_deref(),
        Some("Hi, can you come Saturday?\r\nThanks")
    );
}

#[test]
fn a_message_naming_no_business_is_the_webhooks_businesss() {
    let mut document = sample(fixtures::v4::MESSAGE_CREATED);
    let data = document["data"].as_object_mut().unwrap();
    data.remove("business");
    data.insert("from".into(), json!("Business"));
    let fact = message_of(&document);
    assert_eq!(fact.message.business_id, WEBHOOK_BUSINESS);
    assert_eq!(fact.sender, Sender::Business);
    document["data"]["from"] = json!("Thumbtack");
    assert_eq!(message_of(&document).sender, Sender::Unknown);
}

#[test]
fn a_review_is_a_review_of_the_webhooks_business_about_the_negotiation_it_names() {
    let Fact::Review(delivery) = fact(&sample(fixtures::v4::REVIEW_CREATED)) else {
        panic!("not a review");
    };
    assert_eq!(
        delivery.review_event_type.as_deref(),
        Some("ReviewCreatedV4")
    );
    let review = delivery.review;
    assert_eq!(review.review_id, "5343987659230309812");
    assert_eq!(review.business_id, WEBHOOK_BUSINESS);
    assert_eq!(review.lead_id.as_deref(), Some("5343987659230300000"));
    assert_eq!(review.rating, Some(5));
    assert_eq!(review.text.as_deref(), Some("Great work."));
    assert_eq!(review.reviewer_name.as_deref(), Some("EB"));
    assert_eq!(review.create_time.as_deref(), Some("2026-09-01T12:00:00Z"));
    assert_eq!(review.photo_count, 0);
}

#[test]
fn an_unknown_event_is_a_fact_of_its_own_kept_by_name() {
    let document = json!({
        "event": {"eventType": "IncentiveUsedV4", "webhookID": "1",
                  "triggeredAt": "2026-08-16T17:13:05Z"},
        "data": {"incentiveID": "9"}
    });
    assert_eq!(
        fact(&document),
        Fact::Unknown {
            event_type: "IncentiveUsedV4".into()
        }
    );
}

/// The pro's message on the fixture's lead, `text` at `sent_at`.
fn business_message(message_id: &str, text: &str, sent_at: &str) -> MessageFact {
    let mut document = sample(fixtures::v4::MESSAGE_CREATED);
    document["data"]["from"] = json!("Business");
    document["data"]["messageID"] = json!(message_id);
    document["data"]["text"] = json!(text);
    document["data"]["sentAt"] = json!(sent_at);
    message_of(&document)
}

/// A reply we sent on the fixture's lead at 2026-09-30T09:49:51Z.
fn sent<'a>(reply_id: &'a str, message_id: Option<&'a str>, text: &'a str) -> SentReply<'a> {
    SentReply {
        reply_id,
        lead_id: "582400000000000100",
        message_id,
        text,
        sent_at_seconds: 1_790_761_791,
        echoed: false,
    }
}

#[test]
fn a_business_message_with_the_messageid_our_send_returned_is_its_echo() {
    let echo = business_message("77", "Sure, Saturday works", "2026-09-30T09:50:00Z");
    let replies = [
        sent("r-1", Some("76"), "Hello"),
        sent("r-2", Some("77"), "Sure, Saturday works"),
    ];
    assert_eq!(
        classify(&echo.message, &replies),
        Origin::Echo {
            reply_id: "r-2",
            by: EchoMatch::MessageId
        }
    );
}

#[test]
fn without_a_returned_messageid_the_same_text_on_the_same_lead_soon_after_is_the_echo() {
    let echo = business_message("78", "Sure,\r\nSaturday works ", "2026-09-30T09:55:00Z");
    let replies = [sent("r-3", None, "Sure,\nSaturday works")];
    assert_eq!(
        classify(&echo.message, &replies),
        Origin::Echo {
            reply_id: "r-3",
            by: EchoMatch::TextAndTime
        }
    );
}

#[test]
fn a_business_message_that_matches_no_reply_of_ours_was_typed_in_the_app() {
    let text = "Sure, Saturday works";
    // Long after our reply.
    let late = business_message("79", text, "2026-09-30T10:20:00Z");
    assert_eq!(
        classify(&late.message, &[sent("r-4", None, text)]),
        Origin::TypedInApp
    );
    let soon = business_message("80", text, "2026-09-30T09:50:30Z");
    // Other words; or our reply's send returned another messageID; or it matched an echo already.
    assert_eq!(
        classify(&soon.message, &[sent("r-5", None, "Another text")]),
        Origin::TypedInApp
    );
    assert_eq!(
        classify(&soon.message, &[sent("r-6", Some("81"), text)]),
        Origin::TypedInApp
    );
    let echoed = SentReply {
        echoed: true,
        ..sent("r-7", None, text)
    };
    assert_eq!(classify(&soon.message, &[echoed]), Origin::TypedInApp);
    // Another lead's reply.
    let elsewhere = SentReply {
        lead_id: "1",
        ..sent("r-8", None, text)
    };
    assert_eq!(classify(&soon.message, &[elsewhere]), Origin::TypedInApp);
    assert_eq!(classify(&soon.message, &[]), Origin::TypedInApp);
}
