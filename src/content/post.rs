//! One post file read into what feedgen needs: [`PostMeta`] (kept for every
//! post, for selection) and [`Post`] (loaded again only for posts that
//! appear in a feed, for rendering). Both come from one reading of the file
//! (`read`: split, YAML, typed [`PostFrontMatter`]), so they cannot disagree.

use super::date::{file_name_date, is_zoneless_yaml_timestamp, parse_date, post_file_name, FileDate, SiteZone};
use super::front_matter::{self, key_line, scalar, SplitError, Value};
use super::limits::MAX_TERMS;
pub use super::post_front_matter::PostFrontMatter;
use super::post_front_matter::{DateField, Names};
use super::problem::{FrontMatterProblem, Problem};
use crate::author::Author;
use crate::diagnostics::Diagnostic;
use crate::jekyll::JekyllRules;
use crate::markup::{cut_content, nests_too_deep, MAX_ITEM_CONTENT_BYTES};
use crate::taxonomy::{Term, Terms};
use crate::xml_chars::first_invalid_xml_char;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::num::{NonZeroU32, NonZeroU64};

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
    /// How Jekyll reads the file for its URL, when not as
    /// [`JekyllReading::of_file`] (a front-matter `slug`, `permalink`, an
    /// unquoted date, nested categories, front matter Jekyll does not see):
    /// what tells which posts Jekyll writes to one page.
    pub jekyll: Option<Box<JekyllReading>>,
    /// A hash of the file Jekyll writes for the post's URL
    /// (`model::page_file`): set once, after the post is read, and kept in
    /// the rebuild index, so a rerun finds posts that may share a page
    /// without building every URL. `None` until set.
    pub page_file: Option<NonZeroU64>,
    /// The line of an unquoted `date` with a time and no offset, which
    /// Jekyll reads as UTC. A number, not a diagnostic of its own: one post
    /// in eight of a real archive has one, and a run prints a single note
    /// for all of them.
    pub unquoted_date: Option<NonZeroU32>,
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

    /// How Jekyll reads the file for its URL (the same reading [`load`]
    /// gives the rendered post). `read_at`: the path the file was read at
    /// (an archived post's `_posts/` path).
    pub fn jekyll_reading(&self, read_at: &str, jekyll: JekyllRules) -> std::borrow::Cow<'_, JekyllReading> {
        match &self.jekyll {
            Some(own) => std::borrow::Cow::Borrowed(own),
            None => std::borrow::Cow::Owned(JekyllReading::of_file(read_at, jekyll)),
        }
    }
}

impl JekyllReading {
    /// A file's URL as Jekyll reads it with nothing in front matter to
    /// change it: the file-name slug, the feed's date and categories.
    pub fn of_file(rel: &str, jekyll: JekyllRules) -> JekyllReading {
        JekyllReading {
            slug: file_slug(rel, jekyll),
            permalink: None,
            date: LinkDate::AsFeed,
            categories: None,
        }
    }

