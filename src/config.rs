//! The site configuration (`feedgen.yaml` or Jekyll's `_config.yml`) merged
//! with command-line flags into one validated [`Config`] before any work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::content::date::{parse_date, SiteZone};
use crate::content::front_matter::{self, author, scalar, Author, DocumentError, Mapping, Value};
use crate::names::DisplayNames;
use crate::permalink::encode_url;
use crate::permalink::site_root;
use crate::xml_chars::strip_invalid_xml;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, FixedOffset, TimeZone};

mod feeds;
pub use feeds::{ContentMode, FeedSettings, PerKind, PingSettings, PollHints, DEFAULT_MAX_ITEMS};

/// Feed formats feedgen writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Rss,
    Atom,
    /// JSON Feed 1.1 (`json` in `feedgen.formats`; off by default).
    JsonFeed,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Rss => "rss.xml",
            Format::Atom => "atom.xml",
            Format::JsonFeed => "feed.json",
        }
    }

    /// The media type readers and `<link rel="alternate">` tags use.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::JsonFeed => "application/feed+json",
        }
    }
}

/// Site-wide facts every feed shares.
#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    pub description: String,
    /// `url` + `baseurl`, no trailing slash: `https://finews.example.com`.
    pub root: String,
    /// Where the feeds are published (`feedgen.feeds_url`), no trailing
    /// slash; the site root unless set. Self links and feed ids use it.
    pub feeds_root: String,
    /// BCP 47 language tag (`zh-CN`), if the site has a usable one.
    pub lang: Option<String>,
    pub zone: SiteZone,
    pub author: Author,
    /// Jekyll permalink style or pattern.
    pub permalink: String,
    /// WebSub hub advertised in every feed.
    pub hub: Option<String>,
    /// `feedgen.icon`: a square image (absolute URL).
    pub icon: Option<String>,
    /// `feedgen.logo`: a wide image (absolute URL).
    pub logo: Option<String>,
    /// `feedgen.claims`: Folo claim ids by feed folder (`category/emnews`, `/` for the site feed).
    pub claims: BTreeMap<String, Claim>,
    /// Display names from `feedgen.names` (pages read from the site join them later).
    pub names: DisplayNames,
    /// Whose rules links follow: GitHub Pages' Jekyll 3.10 or Jekyll 4.3.
    pub jekyll: crate::jekyll::JekyllRules,
}

/// One Folo feed claim (`<follow_challenge>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Claim {
    pub feed_id: String,
    pub user_id: String,
}

/// Where per-category and per-tag feeds go, relative to the output folder.
#[derive(Debug, Clone)]
pub struct Layout {
    pub category_dir: String,
    pub tag_dir: String,
}

/// Which feeds a run builds.
#[derive(Debug, Clone, Default)]
pub struct Only {
    pub categories: Vec<String>,
    pub tags: Vec<String>,
}

impl Only {
    pub fn is_everything(&self) -> bool {
        self.categories.is_empty() && self.tags.is_empty()
    }
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write changed feeds.
    Build,
    /// Write nothing; report feeds on disk that differ (`--check`).
    CheckFeeds,
    /// Read and report only (`feedgen check`).
    CheckPosts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub site: Site,
    pub content_dir: PathBuf,
    pub output_dir: PathBuf,
    /// feedgen's own state (index, manifest, lock): never served.
    pub state_dir: PathBuf,
    /// Sync each written feed and its folder to disk (`feedgen.fsync`).
    pub fsync: bool,
    pub layout: Layout,
    pub formats: Vec<Format>,
    /// Which items each feed kind holds, and how much of each post.
    pub feeds: PerKind,
    pub poll: PollHints,
    pub ping: PingSettings,
    /// Posts dated after this are not published (unless `future: true`).
    pub now: DateTime<FixedOffset>,
    pub drafts: bool,
    /// Jekyll's `future: true`: posts dated after `now` are published.
    pub future: bool,
    /// Jekyll's `unpublished: true`: `published: false` posts are published.
    pub unpublished: bool,
    pub strict: bool,
    pub max_file_size: u64,
    /// `feedgen.names_from_tags`: a category whose posts all carry one
    /// same tag is named after it (see `names::choose_title`).
    pub names_from_tags: bool,
    /// `feedgen.jekyll_data`: the Jekyll data file feedgen writes for the
    /// site's discovery tags, relative to the content folder (set only by
    /// the user: the one file feedgen writes outside the output folder).
    pub jekyll_data: Option<String>,
    pub only: Only,
    /// Which Jekyll builds the site, and why feedgen thinks so (`-v`).
    pub jekyll: crate::jekyll::JekyllChoice,
    pub verbosity: Verbosity,
    /// Print progress lines for long runs (stderr is a terminal).
    pub progress: bool,
}

