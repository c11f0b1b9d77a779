//! What a post body's markup builds: Markdown (with raw HTML) turned into
//! HTML, and how deep that HTML's elements nest. Reading decides from this
//! whether a body is published as HTML or as plain text; rendering converts
//! with the same parser settings, so the two cannot disagree.

use pulldown_cmark::{html, Options, Parser};

/// Deepest element nesting published as HTML. The HTML sanitizer's cost
/// grows with the square of nesting depth (400,000 nested `<div>`, 2 MB,
/// never finish); real posts nest a few dozen levels.
pub const MAX_HTML_DEPTH: usize = 512;

/// Largest post body, in bytes, rendered into a feed item; longer ones
/// are cut (at a line end) with a warning. It bounds the memory a post
/// takes while rendered and the bytes it adds to each of its feeds: thirty
/// 8 MB posts made a 360 MB `rss.xml`. Real articles are a few dozen KB.
pub const MAX_ITEM_CONTENT_BYTES: usize = 256 * 1024;

/// The part of `body` published: all of it, or its lines that fit in
/// [`MAX_ITEM_CONTENT_BYTES`] (a cut inside the first line falls back to a
/// character boundary). The HTML sanitizer closes what the cut leaves open.
pub fn cut_content(body: &str) -> &str {
    if body.len() <= MAX_ITEM_CONTENT_BYTES {
        return body;
    }
    let mut end = MAX_ITEM_CONTENT_BYTES;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    match body[..end].rfind('\n') {
        Some(line_end) if line_end > 0 => &body[..=line_end],
        _ => &body[..end],
    }
}

/// Markdown to HTML; raw HTML passes through (sanitized when rendered).
pub fn markdown_to_html(body: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(body.len() + body.len() / 4);
    html::push_html(&mut out, Parser::new_ext(body, options));
    out
}

/// Whether `body` (Markdown, or HTML when `markdown` is false) builds HTML
/// nested deeper than [`MAX_HTML_DEPTH`], measured on the HTML the
/// Markdown parser really produces. Markdown is parsed only when
/// [`depth_bound`] says it could nest that deep, which real posts never do.
pub fn nests_too_deep(body: &str, markdown: bool) -> bool {
    if !markdown {
        return depth_up_to(body, MAX_HTML_DEPTH) > MAX_HTML_DEPTH;
    }
    depth_bound(body) > MAX_HTML_DEPTH && depth_up_to(&markdown_to_html(body), MAX_HTML_DEPTH) > MAX_HTML_DEPTH
}

/// An upper bound on the [`nesting_depth`] of `markdown_to_html(body)`,
/// from one pass over the bytes. Every element the parser opens that
/// counts (not `p`, `li`, `tr`, `td`, …) needs a byte of its own in the
/// source: a `<` for raw HTML and autolinks, a `>` per block quote, a list
/// marker (`-`, `+`, `*`, or `.`/`)` after a number), an emphasis or
/// strike-through delimiter (`*`, `_`, `~`), a `[` for a link (two levels
/// for a footnote); what is left (a heading, a code block, a table) cannot
/// nest in itself and adds a few levels at most.
pub fn depth_bound(body: &str) -> usize {
    const LEAVES: usize = 8;
    // Plain comparisons summed in bytes, 127 at a time (at most 254), which
    // the compiler does 16 at once: a `match` per byte showed in a profile
    // of reading a million posts (bench/README.md).
    let weight = |b: u8| {
        u8::from(b == b'<')
            + u8::from(b == b'>')
            + u8::from(b == b'-')
            + u8::from(b == b'+')
            + u8::from(b == b'*')
            + u8::from(b == b'_')
            + u8::from(b == b'~')
            + u8::from(b == b'.')
            + u8::from(b == b')')
            + 2 * u8::from(b == b'[')
    };
    let parts = body.as_bytes().chunks(127);
    LEAVES
        + parts
            .map(|part| usize::from(part.iter().fold(0u8, |sum, &b| sum + weight(b))))
            .sum::<usize>()
}

/// How deep elements nest in `html`, counted from its tags in one pass.
/// Void elements, self-closing tags and elements whose end tag may be left
/// out (`p`, `li`, `td`, …) do not count, so the figure errs high only for
/// tags inside comments or scripts. An end tag closes only an element that
/// is open, as in the HTML parser: `</i>` with no `<i>` open closes
/// nothing, so `<b></i>` repeated nests as deep as the parser builds it.
/// A formatting element (`b`, `i`, `a`, …) closed by another element's end
/// tag stays counted: the parser opens it again before the next text
/// (`<div><b></div>x` repeated nests `b` ever deeper).
#[cfg(test)]
pub fn nesting_depth(html: &str) -> usize {
    depth_up_to(html, usize::MAX)
}

/// [`nesting_depth`], or any figure over `cap` once the depth passes it:
/// stopping there keeps the count linear in the input's length.
fn depth_up_to(html: &str, cap: usize) -> usize {
    use std::collections::HashMap;
    // The open elements, and how many of each name: an end tag with none
    // open is skipped in O(1), one with one open pops down to it, so every
    // element is pushed and popped once.
    let mut open: Vec<String> = Vec::new();
    let mut open_count: HashMap<String, usize> = HashMap::new();
    let mut deepest = 0usize;
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
            let Some(n) = open_count.get_mut(&name).filter(|n| **n > 0) else {
                continue;
            };
            *n -= 1;
            let mut reopened = Vec::new();
            while let Some(top) = open.pop() {
                if top == name {
                    break;
                }
                if is_formatting(&top) {
                    reopened.push(top);
                } else if let Some(n) = open_count.get_mut(&top) {
                    *n -= 1;
                }
            }
            open.extend(reopened.into_iter().rev());
        } else {
            *open_count.entry(name.clone()).or_insert(0) += 1;
            open.push(name);
            deepest = deepest.max(open.len());
            if deepest > cap {
                return deepest;
            }
        }
    }
    deepest
}

