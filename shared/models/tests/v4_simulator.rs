//! What the Thumbtack simulator delivers (tools/simulator: its payloads in its §3.1 envelope) is
//! read by the v4 decoder whole, without a warning: lead, test lead, messages of both sides, review.
#![allow(clippy::unwrap_used)]

use models::v4::{Data, Delivery, Kind, Sender};
use serde_json::Value;
use simulator::payloads::{self, Customer};
use simulator::state::{Shared, Webhook, WebhookAuth};

const BUSINESS: &str = "286845156044809661";

/// The simulator's memory with one enabled webhook of `BUSINESS` for the three events.
fn simulator() -> Shared {
    let shared = Shared::new(simulator::Config::default());
    shared.lock().webhooks.insert(
        "900".into(),
        Webhook {
            webhook_id: "900".into(),
            business_id: BUSINESS.into(),
            url: "http://127.0.0.1:9/hook".into(),
            event_types: vec![
                "NegotiationCreatedV4".into(),
                "MessageCreatedV4".into(),
                "ReviewCreatedV4".into(),
            ],
            enabled: true,
            auth: WebhookAuth::None,
        },
    );
    shared
}

/// The body the simulator would post for `data`, read by the decoder.
fn delivered(shared: &Shared, event_type: &str, data: &Value) -> Delivery {
    let deliveries = simulator::deliveries::v4(&shared.lock(), BUSINESS, event_type, data);
    assert_eq!(deliveries.len(), 1);
    let body = serde_json::to_vec(&deliveries[0].body).unwrap();
    let parsed = Delivery::parse(&body).unwrap();
    assert!(
        parsed.warnings.is_empty(),
        "{event_type}: {:?}",
        parsed.warnings
    );
    assert_eq!(parsed.value.event.webhook_id.as_deref(), Some("900"));
    parsed.value
}

#[test]
fn the_simulators_lead_messages_and_review_are_read_without_warnings() {
    let shared = simulator();
    let negotiation = {
        let mut state = shared.lock();
        payloads::negotiation(
            &mut state,
            BUSINESS,
            "Lawn Co",
            &Customer::default(),
            "Mow it",
        )
    };
    let lead = delivered(&shared, "NegotiationCreatedV4", &negotiation);
    assert_eq!(lead.kind(), Kind::NegotiationCreated);
    assert_eq!(lead.key(), negotiation["negotiationID"].as_str());

    for (from, sender) in [
        ("Customer", Sender::Customer),
        ("Business", Sender::Business),
    ] {
        let message = payloads::message(&mut shared.lock(), &negotiation, from, "Hello");
        let Data::Message(read) = delivered(&shared, "MessageCreatedV4", &message).data else {
            panic!("not a message");
        };
        assert_eq!(read.sender(), sender);
        assert_eq!(
            read.negotiation_id,
            negotiation["negotiationID"].as_str().unwrap()
        );
        assert_eq!(read.business_id(), Some(BUSINESS));
    }

    let review = payloads::review(&mut shared.lock(), &negotiation, 4, "Good");
    let Data::Review(read) = delivered(&shared, "ReviewCreatedV4", &review).data else {
        panic!("not a review");
    };
    assert_eq!(read.rating, Some(4));
    assert_eq!(
        read.negotiation_id.as_deref(),
        negotiation["negotiationID"].as_str()
    );
}

#[test]
fn the_simulators_test_delivery_is_read_with_the_test_business_name() {
    let shared = simulator();
    let negotiation = payloads::test_negotiation(&mut shared.lock(), BUSINESS);
    let Data::Negotiation(read) = delivered(&shared, "NegotiationCreatedV4", &negotiation).data
    else {
        panic!("not a negotiation");
    };
    assert_eq!(read.business.business_id, BUSINESS);
    assert_eq!(
        read.business.name.as_deref(),
        Some(models::v4::TEST_BUSINESS_NAME)
    );
}

#[test]
fn the_simulators_deliveries_map_to_our_facts_and_its_test_lead_is_marked() {
    use models::v4::{Fact, Origin, Received, classify};
    let shared = simulator();
    let received = Received {
        webhook_business_id: BUSINESS,
        at_ms: 1_800_000_000_000,
    };
    let negotiation = payloads::test_negotiation(&mut shared.lock(), BUSINESS);
    let delivery = delivered(&shared, "NegotiationCreatedV4", &negotiation);
    let Fact::Lead(lead) = Fact::from_delivery(&delivery, received) else {
        panic!("not a lead");
    };
    assert!(lead.test);
    assert_eq!(
        lead.lead.lead_id,
        negotiation["negotiationID"].as_str().unwrap()
    );

    // The pro typing in the app, with no reply of ours sent.
    let typed = payloads::message(&mut shared.lock(), &negotiation, "Business", "On my way");
    let delivery = delivered(&shared, "MessageCreatedV4", &typed);
    let Fact::Message(message) = Fact::from_delivery(&delivery, received) else {
        panic!("not a message");
    };
    assert_eq!(message.sender, Sender::Business);
    assert_eq!(classify(&message.message, &[]), Origin::TypedInApp);

    let review = payloads::review(&mut shared.lock(), &negotiation, 5, "Great");
    let delivery = delivered(&shared, "ReviewCreatedV4", &review);
    let Fact::Review(review) = Fact::from_delivery(&delivery, received) else {
        panic!("not a review");
    };
    assert_eq!(review.review.business_id, BUSINESS);
}
