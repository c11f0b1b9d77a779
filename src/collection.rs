//! The post collection as read from the content folder: one record per
//! post file, the posts it publishes, and the report of what reading
//! found. Shared by `build`, `check` and `list`; the conversions between
//! its records and the state's stored ones live here, on the upper side
//! of the state seam.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::content::git::GitView;
use crate::content::post::{JekyllReading, LinkDate, Outcome, PostMeta, Publishing, ReadRules};
use crate::content::{self, Found, Notes, Record, Scanned};
use crate::diagnostics::{Diagnostic, Severity};
use crate::model;
use crate::report::Report;
use crate::state::{FromStored, StoredLinkDate, StoredMeta, StoredOutcome, StoredPost, StoredReading, Walked};

/// The collection as read from disk, one record per post file.
pub struct Collection {
    /// Sorted by path.
    pub records: Vec<Record>,
    /// How many leading records are the index's, unchanged and in place.
    pub kept: usize,
    /// Page files (sorted): where the category and tag pages are.
    pub pages: Vec<String>,
    pub report: Report,
    /// Records (by index) of archived posts whose `_posts/` path holds a
    /// post too: left out, so no id is in a feed twice.
    pub shadowed: HashSet<usize>,
    /// Records (by index) of published posts whose page Jekyll overwrites
    /// with another post's (`model::same_page`): left out of every feed.
    pub overwritten: HashSet<usize>,
}

impl Collection {
    /// Published posts (sorted by path) and their content hashes.
    pub fn published(&self, config: &Config) -> (Vec<&PostMeta>, Vec<u64>) {
        self.records
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.shadowed.contains(i) && !self.overwritten.contains(i))
            .filter_map(|(_, r)| match &r.scanned.outcome {
                Outcome::Post(meta) if !is_rejected(config, r) && meta.is_visible(publishing(config)) => {
                    Some((meta, r.hash))
                }
                _ => None,
            })
            .unzip()
    }
}

/// The site's publishing switches.
fn publishing(config: &Config) -> Publishing {
    Publishing {
        now: config.now,
        future: config.future,
        unpublished: config.unpublished,
    }
}

/// A post with warnings under `--strict` is rejected.
fn is_rejected(config: &Config, record: &Record) -> bool {
    config.strict
        && record
            .scanned
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning)
}

/// Read every post (in parallel) into records, reusing `previous` ones for
/// unchanged files, and count what they are.
pub fn read_posts(config: &Config, previous: Vec<Record>) -> Collection {
    let git = GitView::new(&config.content_dir, false);
    scan_posts(config, find_posts(config), previous, git)
}

/// Walk the content folder for post and page files.
pub fn find_posts(config: &Config) -> content::Found {
    content::find_posts(
        &config.content_dir,
        config.drafts,
        &config.site.archive,
        &config.output_dir,
    )
}

/// Read the files `found` lists, reusing `previous` records of unchanged
/// ones, known by their stamps or, in a git work tree, by git's index as
/// `git` reads it (the records keep git's blob ids for the next run).
pub fn scan_posts(config: &Config, found: content::Found, previous: Vec<Record>, git: GitView) -> Collection {
    let root = &config.content_dir;
    let rules = ReadRules {
        zone: config.site.zone,
        in_posts_dir: true,
        archived: false,
        jekyll: config.site.jekyll,
    };
    crate::report::progress(
        config,
        found.files.len(),
        &format!("reading {} post files", found.files.len()),
    );
    let (mut records, kept) = content::scan_all(root, found.files, (rules, &git), config.max_file_size, previous);
    set_page_files(config, &mut records);
    let git_note = git.unusable().map(|why| {
        let message = format!("git's index was not used ({why}); every post file was checked as outside git");
        Diagnostic::new(&root.display().to_string(), None, Severity::Note, message)
    });
    // A post file the walk had to skip (a name that is not UTF-8, a symlink
    // out of the folder) is a post not published: `--strict` makes that an error.
    let walk_diagnostics = found.diagnostics.into_iter().map(|mut d| {
        if config.strict && d.severity == Severity::Warning {
            d.severity = Severity::Error;
            d = d.appended(" (rejected: --strict)");
        }
        d
    });
    let mut report = Report {
        diagnostics: walk_diagnostics.chain(git_note).collect(),
        opened: records.iter().filter(|r| r.opened).count(),
        ..Report::default()
    };
    let shadowed = shadowed(config, &records);
    let (overwritten, same_page) = same_page(config, &records, &shadowed);
    for (i, r) in records.iter().enumerate() {
        let warned = r.scanned.diagnostics.iter().any(|d| d.severity >= Severity::Warning);
        let strict = is_rejected(config, r);
        match &r.scanned.outcome {
            Outcome::NotAPost => {}
            Outcome::Post(_) if shadowed.contains(&i) => {
                report.excluded += 1;
                report.diagnostics.push(shadowed_note(config, r.rel()));
            }
            Outcome::Rejected => report.rejected += 1,
            Outcome::Post(_) if strict || (config.strict && same_page.contains_key(&i)) => report.rejected += 1,
            Outcome::Post(_) if overwritten.contains(&i) => report.excluded += 1,
            Outcome::Post(meta) if !meta.is_visible(publishing(config)) => report.excluded += 1,
            Outcome::Post(_) => {
                report.published += 1;
                report.recovered += usize::from(warned);
            }
        }
        if !matches!(r.scanned.outcome, Outcome::NotAPost) {
            report.read += 1;
        }
        for d in r.scanned.diagnostics.iter() {
            let mut d = d.clone();
            if strict && d.severity == Severity::Warning {
                d.severity = Severity::Error;
                d = d.appended(" (rejected: --strict)");
            }
            report.diagnostics.push(d);
        }
    }
    report.diagnostics.extend(same_page.into_values());
    report.diagnostics.extend(unquoted_date_note(config, &records));
    Collection {
        records,
        kept,
        pages: found.pages,
        report,
        shadowed,
        overwritten,
    }
}

