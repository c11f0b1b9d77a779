//! Which characters XML 1.0 allows: the one rule both reading (which posts
//! get a warning) and rendering (what is left out of a feed) apply.

/// Characters XML 1.0 allows (C1 controls are allowed but never wanted).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// The first character XML 1.0 does not allow. Every post is checked, so
/// this avoids decoding: C0 controls are found with a branch-free pass per
/// chunk, the rare lead bytes of C1 controls (C2 80–9F) and of U+FFFE/U+FFFF
/// (EF BF BE/BF) with memchr.
pub fn first_invalid_xml_char(text: &str) -> Option<(usize, char)> {
    let at = first_invalid_at(text.as_bytes())?;
    text[at..].chars().next().map(|c| (at, c))
}

/// Whether `bytes`, UTF-8 by construction (a writer's output), hold a
/// character XML 1.0 does not allow: the same scan on the bytes, with no
/// UTF-8 validation first.
pub fn has_invalid_xml(bytes: &[u8]) -> bool {
    first_invalid_at(bytes).is_some()
}

fn first_invalid_at(bytes: &[u8]) -> Option<usize> {
    let c1 = memchr::memchr_iter(0xc2, bytes).find(|&i| bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)));
    let nonchar =
        memchr::memmem::find_iter(bytes, b"\xef\xbf").find(|&i| matches!(bytes.get(i + 2), Some(0xbe | 0xbf)));
    [first_control(bytes), c1, nonchar].into_iter().flatten().min()
}

fn first_control(bytes: &[u8]) -> Option<usize> {
    const CHUNK: usize = 64;
    let is_control = |b: u8| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0x7f;
    bytes.chunks(CHUNK).enumerate().find_map(|(n, chunk)| {
        let hit = chunk.iter().fold(false, |acc, &b| acc | is_control(b));
        if hit {
            chunk.iter().position(|&b| is_control(b)).map(|i| n * CHUNK + i)
        } else {
            None
        }
    })
}

/// Drop characters XML 1.0 does not allow (and C1 controls).
pub fn strip_invalid_xml(text: &str) -> String {
    if first_invalid_xml_char(text).is_none() {
        return text.to_string();
    }
    text.chars().filter(|c| is_xml_char(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_scan_agrees_with_the_character_rule() {
        let long = "长".repeat(70);
        for text in [
            "plain".to_string(),
            format!("{long}\u{7}"),
            format!("{long}·\u{85}x"),
            format!("a\u{fffe}{long}\u{1}"),
            format!("{long}\u{ffff}"),
            format!("\t\r\n·½{long}\u{7f}"),
            "\u{fffd}\u{ef}\u{bf}".to_string(),
        ] {
            let naive = text.char_indices().find(|(_, c)| !is_xml_char(*c));
            assert_eq!(first_invalid_xml_char(&text), naive, "{text:?}");
            assert_eq!(has_invalid_xml(text.as_bytes()), naive.is_some(), "{text:?}");
        }
    }

    #[test]
    fn strips_xml_invalid_characters() {
        assert_eq!(strip_invalid_xml("a\u{1}b\u{fffe}c\u{85}d\te"), "abcd\te");
    }
}
