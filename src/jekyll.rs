//! Which Jekyll builds the site, and the rules where its two versions
//! publish a post at different URLs (or not at all): GitHub Pages' classic
//! build (the `github-pages` gem: Jekyll 3.10 with safe_yaml) or Jekyll
//! 4.3. Everything here is pure: the caller reads the files.
//!
//! What the two versions do was recorded with real builds of both
//! (`tests/fixtures/jekyll3/`). Differences feedgen does not mirror, and
//! why, are listed in `tests/fixtures/jekyll3/README.md`.

use std::sync::LazyLock;

use regex::Regex;

use crate::content::date::{dated_prefix, extension_start, NeedsRegex};

/// The Jekyll whose rules a post's link follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JekyllRules {
    /// GitHub Pages' classic build: Jekyll 3.10 (`github-pages` gem).
    #[default]
    Pages310,
    /// Jekyll 4.3.
    Jekyll43,
}

/// The rules in use and, in words, why (what `-v` prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JekyllChoice {
    pub rules: JekyllRules,
    pub why: String,
}

impl JekyllChoice {
    /// The `-v` line: `links follow Jekyll 3.10 (GitHub Pages): no Gemfile`.
    pub fn describe(&self) -> String {
        let which = match self.rules {
            JekyllRules::Pages310 => "Jekyll 3.10 (GitHub Pages)",
            JekyllRules::Jekyll43 => "Jekyll 4.3",
        };
        format!("links follow {which}: {}", self.why)
    }
}

/// The `feedgen.jekyll` setting: `3` or `4` (a number or a string such as
/// `"4.3"`). `Err` holds the message for anything else.
pub fn parse_setting(text: &str) -> Result<JekyllRules, String> {
    let text = text.trim();
    let major = text.split('.').next().unwrap_or(text);
    match major {
        "3" => Ok(JekyllRules::Pages310),
        "4" => Ok(JekyllRules::Jekyll43),
        _ => Err(format!(
            "`feedgen.jekyll: {text}` must be 3 (GitHub Pages' Jekyll 3.10) or 4 (Jekyll 4.3)"
        )),
    }
}

/// Decide the rules from the setting (it wins), else the content folder's
/// `Gemfile.lock` (what Bundler resolved), else its `Gemfile`. No Gemfile,
/// or one that names neither `github-pages` nor `jekyll`, means GitHub
/// Pages: its classic build needs none and ignores any.
pub fn detect(setting: Option<JekyllRules>, gemfile_lock: Option<&str>, gemfile: Option<&str>) -> JekyllChoice {
    let choice = |rules, why: String| JekyllChoice { rules, why };
    if let Some(rules) = setting {
        let n = if rules == JekyllRules::Pages310 { 3 } else { 4 };
        return choice(rules, format!("`feedgen.jekyll: {n}`"));
    }
    if let Some((rules, why)) = gemfile_lock.and_then(from_lock) {
        return choice(rules, format!("Gemfile.lock {why}"));
    }
    if let Some((rules, why)) = gemfile.and_then(from_gemfile) {
        return choice(rules, format!("Gemfile {why}"));
    }
    let why = match (gemfile_lock, gemfile) {
        (None, None) => "no Gemfile",
        _ => "the Gemfile names neither github-pages nor jekyll",
    };
    choice(JekyllRules::Pages310, why.to_string())
}

/// `Gemfile.lock`: a `github-pages` gem anywhere, else the resolved
/// `jekyll (X.Y.Z)` spec line.
fn from_lock(text: &str) -> Option<(JekyllRules, String)> {
    static PAGES: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?m)^ +github-pages(?: |$)").ok());
    static JEKYLL: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?m)^ {4}jekyll \((\d+)[.\d]*\)").ok());
    if PAGES.as_ref()?.is_match(text) {
        return Some((JekyllRules::Pages310, "names github-pages".into()));
    }
    let caps = JEKYLL.as_ref()?.captures(text)?;
    let version = caps.get(0)?.as_str().trim();
    major_rules(caps.get(1)?.as_str()).map(|rules| (rules, format!("resolves {version}")))
}

