//! Post bodies as feed content: Markdown (with raw HTML) to HTML, sanitized
//! with an allow-list, links made absolute, and plain text for summaries
//! and derived titles.

use std::cell::RefCell;

use ammonia::UrlRelative;
use pulldown_cmark::{html, Options, Parser};

use crate::content::post::is_xml_char;

/// Markdown to HTML; raw HTML passes through (sanitized afterwards).
pub fn markdown_to_html(body: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(body.len() + body.len() / 4);
    html::push_html(&mut out, Parser::new_ext(body, options));
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

/// Deepest element nesting sanitized as HTML. The HTML parser's cost grows
/// with the square of nesting depth (400,000 nested `<div>`, 2 MB, never
/// finish); real posts nest a few dozen levels.
pub const MAX_HTML_DEPTH: usize = 512;

/// Clean `html` with the allow-list (no script, iframe, object, embed,
/// event handlers or style attributes) and make relative and
/// protocol-relative URLs absolute against `base` (dropped without one).
/// HTML nested deeper than [`MAX_HTML_DEPTH`] becomes one paragraph of its
/// text instead.
pub fn sanitize(html: &str, base: Option<&url::Url>) -> String {
    if nesting_depth(html) > MAX_HTML_DEPTH {
        return format!("<p>{}</p>", escape_text(&strip_invalid_xml(&text_of(html))));
    }
    SANITIZER.with(|cell| {
        let mut builder = cell.borrow_mut();
        builder.url_relative(match base {
            Some(base) => UrlRelative::RewriteWithBase(base.clone()),
            None => UrlRelative::Deny,
        });
        strip_invalid_xml(&builder.clean(html).to_string())
    })
}

/// How deep elements nest in `html`, counted from its tags in one pass.
/// Void elements, self-closing tags and elements whose end tag may be left
/// out (`p`, `li`, `td`, …) do not count, so the figure errs high only for
/// tags inside comments or scripts.
pub fn nesting_depth(html: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(at) = html[i..].find('<') {
        let start = i + at + 1;
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = start + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            // `1 < 2`, `<!--`: not a tag.
            i = start;
            continue;
        }
        let end = html[name_start..].find('>').map_or(html.len(), |e| name_start + e);
        i = end;
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        if ends_implicitly(&name) || (!closing && html[..end].ends_with('/')) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// Void elements and elements whose end tag may be omitted.
fn ends_implicitly(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "param"
            | "keygen"
            | "p"
            | "li"
            | "dt"
            | "dd"
            | "option"
            | "optgroup"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "colgroup"
            | "caption"
            | "rb"
            | "rt"
            | "rp"
            | "rtc"
            | "html"
            | "head"
            | "body"
    )
}

fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Drop characters XML 1.0 does not allow (and C1 controls).
pub fn strip_invalid_xml(text: &str) -> String {
    if text.chars().all(is_xml_char) {
        return text.to_string();
    }
    text.chars().filter(|c| is_xml_char(*c)).collect()
}

/// The text of sanitized HTML: tags dropped, entities decoded, white space
/// folded to single spaces.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
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

    fn base() -> url::Url {
        url::Url::parse("https://finews.example.com/emnews/2021/12/08/x.html").expect("url")
    }

    #[test]
    fn removes_scripts_handlers_and_styles() {
        let html = markdown_to_html("<p style=\"color:red\" onclick=\"x()\">hi<script>alert(1)</script></p>\n\n<iframe src=\"//e.example\"></iframe><object></object><embed src=x>");
        let clean = sanitize(&html, Some(&base()));
        for bad in ["script", "onclick", "style", "iframe", "object", "embed", "alert"] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains("<p>hi</p>"), "{clean}");
    }

    #[test]
    fn deeply_nested_html_becomes_text_quickly() {
        let started = std::time::Instant::now();
        let html = format!(
            "{}<script>alert(1)</script>a &amp; b{}",
            "<div>".repeat(200_000),
            "</div>".repeat(10)
        );
        assert_eq!(sanitize(&html, Some(&base())), "<p>alert(1)a &amp; b</p>");
        let quotes = markdown_to_html(&format!("{} deep", ">".repeat(100_000)));
        assert_eq!(sanitize(&quotes, Some(&base())), "<p>deep</p>");
        assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
    }

    #[test]
    fn nesting_depth_counts_only_elements_that_nest() {
        assert_eq!(nesting_depth("<div><div><p>a<p>b<br><img src=x/></div></div>"), 2);
        assert_eq!(nesting_depth(&"<p>x".repeat(5000)), 0);
        assert_eq!(nesting_depth(&"<li>x<br/>".repeat(5000)), 0);
        assert_eq!(nesting_depth("<span>1 < 2</span><span>"), 1);
        assert_eq!(nesting_depth("<!-- <div> -->"), 1);
        assert_eq!(nesting_depth(&"<blockquote>".repeat(600)), 600);
        assert_eq!(nesting_depth("<a"), 1);
        assert_eq!(nesting_depth("</"), 0);
    }

    #[test]
    fn makes_links_absolute() {
        let html = markdown_to_html("[a](//finews.example.com/category/emnews.html) [b](../x.html) ![c](/img/c.png)");
        let clean = sanitize(&html, Some(&base()));
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
    fn autolinks_render_as_links() {
        let clean = sanitize(&markdown_to_html("<http://a.example/1>"), Some(&base()));
        assert!(clean.contains("<a href=\"http://a.example/1\""), "{clean}");
    }

    #[test]
    fn strips_xml_invalid_characters() {
        assert_eq!(strip_invalid_xml("a\u{1}b\u{fffe}c\u{85}d\te"), "abcd\te");
    }

    #[test]
    fn text_and_summaries() {
        assert_eq!(text_of("<p>a &amp; b</p><p>c&lt;d &#20013;</p>"), "a & b c<d 中");
        assert_eq!(
            first_paragraph("<blockquote>\n<p>摘要：利好。</p>\n</blockquote>\n<p>正文</p>"),
            "摘要：利好。"
        );
        assert_eq!(first_paragraph("plain text"), "plain text");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
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
