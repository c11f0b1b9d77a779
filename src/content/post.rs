//! One post file read into what feedgen needs: [`PostMeta`] (kept for every
//! post, for selection) and [`Post`] (loaded again only for posts that
//! appear in a feed, for rendering).

use super::date::{file_name_date, parse_date, SiteZone};
use super::front_matter::{self, author, key_line, scalar, Author, Mapping, SplitError, Value};
use crate::diagnostics::{Diagnostic, Severity};
use crate::markup::{cut_content, nests_too_deep, MAX_HTML_DEPTH, MAX_ITEM_CONTENT_BYTES};
use crate::xml_chars::first_invalid_xml_char;
use chrono::{DateTime, FixedOffset, NaiveTime};

/// Per-post metadata: everything choosing a feed's items needs, nothing more.
#[derive(Debug, Clone, PartialEq)]
pub struct PostMeta {
    /// Relative to the content root, `/`-separated.
    pub path: Box<str>,
    pub date: DateTime<FixedOffset>,
    pub categories: Vec<Box<str>>,
    pub tags: Vec<Box<str>>,
    /// `published: false`.
    pub unpublished: bool,
    /// `future: true`: published even when dated after "now".
    pub future: bool,
    /// The body nests too deep to publish as HTML and is published as its
    /// text: decided once, when the post is read, from the HTML its
    /// Markdown really builds.
    pub plain_text: bool,
}

impl PostMeta {
    /// Whether the post is published at `now` (Jekyll's rules).
    pub fn is_visible(&self, now: DateTime<FixedOffset>) -> bool {
        !self.unpublished && (self.future || self.date <= now)
    }
}

/// A post as rendered into feeds.
#[derive(Debug, Clone)]
pub struct Post {
    /// Empty when the front matter has none: the renderer derives one.
    pub title: String,
    pub slug: String,
    pub author: Option<Author>,
    pub excerpt: Option<String>,
    pub permalink: Option<String>,
    pub guid: Option<String>,
    pub source: SourceLink,
    pub body: String,
    /// `.html` posts are HTML already; `.md`/`.markdown` are Markdown.
    pub markdown: bool,
}

/// The article's original URL.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceLink {
    None,
    /// `<>` in the body: the script had no link to write.
    Empty {
        line: usize,
    },
    Url(String),
}

/// What reading one file gave.
#[derive(Debug)]
pub enum Outcome {
    /// Not a post (no front matter outside `_posts`, a page without a date).
    NotAPost,
    /// A post; whether it is published now is [`PostMeta::is_visible`].
    Post(PostMeta),
    Rejected,
}

/// Rules for reading one post.
#[derive(Debug, Clone, Copy)]
pub struct ReadRules {
    pub zone: SiteZone,
    /// Under `_posts/` or `_drafts/`: a file without front matter is worth a warning.
    pub in_posts_dir: bool,
}

/// Everything parsed from one file's text.
struct Parsed<'a> {
    map: Mapping,
    yaml: &'a str,
    yaml_line: usize,
    body: &'a str,
    body_line: usize,
    /// Lines (within the YAML) re-quoted to make it parse.
    requoted: Vec<usize>,
}