/// `Gemfile`: `gem "github-pages"`, else `gem "jekyll"` and its version
/// requirements: `~> 4.3`, `= 3.10.0` or `3.10` give that major version;
/// only lower bounds (or none) give the newest, 4, unless an upper bound
/// `< 4` keeps it at 3.
fn from_gemfile(text: &str) -> Option<(JekyllRules, String)> {
    static PAGES: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"(?m)^[ \t]*gem[ \t(]+["']github-pages["']"#).ok());
    static JEKYLL: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"(?m)^[ \t]*gem[ \t(]+["']jekyll["']((?:[ \t]*,[ \t]*["'][^"'\n]*["'])*)"#).ok());
    static REQUIREMENT: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"["'][ \t]*(~>|>=|<=|!=|=|>|<)?[ \t]*(\d+(?:\.\d+)*)[^"']*["']"#).ok());
    if PAGES.as_ref()?.is_match(text) {
        return Some((JekyllRules::Pages310, "names github-pages".into()));
    }
    let caps = JEKYLL.as_ref()?.captures(text)?;
    let line = caps.get(0)?.as_str().trim();
    let mut pinned = None;
    let mut below_4 = false;
    for req in REQUIREMENT
        .as_ref()?
        .captures_iter(caps.get(1).map_or("", |m| m.as_str()))
    {
        let op = req.get(1).map_or("=", |m| m.as_str());
        let version: Vec<u32> = req
            .get(2)
            .map_or("", |m| m.as_str())
            .split('.')
            .filter_map(|n| n.parse().ok())
            .collect();
        let major = version.first().copied().unwrap_or(0);
        match op {
            "~>" | "=" => pinned = pinned.or(major_rules(&major.to_string())),
            // `< 4`, `< 4.0`: no Jekyll 4.
            "<" => below_4 |= major < 4 || (major == 4 && version.iter().skip(1).all(|&n| n == 0)),
            "<=" => below_4 |= major < 4,
            _ => {}
        }
    }
    let rules = match (pinned, below_4) {
        (Some(rules), _) => rules,
        (None, true) => JekyllRules::Pages310,
        (None, false) => JekyllRules::Jekyll43,
    };
    Some((rules, format!("has `{line}`")))
}

/// Jekyll 3 is GitHub Pages' 3.10; 4 is 4.3; other majors are not read.
fn major_rules(major: &str) -> Option<JekyllRules> {
    match major {
        "3" => Some(JekyllRules::Pages310),
        "4" => Some(JekyllRules::Jekyll43),
        _ => None,
    }
}

impl JekyllRules {
    /// The characters Jekyll's `slugify` replaces with `-`, in its `default`
    /// or (`pretty`) its `pretty` mode. 4.3 keeps letters, marks and decimal
    /// digits; 3.10's `[[:alnum:]]` keeps Unicode's Alphabetic property and
    /// decimal digits, so it also keeps letter numbers (`Ⅻ`, `〇`) and
    /// circled letters (`Ⓐ`) but turns marks that are not alphabetic (a
    /// decomposed `é`'s accent, Thai tone marks, kana voicing marks) into `-`.
    pub fn slug_breaks(self, pretty: bool) -> Option<&'static Regex> {
        static DEFAULT_43: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[^\p{M}\p{L}\p{Nd}]+").ok());
        static PRETTY_43: LazyLock<Option<Regex>> =
            LazyLock::new(|| Regex::new(r"[^\p{M}\p{L}\p{Nd}._~!$&'()+,;=@]+").ok());
        static DEFAULT_310: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[^\p{Alphabetic}\p{Nd}]+").ok());
        static PRETTY_310: LazyLock<Option<Regex>> =
            LazyLock::new(|| Regex::new(r"[^\p{Alphabetic}\p{Nd}._~!$&'()+,;=@]+").ok());
        let re = match (self, pretty) {
            (JekyllRules::Jekyll43, false) => &*DEFAULT_43,
            (JekyllRules::Jekyll43, true) => &*PRETTY_43,
            (JekyllRules::Pages310, false) => &*DEFAULT_310,
            (JekyllRules::Pages310, true) => &*PRETTY_310,
        };
        re.as_ref()
    }

    /// A post's `slug` from its file name (the text after the date, without
    /// the extension): 4.3 drops trailing dots, 3.10 keeps them
    /// (`trailing-dot.`, which the URL sanitizer later turns into
    /// `trailing-dot/html`).
    pub fn file_slug(self, slug: &str) -> &str {
        match self {
            JekyllRules::Jekyll43 => slug.trim_end_matches('.'),
            JekyllRules::Pages310 => slug,
        }
    }

    /// A page's basename (its file name without the extension): 4.3 drops
    /// trailing dots, 3.10 keeps them.
    pub fn page_basename(self, basename: &str) -> &str {
        self.file_slug(basename)
    }

    /// Whether `style` is one of the version's permalink styles; anything
    /// else is used as a pattern. `weekdate` is 4.x's: 3.10 takes the word
    /// as the permalink itself (every post at `/weekdate.html`).
    pub fn knows_style(self, style: &str) -> bool {
        match style {
            "date" | "" | "pretty" | "ordinal" | "none" => true,
            "weekdate" => self == JekyllRules::Jekyll43,
            _ => false,
        }
    }

    /// The part of a post's content-relative path that Jekyll reads as
    /// `DATE-SLUG.EXT`. 4.3 reads the file name only (a post in a folder
    /// named like `2022-04-04-dir/` is not published). 3.10's matcher
    /// `^(?:.+/)*(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$` runs on the path
    /// below `_posts/`; its greedy prefix makes the date the one of the
    /// deepest folder or file that has one, and the slug everything after it,
    /// `/` included (`_posts/2022-04-04-dir/inner.md`: slug `dir/inner`).
    pub fn dated_name(self, rel: &str) -> &str {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        match self {
            JekyllRules::Jekyll43 => name,
            JekyllRules::Pages310 => dated_310(rel).map_or(name, |(start, _)| &rel[start..]),
        }
    }

    /// [`dated_name`](Self::dated_name) without its extension: the text
    /// whose `YYYY-MM-DD-` prefix dates the post. 4.3: the file name's stem.
    pub fn dated_stem(self, rel: &str) -> &str {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        match self {
            JekyllRules::Jekyll43 => stem,
            JekyllRules::Pages310 => dated_310(rel).map_or(stem, |(start, end)| &rel[start..end]),
        }
    }
}

