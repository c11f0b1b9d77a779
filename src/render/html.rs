//! Post bodies as feed content: HTML sanitized with an allow-list, links
//! made absolute, and plain text for summaries, derived titles and bodies
//! nested too deep to sanitize.

use std::borrow::Cow;
use std::cell::RefCell;

use ammonia::UrlRelative;

use crate::xml_chars::{is_xml_char, strip_invalid_xml};

/// Text for an XML or HTML attribute or element: markup characters as
/// entities, characters XML forbids left out.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in strip_invalid_xml(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

thread_local! {
    static SANITIZER: RefCell<ammonia::Builder<'static>> = RefCell::new(sanitizer());
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    // `center` wraps images in real posts; keep the tag, not its styling.
    b.add_tags(["center"]);
    b.link_rel(Some("noopener"));
    b
}

/// Clean `html` with the allow-list (no script, iframe, object, embed,
/// event handlers or style attributes) and make relative and
/// protocol-relative URLs absolute against `base` (dropped without one).
/// A link to a place in the page itself (`#fn1`, a footnote) points into
/// `page`, the post's own URL, not the site's home page.
pub fn sanitize(html: &str, base: Option<&url::Url>, page: Option<&str>) -> String {
    SANITIZER.with(|cell| {
        let mut builder = cell.borrow_mut();
        builder.url_relative(match base {
            Some(base) => UrlRelative::Custom(Box::new(Relative {
                base: base.clone(),
                page: page.and_then(|p| url::Url::parse(p).ok()),
            })),
            None => UrlRelative::Deny,
        });
        let document = builder.clean(html);
        // Serialized into memory and validated with SIMD: std's UTF-8
        // check, which `to_string` runs, cost more than the copy on CJK
        // text (a tenth of sanitizing, bench/README.md). html5ever writes
        // UTF-8 only, and into memory only running out of it fails.
        let mut bytes = Vec::with_capacity(html.len() + html.len() / 8);
        match document
            .write_to(&mut bytes)
            .map(|()| simdutf8::basic::from_utf8(&bytes))
        {
            Ok(Ok(text)) => strip_invalid_xml(text),
            _ => strip_invalid_xml(&document.to_string()),
        }
    })
}

/// How [`sanitize`] makes a relative URL absolute.
struct Relative {
    base: url::Url,
    page: Option<url::Url>,
}

impl<'a> ammonia::UrlRelativeEvaluate<'a> for Relative {
    fn evaluate<'url>(&self, url: &'url str) -> Option<Cow<'url, str>> {
        let against = match &self.page {
            Some(page) if url.starts_with('#') => page,
            _ => &self.base,
        };
        against.join(url).ok().map(|u| Cow::Owned(u.into()))
    }
}

/// HTML nested too deep to sanitize, published as one paragraph of its text.
pub fn as_plain_text(html: &str) -> String {
    format!("<p>{}</p>", escape_text(&strip_invalid_xml(&text_of(html))))
}

fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The text of sanitized HTML: tags dropped, entities decoded, white space
/// folded to single spaces.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') && !starts_tag(rest) {
            out.push('<');
            rest = &rest[1..];
        } else if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let tag = &rest[..end];
            if is_block_tag(tag) {
                out.push(' ');
            }
            rest = &rest[end..];
        } else {
            let end = rest.find(';').filter(|&e| e <= 10);
            match end.and_then(|e| decode_entity(&rest[1..e]).map(|c| (c, e))) {
                Some((c, e)) => {
                    out.push(c);
                    rest = &rest[e + 1..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the `<` that `s` starts with opens markup, as an HTML parser
/// reads it: `<` before a space or digit (`2 < 4`) is text.
fn starts_tag(s: &str) -> bool {
    let mut next = s.bytes().skip(1);
    match next.next() {
        Some(b'/') => next.next().is_some_and(|b| b.is_ascii_alphabetic()),
        Some(b) => b.is_ascii_alphabetic() || b == b'!' || b == b'?',
        None => false,
    }
}

fn is_block_tag(tag: &str) -> bool {
    let name = tag.trim_start_matches(['<', '/']);
    let name = &name[..name.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(name.len())];
    matches!(
        name,
        "p" | "br"
            | "div"
            | "li"
            | "blockquote"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "td"
            | "th"
            | "center"
            | "pre"
    )
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|c| is_xml_char(*c))
        }
    }
}

/// The text of the first paragraph of sanitized HTML (the post's summary),
/// or of the whole text when it has no paragraph.
pub fn first_paragraph(html: &str) -> String {
    let mut rest = html;
    while let Some(start) = rest.find("<p") {
        let after = &rest[start + 2..];
        if after.starts_with('>') || after.starts_with(' ') {
            let end = after.find("</p>").map_or(after.len(), |e| e);
            let text = text_of(&format!("<p{}", &after[..end]));
            if !text.is_empty() {
                return text;
            }
        }
        rest = after;
    }
    text_of(html)
}

/// The `src` of the first `<img>` in sanitized HTML (whose attributes are
/// double-quoted, with `&` written `&amp;`), if it is an http(s) URL.
pub fn first_image(html: &str) -> Option<String> {
    let mut rest = html;
    let img = memchr::memmem::Finder::new("<img");
    while let Some(at) = img.find(rest.as_bytes()) {
        let tag = &rest[at..];
        let end = tag.find('>').unwrap_or(tag.len());
        let attrs = &tag[..end];
        if let Some(start) = attrs.find(" src=\"") {
            let value = &attrs[start + 6..];
            let src = value[..value.find('"').unwrap_or(value.len())].replace("&amp;", "&");
            if src.starts_with("http://") || src.starts_with("https://") {
                return Some(src);
            }
        }
        rest = &tag[end..];
    }
    None
}

/// Cut text to at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// A title for a post that has none: the first sentence of its text, at
/// most 60 characters.
pub fn derive_title(text: &str) -> String {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|(_, c)| matches!(c, '。' | '！' | '？' | '!' | '?' | '\n'))
        .map_or(text.len(), |(i, c)| i + if c == '\n' { 0 } else { c.len_utf8() });
    let sentence = text[..end].trim().trim_start_matches(['>', ' ']);
    truncate(sentence, 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markup::markdown_to_html;

    fn base() -> url::Url {
        url::Url::parse("https://finews.example.com/emnews/2021/12/08/x.html").expect("url")
    }

    #[test]
    fn removes_scripts_handlers_and_styles() {
        let html = markdown_to_html("<p style=\"color:red\" onclick=\"x()\">hi<script>alert(1)</script></p>\n\n<iframe src=\"//e.example\"></iframe><object></object><embed src=x>");
        let clean = sanitize(&html, Some(&base()), None);
        for bad in ["script", "onclick", "style", "iframe", "object", "embed", "alert"] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains("<p>hi</p>"), "{clean}");
    }

    #[test]
    fn deeply_nested_html_becomes_its_text() {
        let html = format!(
            "{}<script>alert(1)</script>a &amp; b{}",
            "<div>".repeat(5),
            "</div>".repeat(2)
        );
        assert_eq!(as_plain_text(&html), "<p>alert(1)a &amp; b</p>");
        let quotes = markdown_to_html(&format!("{} deep", ">".repeat(600)));
        assert_eq!(as_plain_text(&quotes), "<p>deep</p>");
    }

    #[test]
    fn makes_links_absolute() {
        let html = markdown_to_html("[a](//finews.example.com/category/emnews.html) [b](../x.html) ![c](/img/c.png)");
        let clean = sanitize(&html, Some(&base()), None);
        assert!(
            clean.contains("href=\"https://finews.example.com/category/emnews.html\""),
            "{clean}"
        );
        assert!(
            clean.contains("href=\"https://finews.example.com/emnews/2021/12/x.html\""),
            "{clean}"
        );
        assert!(
            clean.contains("src=\"https://finews.example.com/img/c.png\""),
            "{clean}"
        );
    }

    #[test]
    fn links_within_the_page_point_into_the_post() {
        let post = "https://finews.example.com/emnews/2021/12/08/x.html";
        let html = markdown_to_html("a[^1] [top](#top)\n\n[^1]: note");
        let clean = sanitize(&html, Some(&base()), Some(post));
        assert!(clean.contains(&format!("href=\"{post}#1\"")), "{clean}");
        assert!(clean.contains(&format!("href=\"{post}#top\"")), "{clean}");
    }

    #[test]
    fn autolinks_render_as_links() {
        let clean = sanitize(&markdown_to_html("<http://a.example/1>"), Some(&base()), None);
        assert!(clean.contains("<a href=\"http://a.example/1\""), "{clean}");
    }

    #[test]
    fn text_and_summaries() {
        assert_eq!(text_of("<p>a &amp; b</p><p>c&lt;d &#20013;</p>"), "a & b c<d 中");
        assert_eq!(
            text_of("5 > 3 & 2 < 4, a <b>bold</b> </x> <!-- c -->"),
            "5 > 3 & 2 < 4, a bold"
        );
        assert_eq!(text_of("x <"), "x <");
        assert_eq!(
            first_paragraph("<blockquote>\n<p>摘要：利好。</p>\n</blockquote>\n<p>正文</p>"),
            "摘要：利好。"
        );
        assert_eq!(first_paragraph("plain text"), "plain text");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn first_images() {
        let html = sanitize(
            "<p>x<img alt=\"a\" src=\"/i/1.png?a=1&b=2\"><img src=\"https://c.example/2.png\"></p>",
            Some(&base()),
            None,
        );
        assert_eq!(
            first_image(&html).as_deref(),
            Some("https://finews.example.com/i/1.png?a=1&b=2")
        );
        assert_eq!(first_image("<p>no image</p>"), None);
    }

    #[test]
    fn derived_titles() {
        assert_eq!(
            derive_title("> 北向资金今日净流入12亿元。后市看好"),
            "北向资金今日净流入12亿元。"
        );
        assert_eq!(derive_title(&"长".repeat(80)).chars().count(), 60);
    }
}
