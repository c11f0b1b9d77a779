//! `feedgen build` (and `--check`): read the posts, select each feed's
//! items, plan the artifacts, render the ones whose inputs changed, and
//! commit them to the output folder.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{Config, Mode, Verbosity};
use crate::content::post::{Outcome, PostMeta, ReadRules};
use crate::content::{self, shown_path, Record};
use crate::diagnostics::{Diagnostic, Severity};
use crate::model;
use crate::output::commit::{Commit, Previous};
use crate::output::index::{self, Index};
use crate::output::Output;
use crate::plan::{Artifact, Fingerprint, Plan};
use crate::render::{self, Entry};
use crate::report::{Phases, Report};

/// Run a build (`Mode::Build`) or a check of the feeds on disk
/// (`Mode::CheckFeeds`), and return its report.
pub fn run(config: &Config, mode: Mode) -> Result<Report> {
    let mut phases = Phases::start();
    let output = open_output(config, mode)?;
    let settings = read_settings(config);
    let previous = match mode {
        Mode::Build => output
            .read_state(index::FILE)
            .and_then(|bytes| Index::decode(&bytes, settings))
            .unwrap_or_default(),
        _ => Index::default(),
    };
    let previous_count = previous.records.len();
    phases.lap("lock and read index");

    let collection = read_posts(config, previous.records);
    phases.lap("read posts");

    let (posts, hashes) = collection.published(config);
    let feeds = model::select(&posts, config.limit, |p| shown_path(&config.content_dir, p));
    phases.lap("select");

    let mut report = collection.report.clone();
    report.diagnostics.extend(feeds.notices.iter().cloned());
    let plan = Plan::new(config, feeds, &posts, &hashes);
    report.diagnostics.extend(plan.diagnostics.iter().cloned());
    let todo: Vec<&Artifact> = match mode {
        Mode::Build => plan.outdated(&previous.feeds, |path| output.exists(path)),
        _ => plan.artifacts.iter().collect(),
    };
    report.unchanged += plan.artifacts.len() - todo.len();
    phases.lap("fingerprint");

    let previous = Previous {
        fingerprints: previous.feeds,
        settings,
    };
    let mut commit = Commit::begin(&output, config, mode, &plan, previous, &todo)?;
    progress(config, todo.len(), &format!("rendering {} feeds", todo.len()));
    report
        .diagnostics
        .extend(render_and_store(config, &plan, &posts, &todo, &mut commit)?);
    phases.lap("render and write feeds");

    let files_reused = collection.records.len() == previous_count && collection.records.iter().all(|r| r.reused);
    let done = commit.finish(&plan, collection.records, files_reused)?;
    phases.lap("manifest and index");

    report.written += done.written;
    report.unchanged += done.unchanged;
    report.removed += done.removed;
    report.stale.extend(done.stale);
    report.diagnostics.extend(done.diagnostics);
    Ok(report.finish(phases))
}

/// Lock the output folder to build; only read it to check.
fn open_output(config: &Config, mode: Mode) -> Result<Output> {
    if mode != Mode::Build {
        return Ok(Output::read_only(&config.output_dir, &config.state_dir, config.fsync));
    }
    Output::open(&config.output_dir, &config.state_dir, config.fsync, || {
        if config.verbosity > Verbosity::Quiet {
            let _ = writeln!(
                std::io::stderr(),
                "feedgen: waiting for another feedgen run on {} to finish",
                config.output_dir.display()
            );
        }
    })
}

/// Fingerprint of everything that changes how a file reads: the rebuild
/// index is valid only for these.
fn read_settings(config: &Config) -> u64 {
    Fingerprint::new()
        .add(env!("CARGO_PKG_VERSION").as_bytes())
        .add(config.content_dir.display().to_string().as_bytes())
        // The index vouches for feed files in one output folder only.
        .add(
            crate::places::resolved(&config.output_dir)
                .display()
                .to_string()
                .as_bytes(),
        )
        .add(format!("{:?}", config.site.zone).as_bytes())
        .add_u64(config.max_file_size)
        .finish()
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

/// Read every post (in parallel) into records, reusing `previous` ones for
/// unchanged files, and count what they are.
pub fn read_posts(config: &Config, previous: Vec<Record>) -> Collection {
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

/// Say what a long step is doing, on a terminal only.
fn progress(config: &Config, amount: usize, what: &str) {
    if config.progress && config.verbosity > Verbosity::Quiet && amount >= 5_000 {
        let _ = writeln!(std::io::stderr(), "feedgen: {what}…");
    }
}

/// Artifacts rendered per batch: bounds the memory held by rendered posts
/// and artifact bytes, while artifacts that share posts (a category and
/// its tag) are rendered together.
const BATCH: usize = 256;

/// Render the artifacts in `todo` and hand them to `commit`, reading and
/// rendering each post once and dropping it after its last artifact.
/// Returns the diagnostics of posts that could not be read again.
fn render_and_store(
    config: &Config,
    plan: &Plan,
    posts: &[&PostMeta],
    todo: &[&Artifact],
    commit: &mut Commit,
) -> Result<Vec<Diagnostic>> {
    let root = &config.content_dir;
    let mut order: Vec<&Artifact> = todo.to_vec();
    order.sort_by_key(|a| (plan.items(a).iter().min().copied(), a.path.as_str()));
    let mut uses: Vec<u32> = vec![0; posts.len()];
    for a in &order {
        plan.items(a).iter().for_each(|&i| uses[i] += 1);
    }
    let mut diagnostics = Vec::new();
    let mut entries: HashMap<usize, Option<Entry>> = HashMap::new();
    for batch in order.chunks(BATCH) {
        let mut needed: Vec<usize> = batch
            .iter()
            .flat_map(|a| plan.items(a).iter().copied())
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
                diagnostics.push(Diagnostic::new(&shown, None, Severity::Error, message));
            }
            entries.insert(i, entry);
        }
        let shared: &Commit = commit;
        let stored: Vec<Result<_>> = batch
            .par_iter()
            .map(|a| {
                let items: Vec<&Entry> = plan.items(a).iter().filter_map(|i| entries.get(i)?.as_ref()).collect();
                let bytes = render::artifact(config, plan, a, &items);
                Ok((a.path.as_str(), shared.store(&a.path, &bytes)?))
            })
            .collect();
        for result in stored {
            let (path, outcome) = result?;
            commit.count(path, outcome);
        }
        for a in batch {
            for &i in plan.items(a) {
                uses[i] -= 1;
                if uses[i] == 0 {
                    entries.remove(&i);
                }
            }
        }
    }
    Ok(diagnostics)
}
