//! The whole read → render path on arbitrary input: the first line is the
//! post's file name (under `_posts/`), the rest its bytes. Every feed the
//! post reaches must be well-formed XML 1.0 (roxmltree refuses characters
//! XML forbids) with a root element of its format; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let name = String::from_utf8_lossy(&data[..split.min(300)]);
    let body = data.get(split + 1..).unwrap_or_default();
    for feed in feedgen::fuzz::render_post(&name, body) {
        let text = std::str::from_utf8(&feed).expect("feeds are UTF-8");
        let doc = match roxmltree::Document::parse(text) {
            Ok(doc) => doc,
            Err(e) => panic!("malformed feed ({e}) for {name:?}:\n{text}"),
        };
        let root = doc.root_element().tag_name().name();
        assert!(root == "rss" || root == "feed", "root element {root}");
        for c in text.chars() {
            let allowed = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
            assert!(allowed && !('\u{7F}'..='\u{9F}').contains(&c), "character {c:?} in a feed");
        }
    }
});
