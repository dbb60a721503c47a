//! Player names: what a name may contain, and when two names are the same.
//!
//! A name is stored in Unicode normalisation form C (NFC), trimmed, 1–[`MAX_NAME_CHARS`]
//! characters, without control characters (`Cc`), format characters (`Cf`: zero-width spaces and
//! joiners, bidirectional overrides and isolates, the byte-order mark…), line or paragraph
//! separators, private-use or unassigned code points. So a name shows as what it is: no invisible
//! character makes `Ana` and `Ana\u{200B}` two names, and no override reverses the text around it.
//!
//! Two names are the same when their lower-case forms are equal after NFC ([`same_name`]): within a
//! game every seat has its own name.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::errors::RuleViolation;

/// The longest display name, in characters (after normalisation).
pub const MAX_NAME_CHARS: usize = 32;

/// The name as it is stored and shown: NFC, trimmed; or why it is refused.
pub fn normalize_name(name: &str) -> Result<String, RuleViolation> {
    let name: String = name.nfc().collect();
    let name = name.trim();
    if name.is_empty() {
        return Err(RuleViolation::InvalidName {
            reason: "the name must not be empty",
        });
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(RuleViolation::InvalidName {
            reason: "the name must be at most 32 characters",
        });
    }
    if name.chars().any(char::is_control) {
        return Err(RuleViolation::InvalidName {
            reason: "the name must not contain control characters",
        });
    }
    if name.chars().any(is_invisible) {
        return Err(RuleViolation::InvalidName {
            reason: "the name must not contain invisible or formatting characters (zero-width, direction overrides, private use)",
        });
    }
    Ok(name.to_owned())
}

/// The form two names are compared in: lower case, NFC.
pub fn name_key(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).nfc().collect()
}

/// Whether two names count as the same name (case and normalisation aside).
pub fn same_name(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

/// Characters that change how the text around them shows, or show as nothing definite.
fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::Surrogate
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str) -> bool {
        matches!(normalize_name(name), Err(RuleViolation::InvalidName { .. }))
    }

    #[test]
    fn a_plain_name_is_kept_trimmed() {
        assert_eq!(normalize_name("  Ana ").unwrap(), "Ana");
        assert_eq!(normalize_name("Zoë 🐪").unwrap(), "Zoë 🐪");
    }

    #[test]
    fn a_decomposed_name_is_stored_composed() {
        let decomposed = "Zoe\u{0308}";
        assert_eq!(normalize_name(decomposed).unwrap(), "Zo\u{00EB}");
    }

    #[test]
    fn zero_width_and_direction_characters_are_refused() {
        for name in [
            "Ana\u{200B}",  // zero-width space
            "A\u{200D}na",  // zero-width joiner
            "\u{202E}anA",  // right-to-left override
            "Ana\u{2066}x", // left-to-right isolate
            "\u{FEFF}Ana",  // byte-order mark
            "An\u{2028}a",  // line separator
            "Ana\u{E000}",  // private use
            "Ana\u{0007}",  // bell
        ] {
            assert!(refused(name), "{name:?} was accepted");
        }
    }

    #[test]
    fn the_length_counts_characters_after_composition() {
        let composed_32 = "e\u{0301}".repeat(MAX_NAME_CHARS);
        assert!(normalize_name(&composed_32).is_ok());
        assert!(refused(&"é".repeat(MAX_NAME_CHARS + 1)));
        assert!(refused("   "));
    }

    #[test]
    fn names_differing_in_case_or_composition_are_the_same() {
        assert!(same_name("Ana", "aNA"));
        assert!(same_name("Zoë", "ZOE\u{0308}"));
        assert!(!same_name("Ana", "Anna"));
    }
}
