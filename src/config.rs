//! The site configuration (`feedgen.yaml` or Jekyll's `_config.yml`) merged
//! with command-line flags into one validated [`Config`] before any work, in
//! three steps: read the file ([`Config::load`]), parse its text with the
//! flags ([`Config::parse`], a pure function), then check the folders
//! against the disk ([`ParsedConfig::check_folders`]). Jekyll's own keys are
//! read leniently (real sites carry many plugin keys); feedgen's section is
//! typed (`config/section.rs`), and a key it does not have is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::author::Author;
use crate::content::date::{parse_date, SiteZone};
use crate::content::front_matter::{self, author, scalar, DocumentError, Mapping, Value};
use crate::names::DisplayNames;
use crate::permalink::encode_url;
use crate::permalink::site_root;
use crate::xml_chars::strip_invalid_xml;
use chrono::{DateTime, FixedOffset, Offset};

mod error;
mod feeds;
mod section;
pub use error::{ConfigError, EpochError, Invalid};
pub use feeds::{Claim, ContentMode, FeedSettings, Format, PerKind, PingSettings, PollHints, DEFAULT_MAX_ITEMS};
use section::{Refusal, Section};

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
    /// `feedgen.archive`: folders of posts moved out of `_posts/`.
    pub archive: crate::archive::Archive,
}

/// Where per-category and per-tag feeds go, relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Where a run's "now" comes from when `--now` is not given:
/// `SOURCE_DATE_EPOCH`, else the system clock. Both are read by the caller,
/// so that parsing stays a function of its inputs.
#[derive(Debug, Clone)]
pub struct Clock {
    pub source_date_epoch: Option<String>,
    pub system: DateTime<FixedOffset>,
}

/// The content folder's `Gemfile.lock` and `Gemfile`, as text (`None`: no
/// such regular file): which Jekyll builds the site. Read by the caller,
/// like the clock.
#[derive(Debug, Clone, Default)]
pub struct Gemfiles {
    pub lock: Option<String>,
    pub gemfile: Option<String>,
}

impl Gemfiles {
    /// Read them from `content_dir`; one that cannot be read counts as none.
    pub fn read(content_dir: &Path) -> Gemfiles {
        use std::io::Read;
        let read = |name: &str| {
            let mut text = String::new();
            // A regular file only: a FIFO named Gemfile would block.
            let path = Some(content_dir.join(name)).filter(|p| p.is_file())?;
            std::fs::File::open(path)
                .and_then(|f| f.take(front_matter::MAX_YAML_BYTES as u64).read_to_string(&mut text))
                .ok()
                .map(|_| text)
        };
        Gemfiles {
            lock: read("Gemfile.lock"),
            gemfile: read("Gemfile"),
        }
    }
}

/// A configuration parsed but not yet checked against the folders on disk.
#[derive(Debug)]
pub struct ParsedConfig {
    config: Config,
    /// How the output and state folders are named in the folder errors.
    output_what: String,
    state_what: String,
}

impl ParsedConfig {
    /// The output and state folders must fit with the content folder (not
    /// inside one another, not a folder the user keeps other files in).
    pub fn check_folders(self) -> Result<Config, ConfigError> {
        let c = &self.config;
        crate::places::check_folders(
            &c.content_dir,
            &c.output_dir,
            &c.state_dir,
            &self.output_what,
            &self.state_what,
        )
        .map_err(ConfigError::Folders)?;
        if let Some(rel) = &c.jekyll_data {
            crate::places::check_site_file(&c.content_dir, &c.output_dir, &c.state_dir, rel)
                .map_err(ConfigError::Folders)?;
        }
        Ok(self.config)
    }
}