/// Where 3.10's date matcher finds the date in a path under `_posts/`, and
/// where the extension starts (byte offsets into `rel`).
fn dated_310(rel: &str) -> Option<(usize, usize)> {
    let below = rel
        .split('/')
        .position(|d| d == "_posts")
        .map(|i| rel.split('/').take(i + 1).map(|d| d.len() + 1).sum::<usize>())?;
    let entry = rel.get(below..)?;
    let (date, extension) = match split_dated_310(entry) {
        Ok(found) => found?,
        Err(NeedsRegex) => split_dated_310_by_regex(entry)?,
    };
    Some((below + date, below + extension))
}

/// 3.10's `^(?:.+/)*(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$`, read byte by
/// byte: the date starts the path or follows its rightmost `/` that leaves
/// a match (the regex prefers the longest prefix), not the first one.
fn split_dated_310(entry: &str) -> Result<Option<(usize, usize)>, NeedsRegex> {
    if entry.contains('\n') {
        return Err(NeedsRegex); // `.` stops at a newline, `[^.]` does not
    }
    // A prefix ends in `/` and is empty or two bytes long at least (`.+/`).
    let starts = entry
        .match_indices('/')
        .rev()
        .map(|(at, _)| at + 1)
        .filter(|&at| at >= 2);
    for start in starts.chain([0]) {
        let Some(date) = dated_prefix(&entry[start..])? else {
            continue;
        };
        let slug_start = start + date.iter().map(|part| part.len() + 1).sum::<usize>();
        if let Some(dot) = extension_start(&entry[slug_start..]) {
            return Ok(Some((start, slug_start + dot)));
        }
    }
    Ok(None)
}

