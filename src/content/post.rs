//! One post file read into what feedgen needs: [`PostMeta`] (kept for every
//! post, for selection) and [`Post`] (loaded again only for posts that
//! appear in a feed, for rendering).

use super::date::{file_name_date, is_zoneless_yaml_timestamp, parse_date, post_file_name, FileDate, SiteZone};
use super::front_matter::{self, author, key_line, scalar, Author, Mapping, SplitError, Value};
use crate::diagnostics::{Diagnostic, Severity};
use crate::jekyll::JekyllRules;
use crate::markup::{cut_content, nests_too_deep, MAX_HTML_DEPTH, MAX_ITEM_CONTENT_BYTES};
use crate::xml_chars::first_invalid_xml_char;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

/// A category or tag name. The ~2,000 names of a site are shared by its
/// posts ([`intern`]), not copied into each.
pub type Term = Arc<str>;

/// The one shared copy of `name` (per thread): a million posts in 2,000
/// outlets hold 2,000 names, not a million.
pub fn intern(name: &str) -> Term {
    thread_local! {
        static NAMES: RefCell<HashSet<Term>> = RefCell::new(HashSet::new());
    }
    NAMES.with_borrow_mut(|names| match names.get(name) {
        Some(term) => term.clone(),
        None => {
            let term: Term = name.into();
            names.insert(term.clone());
            term
        }
    })
}

/// A post's categories, or its tags: one shared list per distinct list
/// ([`intern_list`]; a news site's posts carry a few thousand distinct
/// lists), not a vector per post.
pub type Terms = Arc<[Term]>;

/// The one shared copy of `list` (per thread), each name interned too.
pub fn intern_list(list: &[Term]) -> Terms {
    thread_local! {
        static LISTS: RefCell<HashSet<Terms>> = RefCell::new(HashSet::new());
    }
    LISTS.with_borrow_mut(|lists| match lists.get(list) {
        Some(terms) => terms.clone(),
        None => {
            let terms: Terms = list.iter().map(|t| intern(t)).collect();
            lists.insert(terms.clone());
            terms
        }
    })
}

/// Per-post metadata: everything choosing a feed's items needs, nothing more.
#[derive(Debug, Clone, PartialEq)]
pub struct PostMeta {
    /// Relative to the content root, `/`-separated.
    pub path: std::sync::Arc<str>,
    pub date: DateTime<FixedOffset>,
    pub categories: Terms,
    pub tags: Terms,
    /// `published: false` or `published:` with no value (Jekyll hides both).
    pub unpublished: bool,
    /// The instant Jekyll reads as the post's date (epoch seconds): it
    /// decides whether the post is "future" to Jekyll, so feeds never link
    /// to a page Jekyll has not published yet. Differs from `date` for an
    /// unquoted offset-less date (UTC to Jekyll) and a blank line before `---`.
    pub jekyll_time: i64,
    /// The body nests too deep to publish as HTML and is published as its
    /// text: decided once, when the post is read, from the HTML its
    /// Markdown really builds.
    pub plain_text: bool,
}

/// The site's publishing switches (Jekyll's `_config.yml` keys).
#[derive(Debug, Clone, Copy)]
pub struct Publishing {
    pub now: DateTime<FixedOffset>,
    /// `future: true`: posts dated after `now` are published too.
    pub future: bool,
    /// `unpublished: true`: `published: false` posts are published too.
    pub unpublished: bool,
}

impl PostMeta {
    /// Whether the post is published (Jekyll's rules: only the site's
    /// switches count; a post's own `future: true` is not a Jekyll key).
    pub fn is_visible(&self, rules: Publishing) -> bool {
        (!self.unpublished || rules.unpublished) && (rules.future || self.jekyll_time <= rules.now.timestamp())
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
    pub guid: Option<String>,
    /// Front-matter `image:` (a URL, or Jekyll SEO's `{path: …}`).
    pub image: Option<String>,
    /// How Jekyll reads the file: what the link is made from.
    pub jekyll: JekyllReading,
    pub source: SourceLink,
    pub body: String,
    /// `.html` posts are HTML already; `.md`/`.markdown` are Markdown.
    pub markdown: bool,
}

/// What Jekyll makes of a post file, for its URL. It differs from the
/// feed's reading where Jekyll reads the file differently from what its
/// author meant (a blank line before `---`, an unquoted date without offset).
#[derive(Debug, Clone, PartialEq)]
pub struct JekyllReading {
    /// Jekyll's `slug` data: front-matter `slug`, else from the file name.
    pub slug: String,
    /// A front-matter `permalink` Jekyll sees.
    pub permalink: Option<String>,
    pub date: LinkDate,
    /// `None`: the feed's categories.
    pub categories: Option<Vec<Term>>,
}

/// The date Jekyll builds a post's URL from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LinkDate {
    /// The feed's date.
    AsFeed,
    /// Another instant (an unquoted offset-less date, which Jekyll reads as UTC).
    Instant(DateTime<FixedOffset>),
    /// 00:00 of this day in the site zone (the file-name date).
    LocalMidnight(NaiveDate),
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
    /// Under `_posts/` or `_drafts/`: a post to Jekyll. Anything else is a
    /// page (or a static file), never a post, and gets no diagnostics.
    pub in_posts_dir: bool,
    /// Whose reading of file names (dates, slugs) applies.
    pub jekyll: JekyllRules,
}

