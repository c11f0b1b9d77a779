//! One run, start to end: load → model → select → render → write, with
//! every per-post problem collected into a [`Report`].

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{Config, Format, Verbosity};
use crate::content::post::{Outcome, PostMeta, ReadRules};
use crate::content::{self, shown_path};
use crate::diagnostics::{Diagnostic, Severity};
use crate::model::{self, feed_key, FeedKind, FeedSpec, Feeds};
use crate::output::{Output, Written};
use crate::render::{self, Entry};

/// What to do with the feeds once rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write changed feeds.
    Build,
    /// Write nothing; report feeds on disk that differ (`--check`).
    CheckFeeds,
    /// Read and report only (`feedgen check`).
    CheckPosts,
}

/// Counts for the closing summary line.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub read: usize,
    pub published: usize,
    pub recovered: usize,
    pub rejected: usize,
    pub excluded: usize,
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub stale: Vec<String>,
    pub seconds: f64,
}

impl Report {
    /// 0 success; 1 rejected posts or stale feeds.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.rejected > 0 || !self.stale.is_empty())
    }

    pub fn summary_line(&self, mode: Mode) -> String {
        let posts = format!(
            "{} posts read, {} published ({} recovered), {} rejected, {} not published",
            self.read, self.published, self.recovered, self.rejected, self.excluded
        );
        let feeds = match mode {
            Mode::Build => format!(
                "; {} feeds written, {} unchanged, {} removed",
                self.written, self.unchanged, self.removed
            ),
            Mode::CheckFeeds => format!("; {} feeds stale, {} current", self.stale.len(), self.unchanged),
            Mode::CheckPosts => String::new(),
        };
        format!("feedgen: {posts}{feeds} in {:.2} s", self.seconds)
    }

    pub fn summary_json(&self) -> String {
        format!(
            "{{\"read\":{},\"published\":{},\"recovered\":{},\"rejected\":{},\"not_published\":{},\"written\":{},\"unchanged\":{},\"removed\":{},\"stale\":{},\"seconds\":{:.3}}}",
            self.read, self.published, self.recovered, self.rejected, self.excluded, self.written, self.unchanged, self.removed, self.stale.len(), self.seconds
        )
    }
}

/// The collection read from disk.
pub struct Collection {
    /// Published posts, sorted by path.
    pub posts: Vec<PostMeta>,
    pub report: Report,
}

/// Read every post (in parallel) into metadata and diagnostics.
pub fn load(config: &Config) -> Collection {
    let root = &config.content_dir;
    let found = content::find_posts(root, config.drafts, &config.output_dir);
    let rules = ReadRules {
        zone: config.site.zone,
        now: config.now,
        in_posts_dir: true,
    };
    let scanned = content::scan_all(root, &found.files, rules, config.max_file_size);
    let mut report = Report {
        diagnostics: found.diagnostics,
        ..Report::default()
    };
    let mut posts = Vec::with_capacity(scanned.len());
    for mut s in scanned {
        let warned = s.diagnostics.iter().any(|d| d.severity == Severity::Warning);
        if config.strict && warned && !matches!(s.outcome, Outcome::NotAPost | Outcome::Rejected) {
            for d in &mut s.diagnostics {
                if d.severity == Severity::Warning {
                    d.severity = Severity::Error;
                    d.message.push_str(" (rejected: --strict)");
                }
            }
            s.outcome = Outcome::Rejected;
        }
        match s.outcome {
            Outcome::NotAPost => {}
            Outcome::Excluded => {
                report.read += 1;
                report.excluded += 1;
            }
            Outcome::Rejected => {
                report.read += 1;
                report.rejected += 1;
            }
            Outcome::Published(meta) => {
                report.read += 1;
                report.published += 1;
                report.recovered += usize::from(warned);
                posts.push(meta);
            }
        }
        report.diagnostics.extend(s.diagnostics);
    }
    Collection { posts, report }
}

/// Keep only the feeds `--category`/`--tag` asked for (all when none).
fn wanted(config: &Config, feeds: Feeds) -> (Vec<FeedSpec>, Vec<(FeedKind, String)>) {
    let only = &config.only;
    if only.is_everything() {
        let all = std::iter::once(feeds.site)
            .chain(feeds.categories)
            .chain(feeds.tags)
            .collect();
        return (all, Vec::new());
    }
    let mut specs = Vec::new();
    let mut missing = Vec::new();
    for (kind, names, pool) in [
        (FeedKind::Category, &only.categories, &feeds.categories),
        (FeedKind::Tag, &only.tags, &feeds.tags),
    ] {
        for name in names {
            let key = feed_key(name);
            match pool.iter().find(|s| s.key == key) {
                Some(spec) if !specs.contains(spec) => specs.push(spec.clone()),
                Some(_) => {}
                None => missing.push((kind, key)),
            }
        }
    }
    (specs, missing)
}