    /// `None` for the reading [`JekyllReading::of_file`] gives, which
    /// [`PostMeta`] does not keep.
    fn unless_of_file(self, rel: &str, jekyll: JekyllRules) -> Option<Box<JekyllReading>> {
        (self != JekyllReading::of_file(rel, jekyll)).then(|| Box::new(self))
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
    /// In an `archive` folder, read at its `_posts/` path: a post only if
    /// Jekyll would have read it as one there and it opens with front
    /// matter (a page's rule); anything else is a page, silently.
    pub archived: bool,
    /// Whose reading of file names (dates, slugs) applies.
    pub jekyll: JekyllRules,
}

/// A post file read once: the one reading [`scan`] (selection) and
/// [`load`] (rendering) both derive from, so the two cannot disagree.
#[expect(
    clippy::large_enum_variant,
    reason = "one per post, on the stack while the post is read; never stored"
)]
enum Reading<'a> {
    /// Front matter, read.
    Front(FrontReading<'a>),
    /// No front matter, or one never closed (`unclosed`: its opening
    /// line): Jekyll publishes the whole file as the text of a post.
    Whole { body: &'a str, unclosed: Option<usize> },
}

/// A post file with front matter, read.
struct FrontReading<'a> {
    fields: PostFrontMatter,
    yaml: &'a str,
    /// File line of the first YAML line.
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

/// Why a file gives no reading.
enum Unreadable {
    /// A draft without front matter: Jekyll skips it.
    DraftWithoutFrontMatter,
    /// Front matter feedgen cannot read, at this line of the file.
    FrontMatter { line: usize, problem: FrontMatterProblem },
}

/// Split a post file, parse its YAML and type its fields: the one parse
/// both [`scan`] and [`load`] go through.
fn read<'a>(text: &'a str, rel: &str) -> Result<Reading<'a>, Unreadable> {
    let split = match front_matter::split(text) {
        Ok(split) => split,
        Err(_) if is_draft(rel) => return Err(Unreadable::DraftWithoutFrontMatter),
        Err(e) => {
            let unclosed = match e {
                SplitError::Unclosed { line } => Some(line),
                SplitError::NoFrontMatter => None,
            };
            let body = text.strip_prefix('\u{feff}').unwrap_or(text);
            return Ok(Reading::Whole { body, unclosed });
        }
    };
    let at = |line: Option<usize>| split.yaml_line + line.unwrap_or(1) - 1;
    let parsed = front_matter::parse(split.yaml).map_err(|e| Unreadable::FrontMatter {
        line: at(e.line),
        problem: e.problem,
    })?;
    // Every field takes any YAML value, so this fails only if serde does.
    let fields = PostFrontMatter::from_mapping(parsed.map).map_err(|e| Unreadable::FrontMatter {
        line: at(e.location().map(|l| l.line())),
        problem: FrontMatterProblem::Invalid { message: e.to_string() },
    })?;
    Ok(Reading::Front(FrontReading {
        fields,
        yaml: split.yaml,
        yaml_line: split.yaml_line,
        body: split.body,
        body_line: split.yaml_line + split.yaml.lines().count() + 1,
        requoted: parsed.requoted,
        overridden: parsed.overridden,
        hidden_from_jekyll: split.hidden_from_jekyll,
    }))
}

impl FrontReading<'_> {
    /// The file line where top-level `key` stands.
    fn line_of(&self, key: &str) -> Option<usize> {
        key_line(self.yaml, key).map(|l| self.yaml_line + l - 1)
    }

    /// The date Jekyll reads: the file-name date when it sees no front
    /// matter (a blank line before `---`), else [`jekyll_date`].
    fn link_date(&self, rel: &str, jekyll: JekyllRules) -> LinkDate {
        if self.hidden_from_jekyll {
            file_name_date(jekyll.dated_stem(rel)).map_or(LinkDate::AsFeed, LinkDate::LocalMidnight)
        } else {
            jekyll_date(&self.fields.date, self.yaml)
        }
    }

    /// An unquoted `date` with a time and no offset that Jekyll reads.
    fn unquoted_date(&self) -> bool {
        !self.hidden_from_jekyll && raw_value(self.yaml, "date").is_some_and(is_zoneless_yaml_timestamp)
    }

    /// Front-matter `source_url` (or `source`), else the body's last autolink line.
    fn source(&self) -> SourceLink {
        let fields = &self.fields;
        let written = fields.source_url.as_deref().or(fields.source.as_deref()).map(str::trim);
        match written.filter(|s| !s.is_empty()) {
            Some(url) => SourceLink::Url(url.to_string()),
            None => source_link(self.body, self.body_line),
        }
    }

    /// How Jekyll reads the file for its URL.
    fn jekyll_reading(&self, rel: &str, jekyll: JekyllRules) -> JekyllReading {
        let date = self.link_date(rel, jekyll);
        if self.hidden_from_jekyll {
            return JekyllReading {
                slug: file_slug(rel, jekyll),
                permalink: None,
                date,
                categories: Some(path_categories(rel)),
            };
        }
        let fields = &self.fields;
        JekyllReading {
            slug: fields.slug.clone().unwrap_or_else(|| file_slug(rel, jekyll)),
            permalink: fields.permalink.clone().filter(|p| !p.trim().is_empty()),
            date,
            categories: nested_categories(fields, rel),
        }
    }

    /// The post as rendered.
    fn into_post(self, rel: &str, jekyll: JekyllRules) -> Post {
        let source = self.source();
        let reading = self.jekyll_reading(rel, jekyll);
        let fields = self.fields;
        let slug = fields.slug.clone().unwrap_or_else(|| file_slug(rel, jekyll));
        let given = |text: Option<String>| text.filter(|t| !t.trim().is_empty());
        Post {
            title: fields.title.map(|t| t.trim().to_string()).unwrap_or_default(),
            slug,
            author: fields.author,
            excerpt: given(fields.excerpt),
            guid: given(fields.guid.or(fields.id)),
            image: given(fields.image),
            jekyll: reading,
            source,
            body: published_body(self.body).into_owned(),
            markdown: is_markdown(rel),
        }
    }
}