/// Flags that override the configuration file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub content_dir: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    pub limit: Option<usize>,
    pub now: Option<String>,
    pub drafts: bool,
    pub strict: bool,
    pub only: Only,
    pub verbosity: Option<Verbosity>,
    pub progress: bool,
}

pub const DEFAULT_LIMIT: usize = 20;
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;
/// Largest `feedgen.max_file_size` accepted: 1 GiB, so the byte count (and
/// the one byte read past it) can never overflow.
pub const MAX_MAX_FILE_SIZE: u64 = 1 << 30;

impl Config {
    /// Read the site configuration and apply the flags. `epoch_env` is the
    /// value of `SOURCE_DATE_EPOCH`, passed in so tests need not set it.
    pub fn load(flags: Overrides, epoch_env: Option<String>) -> Result<Config> {
        let content_dir = flags.content_dir.clone().unwrap_or_else(|| PathBuf::from("content"));
        let output_dir = flags.output_dir.clone().unwrap_or_else(|| PathBuf::from("output"));
        if !content_dir.is_dir() {
            bail!(
                "content folder {} does not exist or is not a folder",
                content_dir.display()
            );
        }
        let config_file = match &flags.config_file {
            Some(file) => Some(file.clone()),
            None => ["feedgen.yaml", "_config.yml"]
                .iter()
                .map(|name| content_dir.join(name))
                .find(|p| p.is_file()),
        };
        let map = match &config_file {
            Some(file) => read_mapping(file)?,
            None => Mapping::new(),
        };
        let ours = map
            .get("feedgen")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let at = |what: &str| match &config_file {
            Some(f) => format!("{}: {what}", f.display()),
            None => what.to_string(),
        };

        let zone = match string(&map, "timezone") {
            Some(name) => SiteZone::parse(&name).with_context(|| {
                at(&format!(
                    "unknown timezone `{name}` (use an IANA name such as Asia/Shanghai, or an offset such as +08:00)"
                ))
            })?,
            None => SiteZone::Fixed(FixedOffset::east_opt(0).context("UTC offset")?),
        };
        let Some(url) = string(&map, "url").filter(|u| !u.trim().is_empty()) else {
            bail!(at(
                "the site has no `url`; feeds need absolute links (set `url: https://your.site` in _config.yml)"
            ));
        };
        let parsed =
            url::Url::parse(url.trim()).with_context(|| at(&format!("`url: {url}` is not an absolute URL")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!(at(&format!("`url: {url}` must be an http or https URL")));
        }
        check_public_url("url", &parsed).map_err(|e| anyhow::anyhow!(at(&e)))?;
        let root = site_root(&url, &string(&map, "baseurl").unwrap_or_default());
        let feeds_root = match string(&ours, "feeds_url").filter(|u| !u.trim().is_empty()) {
            Some(feeds_url) => feeds_root(&root, &feeds_url).map_err(|e| anyhow::anyhow!(at(&e)))?,
            None => root.clone(),
        };
        let title = string(&map, "title")
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| root.clone());
        let description = string(&map, "description").unwrap_or_else(|| title.clone());
        let author = author(map.get("author"))
            .map(|a| Author {
                name: strip_invalid_xml(&a.name),
                email: a.email.as_deref().map(strip_invalid_xml),
                uri: a.uri.as_deref().map(strip_invalid_xml),
            })
            .unwrap_or_else(|| Author {
                name: title.clone(),
                ..Author::default()
            });

        let limit = match flags.limit {
            Some(n) => n,
            None => match ours.get("limit") {
                Some(v) => v
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .with_context(|| at("`feedgen.limit` must be a whole number"))?,
                None => DEFAULT_LIMIT,
            },
        };
        if limit == 0 {
            match flags.limit {
                Some(_) => bail!("--limit must be at least 1"),
                None => bail!(at("`feedgen.limit` must be at least 1")),
            }
        }
        let feeds = PerKind::read(&ours, limit, flags.limit.is_some()).map_err(|e| anyhow::anyhow!(at(&e)))?;
        let poll = PollHints::read(&ours).map_err(|e| anyhow::anyhow!(at(&e)))?;
        let ping = PingSettings::read(&ours).map_err(|e| anyhow::anyhow!(at(&e)))?;
        let formats = match ours.get("formats") {
            None => vec![Format::Rss, Format::Atom],
            Some(v) => {
                let mut out = Vec::new();
                for item in v
                    .as_sequence()
                    .with_context(|| at("`feedgen.formats` must be a list"))?
                {
                    match item.as_str() {
                        Some("rss") => out.push(Format::Rss),
                        Some("atom") => out.push(Format::Atom),
                        Some("json") => out.push(Format::JsonFeed),
                        _ => bail!(at("`feedgen.formats` may hold `rss`, `atom` and `json`")),
                    }
                }
                out.sort();
                out.dedup();
                if out.is_empty() {
                    bail!(at("`feedgen.formats` is empty"));
                }
                out
            }
        };
        let layout = Layout {
            category_dir: layout_dir(&ours, "category_dir", "category").map_err(|e| anyhow::anyhow!(at(&e)))?,
            tag_dir: layout_dir(&ours, "tag_dir", "tag").map_err(|e| anyhow::anyhow!(at(&e)))?,
        };
        crate::places::check_layout(&layout.category_dir, &layout.tag_dir)
            .map_err(|e| anyhow::anyhow!(at(&e.to_string())))?;
        // `--state` is relative to the working folder, as every flag is;
        // `feedgen.state_dir` to the content folder, as Jekyll reads paths in
        // `_config.yml`.
        let (state_dir, state_what) = match (&flags.state_dir, string(&ours, "state_dir")) {
            (Some(dir), _) => (dir.clone(), format!("--state {}", dir.display())),
            (None, Some(dir)) => (content_dir.join(&dir), at(&format!("`feedgen.state_dir: {dir}`"))),
            (None, None) => (content_dir.join(".feedgen"), "the state folder".to_string()),
        };
        let output_what = match &flags.output_dir {
            Some(dir) => format!("--output {}", dir.display()),
            None => "the output folder (default `output`)".to_string(),
        };
        crate::places::check_folders(&content_dir, &output_dir, &state_dir, &output_what, &state_what)?;
        let fsync = match ours.get("fsync") {
            Some(v) => v
                .as_bool()
                .with_context(|| at("`feedgen.fsync` must be true or false"))?,
            None => true,
        };
        let max_file_size = match ours.get("max_file_size") {
            Some(v) => v
                .as_u64()
                .filter(|n| (1..=MAX_MAX_FILE_SIZE).contains(n))
                .with_context(|| {
                    at(&format!(
                        "`feedgen.max_file_size` must be a number of bytes from 1 to {MAX_MAX_FILE_SIZE}"
                    ))
                })?,
            None => DEFAULT_MAX_FILE_SIZE,
        };
        let hub = match string(&ours, "hub") {
            Some(hub) if !is_web_url(&hub) => bail!(at(&format!("`feedgen.hub: {hub}` must be an http or https URL"))),
            hub => hub,
        };
        let now = match (&flags.now, epoch_env.filter(|e| !e.trim().is_empty())) {
            (Some(text), _) => parse_now(text, zone).with_context(|| format!("--now `{text}` is not a date"))?,
            (None, Some(epoch)) => parse_epoch(&epoch)
                .with_context(|| format!("SOURCE_DATE_EPOCH `{epoch}` is not a number of seconds"))?,
            (None, None) => chrono::Utc::now().fixed_offset(),
        };

        let names_from_tags = match ours.get("names_from_tags") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => bail!(at("`feedgen.names_from_tags` must be true or false")),
        };
        let jekyll_data = match scalar(ours.get("jekyll_data")) {
            None => None,
            Some(file) => Some(jekyll_data_file(&file).map_err(|e| anyhow::anyhow!(at(&e)))?),
        };
        let jekyll = jekyll_choice(&content_dir, &ours).map_err(|e| anyhow::anyhow!(at(&e)))?;
        let icon = image_url(&root, &ours, "icon").map_err(|e| anyhow::anyhow!(at(&e)))?;
        let logo = image_url(&root, &ours, "logo").map_err(|e| anyhow::anyhow!(at(&e)))?;
        Ok(Config {
            site: Site {
                title,
                description,
                root,
                feeds_root,
                lang: string(&map, "lang").and_then(|l| language_tag(&l)),
                zone,
                author,
                permalink: string(&map, "permalink").unwrap_or_else(|| "date".to_string()),
                hub,
                icon,
                logo,
                claims: claims(ours.get("claims")).map_err(|e| anyhow::anyhow!(at(&e)))?,
                names: DisplayNames::from_config(ours.get("names")).map_err(|e| anyhow::anyhow!(at(&e)))?,
                jekyll: jekyll.rules,
            },
            content_dir,
            output_dir,
            state_dir,
            fsync,
            layout,
            formats,
            feeds,
            poll,
            ping,
            now,
            // Jekyll's switches, truthy as in Ruby (anything but false/null).
            drafts: flags.drafts || jekyll_switch(&map, "show_drafts"),
            future: jekyll_switch(&map, "future"),
            unpublished: jekyll_switch(&map, "unpublished"),
            strict: flags.strict,
            max_file_size,
            names_from_tags,
            jekyll_data,
            only: flags.only,
            jekyll,
            verbosity: flags.verbosity.unwrap_or(Verbosity::Normal),
            progress: flags.progress,
        })
    }
}