impl Config {
    /// Read the site configuration and apply the flags. `epoch_env` is the
    /// value of `SOURCE_DATE_EPOCH`, passed in so tests need not set it.
    pub fn load(flags: Overrides, epoch_env: Option<String>) -> Result<Config, ConfigError> {
        // First of the folder checks: the configuration file is found here.
        let content_dir = flags.content_dir.clone().unwrap_or_else(|| PathBuf::from("content"));
        if !content_dir.is_dir() {
            return Err(ConfigError::NoContentDir(content_dir));
        }
        let file = flags.config_file.clone().or_else(|| {
            ["feedgen.yaml", "_config.yml"]
                .iter()
                .map(|name| content_dir.join(name))
                .find(|p| p.is_file())
        });
        let text = match &file {
            Some(file) => read_config_file(file)?,
            None => String::new(),
        };
        let clock = Clock {
            source_date_epoch: epoch_env,
            system: chrono::Utc::now().fixed_offset(),
        };
        let gemfiles = Gemfiles::read(&content_dir);
        Config::parse(file.as_deref().map(|f| (f, text.as_str())), flags, clock, &gemfiles)?.check_folders()
    }

    /// The configuration from the file's path and text (`None`: there is no
    /// file) and the flags, touching nothing outside: every setting is
    /// checked here, the folders on disk come after.
    pub fn parse(
        file: Option<(&Path, &str)>,
        flags: Overrides,
        clock: Clock,
        gemfiles: &Gemfiles,
    ) -> Result<ParsedConfig, ConfigError> {
        let at = file.map(|(path, _)| path.to_path_buf());
        let map = match file {
            Some((path, text)) => document(path, text)?,
            None => Mapping::new(),
        };
        let setting = |problem: Invalid| ConfigError::Setting {
            file: at.clone(),
            problem,
        };
        let zone = match string(&map, "timezone") {
            Some(name) => {
                SiteZone::parse(&name).ok_or_else(|| ConfigError::UnknownTimezone { file: at.clone(), name })?
            }
            None => SiteZone::Fixed(chrono::Utc.fix()),
        };
        let root = site_url(&map, &at)?;
        let section = read_section(&map, &at)?;
        let jekyll = jekyll_choice(&section, gemfiles, &at)?;
        let site = Site {
            jekyll: jekyll.rules,
            ..site(&map, &section, zone, root, &at)?
        };
        let limit = match (flags.limit, &section.limit) {
            (Some(0), _) => return Err(ConfigError::LimitFlag),
            (Some(n), _) => n,
            (None, None) => DEFAULT_LIMIT,
            (None, Some(v)) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
                Some(0) => return Err(setting(Invalid::new("feedgen.limit", "must be at least 1"))),
                Some(n) => n,
                None => return Err(setting(Invalid::new("feedgen.limit", "must be a whole number"))),
            },
        };
        let feeds = section.per_kind(limit, flags.limit.is_some()).map_err(setting)?;
        let poll = section.poll_hints().map_err(setting)?;
        let layout = Layout {
            category_dir: layout_dir(section.category_dir.as_deref(), "category_dir", "category").map_err(setting)?,
            tag_dir: layout_dir(section.tag_dir.as_deref(), "tag_dir", "tag").map_err(setting)?,
        };
        crate::places::check_layout(&layout.category_dir, &layout.tag_dir).map_err(|e| ConfigError::Refused {
            file: at.clone(),
            why: e.to_string(),
        })?;
        let jekyll_data = match &section.jekyll_data {
            None => None,
            Some(file) => Some(jekyll_data_file(file).map_err(setting)?),
        };
        let now = now(flags.now.as_deref(), zone, clock)?;
        let (folders, output_what, state_what) = folders(&flags, &section, &at);
        let config = Config {
            site,
            content_dir: folders.0,
            output_dir: folders.1,
            state_dir: folders.2,
            fsync: section.fsync.unwrap_or(true),
            layout,
            formats: section
                .formats
                .clone()
                .unwrap_or_else(|| vec![Format::Rss, Format::Atom]),
            feeds,
            poll,
            ping: section.ping_settings(),
            now,
            // Jekyll's switches, truthy as in Ruby (anything but false/null).
            drafts: flags.drafts || jekyll_switch(&map, "show_drafts"),
            future: jekyll_switch(&map, "future"),
            unpublished: jekyll_switch(&map, "unpublished"),
            strict: flags.strict,
            max_file_size: section.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
            names_from_tags: section.names_from_tags.unwrap_or(false),
            jekyll_data,
            only: flags.only,
            jekyll,
            verbosity: flags.verbosity.unwrap_or(Verbosity::Normal),
            progress: flags.progress,
        };
        Ok(ParsedConfig {
            config,
            output_what,
            state_what,
        })
    }
}