/// The note every post with an unquoted offset-less date carries; a run
/// prints it once, with the count (see `cmd::build`).
pub const UNQUOTED_DATE_NOTE: &str = "unquoted `date` with a time and no offset";

/// Everything parsed from one file's text.
struct Parsed<'a> {
    map: Mapping,
    yaml: &'a str,
    yaml_line: usize,
    body: &'a str,
    body_line: usize,
    /// Lines (within the YAML) re-quoted to make it parse.
    requoted: Vec<usize>,
    /// Lines (within the YAML) of keys written again later.
    overridden: Vec<usize>,
    /// Jekyll reads no front matter (lines before the opening `---`).
    hidden_from_jekyll: bool,
}

/// Read a post's text for selection, collecting every problem on the way.
/// `shown` gives the path used in diagnostics (made only for one), `rel`
/// is the content-relative one.
pub fn scan(
    text: &str,
    rel: &str,
    shown: &dyn Fn() -> String,
    rules: ReadRules,
    diags: &mut Vec<Diagnostic>,
) -> Outcome {
    let warn = |diags: &mut Vec<Diagnostic>, line, message: String| {
        diags.push(Diagnostic::new(&shown(), line, Severity::Warning, message));
    };
    let reject = |diags: &mut Vec<Diagnostic>, line, message: String| {
        diags.push(Diagnostic::new(&shown(), line, Severity::Error, message));
        Outcome::Rejected
    };
    if !rules.in_posts_dir {
        return Outcome::NotAPost;
    }
    let draft = is_draft(rel);
    let name = rules.jekyll.dated_name(rel);
    if !draft {
        match post_file_name(name) {
            None => {
                return reject(
                    diags,
                    None,
                    "the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published".into(),
                );
            }
            Some((FileDate::Invalid, _)) => {
                return reject(
                    diags,
                    None,
                    "the date in the file name is not a real date: Jekyll stops building the whole site at this file (\"Invalid date\"); not published; rename the file".into(),
                );
            }
            Some((FileDate::Day(_), _)) => {}
        }
    }
    let parsed = match parse_text(text) {
        Ok(p) => p,
        Err(ParseError::NotAPost | ParseError::Unclosed { .. }) if draft => {
            warn(
                diags,
                Some(1),
                "no front matter (a post starts with a `---` line); not published".into(),
            );
            return Outcome::NotAPost;
        }
        Err(e @ (ParseError::NotAPost | ParseError::Unclosed { .. })) => {
            let day = file_name_date(rules.jekyll.dated_stem(rel)).unwrap_or_default();
            let title = titleize_slug(&file_slug(rel, rules.jekyll));
            let shown_day = day.format("%Y-%m-%d");
            let (line, message) = match e {
                ParseError::Unclosed { line } => (
                    line,
                    format!("front matter is never closed (no second `---` line): Jekyll reads no front matter and publishes the whole file as the text of a post titled `{title}`, dated {shown_day} from the file name; published the same way; close the front matter with a `---` line"),
                ),
                _ => (
                    1,
                    format!("no front matter: Jekyll publishes the file as a post titled `{title}`, dated {shown_day} from the file name; published the same way"),
                ),
            };
            warn(diags, Some(line), message);
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            let date = rules.zone.localize(day.and_time(NaiveTime::MIN));
            return Outcome::Post(PostMeta {
                path: rel.into(),
                date,
                jekyll_time: date.timestamp(),
                categories: intern_list(&path_categories(rel)),
                tags: intern_list(&[]),
                unpublished: false,
                plain_text: nests_too_deep(&published_body(body), is_markdown(rel)),
            });
        }
        Err(ParseError::Yaml { line, message }) => {
            // Front matter Ruby's YAML reader refuses too (feedgen's size
            // and depth limits are feedgen's own).
            let jekyll = if message.starts_with("front matter is not valid YAML") || message.contains("not a mapping") {
                "; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to"
            } else {
                ""
            };
            return reject(diags, Some(line), format!("{message}{jekyll}"));
        }
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
    }
    if parsed.hidden_from_jekyll {
        let day = file_name_date(rules.jekyll.dated_stem(rel))
            .map_or_else(String::new, |d| format!(", dated {}", d.format("%Y-%m-%d")));
        warn(
            diags,
            Some(1),
            format!(
                "blank line before the opening `---`: Jekyll reads no front matter in this file, so the site's page for this post is broken (it shows the front matter as text, titled `{}`{day}, without categories); the feed keeps the front matter and links to that page; fix the file by deleting the blank line(s) before `---`",
                titleize_slug(&file_slug(rel, rules.jekyll))
            ),
        );
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
            "value has unescaped `\"` or `\\` inside double quotes; kept the text between the first and last quote. Jekyll cannot read this front matter: it publishes the post at a URL made from the build date, which changes with every build; the feed links to the page this front matter describes, which Jekyll builds once the quotes are escaped (`\\\"`) or the value is single-quoted"
                .into(),
        );
    }
    for line in &parsed.overridden {
        warn(
            diags,
            Some(yaml_line + line - 1),
            "this key is written again below; the last value wins, as in Jekyll".into(),
        );
    }

    let stem = rules.jekyll.dated_stem(rel);
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
                    let jekyll = if draft {
                        ""
                    } else {
                        "; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"
                    };
                    warn(
                        diags,
                        line,
                        format!(
                            "{}; using {} from the file name{jekyll}",
                            date_problem(&w),
                            d.format("%Y-%m-%d")
                        ),
                    );
                    d
                }
                (Some(d), None) if rules.in_posts_dir => d,
                (Some(d), None) => d,
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

    if !parsed.hidden_from_jekyll && raw_value(yaml, "date").is_some_and(is_zoneless_yaml_timestamp) {
        diags.push(Diagnostic::new(
            &shown(),
            line_of("date"),
            Severity::Note,
            UNQUOTED_DATE_NOTE,
        ));
    }

    let maybe_empty_link = memchr::memmem::find(body.as_bytes(), b"<>").is_some();
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

    let jekyll_date = match jekyll_reading_date(map, yaml, rel, parsed.hidden_from_jekyll, rules.jekyll) {
        LinkDate::AsFeed => date,
        LinkDate::Instant(d) => d,
        LinkDate::LocalMidnight(day) => rules.zone.localize(day.and_time(NaiveTime::MIN)),
    };
    let (categories, all_categories) = capped(categories(map, path_categories(rel)));
    let (tags, all_tags) = capped(tags(map));
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
        jekyll_time: jekyll_date.timestamp(),
        categories,
        tags,
        unpublished: matches!(map.get("published"), Some(Value::Null | Value::Bool(false))),
        plain_text,
    })
}

