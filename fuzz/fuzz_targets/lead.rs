//! Any bytes as a lead body: never a panic; a refusal always names a path; the typed fast path
//! and the walker agree on every input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let parsed = models::Lead::parse(body);
    match &parsed {
        Err(invalid) => {
            assert!(!invalid.problems.is_empty());
            assert!(invalid.problems.listed().iter().all(|p| !p.path.is_empty()));
        }
        Ok(lead) => {
            assert!(std::str::from_utf8(body).is_ok());
            assert!(models::is_valid_id(&lead.value.lead_id));
            assert!(lead.warnings.listed().len() <= models::MAX_LISTED_PROBLEMS);
        }
    }
    assert_eq!(parsed, models::Lead::parse_by_walking(body));
});