/// Read the configuration file: a regular file (a FIFO would block, a
/// device never end) of at most the front-matter size limit, which the
/// YAML parser also gets with front matter's nesting limit.
fn read_config_file(file: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let cannot = |source| ConfigError::Unreadable {
        file: file.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(file).map_err(cannot)?;
    if !meta.is_file() {
        return Err(ConfigError::NotAFile(file.to_path_buf()));
    }
    let limit = front_matter::MAX_YAML_BYTES as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(ConfigError::TooLarge {
            file: file.to_path_buf(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|e| ConfigError::NotUtf8 {
        file: file.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The file's text as a YAML mapping.
fn document(file: &Path, text: &str) -> Result<Mapping, ConfigError> {
    front_matter::parse_document(text).map_err(|e| match e {
        DocumentError::Invalid(why) => ConfigError::NotYaml {
            file: file.to_path_buf(),
            why,
        },
        DocumentError::NotAMapping => ConfigError::NotAMapping(file.to_path_buf()),
    })
}

/// `feedgen:` as typed settings; anything but a mapping is no settings.
fn read_section(map: &Mapping, at: &Option<PathBuf>) -> Result<Section, ConfigError> {
    let Some(Value::Mapping(ours)) = map.get("feedgen") else {
        return Ok(Section::default());
    };
    Section::read(Value::Mapping(ours.clone())).map_err(|refusal| match refusal {
        Refusal::Unknown { key, suggestion, valid } => ConfigError::UnknownSetting {
            file: at.clone(),
            key,
            suggestion,
            valid,
        },
        Refusal::Invalid(problem) => ConfigError::Setting {
            file: at.clone(),
            problem,
        },
    })
}

/// The site root: `url` (an absolute, plain http(s) URL) + `baseurl`.
fn site_url(map: &Mapping, at: &Option<PathBuf>) -> Result<String, ConfigError> {
    let setting = |problem: Invalid| ConfigError::Setting {
        file: at.clone(),
        problem,
    };
    let Some(url) = string(map, "url").filter(|u| !u.trim().is_empty()) else {
        return Err(ConfigError::NoUrl { file: at.clone() });
    };
    let parsed = url::Url::parse(url.trim()).map_err(|source| ConfigError::UrlSyntax {
        file: at.clone(),
        url: url.clone(),
        source,
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(setting(Invalid::with_value(
            "url",
            redacted(&url),
            "must be an http or https URL",
        )));
    }
    check_public_url("url", &parsed).map_err(setting)?;
    Ok(site_root(&url, &string(map, "baseurl").unwrap_or_default()))
}

/// The facts every feed shares, from Jekyll's keys and feedgen's.
fn site(
    map: &Mapping,
    section: &Section,
    zone: SiteZone,
    root: String,
    at: &Option<PathBuf>,
) -> Result<Site, ConfigError> {
    let setting = |problem: Invalid| ConfigError::Setting {
        file: at.clone(),
        problem,
    };
    let feeds_root = match section.feeds_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(feeds_url) => feeds_root(&root, feeds_url).map_err(setting)?,
        None => root.clone(),
    };
    let title = string(map, "title")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| root.clone());
    let description = string(map, "description").unwrap_or_else(|| title.clone());
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
    let hub = match section.hub.as_deref().map(str::trim) {
        Some(hub) if !is_web_url(hub) => {
            return Err(setting(Invalid::with_value(
                "feedgen.hub",
                redacted(hub),
                "must be an http or https URL",
            )))
        }
        // Stored as the feeds advertise it and `feedgen ping` posts to it:
        // trimmed, and never with a user name or password.
        Some(hub) => Some(without_credentials("feedgen.hub", hub).map_err(setting)?),
        None => None,
    };
    let icon = image_url(&root, section.icon.as_deref(), "icon").map_err(setting)?;
    let logo = image_url(&root, section.logo.as_deref(), "logo").map_err(setting)?;
    let names = DisplayNames::from_config(section.names.as_ref())
        .map_err(|why| ConfigError::Refused { file: at.clone(), why })?;
    Ok(Site {
        title,
        description,
        root,
        feeds_root,
        lang: string(map, "lang").and_then(|l| language_tag(&l)),
        zone,
        author,
        permalink: string(map, "permalink").unwrap_or_else(|| "date".to_string()),
        hub,
        icon,
        logo,
        claims: section.claims.as_ref().map(|c| c.0.clone()).unwrap_or_default(),
        names,
        jekyll: crate::jekyll::JekyllRules::default(),
        archive: section.archive.clone().unwrap_or_default(),
    })
}

/// `feedgen.jekyll` (3 or 4), else the content folder's `Gemfile.lock`
/// and `Gemfile` (see `jekyll::detect`).
fn jekyll_choice(
    section: &Section,
    gemfiles: &Gemfiles,
    at: &Option<PathBuf>,
) -> Result<crate::jekyll::JekyllChoice, ConfigError> {
    let setting = match &section.jekyll {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            crate::jekyll::parse_setting(&scalar(Some(v)).unwrap_or_default())
                .map_err(|why| ConfigError::Refused { file: at.clone(), why })?,
        ),
    };
    Ok(crate::jekyll::detect(
        setting,
        gemfiles.lock.as_deref(),
        gemfiles.gemfile.as_deref(),
    ))
}

/// The content, output and state folders, and how the folder errors name
/// the output and state folders. `--state` is relative to the working
/// folder, as every flag is; `feedgen.state_dir` to the content folder, as
/// Jekyll reads paths in `_config.yml`.
fn folders(
    flags: &Overrides,
    section: &Section,
    at: &Option<PathBuf>,
) -> ((PathBuf, PathBuf, PathBuf), String, String) {
    let content_dir = flags.content_dir.clone().unwrap_or_else(|| PathBuf::from("content"));
    let output_dir = flags.output_dir.clone().unwrap_or_else(|| PathBuf::from("output"));
    let (state_dir, state_what) = match (&flags.state_dir, &section.state_dir) {
        (Some(dir), _) => (dir.clone(), format!("--state {}", dir.display())),
        (None, Some(dir)) => {
            let what = match at {
                Some(file) => format!("{}: `feedgen.state_dir: {dir}`", file.display()),
                None => format!("`feedgen.state_dir: {dir}`"),
            };
            (content_dir.join(dir), what)
        }
        (None, None) => (content_dir.join(".feedgen"), "the state folder".to_string()),
    };
    let output_what = match &flags.output_dir {
        Some(dir) => format!("--output {}", dir.display()),
        None => "the output folder (default `output`)".to_string(),
    };
    ((content_dir, output_dir, state_dir), output_what, state_what)
}

/// The run's "now": `--now`, else `SOURCE_DATE_EPOCH`, else the clock.
fn now(flag: Option<&str>, zone: SiteZone, clock: Clock) -> Result<DateTime<FixedOffset>, ConfigError> {
    match (flag, clock.source_date_epoch.filter(|e| !e.trim().is_empty())) {
        (Some(text), _) => parse_now(text, zone).ok_or_else(|| ConfigError::NowFlag(text.to_string())),
        (None, Some(epoch)) => parse_epoch(&epoch).map_err(|source| ConfigError::Epoch { text: epoch, source }),
        (None, None) => Ok(clock.system),
    }
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

/// `text` with any user name and password taken out, for a message: a
/// setting that holds a secret is refused without printing it.
fn redacted(text: &str) -> String {
    match url::Url::parse(text.trim()) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => text.to_string(),
    }
}

/// `url` (a web URL) unless it holds a user name or password, which every
/// feed and `feedgen ping` would publish.
fn without_credentials(key: &str, url: &str) -> Result<String, Invalid> {
    match url::Url::parse(url) {
        Ok(parsed) if !parsed.username().is_empty() || parsed.password().is_some() => Err(Invalid::with_value(
            key,
            redacted(url),
            "holds a user name or password, which every feed would publish; give a plain http(s) URL such as https://example.com",
        )),
        _ => Ok(url.to_string()),
    }
}

/// Refuse a public URL that would leak or break every link made from it:
/// credentials (they would appear in every feed), a query or a fragment
/// (joining paths after them gives URLs that point elsewhere).
fn check_public_url(key: &str, url: &url::Url) -> Result<(), Invalid> {
    let problem = if !url.username().is_empty() || url.password().is_some() {
        "holds a user name or password, which every feed would publish"
    } else if url.query().is_some() {
        "has a query (`?…`); links are made by appending paths to it"
    } else if url.fragment().is_some() {
        "has a fragment (`#…`); links are made by appending paths to it"
    } else {
        return Ok(());
    };
    Err(Invalid::with_value(
        key,
        redacted(url.as_str()),
        format!("{problem}; give a plain http(s) URL such as https://example.com"),
    ))
}

/// `feedgen.feeds_url`: an absolute http(s) URL, or a path under the site
/// root (`/feeds` on `https://ex.com/blog` is `https://ex.com/blog/feeds`).
fn feeds_root(root: &str, raw: &str) -> Result<String, Invalid> {
    const KEY: &str = "feedgen.feeds_url";
    let raw = raw.trim();
    if raw.contains("://") {
        let parsed = url::Url::parse(raw).map_err(|e| Invalid::with_value(KEY, raw, format!("is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Invalid::with_value(
                KEY,
                redacted(raw),
                "must be an http or https URL, or a path such as /feeds",
            ));
        }
        check_public_url(KEY, &parsed)?;
        // Serialised as a URL (percent-encoded), as every self link, OPML,
        // feeds.json and the ping list then use it.
        return Ok(parsed.as_str().trim_end_matches('/').to_string());
    }
    if raw.contains(['?', '#', '\\']) || raw.split('/').any(|s| s == "..") || raw.starts_with("//") {
        return Err(Invalid::with_value(
            KEY,
            raw,
            "must be an absolute http(s) URL or a path under the site root such as /feeds",
        ));
    }
    Ok(site_root(root, raw))
}

/// `feedgen.icon`/`feedgen.logo`: an absolute http(s) URL, or a path on the site.
fn image_url(root: &str, raw: Option<&str>, key: &str) -> Result<Option<String>, Invalid> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    // Anything with a scheme (`javascript:`) is a URL, not a path.
    let url = if url::Url::parse(raw).is_ok() {
        raw.to_string()
    } else if raw.starts_with("//") {
        format!("{}:{raw}", root.split(':').next().unwrap_or("https"))
    } else {
        format!("{root}/{}", raw.trim_start_matches('/'))
    };
    let url = encode_url(&url);
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            Ok(Some(without_credentials(&format!("feedgen.{key}"), &url)?))
        }
        _ => Err(Invalid::with_value(
            format!("feedgen.{key}"),
            redacted(raw),
            "must be an http(s) URL or a path on the site such as /favicon.png",
        )),
    }
}

/// `feedgen.jekyll_data`: a `.json` file inside the content folder (the
/// Jekyll site), e.g. `_data/feedgen.json`.
fn jekyll_data_file(file: &str) -> Result<String, Invalid> {
    let ok = file.ends_with(".json")
        && !file.starts_with('/')
        && file.split('/').all(|part| {
            !part.is_empty() && part != "." && part != ".." && !part.contains(|c: char| c == '\\' || c.is_control())
        });
    if ok {
        Ok(file.to_string())
    } else {
        Err(Invalid::with_value(
            "feedgen.jekyll_data",
            file,
            "must be a relative `.json` path inside the content folder, such as `_data/feedgen.json`",
        ))
    }
}

/// `feedgen.category_dir` or `feedgen.tag_dir` (`default` when unset).
fn layout_dir(dir: Option<&str>, key: &str, default: &str) -> Result<String, Invalid> {
    let dir = dir.unwrap_or(default);
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
        Ok(dir.to_string())
    } else {
        Err(Invalid::with_value(
            format!("feedgen.{key}"),
            dir,
            "must be a relative folder inside the output folder, at most 100 bytes a folder name",
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

fn parse_epoch(text: &str) -> Result<DateTime<FixedOffset>, EpochError> {
    let secs: i64 = text.trim().parse().map_err(EpochError::NotANumber)?;
    DateTime::from_timestamp(secs, 0)
        .map(|d| d.fixed_offset())
        .ok_or(EpochError::OutOfRange)
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
        let long = "d".repeat(101);
        for bad in ["../x", "/abs", "a/../b", "", "a\\b", long.as_str()] {
            assert!(layout_dir(Some(bad), "category_dir", "category").is_err(), "{bad}");
        }
        assert_eq!(
            layout_dir(Some("feeds/category"), "category_dir", "category").as_deref(),
            Ok("feeds/category")
        );
        assert_eq!(layout_dir(None, "tag_dir", "tag").as_deref(), Ok("tag"));
    }

    #[test]
    fn now_forms() {
        let z = SiteZone::parse("Asia/Shanghai").expect("zone");
        assert_eq!(parse_now("2030-01-01", z).map(|d| d.timestamp()), Some(1893427200));
        assert_eq!(parse_now("1893427200", z).map(|d| d.timestamp()), Some(1893427200));
        assert!(parse_now("tomorrow", z).is_none());
    }

    fn flags() -> Overrides {
        Overrides::default()
    }

    fn clock() -> Clock {
        Clock {
            source_date_epoch: None,
            system: DateTime::from_timestamp(0, 0).expect("epoch").fixed_offset(),
        }
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let file = Path::new("_config.yml");
        Config::parse(Some((file, text)), flags(), clock(), &Gemfiles::default()).map(|parsed| parsed.config)
    }

    #[test]
    fn parsing_reads_only_its_inputs() {
        let config = parse("url: https://ex.com\nfeedgen: {window: 2h, ping: {retries: 0}}").expect("valid");
        assert_eq!(config.feeds.site.window, Some(7200));
        assert_eq!(config.ping.retries, 0);
        assert_eq!(config.now.timestamp(), 0, "the clock given, not the system's");
        assert_eq!(config.content_dir, PathBuf::from("content"), "no folder is looked at");
    }

    #[test]
    fn unknown_settings_are_errors_and_jekyll_keys_are_not() {
        let err = parse("url: https://ex.com\nfeedgen: {site: {max_byte: 1MiB}}").expect_err("typo");
        assert_eq!(
            err.to_string(),
            "_config.yml: feedgen.site.max_byte: unknown setting; did you mean max_bytes?"
        );
        assert!(parse("url: https://ex.com\njekyll_plugin_setting: {anything: 1}").is_ok());
    }

    #[test]
    fn errors_keep_their_chain() {
        let err = parse("url: example.com").expect_err("relative");
        let chain = anyhow::Error::from(err);
        assert_eq!(
            format!("{chain:#}"),
            "_config.yml: `url: example.com` is not an absolute URL: relative URL without a base"
        );
        let epoch = Clock {
            source_date_epoch: Some("soon".into()),
            ..clock()
        };
        let file = Some((Path::new("_config.yml"), "url: https://ex.com"));
        let err = anyhow::Error::from(Config::parse(file, flags(), epoch, &Gemfiles::default()).expect_err("epoch"));
        assert_eq!(
            format!("{err:#}"),
            "SOURCE_DATE_EPOCH `soon` is not a number of seconds: invalid digit found in string"
        );
    }
}