/// Read the configuration file: a regular file (a FIFO would block, a
/// device never end) of at most the front-matter size limit, which the
/// YAML parser also gets with front matter's nesting limit.
fn read_mapping(file: &Path) -> Result<Mapping> {
    use std::io::Read;
    let cannot = || format!("cannot read {}", file.display());
    let meta = std::fs::metadata(file).with_context(cannot)?;
    if !meta.is_file() {
        bail!("{} is not a regular file", file.display());
    }
    let limit = front_matter::MAX_YAML_BYTES as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .with_context(cannot)?;
    if bytes.len() as u64 > limit {
        bail!(
            "{} is over feedgen's {limit}-byte limit for a configuration file",
            file.display()
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not valid UTF-8 (first bad byte at offset {})",
            file.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    front_matter::parse_document(&text).map_err(|e| match e {
        DocumentError::Invalid(why) => anyhow::anyhow!("{} is not valid YAML: {why}", file.display()),
        DocumentError::NotAMapping => anyhow::anyhow!("{} is not a YAML mapping", file.display()),
    })
}

/// `feedgen.jekyll` (3 or 4), else the content folder's `Gemfile.lock`
/// and `Gemfile` (see `jekyll::detect`). A Gemfile that cannot be read
/// counts as none.
fn jekyll_choice(content_dir: &Path, ours: &Mapping) -> std::result::Result<crate::jekyll::JekyllChoice, String> {
    use std::io::Read;
    let setting = match ours.get("jekyll") {
        None | Some(Value::Null) => None,
        Some(v) => Some(crate::jekyll::parse_setting(&scalar(Some(v)).unwrap_or_default())?),
    };
    let read = |name: &str| {
        let mut text = String::new();
        // A regular file only: a FIFO named Gemfile would block.
        let path = Some(content_dir.join(name)).filter(|p| p.is_file())?;
        std::fs::File::open(path)
            .and_then(|f| f.take(front_matter::MAX_YAML_BYTES as u64).read_to_string(&mut text))
            .ok()
            .map(|_| text)
    };
    Ok(crate::jekyll::detect(
        setting,
        read("Gemfile.lock").as_deref(),
        read("Gemfile").as_deref(),
    ))
}

/// A Jekyll `_config.yml` switch: on unless missing, `false` or null.
fn jekyll_switch(map: &Mapping, key: &str) -> bool {
    !matches!(map.get(key), None | Some(Value::Null | Value::Bool(false)))
}

/// A scalar setting as text, read as front matter is, without the
/// characters XML forbids: every string setting passes here, and most
/// reach every feed (one BEL in `title` would make them all malformed).
fn string(map: &Mapping, key: &str) -> Option<String> {
    scalar(map.get(key)).map(|s| strip_invalid_xml(&s))
}

fn is_web_url(text: &str) -> bool {
    url::Url::parse(text.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Refuse a public URL that would leak or break every link made from it:
/// credentials (they would appear in every feed), a query or a fragment
/// (joining paths after them gives URLs that point elsewhere).
fn check_public_url(key: &str, url: &url::Url) -> std::result::Result<(), String> {
    let problem = if !url.username().is_empty() || url.password().is_some() {
        "holds a user name or password, which every feed would publish"
    } else if url.query().is_some() {
        "has a query (`?…`); links are made by appending paths to it"
    } else if url.fragment().is_some() {
        "has a fragment (`#…`); links are made by appending paths to it"
    } else {
        return Ok(());
    };
    Err(format!(
        "`{key}: {url}` {problem}; give a plain http(s) URL such as https://example.com"
    ))
}

/// `feedgen.feeds_url`: an absolute http(s) URL, or a path under the site
/// root (`/feeds` on `https://ex.com/blog` is `https://ex.com/blog/feeds`).
fn feeds_root(root: &str, raw: &str) -> std::result::Result<String, String> {
    let raw = raw.trim();
    if raw.contains("://") {
        let parsed = url::Url::parse(raw).map_err(|e| format!("`feedgen.feeds_url: {raw}` is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "`feedgen.feeds_url: {raw}` must be an http or https URL, or a path such as /feeds"
            ));
        }
        check_public_url("feedgen.feeds_url", &parsed)?;
        return Ok(raw.trim_end_matches('/').to_string());
    }
    if raw.contains(['?', '#', '\\']) || raw.split('/').any(|s| s == "..") || raw.starts_with("//") {
        return Err(format!(
            "`feedgen.feeds_url: {raw}` must be an absolute http(s) URL or a path under the site root such as /feeds"
        ));
    }
    Ok(site_root(root, raw))
}

/// `feedgen.icon`/`feedgen.logo`: an absolute http(s) URL, or a path on the site.
fn image_url(root: &str, ours: &Mapping, key: &str) -> std::result::Result<Option<String>, String> {
    let Some(raw) = string(ours, key)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    // Anything with a scheme (`javascript:`) is a URL, not a path.
    let url = if url::Url::parse(&raw).is_ok() {
        raw.clone()
    } else if raw.starts_with("//") {
        format!("{}:{raw}", root.split(':').next().unwrap_or("https"))
    } else {
        format!("{root}/{}", raw.trim_start_matches('/'))
    };
    let url = encode_url(&url);
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(url)),
        _ => Err(format!(
            "`feedgen.{key}: {raw}` must be an http(s) URL or a path on the site such as /favicon.png"
        )),
    }
}

/// `feedgen.claims`: `{<feed folder>: {feed_id: …, user_id: …}}`.
fn claims(value: Option<&Value>) -> std::result::Result<BTreeMap<String, Claim>, String> {
    let mut out = BTreeMap::new();
    let Some(value) = value else { return Ok(out) };
    let map = value.as_mapping().ok_or(
        "`feedgen.claims` must map feed folders (`category/emnews`, `/` for the site feed) to `{feed_id, user_id}`",
    )?;
    for (key, ids) in map {
        let key = scalar(Some(key)).unwrap_or_default();
        let id = |name: &str| {
            ids.as_mapping()
                .and_then(|m| scalar(m.get(name)))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let (Some(feed_id), Some(user_id)) = (id("feed_id"), id("user_id")) else {
            return Err(format!("`feedgen.claims.{key}` needs both `feed_id` and `user_id`"));
        };
        let folder = key.trim().trim_matches('/').to_string();
        out.insert(folder, Claim { feed_id, user_id });
    }
    Ok(out)
}

/// `feedgen.jekyll_data`: a `.json` file inside the content folder (the
/// Jekyll site), e.g. `_data/feedgen.json`.
fn jekyll_data_file(file: &str) -> std::result::Result<String, String> {
    let ok = file.ends_with(".json")
        && !file.starts_with('/')
        && file.split('/').all(|part| {
            !part.is_empty() && part != "." && part != ".." && !part.contains(|c: char| c == '\\' || c.is_control())
        });
    if ok {
        Ok(file.to_string())
    } else {
        Err(format!(
            "`feedgen.jekyll_data: {file}` must be a relative `.json` path inside the content folder, such as `_data/feedgen.json`"
        ))
    }
}

fn layout_dir(ours: &Mapping, key: &str, default: &str) -> std::result::Result<String, String> {
    // The raw text: a control character in a folder name is refused, not cleaned.
    let dir = scalar(ours.get(key)).unwrap_or_else(|| default.to_string());
    let ok = !dir.is_empty()
        && dir
            .split('/')
            // A folder of at most 100 bytes leaves room for a 120-byte feed name.
            .all(|part| {
                !part.is_empty()
                    && part.len() <= 100
                    && part != "."
                    && part != ".."
                    && !part.contains(|c: char| c == '\\' || c.is_control())
            });
    if ok && !dir.starts_with('/') {
        Ok(dir)
    } else {
        Err(format!(
            "`feedgen.{key}: {dir}` must be a relative folder inside the output folder, at most 100 bytes a folder name"
        ))
    }
}

/// `zh_CN` → `zh-CN`; anything that is not shaped like a language tag is
/// dropped (a bad `language` makes validators reject the feed).
pub fn language_tag(raw: &str) -> Option<String> {
    let tag = raw.trim().replace('_', "-");
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    if !(2..=8).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = primary.to_ascii_lowercase();
    for part in parts {
        if part.is_empty() || part.len() > 8 || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        if part.len() == 2 {
            out.push_str(&part.to_ascii_uppercase());
        } else {
            out.push_str(part);
        }
    }
    Some(out)
}

fn parse_now(text: &str, zone: SiteZone) -> Option<DateTime<FixedOffset>> {
    parse_date(text, zone)
        .or_else(|| DateTime::parse_from_rfc3339(text.trim()).ok())
        .or_else(|| parse_epoch(text).ok())
}

fn parse_epoch(text: &str) -> Result<DateTime<FixedOffset>> {
    let secs: i64 = text.trim().parse()?;
    let utc = FixedOffset::east_opt(0).context("UTC")?;
    utc.timestamp_opt(secs, 0).single().context("out of range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        assert_eq!(language_tag("zh_CN").as_deref(), Some("zh-CN"));
        assert_eq!(language_tag("zh-cn").as_deref(), Some("zh-CN"));
        assert_eq!(language_tag("en").as_deref(), Some("en"));
        assert_eq!(language_tag("zh-Hans-CN").as_deref(), Some("zh-Hans-CN"));
        assert_eq!(language_tag("中文"), None);
        assert_eq!(language_tag(""), None);
    }

    #[test]
    fn authors() {
        let v = front_matter::parse_document("author: {name: ZNing, email: z@example.com}").expect("yaml");
        let a = author(v.get("author")).expect("author");
        assert_eq!(a.name, "ZNing");
        assert_eq!(a.email.as_deref(), Some("z@example.com"));
        assert_eq!(author(Some(&Value::String(" ".into()))), None);
    }

    #[test]
    fn layout_dirs_stay_inside() {
        let mut m = Mapping::new();
        let long = "d".repeat(101);
        for bad in ["../x", "/abs", "a/../b", "", "a\\b", long.as_str()] {
            m.insert("category_dir".into(), bad.into());
            assert!(layout_dir(&m, "category_dir", "category").is_err(), "{bad}");
        }
        m.insert("category_dir".into(), "feeds/category".into());
        assert_eq!(
            layout_dir(&m, "category_dir", "category").as_deref(),
            Ok("feeds/category")
        );
    }

    #[test]
    fn now_forms() {
        let z = SiteZone::parse("Asia/Shanghai").expect("zone");
        assert_eq!(parse_now("2030-01-01", z).map(|d| d.timestamp()), Some(1893427200));
        assert_eq!(parse_now("1893427200", z).map(|d| d.timestamp()), Some(1893427200));
        assert!(parse_now("tomorrow", z).is_none());
    }
}
