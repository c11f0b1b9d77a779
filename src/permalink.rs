//! Where a post lives on the site: Jekyll permalink styles expanded for a
//! post, joined with the site `url` and `baseurl`, percent-encoded to ASCII.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

/// The pieces of a post its permalink is made from.
pub struct PermalinkParts<'a> {
    pub categories: &'a [Box<str>],
    /// The post date, in the site's zone (as Jekyll builds URLs).
    pub date: DateTime<FixedOffset>,
    /// `:title`: the file name without date prefix and extension, or the
    /// front-matter `slug`.
    pub slug: &'a str,
}

/// Expand a Jekyll permalink style or pattern for a post. The result is a
/// site-relative path starting with `/`, not yet encoded.
pub fn expand(style: &str, parts: &PermalinkParts<'_>) -> String {
    let pattern = match style {
        "date" | "" => "/:categories/:year/:month/:day/:title:output_ext",
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        custom => custom,
    };
    let d = parts.date;
    // Jekyll lower-cases categories and keeps each once.
    let mut lowered: Vec<String> = Vec::with_capacity(parts.categories.len());
    for c in parts.categories {
        let c = c.to_lowercase();
        if !lowered.contains(&c) {
            lowered.push(c);
        }
    }
    let categories = lowered.join("/");
    let mut out = String::with_capacity(pattern.len() + 64);
    let mut rest = pattern;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let value = match name {
            "year" => format!("{:04}", d.year()),
            "short_year" => format!("{:02}", d.year() % 100),
            "month" => format!("{:02}", d.month()),
            "i_month" => d.month().to_string(),
            "short_month" => d.format("%b").to_string(),
            "long_month" => d.format("%B").to_string(),
            "day" => format!("{:02}", d.day()),
            "i_day" => d.day().to_string(),
            "y_day" => format!("{:03}", d.ordinal()),
            "week" => format!("{:02}", d.iso_week().week()),
            "short_day" => d.format("%a").to_string(),
            "long_day" => d.format("%A").to_string(),
            "hour" => format!("{:02}", d.hour()),
            "minute" => format!("{:02}", d.minute()),
            "second" => format!("{:02}", d.second()),
            "title" | "slug" | "name" => parts.slug.to_string(),
            "categories" => categories.clone(),
            "output_ext" => ".html".to_string(),
            _ => {
                out.push(':');
                out.push_str(name);
                rest = &after[name_len..];
                continue;
            }
        };
        out.push_str(&value);
        rest = &after[name_len..];
    }
    out.push_str(rest);
    collapse_slashes(&out)
}

/// One leading `/`, no empty, `.` or `..` segments (Jekyll strips them too,
/// so a category named `..` cannot climb out of the site), and a trailing
/// `/` kept when the pattern had one.
fn collapse_slashes(path: &str) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if path.ends_with('/') || segments.is_empty() {
        out.push('/');
    }
    out
}