/// Read a post's text again for rendering. Problems were reported by
/// [`scan`]; here they only mean there is nothing to render.
pub fn load(text: &str, rel: &str, jekyll: JekyllRules) -> Option<Post> {
    let file_reading = || JekyllReading {
        slug: file_slug(rel, jekyll),
        permalink: None,
        date: LinkDate::AsFeed,
        categories: None,
    };
    let parsed = match parse_text(text) {
        Ok(p) => p,
        // Published as Jekyll does: the whole file is the text.
        Err(ParseError::NotAPost | ParseError::Unclosed { .. }) if !is_draft(rel) => {
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            return Some(Post {
                title: titleize_slug(&file_slug(rel, jekyll)),
                slug: file_slug(rel, jekyll),
                author: None,
                excerpt: None,
                guid: None,
                image: None,
                jekyll: file_reading(),
                source: source_link(body, 1),
                body: published_body(body).into_owned(),
                markdown: is_markdown(rel),
            });
        }
        Err(_) => return None,
    };
    let map = &parsed.map;
    let body = parsed.body;
    let slug = scalar(map.get("slug")).unwrap_or_else(|| file_slug(rel, jekyll));
    let date = jekyll_reading_date(map, parsed.yaml, rel, parsed.hidden_from_jekyll, jekyll);
    let jekyll = if parsed.hidden_from_jekyll {
        JekyllReading {
            date,
            categories: Some(path_categories(rel)),
            ..file_reading()
        }
    } else {
        JekyllReading {
            slug: slug.clone(),
            permalink: scalar(map.get("permalink")).filter(|p| !p.trim().is_empty()),
            date,
            categories: nested_categories(map, rel),
        }
    };
    Some(Post {
        title: scalar(map.get("title"))
            .map(|t| t.trim().to_string())
            .unwrap_or_default(),
        slug,
        author: author(map.get("author")),
        excerpt: scalar(map.get("excerpt")).filter(|e| !e.trim().is_empty()),
        guid: scalar(map.get("guid"))
            .or_else(|| scalar(map.get("id")))
            .filter(|g| !g.trim().is_empty()),
        image: scalar(map.get("image"))
            .or_else(|| scalar(map.get("image")?.as_mapping()?.get("path")))
            .filter(|i| !i.trim().is_empty()),
        jekyll,
        source: match source_from_front_matter(map) {
            Some(url) => SourceLink::Url(url),
            None => source_link(body, parsed.body_line),
        },
        body: published_body(body).into_owned(),
        markdown: is_markdown(rel),
    })
}

