//! Any bytes as a Thumbtack v4 webhook delivery: never a panic; a refusal always names a path; a
//! delivery that is read maps onto our facts, and reads back the same from its stored body; the
//! typed fast path and the walker agree on every input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use models::v4::{Delivery, Fact, Received, stored};

fuzz_target!(|body: &[u8]| {
    assert_eq!(Delivery::parse(body), Delivery::parse_by_walking(body));
    match Delivery::parse(body) {
        Err(invalid) => assert!(!invalid.problems.is_empty()),
        Ok(parsed) => {
            let received = Received {
                webhook_business_id: "1",
                at_ms: 1_800_000_000_000,
            };
            let fact = Fact::from_delivery(&parsed.value, received);
            let raw = std::str::from_utf8(body).expect("a delivery that is read is UTF-8");
            if let Fact::Lead(lead) = fact {
                let read = stored::lead(raw, received.at_ms).expect("a stored lead reads back");
                assert_eq!(read.lead, lead.lead);
            }
        }
    }
});