/// A file Jekyll publishes whole, as rendered: titled and dated from its name.
fn whole_file_post(body: &str, rel: &str, jekyll: JekyllRules) -> Post {
    Post {
        title: titleize_slug(&file_slug(rel, jekyll)),
        slug: file_slug(rel, jekyll),
        author: None,
        excerpt: None,
        guid: None,
        image: None,
        jekyll: JekyllReading::of_file(rel, jekyll),
        source: source_link(body, 1),
        body: published_body(body).into_owned(),
        markdown: is_markdown(rel),
    }
}

/// Where [`scan`] puts the problems it finds.
struct Report<'a> {
    /// The path as shown, made only for a problem.
    shown: &'a dyn Fn() -> String,
    diags: &'a mut Vec<Diagnostic>,
}

impl Report<'_> {
    fn add(&mut self, problem: Problem, line: Option<usize>) {
        self.diags.push(problem.at(&(self.shown)(), line));
    }
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
    if !rules.in_posts_dir {
        return Outcome::NotAPost;
    }
    let mut report = Report { shown, diags };
    let draft = is_draft(rel);
    let jekyll = rules.jekyll;
    if let Some(problem) = (!draft).then(|| file_name_problem(rel, jekyll)).flatten() {
        if rules.archived {
            return Outcome::NotAPost;
        }
        // A name Jekyll skips is no post of the site's: nothing is lost.
        let outcome = match problem {
            Problem::FileNameNotDated => Outcome::NotAPost,
            _ => Outcome::Rejected,
        };
        report.add(problem, None);
        return outcome;
    }
    let reading = match read(text, rel) {
        Ok(Reading::Front(reading)) if rules.archived && reading.hidden_from_jekyll => return Outcome::NotAPost,
        Ok(Reading::Whole { .. }) if rules.archived => return Outcome::NotAPost,
        Ok(Reading::Front(reading)) => reading,
        Ok(Reading::Whole { body, unclosed }) => {
            return Outcome::Post(whole_file_meta(body, unclosed, rel, rules, &mut report));
        }
        Err(Unreadable::DraftWithoutFrontMatter) => {
            report.add(Problem::DraftWithoutFrontMatter, Some(1));
            return Outcome::NotAPost;
        }
        Err(Unreadable::FrontMatter { line, problem }) => {
            report.add(Problem::FrontMatter(problem), Some(line));
            return Outcome::Rejected;
        }
    };
    report_text(text, rel, jekyll, &reading, &mut report);
    let Some(date) = feed_date(&reading, rel, draft, rules, &mut report) else {
        return Outcome::Rejected;
    };
    // `line_of` finds a line wherever `unquoted_date` finds the value.
    let line = |line: usize| u32::try_from(line).ok().and_then(NonZeroU32::new);
    let unquoted_date =
        (reading.unquoted_date()).then(|| reading.line_of("date").and_then(line).unwrap_or(NonZeroU32::MIN));
    let plain_text = report_body(&reading, rel, &mut report);
    let jekyll_date = match reading.link_date(rel, jekyll) {
        LinkDate::AsFeed => date,
        LinkDate::Instant(d) => d,
        LinkDate::LocalMidnight(day) => rules.zone.localize(day.and_time(NaiveTime::MIN)),
    };
    let (categories, tags) = terms(&reading, rel, &mut report);
    Outcome::Post(PostMeta {
        path: rel.into(),
        date,
        jekyll_time: jekyll_date.timestamp(),
        categories,
        tags,
        unpublished: reading.fields.unpublished,
        plain_text,
        jekyll: reading.jekyll_reading(rel, jekyll).unless_of_file(rel, jekyll),
        page_file: None,
        unquoted_date,
    })
}

