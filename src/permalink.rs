//! Where a post lives on the site, as Jekyll decides it (the rules that
//! differ between GitHub Pages' 3.10 and 4.3 are in `jekyll.rs`): permalink
//! styles and patterns expanded for a post (Jekyll's `slugify`, category
//! and sanitizing rules), the file Jekyll writes for that URL, and the
//! absolute link to it (site `url` + `baseurl`, percent-encoded to ASCII).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

use crate::jekyll::JekyllRules;

/// The pieces of a post its permalink is made from.
pub struct PermalinkParts<'a> {
    pub categories: &'a [crate::taxonomy::Term],
    /// The post date as Jekyll reads it, in the site's zone.
    pub date: DateTime<FixedOffset>,
    /// Jekyll's `slug` data: the front-matter `slug`, else the file name
    /// after the date prefix (see [`file_slug`]).
    pub slug: &'a str,
    /// The file name without its extension (`:name`).
    pub name: &'a str,
    /// Whose slug and style rules apply.
    pub jekyll: JekyllRules,
}

/// How [`slugify`] treats characters (Jekyll's `slugify` modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlugMode {
    /// Keeps letters, marks and decimal digits only.
    Default,
    /// Also keeps `._~!$&'()+,;=@` (what `:title` uses).
    Pretty,
}

/// Jekyll's `Utils.slugify`: every run of characters the mode does not
/// keep becomes one `-`, one leading and one trailing `-` are dropped, and
/// the result is lower-cased unless `cased`. Which characters a mode
/// keeps depends on the Jekyll version (`JekyllRules::slug_breaks`).
#[cfg(test)]
pub fn slugify(text: &str, mode: SlugMode, cased: bool, jekyll: JekyllRules) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = slugify_into(&mut out, text, mode, cased, jekyll);
    out
}

/// The file-name part Jekyll uses as a post's `slug` when the front matter
/// has none: the stem after the `YYYY-MM-DD-` prefix; 4.3 drops trailing
/// dots (`2022-01-02-dots..` → `dots`), 3.10 keeps them.
pub fn file_slug(stem_after_date: &str, jekyll: JekyllRules) -> &str {
    jekyll.file_slug(stem_after_date)
}

/// A file's name without folders and extension (`:name`).
pub fn file_stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// The pattern of a Jekyll permalink style; anything else is a pattern
/// (`weekdate` too, under 3.10, which has no such style).
fn pattern_of(style: &str, jekyll: JekyllRules) -> &str {
    match style {
        custom if !jekyll.knows_style(custom) => custom,
        "date" | "" => "/:categories/:year/:month/:day/:title:output_ext",
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        custom => custom,
    }
}

