//! Any bytes as an Authorization header: never a panic, never accepted unless exact.
#![no_main]
use app::auth::{AcceptedCredentials, Credential};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &[u8]| {
    let accepted = AcceptedCredentials::new(&[Credential::new("thumbtack", "fuzz-password")]);
    if accepted.verify_header(Some(header)).is_ok() {
        let decoded = app::auth::basic_credentials(header).expect("accepted means parsed");
        assert_eq!(decoded, b"thumbtack:fuzz-password");
    }
});