/// Read a post's text again for rendering. Problems were reported by
/// [`scan`], from the same [`read`]; here they only mean there is nothing
/// to render.
pub fn load(text: &str, rel: &str, jekyll: JekyllRules) -> Option<Post> {
    match read(text, rel).ok()? {
        Reading::Front(reading) => Some(reading.into_post(rel, jekyll)),
        Reading::Whole { body, .. } => Some(whole_file_post(body, rel, jekyll)),
    }
}

/// Why Jekyll does not read a `_posts/` file as a post, if it does not.
fn file_name_problem(rel: &str, jekyll: JekyllRules) -> Option<Problem> {
    match post_file_name(jekyll.dated_name(rel)) {
        None => Some(Problem::FileNameNotDated),
        Some((FileDate::Invalid, _)) => Some(Problem::FileNameDateInvalid),
        Some((FileDate::Day(_), _)) => None,
    }
}

/// A file Jekyll publishes whole, for selection: dated from its name, in
/// its folders' categories.
fn whole_file_meta(body: &str, unclosed: Option<usize>, rel: &str, rules: ReadRules, report: &mut Report) -> PostMeta {
    let (zone, jekyll) = (rules.zone, rules.jekyll);
    let day = file_name_date(jekyll.dated_stem(rel)).unwrap_or_default();
    let title = titleize_slug(&file_slug(rel, jekyll));
    let problem = Problem::WholeFile {
        unclosed: unclosed.is_some(),
        title,
        day,
    };
    report.add(problem, Some(unclosed.unwrap_or(1)));
    let date = zone.localize(day.and_time(NaiveTime::MIN));
    PostMeta {
        path: rel.into(),
        date,
        jekyll_time: date.timestamp(),
        categories: intern_list(&path_categories(rel)),
        tags: intern_list(&[]),
        unpublished: false,
        plain_text: nests_too_deep(&published_body(body), is_markdown(rel)),
        jekyll: None,
        page_file: None,
        unquoted_date: None,
    }
}

/// Problems with the file's text and front matter as a whole.
fn report_text(text: &str, rel: &str, jekyll: JekyllRules, reading: &FrontReading, report: &mut Report) {
    if text.starts_with('\u{feff}') {
        report.add(Problem::ByteOrderMark, Some(1));
    }
    if reading.hidden_from_jekyll {
        let title = titleize_slug(&file_slug(rel, jekyll));
        let day = file_name_date(jekyll.dated_stem(rel));
        report.add(Problem::HiddenFromJekyll { title, day }, Some(1));
    }
    if let Some(line) = text.find('\r').map(|i| line_at(text, i)) {
        report.add(Problem::CrLf, Some(line));
    }
    if let Some((i, c)) = first_invalid_xml_char(text) {
        report.add(Problem::NotXmlChar(c), Some(line_at(text, i)));
    }
    for line in &reading.requoted {
        report.add(Problem::Requoted, Some(reading.yaml_line + line - 1));
    }
    for line in &reading.overridden {
        report.add(Problem::Overridden, Some(reading.yaml_line + line - 1));
    }
    if reading.fields.title.as_deref().unwrap_or_default().trim().is_empty() {
        let line = reading.line_of("title").or(Some(reading.yaml_line));
        report.add(Problem::EmptyTitle, line);
    }
}

/// The feed's date: the front matter's, else the file name's with a
/// warning; `None` (reported) when neither gives one.
fn feed_date(
    reading: &FrontReading,
    rel: &str,
    draft: bool,
    rules: ReadRules,
    report: &mut Report,
) -> Option<DateTime<FixedOffset>> {
    let (zone, jekyll) = (rules.zone, rules.jekyll);
    let field = &reading.fields.date;
    if let Some(date) = field.written().and_then(|d| parse_date(d, zone)) {
        return Some(date);
    }
    let line = reading.line_of("date").or(Some(reading.yaml_line));
    let fallback = file_name_date(jekyll.dated_stem(rel)).map(|day| zone.localize(day.and_time(NaiveTime::MIN)));
    match (fallback, field.problem()) {
        (Some(date), Some(problem)) => {
            let day = date.date_naive();
            report.add(
                Problem::DateFromFileName {
                    problem,
                    day,
                    stops_jekyll: !draft,
                },
                line,
            );
            Some(date)
        }
        (Some(date), None) => Some(date),
        (None, Some(problem)) => {
            report.add(Problem::DateNowhere { problem }, line);
            None
        }
        (None, None) => {
            report.add(Problem::NoDateAnywhere, line);
            None
        }
    }
}

