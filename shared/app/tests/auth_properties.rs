//! The basic-auth header parser under arbitrary input.
#![allow(clippy::unwrap_used)]

use app::auth::{AcceptedCredentials, AuthFailure, Credential, basic_credentials};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_header_bytes_never_panic(header in prop::collection::vec(any::<u8>(), 0..256)) {
        let accepted = AcceptedCredentials::new(&[Credential::new("thumbtack", "secret")]);
        let result = accepted.verify_header(Some(&header));
        prop_assert!(result.is_err() || header.windows(5).any(|w| w.eq_ignore_ascii_case(b"basic")));
        let _ = basic_credentials(&header);
    }

    #[test]
    fn the_right_credentials_pass_and_any_change_fails(
        username in "[A-Za-z0-9._-]{1,32}",
        password in "\\PC{1,64}",
        flip in any::<usize>(),
    ) {
        let accepted = AcceptedCredentials::new(&[Credential::new(username.clone(), password.clone())]);
        let pair = format!("{username}:{password}");
        let header = format!("Basic {}", STANDARD.encode(&pair));
        prop_assert_eq!(accepted.verify_header(Some(header.as_bytes())), Ok(()));

        let mut changed = pair.into_bytes();
        let at = flip % changed.len();
        changed[at] ^= 0x01;
        let header = format!("Basic {}", STANDARD.encode(&changed));
        let result = accepted.verify_header(Some(header.as_bytes()));
        prop_assert!(matches!(result, Err(AuthFailure::Mismatch | AuthFailure::Malformed)), "{result:?}");
    }
}