/// The date Jekyll reads: the file-name date when it sees no front matter
/// (a blank line before `---`), else [`jekyll_date`].
fn jekyll_reading_date(
    map: &Mapping,
    yaml: &str,
    rel: &str,
    hidden_from_jekyll: bool,
    jekyll: JekyllRules,
) -> LinkDate {
    if hidden_from_jekyll {
        file_name_date(jekyll.dated_stem(rel)).map_or(LinkDate::AsFeed, LinkDate::LocalMidnight)
    } else {
        jekyll_date(map, yaml)
    }
}

/// The date Jekyll's URL uses: an unquoted offset-less timestamp is UTC
/// to Jekyll (Ruby's YAML reader makes it a UTC time); anything else is
/// read as the feed reads it.
fn jekyll_date(map: &Mapping, yaml: &str) -> LinkDate {
    let Some(utc) = FixedOffset::east_opt(0).map(SiteZone::Fixed) else {
        return LinkDate::AsFeed;
    };
    match (raw_value(yaml, "date"), scalar(map.get("date"))) {
        (Some(raw), Some(written)) if is_zoneless_yaml_timestamp(raw) => {
            parse_date(&written, utc).map_or(LinkDate::AsFeed, LinkDate::Instant)
        }
        _ => LinkDate::AsFeed,
    }
}

/// The text after `key:` on the top-level line that sets `key` (the last
/// one: the last value wins).
fn raw_value<'a>(yaml: &'a str, key: &str) -> Option<&'a str> {
    yaml.lines()
        .rev()
        .find_map(|line| line.strip_prefix(key)?.trim_start().strip_prefix(':'))
        .map(str::trim)
}

/// Ruby's `titleize_slug`, Jekyll's title for a post without one in front
/// matter it can read: `UpperCase-Name` → `Uppercase Name`.
pub fn titleize_slug(slug: &str) -> String {
    let words: Vec<String> = slug
        .trim_end_matches('-')
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
                None => String::new(),
            }
        })
        .collect();
    words.join(" ")
}

/// Under `_drafts/` (and not in a `_posts/` below it).
fn is_draft(rel: &str) -> bool {
    let dirs: Vec<&str> = rel.split('/').collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    dirs.contains(&"_drafts") && !dirs.contains(&"_posts")
}