/// Read a post's text for selection, collecting every problem on the way.
/// `shown` is the path used in diagnostics, `rel` the content-relative one.
pub fn scan(text: &str, rel: &str, shown: &str, rules: ReadRules, diags: &mut Vec<Diagnostic>) -> Outcome {
    let warn = |diags: &mut Vec<Diagnostic>, line, message: String| {
        diags.push(Diagnostic::new(shown, line, Severity::Warning, message));
    };
    let reject = |diags: &mut Vec<Diagnostic>, line, message: String| {
        diags.push(Diagnostic::new(shown, line, Severity::Error, message));
        Outcome::Rejected
    };
    let parsed = match parse_text(text) {
        Ok(p) => p,
        Err(ParseError::NotAPost) => {
            if rules.in_posts_dir {
                warn(
                    diags,
                    Some(1),
                    "no front matter (a post starts with a `---` line); not published".into(),
                );
            }
            return Outcome::NotAPost;
        }
        Err(ParseError::Unclosed { line }) => {
            return reject(
                diags,
                Some(line),
                "front matter is never closed (no second `---` line)".into(),
            );
        }
        Err(ParseError::Yaml { line, message }) => return reject(diags, Some(line), message),
    };
    let Parsed {
        map,
        yaml,
        yaml_line,
        body,
        ..
    } = &parsed;
    let line_of = |key: &str| key_line(yaml, key).map(|l| yaml_line + l - 1);

    if text.starts_with('\u{feff}') {
        warn(diags, Some(1), "file starts with a byte-order mark; ignored".into());
    } else if !text.starts_with("---") {
        warn(diags, Some(1), "blank lines before the opening `---`; ignored".into());
    }
    if let Some(line) = text.find('\r').map(|i| line_at(text, i)) {
        warn(diags, Some(line), "Windows line endings (CRLF); read as LF".into());
    }
    if let Some((i, c)) = first_invalid_xml_char(text) {
        warn(
            diags,
            Some(line_at(text, i)),
            format!(
                "character U+{:04X} is not allowed in XML; it is left out of the feeds",
                u32::from(c)
            ),
        );
    }
    for line in &parsed.requoted {
        warn(
            diags,
            Some(yaml_line + line - 1),
            "value has unescaped `\"` or `\\` inside double quotes; kept the text between the first and last quote"
                .into(),
        );
    }

    let stem = file_stem(rel);
    let title = scalar(map.get("title")).unwrap_or_default();
    if title.trim().is_empty() {
        warn(
            diags,
            line_of("title").or(Some(*yaml_line)),
            "empty title; using the first sentence of the text".into(),
        );
    }

    let date_value = map.get("date");
    let written_date = date_value.map(|v| scalar(Some(v)).unwrap_or_default());
    // `date: [2024-01-02]` is a list, not an empty date.
    let date_problem = |w: &str| match date_value {
        Some(Value::Sequence(_)) => "the date is a YAML list, not a date (write it without `[` `]`)".to_string(),
        Some(Value::Mapping(_)) => "the date is a YAML mapping, not a date".to_string(),
        _ => date_problem(w),
    };
    let date = match written_date.as_deref().and_then(|d| parse_date(d, rules.zone)) {
        Some(d) => d,
        None => {
            let line = line_of("date").or(Some(*yaml_line));
            let fallback = file_name_date(stem).map(|day| rules.zone.localize(day.and_time(NaiveTime::MIN)));
            match (fallback, written_date) {
                (Some(d), Some(w)) => {
                    warn(
                        diags,
                        line,
                        format!(
                            "{}; using {} from the file name",
                            date_problem(&w),
                            d.format("%Y-%m-%d")
                        ),
                    );
                    d
                }
                (Some(d), None) if rules.in_posts_dir => d,
                (Some(d), None) => d,
                (None, _) if !rules.in_posts_dir && !map.contains_key("date") => return Outcome::NotAPost,
                (None, Some(w)) => {
                    return reject(
                        diags,
                        line,
                        format!("{} and the file name has no YYYY-MM-DD- prefix", date_problem(&w)),
                    );
                }
                (None, None) => {
                    return reject(
                        diags,
                        line,
                        "no date in the front matter and no YYYY-MM-DD- prefix in the file name".into(),
                    );
                }
            }
        }
    };

    let maybe_empty_link = body.contains("<>");
    if let (true, SourceLink::Empty { line }) = (maybe_empty_link, source_link(body, parsed.body_line)) {
        if source_from_front_matter(map).is_none() {
            warn(
                diags,
                Some(line),
                "empty source link `<>`; the post has no source link".into(),
            );
        }
    }
    if body.len() > MAX_ITEM_CONTENT_BYTES {
        warn(
            diags,
            Some(parsed.body_line),
            format!(
                "the text is {} bytes, over feedgen's {MAX_ITEM_CONTENT_BYTES}-byte limit for one feed item; the feeds carry its first {} bytes",
                body.len(),
                cut_content(body).len()
            ),
        );
    }
    let plain_text = nests_too_deep(&published_body(body), is_markdown(rel));
    if plain_text {
        warn(
            diags,
            Some(parsed.body_line),
            format!("the text nests more than {MAX_HTML_DEPTH} levels deep; published as plain text"),
        );
    }

    let (categories, all_categories) = terms(map, "category", "categories", path_categories(rel));
    let (tags, all_tags) = terms(map, "tag", "tags", Vec::new());
    for (what, all, singular) in [("categories", all_categories, "category"), ("tags", all_tags, "tag")] {
        if all > MAX_TERMS {
            warn(
                diags,
                line_of(what).or_else(|| line_of(singular)).or(Some(*yaml_line)),
                format!("the post has {all} {what}; only the first {MAX_TERMS} are used (feedgen's limit per post)"),
            );
        }
    }
    Outcome::Post(PostMeta {
        path: rel.into(),
        date,
        categories,
        tags,
        unpublished: map.get("published").and_then(Value::as_bool) == Some(false),
        future: map.get("future").and_then(Value::as_bool) == Some(true),
        plain_text,
    })
}