/// Problems with the body; whether it is published as plain text.
fn report_body(reading: &FrontReading, rel: &str, report: &mut Report) -> bool {
    let body = reading.body;
    // Most posts have no `<>`: the source link is looked for only then.
    if memchr::memmem::find(body.as_bytes(), b"<>").is_some() {
        if let SourceLink::Empty { line } = reading.source() {
            report.add(Problem::EmptySourceLink, Some(line));
        }
    }
    if body.len() > MAX_ITEM_CONTENT_BYTES {
        let problem = Problem::TextTooLong {
            bytes: body.len(),
            kept: cut_content(body).len(),
        };
        report.add(problem, Some(reading.body_line));
    }
    let plain_text = nests_too_deep(&published_body(body), is_markdown(rel));
    if plain_text {
        report.add(Problem::NestsTooDeep, Some(reading.body_line));
    }
    plain_text
}

/// The post's categories and tags, at most [`MAX_TERMS`] each.
fn terms(reading: &FrontReading, rel: &str, report: &mut Report) -> (Terms, Terms) {
    let (categories, all_categories) = capped(categories(&reading.fields, path_categories(rel)));
    let (tags, all_tags) = capped(tags(&reading.fields));
    for (what, all, singular) in [("categories", all_categories, "category"), ("tags", all_tags, "tag")] {
        if all > MAX_TERMS {
            let line = reading.line_of(what).or_else(|| reading.line_of(singular));
            report.add(
                Problem::TooManyTerms { count: all, what },
                line.or(Some(reading.yaml_line)),
            );
        }
    }
    (categories, tags)
}