/// One note for every post with an unquoted offset-less `date`, shown at
/// the first of them (in path order), with their count.
fn unquoted_date_note(config: &Config, records: &[Record]) -> Option<Diagnostic> {
    let mut unquoted = records.iter().filter_map(|r| match r.scanned.outcome {
        Outcome::Post(PostMeta {
            unquoted_date: Some(line),
            ..
        }) => Some((&**r.rel(), line)),
        _ => None,
    });
    let (rel, line) = unquoted.next()?;
    let count = 1 + unquoted.count();
    let others = match count - 1 {
        0 => String::new(),
        n => format!(" (and {n} more post{})", if n == 1 { "" } else { "s" }),
    };
    let message = format!(
        "{count} post{} an unquoted `date` with a time and no offset, like this one{others}. Jekyll reads such a date as UTC, so the site shows it {} and builds the post's URL (and the feed's link) from that reading, while the feeds keep the written time in the site's `timezone`; quote the dates (`date: \"2021-12-01 13:33:50\"`) or add the offset (`+0800`) so both agree",
        if count == 1 { " has" } else { "s have" },
        zone_shift(config)
    );
    let line = usize::try_from(line.get()).ok();
    let shown = content::shown_path(&config.content_dir, rel);
    Some(Diagnostic::new(&shown, line, Severity::Note, message))
}

/// Each post's page file hash (`model::page_file`), where reading did not
/// bring it from the index: a post read afresh. Every post, published or
/// not, since `now` changes what is published without reading anything.
fn set_page_files(config: &Config, records: &mut [Record]) {
    records.par_iter_mut().for_each(|r| {
        if let Outcome::Post(meta) = &mut r.scanned.outcome {
            if meta.page_file.is_none() {
                meta.page_file = Some(model::page_file(&config.site, meta));
            }
        }
    });
}

/// The published posts (by record) whose page Jekyll overwrites with
/// another post's, and the warning of each post involved, by record.
/// `--strict` rejects every post involved (their warnings are errors).
fn same_page(
    config: &Config,
    records: &[Record],
    shadowed: &HashSet<usize>,
) -> (HashSet<usize>, BTreeMap<usize, Diagnostic>) {
    let (at, posts): (Vec<usize>, Vec<&PostMeta>) = records
        .iter()
        .enumerate()
        .filter(|(i, r)| !shadowed.contains(i) && !is_rejected(config, r))
        .filter_map(|(i, r)| match &r.scanned.outcome {
            Outcome::Post(meta) if meta.is_visible(publishing(config)) => Some((i, meta)),
            _ => None,
        })
        .unzip();
    let found = model::same_page(&config.site, &posts, |p| content::shown_path(&config.content_dir, p));
    let mut warnings = BTreeMap::new();
    for (k, mut warning) in found.warnings {
        if config.strict {
            warning.severity = Severity::Error;
            warning = warning.appended(" (rejected: --strict)");
        }
        warnings.insert(at[k], warning);
    }
    let overwritten = match config.strict {
        true => warnings.keys().copied().collect(),
        false => (found.hidden.iter().zip(&at))
            .filter(|(h, _)| **h)
            .map(|(_, &i)| i)
            .collect(),
    };
    (overwritten, warnings)
}