/// Bytes a path segment keeps as written: unreserved characters and
/// RFC 3986 sub-delimiters, `:` and `@`; everything else (non-ASCII,
/// spaces, `%`, `?`, `#`, `/`) becomes `%XX` with upper-case hex.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// A path keeps its `/` too.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// A URL someone wrote loses only controls, spaces and the characters no
/// URL may hold; `%XX` escapes and URL syntax stay.
const WRITTEN_URL: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'<')
    .add(b'>')
    .add(b'"')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encode a URL path (see [`SEGMENT`]; `/` stays).
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// Percent-encode one path segment (like [`encode_path`], but `/` too).
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Encode any non-ASCII or unsafe characters in a URL someone wrote (a
/// source link), leaving existing `%XX` escapes and URL syntax alone.
pub fn encode_url(url: &str) -> String {
    utf8_percent_encode(url, WRITTEN_URL).to_string()
}

/// Site root: `url` + `baseurl`, without a trailing slash.
pub fn site_root(url: &str, baseurl: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let base = baseurl.trim().trim_matches('/');
    if base.is_empty() {
        url.to_string()
    } else {
        format!("{url}/{}", encode_path(base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parts<'a>(categories: &'a [Box<str>], slug: &'a str) -> PermalinkParts<'a> {
        let date = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2021, 12, 8, 10, 46, 18).single())
            .expect("date");
        PermalinkParts { categories, date, slug }
    }

    #[test]
    fn jekyll_styles() {
        let cats: Vec<Box<str>> = vec!["emnews".into(), "21caijingAPP".into()];
        let p = parts(&cats, "202112082206672930");
        assert_eq!(
            expand("date", &p),
            "/emnews/21caijingapp/2021/12/08/202112082206672930.html"
        );
        assert_eq!(
            expand("pretty", &p),
            "/emnews/21caijingapp/2021/12/08/202112082206672930/"
        );
        assert_eq!(
            expand("ordinal", &p),
            "/emnews/21caijingapp/2021/342/202112082206672930.html"
        );
        assert_eq!(expand("none", &p), "/emnews/21caijingapp/202112082206672930.html");
        assert_eq!(
            expand("/news/:year-:month/:title:output_ext", &p),
            "/news/2021-12/202112082206672930.html"
        );
        assert_eq!(expand("/:hour:minute/:unknown/", &p), "/1046/:unknown/");
    }

    #[test]
    fn categories_differing_in_case_appear_once() {
        let cats: Vec<Box<str>> = vec!["Markets".into(), "markets".into()];
        assert_eq!(expand("date", &parts(&cats, "x")), "/markets/2021/12/08/x.html");
    }

    #[test]
    fn dot_segments_never_reach_a_link() {
        let cats: Vec<Box<str>> = vec!["..".into(), "a/../../b".into(), ".".into()];
        assert_eq!(expand("date", &parts(&cats, "x")), "/a/b/2021/12/08/x.html");
        assert_eq!(expand("/../:title/", &parts(&[], "x")), "/x/");
    }

    #[test]
    fn no_categories_does_not_leave_double_slashes() {
        let p = parts(&[], "x");
        assert_eq!(expand("date", &p), "/2021/12/08/x.html");
    }

    #[test]
    fn encodes_non_ascii_with_upper_case_hex() {
        assert_eq!(
            encode_path("/上海·证券/a b.html"),
            "/%E4%B8%8A%E6%B5%B7%C2%B7%E8%AF%81%E5%88%B8/a%20b.html"
        );
        assert_eq!(encode_segment("a/b"), "a%2Fb");
        assert_eq!(encode_path("/(x)/"), "/(x)/");
        assert_eq!(
            encode_url("http://x.example/a?b=1&c=中"),
            "http://x.example/a?b=1&c=%E4%B8%AD"
        );
        assert_eq!(encode_url("http://x.example/%E4"), "http://x.example/%E4");
    }

    /// The sets keep exactly the bytes the hand-written rules kept.
    #[test]
    fn every_ascii_byte_is_kept_or_encoded_as_before() {
        for b in 0u8..=0x7f {
            let text = char::from(b).to_string();
            let kept = |s: String| s == text;
            let path = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
            let segment = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b);
            let url = b.is_ascii_graphic() && !b"<>\"\\^`{|}".contains(&b);
            assert_eq!(kept(encode_path(&text)), path, "path {b:#x}");
            assert_eq!(kept(encode_segment(&text)), segment, "segment {b:#x}");
            assert_eq!(kept(encode_url(&text)), url, "url {b:#x}");
            if !url {
                assert_eq!(encode_url(&text), format!("%{b:02X}"));
            }
        }
    }

    #[test]
    fn site_roots() {
        assert_eq!(site_root("https://a.example/", ""), "https://a.example");
        assert_eq!(site_root("https://a.example", "/blog/"), "https://a.example/blog");
    }
}
