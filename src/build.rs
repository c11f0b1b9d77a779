//! One run, start to end: load → model → select → render → write, with
//! every per-post problem collected into a [`Report`].

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{Config, Format, Verbosity};
use crate::content::post::{Outcome, PostMeta, ReadRules};
use crate::content::{self, shown_path, Record};
use crate::diagnostics::{Diagnostic, Severity};
use crate::index::{self, Fingerprint, Index};
use crate::model::{self, feed_key, FeedKind, FeedSpec, Feeds};
use crate::output::{Output, Written};
use crate::render::{self, Entry};
use crate::report::Report;

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

/// The collection as read from disk, one record per post file.
pub struct Collection {
    /// Sorted by path.
    pub records: Vec<Record>,
    pub report: Report,
}

impl Collection {
    /// Published posts (sorted by path) and their content hashes.
    pub fn published(&self, config: &Config) -> (Vec<&PostMeta>, Vec<u64>) {
        self.records
            .iter()
            .filter_map(|r| match &r.scanned.outcome {
                Outcome::Post(meta) if !is_rejected(config, r) && meta.is_visible(config.now) => Some((meta, r.hash)),
                _ => None,
            })
            .unzip()
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

/// Fingerprint of everything that changes how a file reads.
fn read_settings(config: &Config) -> u64 {
    Fingerprint::new()
        .add(env!("CARGO_PKG_VERSION").as_bytes())
        .add(config.content_dir.display().to_string().as_bytes())
        .add(format!("{:?}", config.site.zone).as_bytes())
        .add_u64(config.max_file_size)
        .finish()
}

/// Read every post (in parallel) into records, reusing `previous` ones for
/// unchanged files.
pub fn load(config: &Config, previous: Vec<Record>) -> Collection {
    let root = &config.content_dir;
    let found = content::find_posts(root, config.drafts, &config.output_dir);
    let rules = ReadRules {
        zone: config.site.zone,
        in_posts_dir: true,
    };
    progress(
        config,
        found.files.len(),
        &format!("reading {} post files", found.files.len()),
    );
    let records = content::scan_all(root, &found.files, rules, config.max_file_size, previous);
    let mut report = Report {
        diagnostics: found.diagnostics,
        ..Report::default()
    };
    for r in &records {
        let warned = r.scanned.diagnostics.iter().any(|d| d.severity == Severity::Warning);
        let strict = is_rejected(config, r);
        match &r.scanned.outcome {
            Outcome::NotAPost => {}
            Outcome::Rejected => report.rejected += 1,
            Outcome::Post(_) if strict => report.rejected += 1,
            Outcome::Post(meta) if !meta.is_visible(config.now) => report.excluded += 1,
            Outcome::Post(_) => {
                report.published += 1;
                report.recovered += usize::from(warned);
            }
        }
        if !matches!(r.scanned.outcome, Outcome::NotAPost) {
            report.read += 1;
        }
        for d in &r.scanned.diagnostics {
            let mut d = d.clone();
            if strict && d.severity == Severity::Warning {
                d.severity = Severity::Error;
                d.message.push_str(" (rejected: --strict)");
            }
            report.diagnostics.push(d);
        }
    }
    Collection { records, report }
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

/// Fingerprint of everything a feed's bytes depend on: the version, site
/// settings, the feed itself, and each item's path and content hash.
fn feed_fingerprint(site: u64, spec: &FeedSpec, format: Format, posts: &[&PostMeta], hashes: &[u64]) -> u64 {
    let mut fp = Fingerprint::new();
    fp.add_u64(site)
        .add(format!("{format:?}").as_bytes())
        .add(format!("{:?}", spec.kind).as_bytes())
        .add(spec.key.as_bytes())
        .add(spec.name.as_bytes());
    for &i in &spec.items {
        fp.add(posts[i].path.as_bytes()).add_u64(hashes[i]);
    }
    fp.finish()
}

/// Run a build (or check) and return its report.
pub fn run(config: &Config, mode: Mode) -> Result<Report> {
    let started = Instant::now();
    let mut phase = started;
    let mut phases = Vec::new();
    let mut lap = |name: &'static str| {
        phases.push((name, phase.elapsed().as_secs_f64()));
        phase = Instant::now();
    };
    let wait_note = || {
        if config.verbosity > Verbosity::Quiet {
            let _ = writeln!(
                std::io::stderr(),
                "feedgen: waiting for another feedgen run on {} to finish",
                config.output_dir.display()
            );
        }
    };
    let output = match mode {
        Mode::Build => Some(Output::open(&config.output_dir, wait_note)?),
        Mode::CheckFeeds => Some(Output::read_only(&config.output_dir)),
        Mode::CheckPosts => None,
    };
    let settings = read_settings(config);
    let previous = match (&output, mode) {
        (Some(out), Mode::Build) => out
            .read(index::FILE)
            .and_then(|bytes| Index::decode(&bytes, settings))
            .unwrap_or_default(),
        _ => Index::default(),
    };
    lap("lock and read index");
    let previous_count = previous.records.len();
    let collection = load(config, previous.records);
    lap("read posts");
    let mut report = collection.report.clone();
    let (posts, hashes) = collection.published(config);
    let root = &config.content_dir;
    let feeds = model::select(&posts, config.limit, |p| shown_path(root, p));
    lap("select");
    report.diagnostics.extend(feeds.notices.iter().cloned());
    let Some(output) = output else {
        report.phases = phases;
        return Ok(finish(report, started));
    };
    let (specs, missing) = wanted(config, feeds);
    for (kind, key) in &missing {
        let what = if *kind == FeedKind::Category { "category" } else { "tag" };
        let message = format!("no published post has the {what} `{key}`; its feeds are removed if feedgen wrote them");
        report.diagnostics.push(Diagnostic::new(
            &root.display().to_string(),
            None,
            Severity::Warning,
            message,
        ));
    }

    // Which feed files to render: all when checking; when building, those
    // whose inputs changed since the index was written (or are missing).
    let site_fingerprint = Fingerprint::new()
        .add(env!("CARGO_PKG_VERSION").as_bytes())
        .add(format!("{:?}{:?}", config.site, config.layout).as_bytes())
        .finish();
    let jobs: Vec<(&FeedSpec, Format, String, u64)> = specs
        .iter()
        .flat_map(|s| config.formats.iter().map(move |f| (s, *f)))
        .map(|(spec, format)| {
            let rel = render::feed_path(&config.layout, spec, format);
            let fp = feed_fingerprint(site_fingerprint, spec, format, &posts, &hashes);
            (spec, format, rel, fp)
        })
        .collect();
    let up_to_date =
        |rel: &str, fp: u64| mode == Mode::Build && previous.feeds.get(rel) == Some(&fp) && output.exists(rel);
    let to_render: Vec<&(&FeedSpec, Format, String, u64)> =
        jobs.iter().filter(|(_, _, rel, fp)| !up_to_date(rel, *fp)).collect();
    report.unchanged += jobs.len() - to_render.len();

    lap("fingerprint");
    let old = output.manifest();
    let produced: BTreeSet<String> = jobs.iter().map(|(_, _, rel, _)| rel.clone()).collect();
    // Files of feeds that no longer exist: any (full builds) or the requested ones.
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

    if mode == Mode::Build && !to_render.is_empty() {
        // From here a killed run leaves some feeds new and some old: the
        // index must not vouch for them, and the manifest must already
        // list every file this run may create.
        output.remove(index::FILE)?;
        output.write_manifest(&old.union(&produced).cloned().collect())?;
    }
    progress(config, to_render.len(), &format!("rendering {} feeds", to_render.len()));
    let outcomes = render_and_store(config, mode, &output, &posts, &to_render, &mut report)?;
    lap("render and write feeds");
    for (rel, outcome) in outcomes {
        match outcome {
            Stored::Unchanged => report.unchanged += 1,
            Stored::Written => report.written += 1,
            Stored::Stale => report.stale.push(rel.to_string()),
        }
    }

    match mode {
        Mode::CheckFeeds => {
            report.stale.extend(gone.iter().filter(|f| output.exists(f)).cloned());
        }
        Mode::Build => {
            let mut manifest = old;
            let mut fingerprints = previous.feeds;
            for rel in &gone {
                report.removed += usize::from(output.remove(rel)?);
                manifest.remove(rel);
                fingerprints.remove(rel);
            }
            manifest.extend(produced);
            output.write_manifest(&manifest)?;
            fingerprints.extend(jobs.iter().map(|(_, _, rel, fp)| (rel.clone(), *fp)));
            // Unchanged when every file was reused by stat, none vanished, and
            // no feed was written: then the index on disk is already right.
            let same_files = collection.records.len() == previous_count && collection.records.iter().all(|r| r.reused);
            if !(same_files && to_render.is_empty() && gone.is_empty()) {
                let index = Index {
                    records: collection.records,
                    feeds: fingerprints,
                };
                output.write(index::FILE, &index.encode(settings))?;
            }
        }
        Mode::CheckPosts => {}
    }
    lap("manifest and index");
    report.phases = phases;
    Ok(finish(report, started))
}

/// Say what a long step is doing, on a terminal only.
fn progress(config: &Config, amount: usize, what: &str) {
    if config.progress && config.verbosity > Verbosity::Quiet && amount >= 5_000 {
        let _ = writeln!(std::io::stderr(), "feedgen: {what}…");
    }
}

/// What happened to one feed file.
enum Stored {
    Written,
    Unchanged,
    Stale,
}

/// Feeds rendered per batch: bounds the memory held by rendered posts and
/// feed bytes, while feeds that share posts (a category and its tag) are
/// rendered together.
const BATCH: usize = 256;

type Job<'a> = (&'a FeedSpec, Format, String, u64);

/// Render the feeds in `jobs` and write them (or, checking, compare them),
/// rendering each post once and dropping it after its last feed.
fn render_and_store<'j>(
    config: &Config,
    mode: Mode,
    output: &Output,
    posts: &[&PostMeta],
    jobs: &[&'j Job<'j>],
    report: &mut Report,
) -> Result<Vec<(&'j str, Stored)>> {
    let root = &config.content_dir;
    let mut order: Vec<&Job> = jobs.to_vec();
    order.sort_by_key(|(spec, format, rel, _)| (spec.items.iter().min().copied(), rel.as_str(), *format));
    let mut uses: Vec<u32> = vec![0; posts.len()];
    for (spec, ..) in &order {
        spec.items.iter().for_each(|&i| uses[i] += 1);
    }
    let mut entries: HashMap<usize, Option<Entry>> = HashMap::new();
    let mut results = Vec::with_capacity(order.len());
    for batch in order.chunks(BATCH) {
        let mut needed: Vec<usize> = batch
            .iter()
            .flat_map(|(spec, ..)| spec.items.iter().copied())
            .filter(|i| !entries.contains_key(i))
            .collect();
        needed.sort_unstable();
        needed.dedup();
        let rendered: Vec<(usize, Option<Entry>)> = needed
            .par_iter()
            .map(|&i| {
                let meta = posts[i];
                let entry = content::load_post(root, meta, config.max_file_size)
                    .map(|post| render::entry(&config.site, meta, &post));
                (i, entry)
            })
            .collect();
        for (i, entry) in rendered {
            if entry.is_none() {
                let message = "changed or vanished while feedgen ran; left out of this build";
                let shown = shown_path(root, &posts[i].path);
                report
                    .diagnostics
                    .push(Diagnostic::new(&shown, None, Severity::Error, message));
            }
            entries.insert(i, entry);
        }
        let stored: Vec<Result<(&str, Stored)>> = batch
            .par_iter()
            .map(|(spec, format, rel, _)| {
                let items: Vec<&Entry> = spec.items.iter().filter_map(|i| entries.get(i)?.as_ref()).collect();
                let bytes = render::feed(config, spec, *format, &items);
                let stored = match mode {
                    Mode::Build => match output.write(rel, &bytes)? {
                        Written::Unchanged => Stored::Unchanged,
                        Written::New | Written::Changed => Stored::Written,
                    },
                    _ if output.is_current(rel, &bytes) => Stored::Unchanged,
                    _ => Stored::Stale,
                };
                Ok((rel.as_str(), stored))
            })
            .collect();
        for result in stored {
            results.push(result?);
        }
        for (spec, ..) in batch {
            for &i in &spec.items {
                uses[i] -= 1;
                if uses[i] == 0 {
                    entries.remove(&i);
                }
            }
        }
    }
    Ok(results)
}

fn finish(mut report: Report, started: Instant) -> Report {
    report.diagnostics.sort();
    report.diagnostics.dedup();
    report.seconds = started.elapsed().as_secs_f64();
    report
}