/// The date Jekyll's URL uses: an unquoted offset-less timestamp is UTC
/// to Jekyll (Ruby's YAML reader makes it a UTC time); anything else is
/// read as the feed reads it.
fn jekyll_date(date: &DateField, yaml: &str) -> LinkDate {
    let Some(utc) = FixedOffset::east_opt(0).map(SiteZone::Fixed) else {
        return LinkDate::AsFeed;
    };
    match (raw_value(yaml, "date"), date.text()) {
        (Some(raw), Some(written)) if is_zoneless_yaml_timestamp(raw) => {
            parse_date(written, utc).map_or(LinkDate::AsFeed, LinkDate::Instant)
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

/// 1-based line of byte offset `i`.
pub fn line_at(text: &str, i: usize) -> usize {
    text.as_bytes()[..i].iter().filter(|&&b| b == b'\n').count() + 1
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
    // post showed in a profile of reading a million posts
    // (bench/README.md), and most posts have neither.
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

/// The first [`MAX_TERMS`] of `terms`, and how many there were.
fn capped(terms: Vec<Term>) -> (Terms, usize) {
    (intern_list(&terms[..terms.len().min(MAX_TERMS)]), terms.len())
}

/// Jekyll's categories: folder categories, then `categories` (a list, or
/// a string split on whitespace), then `category` (added, not replacing;
/// one name, or a list). Each name once.
fn categories(fields: &PostFrontMatter, folders: Vec<Term>) -> Vec<Term> {
    let mut out = folders;
    fields.categories.push_into(&mut out, true);
    fields.category.push_into(&mut out, false);
    out
}

/// A list inside the `categories` list: Jekyll makes the inner list one
/// more category, written as Ruby prints it (`["x", "y"]`), before its
/// items. `None` when there is no inner list (the usual case).
fn nested_categories(fields: &PostFrontMatter, rel: &str) -> Option<Vec<Term>> {
    let Names::List(items) = &fields.categories else {
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
    let singular = categories(fields, Vec::new());
    for c in singular {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Some(out)
}

/// Jekyll's tags: `tag` when present (one name, or a list) replaces
/// `tags` (a list, or a string split on whitespace). Each name once.
fn tags(fields: &PostFrontMatter) -> Vec<Term> {
    let mut out = Vec::new();
    if fields.tag.is_given() {
        fields.tag.push_into(&mut out, false);
    } else {
        fields.tags.push_into(&mut out, true);
    }
    out
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
            archived: false,
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
    fn a_date_jekyll_refuses_falls_back_to_the_file_name_and_is_an_error() {
        let (out, diags) = scan_text("---\ntitle: a\ndate:  +0800\n---\nx", "_posts/2022-05-26-1.md");
        let Outcome::Post(m) = out else { panic!("rejected") };
        assert_eq!(m.date.to_rfc3339(), "2022-05-26T00:00:00+08:00");
        assert_eq!(diags, vec!["_posts/2022-05-26-1.md:3: error: date `+0800` is not a usable date; using 2022-05-26 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"]);
    }

    #[test]
    fn an_empty_date_is_called_empty() {
        let (out, diags) = scan_text("---\ntitle: a\ndate:\n---\nx", "_posts/2022-05-26-1.md");
        assert!(matches!(out, Outcome::Post(_)));
        assert_eq!(
            diags,
            vec!["_posts/2022-05-26-1.md:3: error: the date is empty; using 2022-05-26 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"]
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
        // Under `_posts/`, Jekyll reads only dated file names as posts:
        // one it skips is no post of the site's, so a warning.
        let (out, diags) = scan_text("---\ntitle: a\ndate: 2021-12-08\n---\n", "_posts/-1.md");
        assert!(matches!(out, Outcome::NotAPost));
        assert_eq!(diags, vec!["_posts/-1.md: warning: the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published"]);
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
            archived: false,
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
            archived: false,
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
        // Kept as the line of the date, not as a note of its own: the run
        // prints one note for all such posts (`collection`).
        assert_eq!((m.unquoted_date, diags), (NonZeroU32::new(3), Vec::<String>::new()));
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
            let (out, diags) = scan_text(&text, "_posts/2021-12-01-a.md");
            let Outcome::Post(m) = out else { panic!("not published") };
            assert_eq!((m.unquoted_date, diags), (None, Vec::<String>::new()), "{quoted}");
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

    /// Every post file bundled with feedgen (`content/`, `tests/fixtures/`).
    fn bundled_post_files() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() && !path.is_symlink() {
                    walk(&path, root, out);
                    continue;
                }
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let is_post = rel.split('/').any(|d| d == "_posts" || d == "_drafts")
                    && [".md", ".markdown", ".html"].iter().any(|e| rel.ends_with(e));
                if let (true, Ok(text)) = (is_post, std::fs::read_to_string(&path)) {
                    out.push((rel, text));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["content", "tests/fixtures"] {
            walk(&root.join(dir), root, &mut out);
        }
        out.sort();
        out
    }

    /// Selection metadata and rendering input come from one reading: a post
    /// scan accepts loads, links at the instant scan dated it to Jekyll,
    /// is plain text exactly when scan said so, and has an empty source
    /// link exactly when scan warned of one.
    #[test]
    fn scan_and_load_agree_on_every_bundled_post() {
        let zone = rules().zone;
        let files = bundled_post_files();
        let mut published = 0;
        for (rel, text) in &files {
            let (out, diags) = scan_text(text, rel);
            let Outcome::Post(meta) = out else {
                continue;
            };
            published += 1;
            let post = load(text, rel, JekyllRules::default())
                .unwrap_or_else(|| panic!("{rel}: scanned as a post, not loaded"));
            let link_instant = match post.jekyll.date {
                LinkDate::AsFeed => meta.date,
                LinkDate::Instant(d) => d,
                LinkDate::LocalMidnight(day) => zone.localize(day.and_time(NaiveTime::MIN)),
            };
            assert_eq!(meta.jekyll_time, link_instant.timestamp(), "{rel}");
            assert_eq!(meta.plain_text, nests_too_deep(&post.body, post.markdown), "{rel}");
            let warned_empty = diags.iter().any(|d| d.ends_with(&Problem::EmptySourceLink.to_string()));
            assert_eq!(warned_empty, matches!(post.source, SourceLink::Empty { .. }), "{rel}");
            let warned_title = diags.iter().any(|d| d.ends_with(&Problem::EmptyTitle.to_string()));
            if !warned_title {
                assert!(!post.title.is_empty(), "{rel}: no title, no warning");
            }
        }
        assert!(
            published >= 190,
            "only {published} of {} bundled files published",
            files.len()
        );
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
        assert_eq!(file_slug("_drafts/a-draft.md", JekyllRules::default()), "a-draft");
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
        assert!(matches!(out, Outcome::NotAPost), "{out:?}");
        assert_eq!(diags, 1);
    }
}