/// Run a build (or check) and return its report.
pub fn run(config: &Config, mode: Mode) -> Result<Report> {
    let started = Instant::now();
    let Collection { posts, mut report } = load(config);
    let root = &config.content_dir;
    let feeds = model::select(&posts, config.limit, |p| shown_path(root, p));
    report.diagnostics.extend(feeds.notices.iter().cloned());
    if mode == Mode::CheckPosts {
        return Ok(finish(report, started));
    }
    let (specs, missing) = wanted(config, feeds);
    for (kind, key) in &missing {
        let what = if *kind == FeedKind::Category { "category" } else { "tag" };
        report.diagnostics.push(Diagnostic::new(
            &root.display().to_string(),
            None,
            Severity::Warning,
            format!("no published post has the {what} `{key}`; its feeds are removed if feedgen wrote them"),
        ));
    }

    // Render each post that appears in some feed exactly once.
    let mut needed: Vec<usize> = specs.iter().flat_map(|s| s.items.iter().copied()).collect();
    needed.sort_unstable();
    needed.dedup();
    let rendered: Vec<(usize, Option<Entry>)> = needed
        .par_iter()
        .map(|&i| {
            let meta = &posts[i];
            let entry = content::load_post(root, meta, config.max_file_size)
                .map(|post| render::entry(&config.site, meta, &post));
            (i, entry)
        })
        .collect();
    let mut entries: Vec<Option<Entry>> = vec![None; posts.len()];
    for (i, entry) in rendered {
        if entry.is_none() {
            report.diagnostics.push(Diagnostic::new(
                &shown_path(root, &posts[i].path),
                None,
                Severity::Error,
                "changed or vanished while feedgen ran; left out of this build",
            ));
        }
        entries[i] = entry;
    }

    let jobs: Vec<(&FeedSpec, Format)> = specs
        .iter()
        .flat_map(|s| config.formats.iter().map(move |f| (s, *f)))
        .collect();
    let files: Vec<(String, Vec<u8>)> = jobs
        .par_iter()
        .map(|(spec, format)| {
            let items: Vec<&Entry> = spec.items.iter().filter_map(|&i| entries[i].as_ref()).collect();
            (
                render::feed_path(&config.layout, spec, *format),
                render::feed(config, spec, *format, &items),
            )
        })
        .collect();

    let wait_note = || {
        if config.verbosity > Verbosity::Quiet {
            eprintln!(
                "feedgen: waiting for another feedgen run on {} to finish",
                config.output_dir.display()
            );
        }
    };
    let output = Output::open(&config.output_dir, wait_note)?;
    let old = output.manifest();
    let produced: BTreeSet<String> = files.iter().map(|(rel, _)| rel.clone()).collect();
    // Files of requested feeds that no longer exist, or (full builds) of any feed.
    let gone: Vec<String> = if config.only.is_everything() {
        old.difference(&produced).cloned().collect()
    } else {
        let prefixes: Vec<String> = missing
            .iter()
            .map(|(kind, key)| {
                let dir = if *kind == FeedKind::Category {
                    &config.layout.category_dir
                } else {
                    &config.layout.tag_dir
                };
                format!("{dir}/{key}/")
            })
            .collect();
        old.iter()
            .filter(|f| prefixes.iter().any(|p| f.starts_with(p)))
            .cloned()
            .collect()
    };

    match mode {
        Mode::CheckFeeds => {
            for (rel, bytes) in &files {
                if output.is_current(rel, bytes) {
                    report.unchanged += 1;
                } else {
                    report.stale.push(rel.clone());
                }
            }
            report
                .stale
                .extend(gone.iter().filter(|f| output.dir().join(f).exists()).cloned());
        }
        Mode::Build => {
            for (rel, bytes) in &files {
                match output.write(rel, bytes)? {
                    Written::Unchanged => report.unchanged += 1,
                    Written::New | Written::Changed => report.written += 1,
                }
            }
            let mut manifest = old;
            for rel in &gone {
                report.removed += usize::from(output.remove(rel)?);
                manifest.remove(rel);
            }
            manifest.extend(produced);
            output.write_manifest(&manifest)?;
        }
        Mode::CheckPosts => {}
    }
    Ok(finish(report, started))
}

fn finish(mut report: Report, started: Instant) -> Report {
    report.diagnostics.sort();
    report.diagnostics.dedup();
    report.seconds = started.elapsed().as_secs_f64();
    report
}