/// The HTML parser's formatting elements: closed by another element's end
/// tag, they are reconstructed at the next text.
fn is_formatting(name: &str) -> bool {
    matches!(
        name,
        "a" | "b" | "big" | "code" | "em" | "font" | "i" | "nobr" | "s" | "small" | "strike" | "strong" | "tt" | "u"
    )
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(nesting_depth("<b><i>x</b>y</i><u>"), 2, "</b> closes the <i> inside it");
    }

    #[test]
    fn end_tags_that_close_nothing_do_not_hide_depth() {
        // The parser ignores `</i>` with no `<i>` open and nests every `<b>`.
        let body = "<b></i>".repeat(150_000);
        assert_eq!(nesting_depth(&body), 150_000);
        assert!(nests_too_deep(&body, false));
        assert!(nests_too_deep(&body, true));
        assert_eq!(nesting_depth(&"<b></b></i>".repeat(150_000)), 1);
    }

    #[test]
    fn formatting_elements_closed_by_another_end_tag_stay_open() {
        // The parser reopens each `<b>` before the next `x`, inside the last.
        for pattern in ["<div><b></div>x", "<table><b></table>x", "<i><b></i>x", "<p><b></p>x"] {
            assert!(nests_too_deep(&pattern.repeat(1_000), false), "{pattern}");
        }
        assert_eq!(nesting_depth(&"<div><b>x</b></div>".repeat(1_000)), 2);
    }

    /// The one-pass bound never falls below what the parser builds, for
    /// every construct that nests.
    #[test]
    fn the_bound_covers_what_the_parser_builds() {
        let n = 40;
        let bodies = [
            "> ".repeat(n) + "x",
            "- ".repeat(n) + "x",
            "1. ".repeat(n) + "x",
            "1) ".repeat(n) + "x",
            "+ ".repeat(n) + "x",
            "* ".repeat(n) + "x",
            "*a ".repeat(n) + &"b*".repeat(n),
            "**a ".repeat(n) + &"b**".repeat(n),
            "_a ".repeat(n) + &"b_".repeat(n),
            "~~a ".repeat(n) + &"b~~".repeat(n),
            "[a ".repeat(n) + &"b](x)".repeat(n),
            "<div>".repeat(n),
            (0..n).map(|i| format!("{}- x\n", "  ".repeat(i))).collect(),
            (0..n).map(|i| format!("{}> x\n", " > ".repeat(i))).collect(),
            "> - [^1] **x**\n\n[^1]: > - *y*\n".to_string(),
            "> | a | b |\n> |---|---|\n> | *c* | `d` |\n".to_string(),
            "# h\n\n    code\n\n```\nfenced\n```\n".to_string(),
            "- > - > 1. > *x* [y](z)\n".repeat(3),
        ];
        for body in bodies {
            let built = nesting_depth(&markdown_to_html(&body));
            assert!(
                built <= depth_bound(&body),
                "{built} > {}: {body:?}",
                depth_bound(&body)
            );
        }
    }

    /// The block-wise count is the byte-by-byte one, across block ends.
    #[test]
    fn the_bound_counts_every_byte_that_can_nest() {
        let slow = |body: &str| -> usize {
            8 + body
                .bytes()
                .map(|b| match b {
                    b'<' | b'>' | b'-' | b'+' | b'*' | b'_' | b'~' | b'.' | b')' => 1,
                    b'[' => 2,
                    _ => 0,
                })
                .sum::<usize>()
        };
        let unit = "<a>-+*_~.)[ 中文 x";
        for n in [0, 1, 13, 14, 15, 30, 200, 1000] {
            let body = unit.repeat(n) + &"[".repeat(n % 300);
            assert_eq!(depth_bound(&body), slow(&body), "{n}");
        }
        assert_eq!(depth_bound(&"[".repeat(255)), 8 + 510);
        assert_eq!(depth_bound(&"[".repeat(127)), 8 + 254);
    }

    #[test]
    fn real_posts_need_no_parse_to_decide() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/_posts");
        for entry in std::fs::read_dir(dir).expect("content/_posts") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("post");
            assert!(depth_bound(&text) <= MAX_HTML_DEPTH, "{}", depth_bound(&text));
        }
    }

    #[test]
    fn deep_bodies_are_measured_on_what_the_parser_builds() {
        // Markdown lists nest without a single `<`, and are deep...
        assert!(nests_too_deep(&format!("{}x", "- ".repeat(600)), true));
        // ...while tags in a code block are text, and are not.
        let fenced = format!("```\n{}\n```\n", "<div>".repeat(600));
        assert!(!nests_too_deep(&fenced, true));
        assert!(nests_too_deep(&fenced, false));
        assert!(!nests_too_deep(&"> ".repeat(512), true));
        assert!(nests_too_deep(&"> ".repeat(513), true));
    }

    #[test]
    fn hostile_nesting_is_measured_in_linear_work() {
        // 200,000 levels are counted in one pass, and 100,000 block quotes
        // give HTML of a size linear in the input: the HTML sanitizer, whose
        // cost is quadratic in depth, never sees either.
        let divs = format!("{}<script>alert(1)</script>a &amp; b", "<div>".repeat(200_000));
        assert_eq!(nesting_depth(&divs), 200_001, "every <div>, and the <script>");
        assert!(nests_too_deep(&divs, false));
        let quotes = format!("{} deep", ">".repeat(100_000));
        let html = markdown_to_html(&quotes);
        assert!(html.len() < 40 * quotes.len(), "{} bytes", html.len());
        assert!(nesting_depth(&html) > MAX_HTML_DEPTH);
    }
}