/// Expand a Jekyll permalink style or pattern for a post: the post's URL
/// path as Jekyll builds it, percent-decoded (so it names the file Jekyll
/// writes, see [`destination`]). Starts with `/`.
pub fn expand(style: &str, parts: &PermalinkParts<'_>) -> String {
    use std::fmt::Write;
    let pattern = pattern_of(style, parts.jekyll);
    let d = parts.date;
    // `:categories`: each lower-cased, kept once after lower-casing, joined
    // with `/`; not slugified. Built when the pattern asks for them.
    let lowered = || {
        let mut lowered: Vec<String> = Vec::with_capacity(parts.categories.len());
        for c in parts.categories {
            let c = c.to_lowercase();
            if !lowered.contains(&c) {
                lowered.push(c);
            }
        }
        lowered
    };
    // Built with the leading `/` the sanitizer adds.
    let mut out = String::with_capacity(pattern.len() + 64);
    out.push('/');
    let mut rest = pattern;
    // Placeholder names are `[a-z_]+`, as in Jekyll's URL#generate_url_from_drop.
    // Writing to a `String` never fails.
    while let Some(i) = rest.find(':') {
        push_decoded(&mut out, &rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let _ = match name {
            "year" => write!(out, "{:04}", d.year()),
            "short_year" => write!(out, "{:02}", d.year() % 100),
            "month" => write!(out, "{:02}", d.month()),
            "i_month" => write!(out, "{}", d.month()),
            "short_month" => write!(out, "{}", d.format("%b")),
            "long_month" => write!(out, "{}", d.format("%B")),
            "day" => write!(out, "{:02}", d.day()),
            "i_day" => write!(out, "{}", d.day()),
            "y_day" => write!(out, "{:03}", d.ordinal()),
            "week" => write!(out, "{:02}", d.iso_week().week()),
            "w_year" => write!(out, "{}", d.iso_week().year()),
            "w_day" => write!(out, "{}", d.weekday().number_from_monday()),
            "short_day" => write!(out, "{}", d.format("%a")),
            "long_day" => write!(out, "{}", d.format("%A")),
            "hour" => write!(out, "{:02}", d.hour()),
            "minute" => write!(out, "{:02}", d.minute()),
            "second" => write!(out, "{:02}", d.second()),
            "title" => slugify_into(&mut out, parts.slug, SlugMode::Pretty, true, parts.jekyll),
            "slug" => slugify_into(&mut out, parts.slug, SlugMode::Default, false, parts.jekyll),
            "name" => slugify_into(&mut out, parts.name, SlugMode::Default, false, parts.jekyll),
            "categories" => push(&mut out, &lowered().join("/")),
            "slugified_categories" => lowered().iter().enumerate().try_for_each(|(k, c)| {
                if k > 0 {
                    out.push('/');
                }
                slugify_into(&mut out, c, SlugMode::Default, false, parts.jekyll)
            }),
            "collection" => push(&mut out, "posts"),
            "output_ext" => push(&mut out, ".html"),
            _ => {
                out.push(':');
                push(&mut out, name)
            }
        };
        rest = &after[name_len..];
    }
    push_decoded(&mut out, rest);
    sanitize_slashed(out)
}

/// `text` appended to `out` (as `write!` would, which never fails on a `String`).
fn push(out: &mut String, text: &str) -> std::fmt::Result {
    out.push_str(text);
    Ok(())
}

/// [`slugify`], appended to `out`.
fn slugify_into(out: &mut String, text: &str, mode: SlugMode, cased: bool, jekyll: JekyllRules) -> std::fmt::Result {
    let Some(re) = jekyll.slug_breaks(mode == SlugMode::Pretty) else {
        return push(out, text);
    };
    let replaced = re.replace_all(text, "-");
    let trimmed = replaced.strip_prefix('-').unwrap_or(&replaced);
    let trimmed = trimmed.strip_suffix('-').unwrap_or(trimmed);
    if cased {
        out.push_str(trimmed);
    } else if trimmed.is_ascii() {
        out.extend(trimmed.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        // `str::to_lowercase`: a final sigma is not a `char` rule.
        out.push_str(&trimmed.to_lowercase());
    }
    Ok(())
}

/// A page's URL path as Jekyll builds it (decoded; `Page#url`): its own
/// `permalink`, else `/:path/` for `index.*`, else `/:path/:basename` with
/// the suffix of the site's permalink `style` (`pretty` or a pattern ending
/// in `/`: `/`; `date`, `ordinal`, `none` or a pattern ending in
/// `:output_ext`: `.html`; otherwise none). `rel` is the page file
/// (`category/emnews.html`); Markdown pages become `.html` too. 4.3 drops
/// trailing dots from the basename, 3.10 keeps them.
pub fn page_path(rel: &str, permalink: Option<&str>, style: &str, jekyll: JekyllRules) -> String {
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    let basename = jekyll.page_basename(file.rsplit_once('.').map_or(file, |(stem, _)| stem));
    let template = match permalink {
        Some(own) => own.to_string(),
        None if basename == "index" => "/:path/".to_string(),
        None => {
            let suffix = match style {
                "pretty" => "/",
                "date" | "ordinal" | "none" => ":output_ext",
                s if s.ends_with('/') => "/",
                s if s.ends_with(":output_ext") => ":output_ext",
                _ => "",
            };
            format!("/:path/:basename{suffix}")
        }
    };
    let mut out = String::with_capacity(template.len() + rel.len());
    let mut rest = template.as_str();
    while let Some(i) = rest.find(':') {
        push_decoded(&mut out, &rest[..i]);
        let after = &rest[i + 1..];
        let value = ["path", "basename", "output_ext"]
            .into_iter()
            .find(|name| after.starts_with(name));
        let Some(name) = value else {
            out.push(':');
            rest = after;
            continue;
        };
        out.push_str(match name {
            "path" => dir,
            "basename" => basename,
            _ => ".html",
        });
        rest = &after[name.len()..];
    }
    push_decoded(&mut out, rest);
    sanitize(&out)
}

/// Literal pattern text as the file name Jekyll writes reads it.
fn decoded(text: &str) -> std::borrow::Cow<'_, str> {
    percent_decode_str(text).decode_utf8_lossy()
}

/// [`decoded`], appended to `out`.
fn push_decoded(out: &mut String, text: &str) {
    match text.contains('%') {
        true => out.push_str(&decoded(text)),
        false => out.push_str(text),
    }
}

/// Jekyll's `URL#sanitize_url`: `..` becomes `/`, `./` goes, runs of `/`
/// become one. So no category or slug climbs out of the site (`..` is
/// gone), and `v1.` + `/2022` reads `v12022`, as on the real site.
fn sanitize(path: &str) -> String {
    sanitize_slashed(format!("/{path}"))
}

/// [`sanitize`] of a path already given its leading `/`, in place when it
/// has no `..` or `./` (almost every path): only runs of `/` to squeeze.
fn sanitize_slashed(mut out: String) -> String {
    if out.contains("..") || out.contains("./") {
        out = out.replace("..", "/").replace("./", "");
    }
    let mut previous = '\0';
    out.retain(|c| {
        let keep = !(c == '/' && previous == '/');
        previous = c;
        keep
    });
    out
}

/// The file Jekyll writes for a (decoded) URL path, relative to the
/// output folder: `…/` gets `index.html`, anything not ending in `.html`
/// gets `.html` (`Document#destination`). The conformance check
/// (`conformance/checks/30-jekyll`) applies the same rule to real builds.
/// Posts whose URLs give one file share one page (`model::same_page`).
pub fn destination(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 10);
    destination_parts(path, |part| out.push_str(part));
    out
}