/// The archived posts (by record) whose `_posts/` path holds a post too:
/// a post copied rather than moved, or a move half done. The one in
/// `_posts/` is the feeds': both have the same id.
fn shadowed(config: &Config, records: &[Record]) -> HashSet<usize> {
    let archive = &config.site.archive;
    if archive.folders().is_empty() {
        return HashSet::new();
    }
    let is_post = |r: &Record| matches!(r.scanned.outcome, Outcome::Post(_));
    let in_posts: HashSet<&str> = records
        .iter()
        .filter(|r| r.rel().starts_with("_posts/") && is_post(r))
        .map(|r| &**r.rel())
        .collect();
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| is_post(r))
        .filter(|(_, r)| {
            archive
                .reading_path(r.rel())
                .is_some_and(|at| in_posts.contains(at.as_str()))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Why an archived post is left out of the feeds.
fn shadowed_note(config: &Config, rel: &str) -> Diagnostic {
    let at = config.site.archive.reading_path(rel).unwrap_or_default();
    let message = format!(
        "read as `{at}`, which is still there: the feeds carry that one (the two would share an id), and this one once `{at}` is gone"
    );
    Diagnostic::new(
        &content::shown_path(&config.content_dir, rel),
        None,
        Severity::Note,
        message,
    )
}

/// How far the site zone is from UTC, in words, for the unquoted-date note.
fn zone_shift(config: &Config) -> String {
    let offset = config.site.zone.at(config.now).offset().local_minus_utc();
    let (hours, minutes) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
    let amount = if minutes == 0 {
        format!("{hours} h")
    } else {
        format!("{hours} h {minutes} min")
    };
    match offset {
        0 => "no later".to_string(),
        o if o > 0 => format!("{amount} later"),
        _ => format!("{amount} earlier"),
    }
}

impl FromStored for Record {
    fn rel(&self) -> &str {
        Record::rel(self)
    }

    fn set_blob(&mut self, blob: Option<[u8; 20]>) {
        self.blob = blob;
    }

    fn from_stored(p: StoredPost) -> Record {
        let outcome = match p.outcome {
            StoredOutcome::NotAPost => Outcome::NotAPost,
            StoredOutcome::Rejected => Outcome::Rejected,
            StoredOutcome::Post(m) => Outcome::Post(PostMeta {
                path: Arc::clone(&p.rel),
                date: m.date,
                jekyll_time: m.jekyll_time,
                categories: m.categories,
                tags: m.tags,
                unpublished: m.unpublished,
                plain_text: m.plain_text,
                jekyll: m.jekyll.map(|r| Box::new(JekyllReading::from(*r))),
                page_file: m.page_file,
                unquoted_date: m.unquoted_date,
            }),
        };
        let scanned = Scanned {
            outcome,
            diagnostics: Notes::new(p.diagnostics.into_vec()),
        };
        let mut record = Record::keyed(p.rel, p.stamp, p.hash, scanned);
        record.blob = p.blob;
        record
    }
}

impl From<Record> for StoredPost {
    fn from(r: Record) -> StoredPost {
        let rel = r.rel().clone();
        let outcome = match r.scanned.outcome {
            Outcome::NotAPost => StoredOutcome::NotAPost,
            Outcome::Rejected => StoredOutcome::Rejected,
            Outcome::Post(m) => StoredOutcome::Post(StoredMeta {
                date: m.date,
                jekyll_time: m.jekyll_time,
                categories: m.categories,
                tags: m.tags,
                unpublished: m.unpublished,
                plain_text: m.plain_text,
                jekyll: m.jekyll.map(|r| Box::new(StoredReading::from(*r))),
                page_file: m.page_file,
                unquoted_date: m.unquoted_date,
            }),
        };
        StoredPost {
            rel,
            stamp: r.stamp,
            hash: r.hash,
            blob: r.blob,
            outcome,
            diagnostics: r.scanned.diagnostics.into_vec().into_boxed_slice(),
        }
    }
}

impl From<StoredReading> for JekyllReading {
    fn from(r: StoredReading) -> JekyllReading {
        JekyllReading {
            slug: r.slug,
            permalink: r.permalink,
            date: match r.date {
                StoredLinkDate::AsFeed => LinkDate::AsFeed,
                StoredLinkDate::Instant(d) => LinkDate::Instant(d),
                StoredLinkDate::LocalMidnight(day) => LinkDate::LocalMidnight(day),
            },
            categories: r.categories.map(|c| c.to_vec()),
        }
    }
}

impl From<JekyllReading> for StoredReading {
    fn from(r: JekyllReading) -> StoredReading {
        StoredReading {
            slug: r.slug,
            permalink: r.permalink,
            date: match r.date {
                LinkDate::AsFeed => StoredLinkDate::AsFeed,
                LinkDate::Instant(d) => StoredLinkDate::Instant(d),
                LinkDate::LocalMidnight(day) => StoredLinkDate::LocalMidnight(day),
            },
            categories: r.categories.map(Into::into),
        }
    }
}

impl<'a> From<&'a Found> for Walked<'a> {
    fn from(found: &'a Found) -> Walked<'a> {
        Walked {
            folders: &found.folders,
            pages: &found.pages,
            started_ns: found.started_ns,
            quiet: found.diagnostics.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Saving the index converts every record to the state's own type: a
    /// million of them. That conversion reuses the records' vector (no
    /// stored post is larger than a record), so the save never holds two.
    #[test]
    fn records_become_stored_posts_in_their_own_vector() {
        let records: Vec<Record> = (0..1000)
            .map(|i| {
                let scanned = Scanned {
                    outcome: Outcome::NotAPost,
                    diagnostics: Notes::default(),
                };
                Record::keyed(format!("page{i}.md").into(), i, i, scanned)
            })
            .collect();
        let at = records.as_ptr() as usize;
        let stored: Vec<StoredPost> = records.into_iter().map(StoredPost::from).collect();
        assert_eq!(stored.as_ptr() as usize, at);
        assert_eq!(&*stored[999].rel, "page999.md");
    }
}
