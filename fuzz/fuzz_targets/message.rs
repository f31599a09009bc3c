//! Any bytes as a message body: never a panic; a refusal always names a path; the typed fast path
//! and the walker agree on every input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let parsed = models::InboundMessage::parse(body);
    match &parsed {
        Err(invalid) => {
            assert!(!invalid.problems.is_empty());
            assert!(invalid.problems.listed().iter().all(|p| !p.path.is_empty()));
        }
        Ok(message) => {
            assert!(std::str::from_utf8(body).is_ok());
            assert!(models::is_valid_id(&message.value.message.message_id));
        }
    }
    assert_eq!(parsed, models::InboundMessage::parse_by_walking(body));
});
