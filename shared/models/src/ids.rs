//! Identifiers (leadID, messageID, ...) end up in DynamoDB keys, URLs and log lines, so they are
//! held to a conservative alphabet. Thumbtack's are decimal digits. An id made only of dots is
//! refused: as a URL path segment, `.` and `..` mean "this" and "the parent" directory.

pub const MAX_ID_LEN: usize = 128;

pub const ID_RULE: &str =
    "must be 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-', and not only dots";

pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
        && !id.bytes().all(|b| b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbtack_style_ids_are_valid() {
        assert!(is_valid_id("299614694480093245"));
        assert!(is_valid_id("reply-2024_01:a.b"));
    }

    #[test]
    fn ids_with_separators_spaces_or_too_long_are_invalid() {
        for bad in ["", "a#b", "a/b", "a b", "é", "x\n"] {
            assert!(!is_valid_id(bad), "{bad:?} should be invalid");
        }
        assert!(is_valid_id(&"1".repeat(MAX_ID_LEN)));
        assert!(!is_valid_id(&"1".repeat(MAX_ID_LEN + 1)));
    }

    #[test]
    fn ids_made_only_of_dots_are_invalid_because_they_are_path_segments() {
        for dots in [".", "..", "...", &".".repeat(MAX_ID_LEN)] {
            assert!(!is_valid_id(dots), "{dots:?} should be invalid");
        }
        assert!(is_valid_id(".a."));
        assert!(is_valid_id("1.2"));
    }
}
