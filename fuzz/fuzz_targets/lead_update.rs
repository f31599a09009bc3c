//! Any bytes as a lead update: never a panic; a refusal always names a path; the typed fast path
//! and the walker agree on every input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let parsed = models::LeadUpdate::parse(body);
    if let Err(invalid) = &parsed {
        assert!(!invalid.problems.is_empty());
    }
    assert_eq!(parsed, models::LeadUpdate::parse_by_walking(body));
});