/// Read a post's text again for rendering. Problems were reported by
/// [`scan`]; here they only mean there is nothing to render.
pub fn load(text: &str, rel: &str) -> Option<Post> {
    let parsed = parse_text(text).ok()?;
    let map = &parsed.map;
    let body = parsed.body;
    Some(Post {
        title: scalar(map.get("title"))
            .map(|t| t.trim().to_string())
            .unwrap_or_default(),
        slug: scalar(map.get("slug")).unwrap_or_else(|| post_slug(file_stem(rel)).to_string()),
        author: author(map.get("author")),
        excerpt: scalar(map.get("excerpt")).filter(|e| !e.trim().is_empty()),
        permalink: scalar(map.get("permalink")).filter(|p| !p.trim().is_empty()),
        guid: scalar(map.get("guid"))
            .or_else(|| scalar(map.get("id")))
            .filter(|g| !g.trim().is_empty()),
        source: match source_from_front_matter(map) {
            Some(url) => SourceLink::Url(url),
            None => source_link(body, parsed.body_line),
        },
        body: published_body(body),
        markdown: is_markdown(rel),
    })
}

enum ParseError {
    NotAPost,
    Unclosed { line: usize },
    Yaml { line: usize, message: String },
}

fn parse_text(text: &str) -> Result<Parsed<'_>, ParseError> {
    let split = match front_matter::split(text) {
        Ok(s) => s,
        Err(SplitError::NoFrontMatter) => return Err(ParseError::NotAPost),
        Err(SplitError::Unclosed { line }) => return Err(ParseError::Unclosed { line }),
    };
    let body_line = split.yaml_line + split.yaml.lines().count() + 1;
    match front_matter::parse(split.yaml) {
        Ok(p) => Ok(Parsed {
            map: p.map,
            yaml: split.yaml,
            yaml_line: split.yaml_line,
            body: split.body,
            body_line,
            requoted: p.requoted,
        }),
        Err(e) => Err(ParseError::Yaml {
            line: split.yaml_line + e.line.unwrap_or(1) - 1,
            message: e.message,
        }),
    }
}

/// 1-based line of byte offset `i`.
pub fn line_at(text: &str, i: usize) -> usize {
    text.as_bytes()[..i].iter().filter(|&&b| b == b'\n').count() + 1
}