/// [`destination`] in pieces, given to `put` in order (for a hash of it
/// without the string).
pub fn destination_parts(path: &str, mut put: impl FnMut(&str)) {
    let rel = path.trim_start_matches('/');
    put(rel);
    if path.ends_with('/') {
        put("index.html");
    } else if !rel.ends_with(".html") {
        put(".html");
    }
}

/// The absolute link to a (decoded) URL path: the site root, then the path
/// with everything outside RFC 3986's path characters percent-encoded,
/// upper-case hex, as Jekyll's `absolute_url` writes it. Two deliberate
/// differences keep the link on the file Jekyll wrote: no Unicode NFKC
/// (`ＡＢＣ` stays `ＡＢＣ`), and `?` is `%3F`.
pub fn link(root: &str, path: &str) -> String {
    format!("{root}{}", encode_path(path))
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

/// Site root: `url` + `baseurl`, without a trailing slash. Scheme and
/// host are lower-cased and a default port dropped, as Jekyll's
/// `absolute_url` does; `baseurl` loses its trailing `/` (Jekyll's
/// `chomp`), and so does `url` (Jekyll would keep it and write `//`).
pub fn site_root(url: &str, baseurl: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let url = match url::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => {
            let path = parsed.path().trim_end_matches('/');
            format!("{}{path}", parsed.origin().ascii_serialization())
        }
        _ => url.to_string(),
    };
    let base = baseurl.trim().trim_end_matches('/');
    if base.is_empty() {
        url
    } else {
        let base = base.strip_prefix('/').unwrap_or(base);
        format!("{url}/{}", encode_path(&decoded(base)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parts<'a>(categories: &'a [crate::taxonomy::Term], slug: &'a str) -> PermalinkParts<'a> {
        let date = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2021, 12, 8, 10, 46, 18).single())
            .expect("date");
        PermalinkParts {
            categories,
            date,
            slug,
            name: slug,
            jekyll: JekyllRules::Jekyll43,
        }
    }

    #[test]
    fn jekyll_styles() {
        let cats: Vec<crate::taxonomy::Term> = vec!["emnews".into(), "21caijingAPP".into()];
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
        let cats: Vec<crate::taxonomy::Term> = vec!["Markets".into(), "markets".into()];
        assert_eq!(expand("date", &parts(&cats, "x")), "/markets/2021/12/08/x.html");
    }

    #[test]
    fn dot_segments_never_reach_a_link() {
        let cats: Vec<crate::taxonomy::Term> = vec!["..".into(), "a/../../b".into(), ".".into()];
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
        assert_eq!(site_root("https://a.example/", "/blog"), "https://a.example/blog");
        assert_eq!(site_root("HTTPS://Example.COM:443", "blog"), "https://example.com/blog");
        assert_eq!(
            site_root("http://a.example:8080/site", ""),
            "http://a.example:8080/site"
        );
        assert_eq!(
            site_root("https://a.example", "/博客"),
            "https://a.example/%E5%8D%9A%E5%AE%A2"
        );
    }

    /// Jekyll 4.3.1's answers (research fixtures `slugs`).
    #[test]
    fn slugify_like_jekyll() {
        let pretty = |s: &str| slugify(s, SlugMode::Pretty, true, JekyllRules::Jekyll43);
        assert_eq!(pretty("hello world & more!"), "hello-world-&-more!");
        assert_eq!(pretty("Upper Case Title"), "Upper-Case-Title");
        assert_eq!(pretty("what?"), "what");
        assert_eq!(pretty("c#-sharp"), "c-sharp");
        assert_eq!(pretty("100%-sure"), "100-sure");
        assert_eq!(pretty("multiple   spaces"), "multiple-spaces");
        assert_eq!(pretty("-leading-and-trailing-"), "leading-and-trailing");
        assert_eq!(pretty("full（width）｜bar"), "full-width-bar");
        assert_eq!(pretty("quote's \"double\""), "quote's-double");
        assert_eq!(pretty("brackets[1](2){3}"), "brackets-1-(2)-3");
        assert_eq!(pretty("中文 标题"), "中文-标题");
        assert_eq!(pretty("dots.in.name"), "dots.in.name");
        assert_eq!(
            pretty(file_slug("trailing dots...", JekyllRules::Jekyll43)),
            "trailing-dots"
        );
        assert_eq!(
            slugify("Hello World & More!", SlugMode::Default, false, JekyllRules::Jekyll43),
            "hello-world-more"
        );
        assert_eq!(
            slugify("café 中文", SlugMode::Default, false, JekyllRules::Jekyll43),
            "café-中文"
        );
    }

    #[test]
    fn placeholders_and_sanitizing() {
        let cats: Vec<crate::taxonomy::Term> = vec![
            "News".into(),
            "news".into(),
            "with space".into(),
            "Q?".into(),
            "a/b".into(),
        ];
        let p = parts(&cats, "hello world & more!");
        assert_eq!(
            expand("date", &p),
            "/news/with space/q?/a/b/2021/12/08/hello-world-&-more!.html"
        );
        let cats: Vec<crate::taxonomy::Term> = vec!["v1.".into()];
        assert_eq!(expand("date", &parts(&cats, "x")), "/v12021/12/08/x.html");
        // A front-matter slug keeps its trailing dot; the sanitizer eats `./`.
        assert_eq!(expand("date", &parts(&[], "你好 世界.")), "/2021/12/08/你好-世界/html");
        assert_eq!(expand("pretty", &parts(&[], "你好 世界.")), "/2021/12/08/你好-世界");
        assert_eq!(
            expand("/Fixed%20Path/页面.html", &parts(&[], "x")),
            "/Fixed Path/页面.html"
        );
        assert_eq!(expand("weekdate", &parts(&[], "x")), "/2021/W49/Wed/x.html");
        assert_eq!(
            expand("/news/:slug:output_ext", &parts(&[], "Hello World")),
            "/news/hello-world.html"
        );
    }

    /// Sanitizing in place (no `..`, no `./`) gives what Jekyll's rule,
    /// applied as written, gives: every path of up to 6 of `/`, `.`, `a`, `é`.
    #[test]
    fn sanitizing_in_place_is_jekylls_rule() {
        let rule = |path: &str| {
            let out = format!("/{path}").replace("..", "/").replace("./", "");
            let mut squeezed = String::new();
            let mut previous = '\0';
            for c in out.chars() {
                if !(c == '/' && previous == '/') {
                    squeezed.push(c);
                }
                previous = c;
            }
            squeezed
        };
        for len in 0..=6u32 {
            for n in 0..4usize.pow(len) {
                let path: String = (0..len).map(|k| ['/', '.', 'a', 'é'][n / 4usize.pow(k) % 4]).collect();
                assert_eq!(sanitize(&path), rule(&path), "{path:?}");
            }
        }
    }

    /// Lower-casing a slug is `str::to_lowercase`: a final capital sigma
    /// becomes `ς`, not `σ`.
    #[test]
    fn slugs_lower_case_as_strings_do() {
        assert_eq!(expand("/:slug/:name/", &parts(&[], "ΟΔΟΣ Two")), "/οδος-two/οδος-two/");
        assert_eq!(
            expand("/:slugified_categories/x", &parts(&["ΑΣ Β".into(), "c d".into()], "x")),
            "/ας-β/c-d/x"
        );
    }

    #[test]
    fn destinations_and_links() {
        assert_eq!(destination("/a/b/"), "a/b/index.html");
        assert_eq!(destination("/a/b.html"), "a/b.html");
        assert_eq!(destination("/p/2022/x"), "p/2022/x.html");
        assert_eq!(
            link("https://a.example", "/q?/c#/100%/ＡＢＣ.html"),
            "https://a.example/q%3F/c%23/100%25/%EF%BC%A1%EF%BC%A2%EF%BC%A3.html"
        );
    }

    #[test]
    fn page_urls_follow_jekyll_page_rules() {
        let page = |rel, own, style| page_path(rel, own, style, JekyllRules::Jekyll43);
        assert_eq!(page("category/emnews.html", None, "date"), "/category/emnews.html");
        assert_eq!(page("category/emnews.md", None, "none"), "/category/emnews.html");
        assert_eq!(page("category/emnews.html", None, "pretty"), "/category/emnews/");
        assert_eq!(
            page("category/emnews.html", None, "/:categories/:title/"),
            "/category/emnews/"
        );
        assert_eq!(
            page("category/emnews.html", None, "/:year/:title:output_ext"),
            "/category/emnews.html"
        );
        assert_eq!(page("category/emnews.html", None, "weekdate"), "/category/emnews");
        assert_eq!(page("category/index.html", None, "date"), "/category/");
        assert_eq!(page("index.md", None, "pretty"), "/");
        assert_eq!(page("c/证券.html", None, "date"), "/c/证券.html");
        assert_eq!(page("c/x.html", Some("/outlets/x/"), "date"), "/outlets/x/");
        assert_eq!(
            page("c/x.html", Some("outlets/:basename:output_ext"), "date"),
            "/outlets/x.html"
        );
        assert_eq!(page("c/x.html", Some("/../../x/"), "date"), "/x/");
    }

    /// GitHub Pages' Jekyll 3.10 answers (`tests/fixtures/jekyll3/`, recorded).
    #[test]
    fn pages_310_links() {
        let p310 = |slug| PermalinkParts {
            jekyll: JekyllRules::Pages310,
            ..parts(&[], slug)
        };
        let trailing = file_slug("trailing-dot.", JekyllRules::Pages310);
        assert_eq!(expand("date", &p310(trailing)), "/2021/12/08/trailing-dot/html");
        assert_eq!(
            destination(&expand("date", &p310(trailing))),
            "2021/12/08/trailing-dot/html.html"
        );
        assert_eq!(expand("pretty", &p310(trailing)), "/2021/12/08/trailing-dot");
        assert_eq!(
            destination(&expand("pretty", &p310(trailing))),
            "2021/12/08/trailing-dot.html"
        );
        assert_eq!(expand("date", &p310("chapter-Ⅻ")), "/2021/12/08/chapter-Ⅻ.html");
        assert_eq!(
            expand("date", &p310("de\u{301}cor-news")),
            "/2021/12/08/de-cor-news.html"
        );
        assert_eq!(expand("date", &p310("dir/inner")), "/2021/12/08/dir-inner.html");
        assert_eq!(expand("pretty", &p310("dir/inner")), "/2021/12/08/dir-inner/");
        // No `weekdate` style in 3.10: the word is the permalink.
        assert_eq!(expand("weekdate", &p310("x")), "/weekdate");
        assert_eq!(destination(&expand("weekdate", &p310("x"))), "weekdate.html");
        // Pages keep trailing dots in 3.10, drop them in 4.3.
        let page = |jekyll, style| page_path("old_post/2022-02-14-old-trailing..md", None, style, jekyll);
        assert_eq!(
            destination(&page(JekyllRules::Pages310, "date")),
            "old_post/2022-02-14-old-trailing/html.html"
        );
        assert_eq!(
            destination(&page(JekyllRules::Pages310, "pretty")),
            "old_post/2022-02-14-old-trailing.html"
        );
        assert_eq!(
            destination(&page(JekyllRules::Jekyll43, "date")),
            "old_post/2022-02-14-old-trailing.html"
        );
        assert_eq!(
            destination(&page(JekyllRules::Jekyll43, "pretty")),
            "old_post/2022-02-14-old-trailing/index.html"
        );
    }
}
