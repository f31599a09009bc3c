//! Any bytes as a review: never a panic; a refusal always names a path; the typed fast path and
//! the walker agree on every input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let parsed = models::ReviewDelivery::parse(body);
    if let Err(invalid) = &parsed {
        assert!(!invalid.problems.is_empty());
    }
    assert_eq!(parsed, models::ReviewDelivery::parse_by_walking(body));
});
