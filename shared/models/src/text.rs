//! What "not blank" means for text a person reads: at least one visible character.

/// Whether `text` has a character someone would see: not whitespace, not a control character,
/// not one of Unicode's default-ignorable code points (zero-width spaces and joiners, the byte
/// order mark, bidirectional marks, variation selectors, fillers, tags). A reply or a template of
/// only such characters reaches a customer as an empty message.
pub fn has_visible_text(text: &str) -> bool {
    text.chars().any(is_visible)
}

fn is_visible(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || is_default_ignorable(c))
}

/// Unicode's `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt, Unicode 15), which
/// renderers draw as nothing.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_only_whitespace_control_or_zero_width_characters_is_not_visible() {
        for blank in [
            "",
            "   \t\n",
            "\u{200B}\u{200B}",
            "\u{0000}\u{0007}\u{001B}",
            "\u{FEFF}\u{2060}\u{200D}\u{200C}",
            "\u{00A0}\u{3000}",
            "\u{202E}\u{FE0F}\u{E0041}",
            "\u{3164}\u{115F}",
        ] {
            assert!(!has_visible_text(blank), "{blank:?}");
        }
    }

    #[test]
    fn one_visible_character_among_invisible_ones_is_visible_text() {
        for text in ["a", "\u{200B}Hi", "👍", "\u{200D}é\u{0007}", "日本"] {
            assert!(has_visible_text(text), "{text:?}");
        }
    }
}
