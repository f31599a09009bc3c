//! Any bytes as a lead body: never a panic; a refusal always names a path.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Err(invalid) = models::Lead::parse(body) {
        assert!(!invalid.problems.is_empty());
        assert!(invalid.problems.iter().all(|p| !p.path.is_empty()));
    }
});