fn source_from_front_matter(map: &Mapping) -> Option<String> {
    scalar(map.get("source_url"))
        .or_else(|| scalar(map.get("source")))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The last bare autolink line of the body (`<http…>`); `<>` means none.
pub fn source_link(body: &str, body_line: usize) -> SourceLink {
    let mut found = SourceLink::None;
    for (i, line) in body.lines().enumerate() {
        let line = line.trim();
        if line == "<>" {
            found = SourceLink::Empty { line: body_line + i };
        } else if let Some(url) = line.strip_prefix('<').and_then(|l| l.strip_suffix('>')) {
            if (url.starts_with("http://") || url.starts_with("https://")) && !url.contains([' ', '<', '>', '"']) {
                found = SourceLink::Url(url.to_string());
            }
        }
    }
    found
}

/// `.html` posts are HTML already; `.md`/`.markdown` are Markdown.
fn is_markdown(rel: &str) -> bool {
    !rel.to_ascii_lowercase().ends_with(".html")
}

/// The body as published: at most [`MAX_ITEM_CONTENT_BYTES`], LF line
/// endings, no `<>` lines.
fn published_body(body: &str) -> String {
    without_empty_autolinks(&cut_content(body).replace("\r\n", "\n"))
}

/// The body without `<>` lines: an empty autolink is the producing
/// script's "no link", not text for a reader.
fn without_empty_autolinks(body: &str) -> String {
    if !body.contains("<>") {
        return body.to_string();
    }
    body.split_inclusive('\n').filter(|line| line.trim() != "<>").collect()
}

/// What is wrong with a written date that did not parse.
fn date_problem(written: &str) -> String {
    match written.trim() {
        "" => "the date is empty".to_string(),
        w => format!("date `{w}` is not a usable date"),
    }
}

/// Most categories, and most tags, one post brings into feeds. Every feed
/// of a post lists all its terms, so output grows with the square of a
/// post's term count: 10,000 tags would write gigabytes.
pub const MAX_TERMS: usize = 100;

/// Jekyll's term rules: the singular key wins and is one name; the plural
/// key is a list, or a string split on whitespace. Duplicates are dropped.
/// Returns the first [`MAX_TERMS`] names, and how many there were.
/// `from_path` (folders above `_posts`) come first, under the same rules.
fn terms(map: &Mapping, singular: &str, plural: &str, from_path: Vec<Box<str>>) -> (Vec<Box<str>>, usize) {
    let mut seen: std::collections::HashSet<Box<str>> = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut total = 0;
    let mut push = |name: String| {
        let name = name.trim();
        if !name.is_empty() && seen.insert(name.into()) {
            total += 1;
            if out.len() < MAX_TERMS {
                out.push(name.into());
            }
        }
    };
    from_path.iter().for_each(|name| push(name.to_string()));
    let value = match map.get(singular) {
        Some(v) if !v.is_null() => Some((v, false)),
        _ => map.get(plural).map(|v| (v, true)),
    };
    match value {
        Some((Value::Sequence(items), _)) => {
            for item in items {
                if let Some(s) = scalar(Some(item)) {
                    push(s);
                }
            }
        }
        Some((v, split)) => {
            if let Some(s) = scalar(Some(v)) {
                if split {
                    s.split_whitespace().for_each(|t| push(t.to_string()));
                } else {
                    push(s);
                }
            }
        }
        None => {}
    }
    (out, total)
}

/// Jekyll gives `a/b/_posts/x.md` the categories `a` and `b`.
fn path_categories(rel: &str) -> Vec<Box<str>> {
    let dirs: Vec<&str> = rel.split('/').collect();
    match dirs.iter().position(|d| *d == "_posts" || *d == "_drafts") {
        Some(i) => dirs[..i].iter().map(|d| Box::from(*d)).collect(),
        None => Vec::new(),
    }
}

fn file_stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// `2021-12-08-202112082206672930` → `202112082206672930`.
fn post_slug(stem: &str) -> &str {
    match file_name_date(stem) {
        Some(_) if stem.len() > 11 => &stem[11..],
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rules() -> ReadRules {
        let zone = SiteZone::parse("Asia/Shanghai").expect("zone");
        ReadRules {
            zone,
            in_posts_dir: true,
        }
    }

    fn scan_text(text: &str, rel: &str) -> (Outcome, Vec<String>) {
        let mut diags = Vec::new();
        let out = scan(text, rel, rel, rules(), &mut diags);
        (out, diags.iter().map(ToString::to_string).collect())
    }

    fn meta(text: &str) -> PostMeta {
        match scan_text(text, "_posts/2021-12-08-x.md").0 {
            Outcome::Post(m) => m,
            other => panic!("not published: {other:?}"),
        }
    }

    #[test]
    fn jekyll_term_rules() {
        let m = meta("---\ndate: 2021-12-08\ncategories: 21shijijingjibaodao 21caijingAPP\ntags: [东财滚动新闻, 2021, 东财滚动新闻]\n---\n");
        assert_eq!(
            m.categories,
            vec!["21shijijingjibaodao".into(), "21caijingAPP".into()] as Vec<Box<str>>
        );
        assert_eq!(m.tags, vec!["东财滚动新闻".into(), "2021".into()] as Vec<Box<str>>);
        let m = meta("---\ndate: 2021-12-08\ncategory: two words\ncategories: ignored\ntag: one\n---\n");
        assert_eq!(m.categories, vec!["two words".into()] as Vec<Box<str>>);
        assert_eq!(m.tags, vec!["one".into()] as Vec<Box<str>>);
    }

    #[test]
    fn folders_above_posts_are_categories() {
        assert_eq!(
            path_categories("news/cn/_posts/2021-12-08-x.md"),
            vec!["news".into(), "cn".into()] as Vec<Box<str>>
        );
        assert!(path_categories("_posts/x.md").is_empty());
    }

    #[test]
    fn date_falls_back_to_the_file_name_with_a_warning() {
        let (out, diags) = scan_text("---\ntitle: a\ndate:  +0800\n---\nx", "_posts/2022-05-26-1.md");
        let Outcome::Post(m) = out else { panic!("rejected") };
        assert_eq!(m.date.to_rfc3339(), "2022-05-26T00:00:00+08:00");
        assert_eq!(diags, vec!["_posts/2022-05-26-1.md:3: warning: date `+0800` is not a usable date; using 2022-05-26 from the file name"]);
    }

    #[test]
    fn an_empty_date_is_called_empty() {
        let (out, diags) = scan_text("---\ntitle: a\ndate:\n---\nx", "_posts/2022-05-26-1.md");
        assert!(matches!(out, Outcome::Post(_)));
        assert_eq!(
            diags,
            vec!["_posts/2022-05-26-1.md:3: warning: the date is empty; using 2022-05-26 from the file name"]
        );
        let (out, diags) = scan_text("---\ntitle: a\ndate: \"\"\n---\nx", "_posts/1.md");
        assert!(matches!(out, Outcome::Rejected));
        assert_eq!(
            diags,
            vec!["_posts/1.md:3: error: the date is empty and the file name has no YYYY-MM-DD- prefix"]
        );
    }

    #[test]
    fn no_date_anywhere_is_rejected() {
        let (out, diags) = scan_text("---\ntitle: \"\"\ndate:  +0800\n---\n<>", "_posts/-1.md");
        assert!(matches!(out, Outcome::Rejected));
        assert!(diags.iter().any(|d| d == "_posts/-1.md:3: error: date `+0800` is not a usable date and the file name has no YYYY-MM-DD- prefix"), "{diags:?}");
    }

    #[test]
    fn unpublished_and_future_posts_are_excluded() {
        let now = FixedOffset::east_opt(0)
            .and_then(|z| z.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single())
            .expect("now");
        assert!(!meta("---\ndate: 2021-12-08\npublished: false\n---\n").is_visible(now));
        assert!(!meta("---\ndate: 2031-12-08\n---\n").is_visible(now));
        assert!(meta("---\ndate: 2031-12-08\nfuture: true\n---\n").is_visible(now));
        assert!(meta("---\ndate: 2029-12-08\n---\n").is_visible(now));
    }

    #[test]
    fn pages_outside_posts_without_dates_are_not_posts() {
        let mut diags = Vec::new();
        let r = ReadRules {
            in_posts_dir: false,
            ..rules()
        };
        assert!(matches!(
            scan("---\ntitle: About\n---\n", "about.md", "about.md", r, &mut diags),
            Outcome::NotAPost
        ));
        assert!(matches!(
            scan("# no front matter", "x.md", "x.md", r, &mut diags),
            Outcome::NotAPost
        ));
        assert!(diags.is_empty());
    }

    #[test]
    fn source_links() {
        assert_eq!(
            source_link("text\n<http://a.example/1>\nfoot <http://b.example/2> x\n", 5),
            SourceLink::Url("http://a.example/1".into())
        );
        assert_eq!(source_link("a\n<>\n", 5), SourceLink::Empty { line: 6 });
        assert_eq!(source_link("no link", 1), SourceLink::None);
        let post = load(
            "---\nsource_url: http://s.example/x\n---\n<http://a.example/1>\n",
            "_posts/2021-12-08-a.md",
        )
        .expect("post");
        assert_eq!(post.source, SourceLink::Url("http://s.example/x".into()));
        let post = load("---\ndate: 2021-12-08\n---\ntext <> kept\n<>\nend\n", "_posts/a.md").expect("post");
        assert_eq!(post.body, "text <> kept\nend\n");
        assert_eq!(post.slug, "a");
    }

    #[test]
    fn deep_nesting_is_reported() {
        let text = format!("---\ndate: 2021-12-08\ntitle: a\n---\nok\n{}x\n", "<div>".repeat(600));
        let (out, diags) = scan_text(&text, "_posts/a.md");
        assert!(matches!(out, Outcome::Post(_)));
        assert_eq!(
            diags,
            vec!["_posts/a.md:5: warning: the text nests more than 512 levels deep; published as plain text"]
        );
        let (_, diags) = scan_text(
            &format!("---\ndate: 2021-12-08\ntitle: a\n---\n{} x\n", "> ".repeat(513)),
            "_posts/a.md",
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        let (_, diags) = scan_text(
            &format!("---\ndate: 2021-12-08\ntitle: a\n---\n{} x\n", ">".repeat(512)),
            "_posts/a.md",
        );
        assert!(diags.is_empty(), "{diags:?}");
        // Decided on what the Markdown builds: tags in a code block are
        // text, a list nested by markers alone is deep.
        let fenced = format!(
            "---\ndate: 2021-12-08\ntitle: a\n---\n```\n{}\n```\n",
            "<div>".repeat(600)
        );
        let (out, diags) = scan_text(&fenced, "_posts/a.md");
        assert!(matches!(out, Outcome::Post(PostMeta { plain_text: false, .. })));
        assert!(diags.is_empty(), "{diags:?}");
        let list = format!("---\ndate: 2021-12-08\ntitle: a\n---\n{}x\n", "- ".repeat(600));
        let (out, diags) = scan_text(&list, "_posts/a.md");
        assert!(matches!(out, Outcome::Post(PostMeta { plain_text: true, .. })));
        assert_eq!(diags.len(), 1, "{diags:?}");
    }

    #[test]
    fn control_characters_are_reported() {
        let (_, diags) = scan_text("---\ndate: 2021-12-08\ntitle: a\u{7}b\n---\n", "_posts/a.md");
        assert_eq!(
            diags,
            vec!["_posts/a.md:3: warning: character U+0007 is not allowed in XML; it is left out of the feeds"]
        );
    }
}