/// Jekyll's `slug` for a file: the name after the date prefix without
/// extension (and, for 4.3, trailing dots); an undated draft's whole name
/// without extension. 3.10 reads a dated folder's files too (`dir/inner`).
fn file_slug(rel: &str, jekyll: JekyllRules) -> String {
    match post_file_name(jekyll.dated_name(rel)) {
        Some((_, slug)) => crate::permalink::file_slug(slug, jekyll).to_string(),
        _ => file_stem(rel).to_string(),
    }
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
            overridden: p.overridden,
            hidden_from_jekyll: split.hidden_from_jekyll,
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
fn published_body(body: &str) -> Cow<'_, str> {
    // Looked for with memchr: two substring searches and two copies per
    // post were 4% of the CPU time of reading a million posts, and most
    // posts have neither.
    let body = cut_content(body);
    let body = match memchr::memchr(b'\r', body.as_bytes()) {
        Some(_) => Cow::Owned(body.replace("\r\n", "\n")),
        None => Cow::Borrowed(body),
    };
    // Without `<>` lines: an empty autolink is the producing script's "no
    // link", not text for a reader.
    match memchr::memmem::find(body.as_bytes(), b"<>") {
        None => body,
        Some(_) => Cow::Owned(body.split_inclusive('\n').filter(|line| line.trim() != "<>").collect()),
    }
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

/// The first [`MAX_TERMS`] of `terms`, and how many there were.
fn capped(terms: Vec<Term>) -> (Terms, usize) {
    (intern_list(&terms[..terms.len().min(MAX_TERMS)]), terms.len())
}

/// Jekyll's categories: folder categories, then `categories` (a list, or
/// a string split on whitespace), then `category` (added, not replacing;
/// one name, or a list). Each name once.
fn categories(map: &Mapping, folders: Vec<Term>) -> Vec<Term> {
    let mut out = folders;
    push_terms(&mut out, map.get("categories"), true);
    push_terms(&mut out, map.get("category"), false);
    out
}

/// A list inside the `categories` list: Jekyll makes the inner list one
/// more category, written as Ruby prints it (`["x", "y"]`), before its
/// items. `None` when there is no inner list (the usual case).
fn nested_categories(map: &Mapping, rel: &str) -> Option<Vec<Term>> {
    let Some(Value::Sequence(items)) = map.get("categories") else {
        return None;
    };
    if !items.iter().any(Value::is_sequence) {
        return None;
    }
    fn inspect(value: &Value) -> String {
        match value {
            Value::Sequence(items) => format!("[{}]", items.iter().map(inspect).collect::<Vec<_>>().join(", ")),
            Value::String(s) => format!("{s:?}"),
            Value::Null => "nil".to_string(),
            other => scalar(Some(other)).unwrap_or_default(),
        }
    }
    fn flatten(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Sequence(items) => items.iter().for_each(|i| flatten(i, out)),
            other => out.extend(scalar(Some(other))),
        }
    }
    // Ruby's `to_s`: an inner list prints as its `inspect`, the rest as text.
    let mut names: Vec<String> = items
        .iter()
        .map(|i| match i {
            Value::Sequence(_) => inspect(i),
            other => scalar(Some(other)).unwrap_or_default(),
        })
        .collect();
    items.iter().for_each(|i| flatten(i, &mut names));
    let mut out = path_categories(rel);
    names.iter().for_each(|n| {
        if !n.is_empty() && !out.iter().any(|o| **o == **n) {
            out.push(n.as_str().into());
        }
    });
    let singular = categories(map, Vec::new());
    for c in singular {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Some(out)
}

/// Jekyll's tags: `tag` when present (one name, or a list) replaces
/// `tags` (a list, or a string split on whitespace). Each name once.
fn tags(map: &Mapping) -> Vec<Term> {
    let mut out = Vec::new();
    match map.get("tag") {
        Some(v) if !v.is_null() => push_terms(&mut out, Some(v), false),
        _ => push_terms(&mut out, map.get("tags"), true),
    }
    out
}

fn push_terms(out: &mut Vec<Term>, value: Option<&Value>, split: bool) {
    // A set, not a scan of `out`: 30,000 categories must stay linear.
    let mut seen: std::collections::HashSet<Term> = out.iter().cloned().collect();
    let mut push = |name: &str| {
        let name = name.trim();
        if !name.is_empty() && seen.insert(name.into()) {
            out.push(name.into());
        }
    };
    match value {
        Some(Value::Sequence(items)) => {
            for item in items {
                if let Some(s) = scalar(Some(item)) {
                    push(&s);
                }
            }
        }
        Some(v) => {
            if let Some(s) = scalar(Some(v)) {
                if split {
                    s.split_whitespace().for_each(&mut push);
                } else {
                    push(&s);
                }
            }
        }
        None => {}
    }
}

/// Jekyll gives `a/b/_posts/x.md` the categories `a` and `b`.
fn path_categories(rel: &str) -> Vec<Term> {
    let dirs: Vec<&str> = rel.split('/').collect();
    match dirs.iter().position(|d| *d == "_posts" || *d == "_drafts") {
        Some(i) => dirs[..i].iter().map(|d| Term::from(*d)).collect(),
        None => Vec::new(),
    }
}

fn file_stem(rel: &str) -> &str {
    crate::permalink::file_stem(rel)
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
            jekyll: JekyllRules::default(),
        }
    }

    fn scan_text(text: &str, rel: &str) -> (Outcome, Vec<String>) {
        let mut diags = Vec::new();
        let out = scan(text, rel, &|| rel.to_string(), rules(), &mut diags);
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
            Terms::from(vec!["21shijijingjibaodao".into(), "21caijingAPP".into()] as Vec<Term>)
        );
        assert_eq!(
            m.tags,
            Terms::from(vec!["东财滚动新闻".into(), "2021".into()] as Vec<Term>)
        );
        // `category` is added after `categories` (one name); `tag` replaces `tags`.
        let m = meta("---\ndate: 2021-12-08\ncategory: two words\ncategories: Plural more\ntag: one\ntags: a b\n---\n");
        assert_eq!(
            m.categories,
            Terms::from(vec!["Plural".into(), "more".into(), "two words".into()] as Vec<Term>)
        );
        assert_eq!(m.tags, Terms::from(vec!["one".into()] as Vec<Term>));
        let m = meta("---\ndate: 2021-12-08\ncategory: [s1, s2]\ncategories: [p1, s1]\n---\n");
        assert_eq!(
            m.categories,
            Terms::from(vec!["p1".into(), "s1".into(), "s2".into()] as Vec<Term>)
        );
    }

    #[test]
    fn folders_above_posts_are_categories() {
        assert_eq!(
            path_categories("news/cn/_posts/2021-12-08-x.md"),
            vec!["news".into(), "cn".into()] as Vec<Term>
        );
        assert!(path_categories("_posts/x.md").is_empty());
    }

    #[test]
    fn date_falls_back_to_the_file_name_with_a_warning() {
        let (out, diags) = scan_text("---\ntitle: a\ndate:  +0800\n---\nx", "_posts/2022-05-26-1.md");
        let Outcome::Post(m) = out else { panic!("rejected") };
        assert_eq!(m.date.to_rfc3339(), "2022-05-26T00:00:00+08:00");
        assert_eq!(diags, vec!["_posts/2022-05-26-1.md:3: warning: date `+0800` is not a usable date; using 2022-05-26 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"]);
    }

    #[test]
    fn an_empty_date_is_called_empty() {
        let (out, diags) = scan_text("---\ntitle: a\ndate:\n---\nx", "_posts/2022-05-26-1.md");
        assert!(matches!(out, Outcome::Post(_)));
        assert_eq!(
            diags,
            vec!["_posts/2022-05-26-1.md:3: warning: the date is empty; using 2022-05-26 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"]
        );
        let (out, diags) = scan_text("---\ntitle: a\ndate: \"\"\n---\nx", "_drafts/1.md");
        assert!(matches!(out, Outcome::Rejected));
        assert_eq!(
            diags,
            vec!["_drafts/1.md:3: error: the date is empty and the file name has no YYYY-MM-DD- prefix"]
        );
    }

    #[test]
    fn no_date_anywhere_is_rejected() {
        let (out, diags) = scan_text("---\ntitle: \"\"\ndate:  +0800\n---\n<>", "_drafts/-1.md");
        assert!(matches!(out, Outcome::Rejected));
        assert!(diags.iter().any(|d| d == "_drafts/-1.md:3: error: date `+0800` is not a usable date and the file name has no YYYY-MM-DD- prefix"), "{diags:?}");
        // Under `_posts/`, Jekyll reads only dated file names as posts.
        let (out, diags) = scan_text("---\ntitle: a\ndate: 2021-12-08\n---\n", "_posts/-1.md");
        assert!(matches!(out, Outcome::Rejected));
        assert_eq!(diags, vec!["_posts/-1.md: error: the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published"]);
    }

    #[test]
    fn unpublished_and_future_posts_are_excluded() {
        let now = FixedOffset::east_opt(0)
            .and_then(|z| z.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single())
            .expect("now");
        let site = Publishing {
            now,
            future: false,
            unpublished: false,
        };
        assert!(!meta("---\ndate: 2021-12-08\npublished: false\n---\n").is_visible(site));
        assert!(!meta("---\ndate: 2021-12-08\npublished:\n---\n").is_visible(site));
        assert!(meta("---\ndate: 2021-12-08\npublished: \"false\"\n---\n").is_visible(site));
        assert!(!meta("---\ndate: 2031-12-08\n---\n").is_visible(site));
        // A post's own `future: true` is not a Jekyll key: still hidden.
        assert!(!meta("---\ndate: 2031-12-08\nfuture: true\n---\n").is_visible(site));
        assert!(meta("---\ndate: 2029-12-08\n---\n").is_visible(site));
        let switches = Publishing {
            future: true,
            unpublished: true,
            ..site
        };
        assert!(meta("---\ndate: 2031-12-08\n---\n").is_visible(switches));
        assert!(meta("---\ndate: 2021-12-08\npublished: false\n---\n").is_visible(switches));
    }

    #[test]
    fn pages_outside_posts_without_dates_are_not_posts() {
        let mut diags = Vec::new();
        let r = ReadRules {
            in_posts_dir: false,
            ..rules()
        };
        assert!(matches!(
            scan(
                "---\ntitle: About\n---\n",
                "about.md",
                &|| "about.md".into(),
                r,
                &mut diags
            ),
            Outcome::NotAPost
        ));
        assert!(matches!(
            scan("# no front matter", "x.md", &|| "x.md".into(), r, &mut diags),
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
            JekyllRules::default(),
        )
        .expect("post");
        assert_eq!(post.source, SourceLink::Url("http://s.example/x".into()));
        let post = load(
            "---\ndate: 2021-12-08\n---\ntext <> kept\n<>\nend\n",
            "_posts/2021-12-08-a.md",
            JekyllRules::default(),
        )
        .expect("post");
        assert_eq!(post.body, "text <> kept\nend\n");
        assert_eq!(post.slug, "a");
    }

    #[test]
    fn deep_nesting_is_reported() {
        let text = format!("---\ndate: 2021-12-08\ntitle: a\n---\nok\n{}x\n", "<div>".repeat(600));
        let (out, diags) = scan_text(&text, "_posts/2021-12-08-a.md");
        assert!(matches!(out, Outcome::Post(_)));
        assert_eq!(
            diags,
            vec![
                "_posts/2021-12-08-a.md:5: warning: the text nests more than 512 levels deep; published as plain text"
            ]
        );
        let (_, diags) = scan_text(
            &format!("---\ndate: 2021-12-08\ntitle: a\n---\n{} x\n", "> ".repeat(513)),
            "_posts/2021-12-08-a.md",
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        let (_, diags) = scan_text(
            &format!("---\ndate: 2021-12-08\ntitle: a\n---\n{} x\n", ">".repeat(512)),
            "_posts/2021-12-08-a.md",
        );
        assert!(diags.is_empty(), "{diags:?}");
        // Decided on what the Markdown builds: tags in a code block are
        // text, a list nested by markers alone is deep.
        let fenced = format!(
            "---\ndate: 2021-12-08\ntitle: a\n---\n```\n{}\n```\n",
            "<div>".repeat(600)
        );
        let (out, diags) = scan_text(&fenced, "_posts/2021-12-08-a.md");
        assert!(matches!(out, Outcome::Post(PostMeta { plain_text: false, .. })));
        assert!(diags.is_empty(), "{diags:?}");
        let list = format!("---\ndate: 2021-12-08\ntitle: a\n---\n{}x\n", "- ".repeat(600));
        let (out, diags) = scan_text(&list, "_posts/2021-12-08-a.md");
        assert!(matches!(out, Outcome::Post(PostMeta { plain_text: true, .. })));
        assert_eq!(diags.len(), 1, "{diags:?}");
    }

    #[test]
    fn control_characters_are_reported() {
        let (_, diags) = scan_text("---\ndate: 2021-12-08\ntitle: a\u{7}b\n---\n", "_posts/2021-12-08-a.md");
        assert_eq!(
            diags,
            vec!["_posts/2021-12-08-a.md:3: warning: character U+0007 is not allowed in XML; it is left out of the feeds"]
        );
    }

    #[test]
    fn files_jekyll_publishes_without_front_matter_are_published() {
        let (out, diags) = scan_text("Just text.\n", "_posts/2022-01-13-no-front-matter.md");
        let Outcome::Post(m) = out else { panic!("not published") };
        assert_eq!(m.date.to_rfc3339(), "2022-01-13T00:00:00+08:00");
        assert_eq!(diags, vec!["_posts/2022-01-13-no-front-matter.md:1: warning: no front matter: Jekyll publishes the file as a post titled `No Front Matter`, dated 2022-01-13 from the file name; published the same way"]);
        let post = load(
            "Just text.\n",
            "_posts/2022-01-13-no-front-matter.md",
            JekyllRules::default(),
        )
        .expect("post");
        assert_eq!(post.title, "No Front Matter");
        let (out, diags) = scan_text("---\ntitle: Never closed\nbody\n", "news/_posts/2022-01-14-unclosed.md");
        let Outcome::Post(m) = out else { panic!("not published") };
        assert_eq!(m.categories, Terms::from(vec!["news".into()] as Vec<Term>));
        assert!(
            diags[0].starts_with("news/_posts/2022-01-14-unclosed.md:1: warning: front matter is never closed"),
            "{diags:?}"
        );
    }

    #[test]
    fn pages_get_no_diagnostics() {
        let mut diags = Vec::new();
        let page = ReadRules {
            in_posts_dir: false,
            ..rules()
        };
        let text = "---\r\nlayout: category\r\n---";
        assert!(matches!(
            scan(text, "category/emnews.html", &|| "x".to_string(), page, &mut diags),
            Outcome::NotAPost
        ));
        assert!(matches!(
            scan(
                "---\ndate: 2021-12-08\n---\n",
                "notes/2021-12-08-a.md",
                &|| "x".into(),
                page,
                &mut diags
            ),
            Outcome::NotAPost
        ));
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn jekyll_reading_of_a_blank_line_before_front_matter() {
        let text = "\n---\ntitle: Blank line first\ndate: 2022-01-10 23:30:00 +0800\ncategories: notes\nslug: other\n---\nBody\n";
        let (out, diags) = scan_text(text, "_posts/2022-01-10-blank-line.md");
        let Outcome::Post(m) = out else { panic!("not published") };
        // The feed keeps the author's meaning ...
        assert_eq!(m.date.to_rfc3339(), "2022-01-10T23:30:00+08:00");
        assert_eq!(m.categories, Terms::from(vec!["notes".into()] as Vec<Term>));
        assert!(
            diags[0].contains("the site's page for this post is broken"),
            "{diags:?}"
        );
        assert!(diags[0].contains("deleting the blank line"), "{diags:?}");
        // ... the link follows Jekyll's reading: file name, no categories, midnight.
        let post = load(text, "_posts/2022-01-10-blank-line.md", JekyllRules::default()).expect("post");
        assert_eq!(post.title, "Blank line first");
        assert_eq!(
            post.jekyll,
            JekyllReading {
                slug: "blank-line".into(),
                permalink: None,
                date: LinkDate::LocalMidnight(NaiveDate::from_ymd_opt(2022, 1, 10).expect("day")),
                categories: Some(Vec::new()),
            }
        );
    }

    #[test]
    fn unquoted_offsetless_dates_are_utc_to_jekyll() {
        let text = "---\ntitle: a\ndate: 2021-12-01 13:33:50\n---\n";
        let (out, diags) = scan_text(text, "_posts/2021-12-01-a.md");
        let Outcome::Post(m) = out else { panic!("not published") };
        assert_eq!(m.date.to_rfc3339(), "2021-12-01T13:33:50+08:00");
        // "Future" is decided on Jekyll's reading, 8 hours later.
        assert_eq!(m.jekyll_time, m.date.timestamp() + 8 * 3600);
        assert_eq!(
            diags,
            vec![format!("_posts/2021-12-01-a.md:3: note: {UNQUOTED_DATE_NOTE}")]
        );
        let post = load(text, "_posts/2021-12-01-a.md", JekyllRules::default()).expect("post");
        let utc = FixedOffset::east_opt(0).expect("utc");
        assert_eq!(
            post.jekyll.date,
            LinkDate::Instant(
                NaiveDate::from_ymd_opt(2021, 12, 1)
                    .and_then(|d| d.and_hms_opt(13, 33, 50))
                    .and_then(|n| n.and_local_timezone(utc).single())
                    .expect("instant")
            )
        );
        for quoted in [
            "\"2021-12-01 13:33:50\"",
            "2021-12-01 13:33",
            "2021-12-01 13:33:50 +0800",
        ] {
            let text = format!("---\ntitle: a\ndate: {quoted}\n---\n");
            let (_, diags) = scan_text(&text, "_posts/2021-12-01-a.md");
            assert!(diags.is_empty(), "{quoted}: {diags:?}");
            let post = load(&text, "_posts/2021-12-01-a.md", JekyllRules::default()).expect("post");
            assert_eq!(post.jekyll.date, LinkDate::AsFeed, "{quoted}");
        }
    }

    #[test]
    fn a_duplicate_key_keeps_the_last_value_with_a_warning() {
        let text = "---\ntitle: First title\ntitle: Second title\ndate: 2022-01-15\n---\n";
        let (out, diags) = scan_text(text, "_posts/2022-01-15-dup-key.md");
        assert!(matches!(out, Outcome::Post(_)));
        assert_eq!(diags, vec!["_posts/2022-01-15-dup-key.md:2: warning: this key is written again below; the last value wins, as in Jekyll"]);
        assert_eq!(
            load(text, "_posts/2022-01-15-dup-key.md", JekyllRules::default())
                .expect("post")
                .title,
            "Second title"
        );
    }

    /// `_posts/2022-04-04-dir/inner.md`: GitHub Pages' 3.10 publishes it,
    /// dated from the folder; 4.3 does not read it as a post.
    #[test]
    fn a_dated_folder_holds_a_post_for_3_10_only() {
        let rel = "_posts/2022-04-04-dir/inner.md";
        let scan_with = |jekyll, text: &str| {
            let mut diags = Vec::new();
            let rules = ReadRules { jekyll, ..rules() };
            (scan(text, rel, &|| rel.to_string(), rules, &mut diags), diags.len())
        };
        let (out, diags) = scan_with(JekyllRules::Pages310, "---\ntitle: In a folder\n---\ntext\n");
        let Outcome::Post(meta) = out else {
            panic!("not a post: {out:?}")
        };
        assert_eq!(
            (meta.date.to_rfc3339().as_str(), diags),
            ("2022-04-04T00:00:00+08:00", 0)
        );
        let post = load("---\ntitle: In a folder\n---\ntext\n", rel, JekyllRules::Pages310).expect("post");
        assert_eq!(post.slug, "dir/inner");
        let (out, diags) = scan_with(JekyllRules::Jekyll43, "---\ntitle: In a folder\n---\ntext\n");
        assert!(matches!(out, Outcome::Rejected), "{out:?}");
        assert_eq!(diags, 1);
    }

    #[test]
    fn titles_from_file_names() {
        assert_eq!(titleize_slug("UpperCase-Name"), "Uppercase Name");
        assert_eq!(titleize_slug("中文文件名"), "中文文件名");
        let dots = "_posts/2022-01-02-dots...md";
        assert_eq!(file_slug(dots, JekyllRules::Jekyll43), "dots");
        assert_eq!(file_slug(dots, JekyllRules::Pages310), "dots..");
        assert_eq!(
            file_slug("_posts/2022-04-04-dir/inner.md", JekyllRules::Pages310),
            "dir/inner"
        );
        assert_eq!(
            file_slug("_posts/2022-04-04-dir/inner.md", JekyllRules::Jekyll43),
            "inner"
        );
        assert_eq!(file_slug("_drafts/a-draft.md", JekyllRules::Pages310), "a-draft");
    }
}
