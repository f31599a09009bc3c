//! Any bytes as a queued reply: never a panic; a refusal always names a path.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Err(invalid) = models::ReplyRequest::parse(body) {
        assert!(!invalid.problems.is_empty());
    }
});
