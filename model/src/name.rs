//! The unit-name rule: what a name is once stored, and why an input is not one.

/// Longest unit name accepted (in characters, after trimming).
pub const MAX_UNIT_NAME_CHARS: usize = 200;

/// Why an input is not a unit name. Each side words it for its readers (the API's 422, the form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// Nothing but white space.
    Empty,
    /// Longer than [`MAX_UNIT_NAME_CHARS`] after trimming.
    TooLong { chars: usize },
    /// Contains a character of [`is_forbidden_in_unit_name`].
    ForbiddenCharacter,
}

/// Characters a unit name may not contain: control characters, and the invisible and
/// text-direction characters that make a name read differently from what it is (bidi embeddings
/// and overrides U+202A–U+202E, isolates U+2066–U+2069, zero-width characters and direction marks
/// U+200B–U+200F, the byte-order mark U+FEFF).
pub fn is_forbidden_in_unit_name(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{FEFF}'
        )
}

/// The name as stored: `input` trimmed, not empty, at most [`MAX_UNIT_NAME_CHARS`] characters,
/// none of them forbidden.
pub fn unit_name(input: &str) -> Result<&str, NameError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let chars = name.chars().count();
    if chars > MAX_UNIT_NAME_CHARS {
        return Err(NameError::TooLong { chars });
    }
    if name.chars().any(is_forbidden_in_unit_name) {
        return Err(NameError::ForbiddenCharacter);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited_in_characters_not_bytes() {
        assert_eq!(unit_name("  Vej og Park "), Ok("Vej og Park"));
        let longest = "ø".repeat(MAX_UNIT_NAME_CHARS);
        assert_eq!(unit_name(&longest), Ok(longest.as_str()));
        assert_eq!(
            unit_name(&format!("{longest}x")),
            Err(NameError::TooLong { chars: 201 })
        );
        assert_eq!(unit_name(&format!("  {longest}  ")), Ok(longest.as_str()));
    }

    #[test]
    fn blank_and_hidden_characters_are_refused() {
        for blank in ["", "   ", "\t\n"] {
            assert_eq!(unit_name(blank), Err(NameError::Empty), "{blank:?}");
        }
        for hidden in [
            "a\u{0}b",
            "Skole\u{202E}gnidlaB",
            "a\u{2066}b",
            "a\u{2069}b",
            "a\u{200B}b",
            "a\u{200F}b",
            "\u{FEFF}Skoler",
            "a\u{7F}b",
        ] {
            assert_eq!(
                unit_name(hidden),
                Err(NameError::ForbiddenCharacter),
                "{hidden:?}"
            );
        }
        assert_eq!(unit_name("Børn & Unge – Øst"), Ok("Børn & Unge – Øst"));
    }
}
