//! The read API's byte budget: how much of a page's entries one answer may carry, so that every
//! answer fits Lambda's response payload (6 MB, API Gateway's envelope included) whatever was
//! stored. A page stops before the entry that would go past it, and its cursor goes on from
//! there (docs/data-model.md).
//!
//! An entry alone never goes past it: each is one DynamoDB item (at most 400 KB), which an answer
//! shows in at most 7 bytes a byte (a control character written `\u0001`, its backslash escaped
//! again in the envelope), 2.8 MB. A page holds at least one entry all the same, so a walk always
//! goes on.

use serde::Serialize;

/// The most a page's entries may take in the answer: 4 MiB, leaving about 2 MB of Lambda's
/// 6 MB for the rest of the page (a lead's own body and fields, at most one item) and the
/// envelope.
pub const ANSWER_BUDGET_BYTES: usize = 4 * 1024 * 1024;

/// The bytes `value` takes in the answer Lambda returns: its JSON, whose quotes and backslashes
/// are escaped once more where the envelope holds the body as a string.
pub fn answer_bytes(value: &impl Serialize) -> usize {
    let mut counted = Counted(0);
    match serde_json::to_writer(&mut counted, value) {
        Ok(()) => counted.0,
        // Never for the read API's types (string keys only); counted as past any budget.
        Err(_) => usize::MAX,
    }
}

/// How many of `costs`, in order, a page holds after `spent` bytes within `budget`: those that
/// fit, and always the first.
pub fn fitting(spent: usize, costs: impl IntoIterator<Item = usize>, budget: usize) -> usize {
    let mut spent = spent;
    let mut held = 0;
    for cost in costs {
        spent = spent.saturating_add(cost);
        if held > 0 && spent > budget {
            break;
        }
        held += 1;
    }
    held
}

/// A writer that only counts, as [`answer_bytes`] does.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let escaped = bytes.iter().filter(|b| matches!(b, b'"' | b'\\')).count();
        self.0 = self.0.saturating_add(bytes.len() + escaped);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_counts_the_escapes_the_lambda_envelope_adds_to_its_body() {
        for value in [
            json!({"text": "plain words"}),
            json!({"text": "a \"quoted\" word and a back\\slash"}),
            json!({"text": "control \u{1} and é 🎨"}),
        ] {
            let body = serde_json::to_string(&value).unwrap();
            let in_envelope = serde_json::to_string(&json!(body)).unwrap();
            // The envelope's own two quotes around the body are not the value's.
            assert_eq!(answer_bytes(&value), in_envelope.len() - 2, "{body}");
        }
    }

    #[test]
    fn a_page_holds_the_entries_that_fit_and_always_the_first() {
        assert_eq!(fitting(0, [40, 40, 40], 100), 2);
        assert_eq!(fitting(20, [40, 40, 40], 100), 2);
        assert_eq!(fitting(30, [40, 40, 40], 100), 1);
        assert_eq!(fitting(0, [40, 60, 1], 100), 2, "up to the budget itself");
        assert_eq!(
            fitting(0, [500, 1], 100),
            1,
            "one entry alone past the budget"
        );
        assert_eq!(
            fitting(200, [1, 1], 100),
            1,
            "the rest of the page alone past it"
        );
        assert_eq!(fitting(0, [], 100), 0);
    }

    #[test]
    fn the_budget_leaves_room_for_the_rest_of_a_page_under_lambdas_limit() {
        let lambda_limit = 6_291_556;
        let largest_item = 400 * 1024;
        // The rest of a lead's page (its body, its fields) and one more entry than fits.
        assert!(ANSWER_BUDGET_BYTES + 3 * largest_item < lambda_limit);
        assert!(
            7 * largest_item < ANSWER_BUDGET_BYTES,
            "an entry alone fits"
        );
    }
}