fn split_dated_310_by_regex(entry: &str) -> Option<(usize, usize)> {
    static MATCHER: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"^(?:.+/)*(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$").ok());
    let caps = MATCHER.as_ref()?.captures(entry)?;
    Some((caps.get(1)?.start(), caps.get(3)?.start()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use JekyllRules::{Jekyll43, Pages310};

    fn rules(lock: Option<&str>, gemfile: Option<&str>) -> JekyllRules {
        detect(None, lock, gemfile).rules
    }

    #[test]
    fn no_gemfile_means_github_pages() {
        let choice = detect(None, None, None);
        assert_eq!(choice.describe(), "links follow Jekyll 3.10 (GitHub Pages): no Gemfile");
    }

    #[test]
    fn the_setting_overrides_the_gemfile() {
        let lock = "GEM\n  specs:\n    jekyll (3.10.0)\n";
        let choice = detect(Some(Jekyll43), Some(lock), None);
        assert_eq!(choice.rules, Jekyll43);
        assert_eq!(choice.describe(), "links follow Jekyll 4.3: `feedgen.jekyll: 4`");
        assert_eq!(parse_setting("3"), Ok(Pages310));
        assert_eq!(parse_setting("4.3"), Ok(Jekyll43));
        assert!(parse_setting("5").is_err());
        assert!(parse_setting("").is_err());
    }

    #[test]
    fn gemfile_lock_says_what_bundler_resolved() {
        let pages = "GEM\n  specs:\n    github-pages (232)\n      jekyll (= 3.10.0)\n    jekyll (3.10.0)\n\nDEPENDENCIES\n  github-pages\n";
        assert_eq!(rules(Some(pages), None), Pages310);
        let four = "GEM\n  specs:\n    jekyll (4.3.4)\n      addressable (~> 2.4)\n\nDEPENDENCIES\n  jekyll (~> 4.3)\n";
        let choice = detect(None, Some(four), Some("gem \"jekyll\", \">= 3\"\n"));
        assert_eq!(choice.rules, Jekyll43);
        assert_eq!(choice.why, "Gemfile.lock resolves jekyll (4.3.4)");
        // A lock that names no jekyll leaves it to the Gemfile.
        assert_eq!(
            rules(Some("GEM\n  specs:\n"), Some("gem 'jekyll', '~> 4.2'\n")),
            Jekyll43
        );
    }

    #[test]
    fn gemfile_requirements() {
        assert_eq!(
            rules(
                None,
                Some("source \"https://rubygems.org\"\ngem \"github-pages\", group: :jekyll_plugins\n")
            ),
            Pages310
        );
        assert_eq!(rules(None, Some("gem \"jekyll\", \"~> 4.3\"\n")), Jekyll43);
        assert_eq!(rules(None, Some("gem 'jekyll', '3.10.0'\n")), Pages310);
        assert_eq!(rules(None, Some("gem \"jekyll\", \"~> 3.9\"\n")), Pages310);
        assert_eq!(rules(None, Some("gem \"jekyll\"\n")), Jekyll43);
        assert_eq!(rules(None, Some("gem \"jekyll\", \">= 3.9\"\n")), Jekyll43);
        assert_eq!(rules(None, Some("gem \"jekyll\", \">= 3.9\", \"< 4\"\n")), Pages310);
        assert_eq!(rules(None, Some("gem \"jekyll\", \">= 3.9\", \"< 4.0\"\n")), Pages310);
        assert_eq!(rules(None, Some("gem \"jekyll\", \">= 3.9\", \"< 5\"\n")), Jekyll43);
        // Commented out, or a plugin whose name starts with jekyll: not Jekyll itself.
        let other = "# gem \"jekyll\", \"~> 4.3\"\ngem \"jekyll-feed\"\n";
        let choice = detect(None, None, Some(other));
        assert_eq!(choice.rules, Pages310);
        assert_eq!(choice.why, "the Gemfile names neither github-pages nor jekyll");
        assert_eq!(
            detect(None, None, Some("gem \"jekyll\", \"~> 4.3\"\n")).describe(),
            "links follow Jekyll 4.3: Gemfile has `gem \"jekyll\", \"~> 4.3\"`"
        );
    }

    /// Real builds' answers (`tests/fixtures/jekyll3/gh-default`).
    #[test]
    fn slug_classes_follow_each_version() {
        let slug = |rules: JekyllRules, text: &str| {
            rules
                .slug_breaks(true)
                .map(|re| re.replace_all(text, "-").into_owned())
                .unwrap_or_default()
        };
        for (text, v310, v43) in [
            ("de\u{301}cor-news", "de-cor-news", "de\u{301}cor-news"),
            ("ข่าวดี", "ข-าวดี", "ข่าวดี"),
            ("か\u{3099}ぎ-report", "か-ぎ-report", "か\u{3099}ぎ-report"),
            ("chapter-Ⅻ", "chapter-Ⅻ", "chapter-"),
            ("第〇回", "第〇回", "第-回"),
            ("grade-Ⓐ-list", "grade-Ⓐ-list", "grade-list"),
            // A Thai vowel sign is Other_Alphabetic: both keep it.
            ("สัน-vowel", "สัน-vowel", "สัน-vowel"),
            ("décor", "décor", "décor"),
        ] {
            assert_eq!(slug(Pages310, text), v310, "3.10 {text}");
            assert_eq!(slug(Jekyll43, text), v43, "4.3 {text}");
        }
        let default = |rules: JekyllRules| {
            rules
                .slug_breaks(false)
                .map(|re| re.replace_all("a.b~Ⅻ", "-").into_owned())
        };
        assert_eq!(default(Pages310).as_deref(), Some("a-b-Ⅻ"));
        assert_eq!(default(Jekyll43).as_deref(), Some("a-b-"));
    }

    #[test]
    fn trailing_dots_are_kept_by_3_10_only() {
        assert_eq!(Pages310.file_slug("trailing-dot."), "trailing-dot.");
        assert_eq!(Jekyll43.file_slug("trailing-dot.."), "trailing-dot");
        assert_eq!(
            Pages310.page_basename("2022-02-14-old-trailing."),
            "2022-02-14-old-trailing."
        );
        assert_eq!(
            Jekyll43.page_basename("2022-02-14-old-trailing."),
            "2022-02-14-old-trailing"
        );
    }

    #[test]
    fn weekdate_is_a_style_of_4_only() {
        assert!(Jekyll43.knows_style("weekdate"));
        assert!(!Pages310.knows_style("weekdate"));
        assert!(Pages310.knows_style("pretty") && Pages310.knows_style("date"));
        assert!(!Jekyll43.knows_style("/:title/"));
    }

    #[test]
    fn a_dated_folder_dates_its_files_under_3_10() {
        let rel = "_posts/2022-04-04-dir/inner.md";
        assert_eq!(Pages310.dated_name(rel), "2022-04-04-dir/inner.md");
        assert_eq!(Pages310.dated_stem(rel), "2022-04-04-dir/inner");
        assert_eq!(Jekyll43.dated_name(rel), "inner.md");
        assert_eq!(Jekyll43.dated_stem(rel), "inner");
        // The deepest dated part wins; folders above `_posts` never date a post.
        let deep = "2020-01-01-x/_posts/2021-01-01-a/2022-02-02-b/c.md";
        assert_eq!(Pages310.dated_name(deep), "2022-02-02-b/c.md");
        assert_eq!(Pages310.dated_name("2020-01-01-x/_posts/c.md"), "c.md");
        // Plain files read the same under both.
        for rel in [
            "_posts/sub/2022-04-05-nested.md",
            "markets/_posts/2022-07-07-in-folder.md",
            "_posts/notes.md",
        ] {
            assert_eq!(Pages310.dated_name(rel), Jekyll43.dated_name(rel), "{rel}");
            assert_eq!(Pages310.dated_stem(rel), Jekyll43.dated_stem(rel), "{rel}");
        }
        assert_eq!(
            Pages310.dated_stem("_posts/2022-02-13-trailing-dot..md"),
            "2022-02-13-trailing-dot."
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 20000, failure_persistence: None, ..Default::default() })]
        #[test]
        fn the_byte_reader_finds_what_3_10s_regex_finds(
            entry in crate::content::date::dated_names(&["/2022-01-01-", "/", "_posts"])
        ) {
            match split_dated_310(&entry) {
                Ok(found) => proptest::prop_assert_eq!(found, split_dated_310_by_regex(&entry)),
                Err(NeedsRegex) => proptest::prop_assert!(entry.contains('\n') || !entry.is_ascii()),
            }
        }
    }

    #[test]
    fn the_byte_reader_takes_the_date_after_the_rightmost_slash_that_matches() {
        for entry in [
            "a/2022-01-01-x.md",
            "2021-01-01-a/2022-02-02-b/c.md",
            "2021-01-01-a/b/c.",
            "//2022-1-1-.m",
            "/2022-1-1-.m",
        ] {
            assert_eq!(split_dated_310(entry), Ok(split_dated_310_by_regex(entry)), "{entry:?}");
        }
        assert_eq!(split_dated_310("2021-01-01-a/2022-02-02-b/c.md"), Ok(Some((13, 27))));
        assert_eq!(split_dated_310("a/2021-01-01-b/2022-02-02-c.md"), Ok(Some((15, 27))));
        assert_eq!(split_dated_310("a\n/2022-01-01-x.md"), Err(NeedsRegex));
        assert_eq!(Pages310.dated_name("_posts/a\n/2022-01-01-x.md"), "2022-01-01-x.md");
    }
}
