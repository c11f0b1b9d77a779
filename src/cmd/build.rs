//! `feedgen build` (and `--check`): read the posts, select each feed's
//! items, plan the artifacts, render the ones whose inputs changed, and
//! commit them to the output folder.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{Config, Mode, Verbosity};
use crate::content::pages::{SitePage, Taxonomy};
use crate::content::post::{Outcome, PostMeta, Publishing, ReadRules, UNQUOTED_DATE_NOTE};
use crate::content::{self, shown_path, Found, Record};
use crate::diagnostics::{Diagnostic, Severity};
use crate::model::{self, FeedKind};
use crate::names::{DisplayNames, FeedPage};
use crate::output::commit::{Commit, Previous, Stored as StoredFile};
use crate::output::folders::{self, Listing};
use crate::output::index::{self, Index};
use crate::output::items::{self, ItemCache};
use crate::output::pings;
use crate::output::{Output, Written};
use crate::permalink;
use crate::plan::{Artifact, ArtifactKind, Fingerprint, Plan};
use crate::render::{self, Entry};
use crate::report::{Phases, Report};
use crate::word_hash::WordSet;

/// Run a build (`Mode::Build`) or a check of the feeds on disk
/// (`Mode::CheckFeeds`), and return its report.
pub fn run(config: &Config, mode: Mode) -> Result<Report> {
    let mut phases = Phases::start();
    let output = open_output(config, mode)?;
    let settings = read_settings(config);
    let read_index = || match mode {
        Mode::Build => output
            .open_state(index::FILE)
            .and_then(|(file, size)| Index::read(std::io::BufReader::new(file), size, settings))
            .unwrap_or_default(),
        _ => Index::default(),
    };
    // Another user may not list a folder this one could (the walk would
    // say so): a listing is kept per user, as drafts are per flag.
    let listing_settings = Fingerprint::new()
        .add_u64(settings)
        .add(&[u8::from(config.drafts)])
        .add_u64(u64::from(rustix::process::geteuid().as_raw()))
        .finish();
    // The last walk's listing, while none of its folders changed: the
    // index's files are the files a walk would find.
    let known = match mode {
        Mode::Build => output
            .read_state(folders::FILE)
            .and_then(|bytes| Listing::decode(&bytes, listing_settings))
            .filter(|known| known.unchanged(|rel| content::folder_stamp(&config.content_dir, rel))),
        _ => None,
    };
    let (previous, found, phase) = match known {
        Some(known) => {
            let previous = read_index();
            let same_index = previous.checksum != 0 && previous.checksum == known.index;
            let found = same_index
                .then(|| Found::known(&previous.records, known.pages, known.folders))
                .flatten();
            match found {
                Some(found) => (previous, found, "lock, read index (folders unchanged: not walked)"),
                None => (previous, find_posts(config), "lock, read index, find posts"),
            }
        }
        // The walk and the index's decoding each take one core: side by side.
        None => {
            let (previous, found) = rayon::join(read_index, || find_posts(config));
            (previous, found, "lock, read index, find posts")
        }
    };
    let previous_count = previous.records.len();
    let previous_index = previous.checksum;
    // What the next run may take instead of walking (the index's checksum
    // is set once the index is written).
    let listing = Listing::of(&found, true, 0);
    phases.lap(phase);

    let collection = scan_posts(config, found, previous.records);
    phases.lap("read posts");

    let (posts, hashes) = collection.published(config);
    let feeds = model::select(&posts, &config.feeds, |p| shown_path(&config.content_dir, p));
    phases.lap("select");

    let mut report = collection.report.clone();
    report.diagnostics.extend(feeds.notices.iter().cloned());
    let (names, names_note) = site_names(config, &collection.pages, &posts);
    report.diagnostics.extend(names_note);
    phases.lap("read pages");
    let mut plan = Plan::new(config, feeds, names, &posts, &hashes);
    report.diagnostics.extend(plan.diagnostics.iter().cloned());
    // A site's own `index.html` (or other discovery file feedgen did not
    // write) stays, with a warning; foreign files at feed paths are the
    // commit's to report.
    let (manifest, _) = output.manifest(&config.layout);
    let shown_out = config.output_dir.display().to_string();
    report
        .diagnostics
        .extend(plan.leave_foreign_files(&shown_out, |path| output.is_foreign(path, manifest.contains(path))));
    let todo: Vec<&Artifact> = match mode {
        Mode::Build => plan.outdated(&previous.feeds, |path| output.exists(path)),
        _ => plan.artifacts.iter().collect(),
    };
    report.unchanged += plan.artifacts.len() - todo.len();
    phases.lap("fingerprint");

    let previous = Previous {
        fingerprints: previous.feeds,
        chunks: previous.chunks,
        settings,
    };
    let mut commit = Commit::begin(&output, config, mode, &plan, previous, &todo)?;
    progress(config, todo.len(), &format!("rendering {} feeds", todo.len()));
    let mut cache = ItemCache::open(&output, entry_settings(config), mode == Mode::Build);
    let stored = render_and_store(config, &plan, (&posts, &hashes), &todo, &cache, &mut commit)?;
    report.diagnostics.extend(stored.cuts.note(&config.output_dir));
    if mode == Mode::Build && config.site.hub.is_some() {
        pings::add(&output, stored.changed)?;
    }
    // A post that could not be read again is not published, and the index
    // forgets it, so the next run reads it afresh.
    report.published = report.published.saturating_sub(stored.unread.len());
    report.rejected += stored.unread.len();
    let unread: HashSet<String> = stored.unread.iter().map(|&i| posts[i].path.to_string()).collect();
    for i in &unread {
        let message = "changed or vanished while feedgen ran; left out of this build (the next build reads it again)";
        let shown = shown_path(&config.content_dir, i);
        report
            .diagnostics
            .push(Diagnostic::new(&shown, None, Severity::Error, message));
    }
    phases.lap("render and write feeds");

    let files_reused = collection.records.len() == previous_count && collection.records.iter().all(|r| r.reused);
    // Entries of posts that left every feed go; a partial build does not
    // know every feed's items.
    let live: Option<WordSet<u64>> =
        (mode == Mode::Build && config.only.is_everything() && !todo.is_empty()).then(|| {
            // Each post once, however many feeds carry it.
            let keys: Vec<u64> = (&posts, &hashes, &plan.carried)
                .into_par_iter()
                .filter(|(_, _, carried)| **carried)
                .map(|(post, &hash, _)| items::key(&post.path, hash))
                .collect();
            keys.into_iter().collect()
        });
    drop(posts);
    let mut records = collection.records;
    let mut kept = collection.kept;
    if !unread.is_empty() {
        kept = kept.min(records.iter().position(|r| unread.contains(&*r.rel)).unwrap_or(kept));
        records.retain(|r| !unread.contains(&*r.rel));
    }
    let done = commit.finish(&plan, (records, kept), files_reused && unread.is_empty())?;
    if mode == Mode::Build {
        // Vouched for only with every file found in the index.
        let index = done.index.or(Some(previous_index)).filter(|&sum| sum != 0);
        // Best effort, after the feeds are in place: a listing not written
        // (or not removed) costs a walk, or is refused by its checksum.
        let written = match (listing, index) {
            (Some(listing), Some(index)) if unread.is_empty() => {
                let listing = Listing { index, ..listing };
                output.write_cache_file(folders::FILE, &listing.encode(listing_settings))
            }
            _ => output.remove_state(folders::FILE),
        };
        if written.is_err() {
            let _ = output.remove_state(folders::FILE);
        }
    }
    if let Some(live) = live {
        cache.retain(&live);
    }
    cache.finish();
    phases.lap("manifest and index");

    report.written += done.written;
    report.unchanged += done.unchanged;
    if let Some(rel) = &config.jekyll_data {
        // The site's discovery tags (README.md): the whole listing, so a
        // `--category` run writes the same bytes as a full build.
        let bytes = render::jekyll_data::render(config, &plan.listing);
        match mode {
            Mode::Build => match output.write_site_file(&config.content_dir, rel, &bytes)? {
                Written::Unchanged => report.unchanged += 1,
                _ => {
                    report.written += 1;
                    // Its folder's entry, as for feeds (with `fsync`).
                    output.sync_folders()?;
                }
            },
            _ if output.site_file_is_current(&config.content_dir, rel, &bytes) => report.unchanged += 1,
            _ => report.stale.push(shown_path(&config.content_dir, rel)),
        }
    }
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
                crate::diagnostics::escape_controls(&config.output_dir.display().to_string())
            );
        }
    })
}

/// Fingerprint of everything that changes how a file reads: the rebuild
/// index is valid only for these.
fn read_settings(config: &Config) -> u64 {
    Fingerprint::new()
        .add(env!("CARGO_PKG_VERSION").as_bytes())
        .add(crate::content::READ_RULES.as_bytes())
        .add(config.content_dir.display().to_string().as_bytes())
        // The index vouches for feed files in one output folder only.
        .add(
            crate::places::resolved(&config.output_dir)
                .display()
                .to_string()
                .as_bytes(),
        )
        .add(format!("{:?}", config.site.zone).as_bytes())
        // Which Jekyll reads the file names (dates, slugs, what is a post).
        .add(format!("{:?}", config.site.jekyll).as_bytes())
        .add_u64(config.max_file_size)
        .finish()
}

/// Fingerprint of everything a rendered entry depends on besides its
/// post: the version and the site settings (root, zone, permalink, author).
fn entry_settings(config: &Config) -> u64 {
    Fingerprint::new()
        .add(env!("CARGO_PKG_VERSION").as_bytes())
        .add(format!("{:?}", config.site).as_bytes())
        .finish()
}

/// Display names and pages of the feeds: `feedgen.names` first, then the
/// site's category and tag pages (a real title, and the page's URL), then,
/// with `feedgen.names_from_tags`, the one tag all of a category's posts
/// carry, then a page title that only spells the slug. Pages are read on
/// every run (front matter only) and their names and URLs are part of every
/// feed's fingerprint, so a renamed outlet re-renders its feeds. Returns
/// one note for all the pages whose title differs from that tag.
fn site_names(config: &Config, page_files: &[String], posts: &[&PostMeta]) -> (DisplayNames, Option<Diagnostic>) {
    let mut names = config.site.names.clone();
    let tags = if config.names_from_tags {
        single_tags(posts)
    } else {
        BTreeMap::new()
    };
    let pages = content::pages::read_pages(&config.content_dir, page_files);
    let mut differ: Vec<(&SitePage, &str)> = Vec::new();
    for page in &pages {
        let kind = match page.taxonomy {
            Taxonomy::Category => FeedKind::Category,
            Taxonomy::Tag => FeedKind::Tag,
        };
        let tag = match kind {
            FeedKind::Category => tags.get(&model::feed_key(&page.name)).map(String::as_str),
            _ => None,
        };
        let (title, differs) = crate::names::choose_title(&page.name, page.title.as_deref(), tag);
        if let (true, Some(tag), None) = (differs, tag, config.site.names.display(kind, &page.name)) {
            differ.push((page, tag));
        }
        let path = permalink::page_path(
            &page.rel,
            page.permalink.as_deref(),
            &config.site.permalink,
            config.site.jekyll,
        );
        let url = permalink::link(&config.site.root, &path);
        names.add_page(kind, &page.name, FeedPage { title, url: Some(url) });
    }
    for (key, tag) in &tags {
        let page = FeedPage {
            title: Some(tag.clone()),
            url: None,
        };
        names.add_page(FeedKind::Category, key, page);
    }
    let note = differ.first().map(|(page, tag)| {
        let others = match differ.len() - 1 {
            0 => String::new(),
            n => format!(" (and {n} more page{})", if n == 1 { "" } else { "s" }),
        };
        let message = format!(
            "the page of category `{}` is titled `{}`, but every post in it carries the one tag `{tag}`{others}; the page titles name the feeds (`feedgen.names` chooses otherwise)",
            page.name,
            page.title.as_deref().unwrap_or_default()
        );
        Diagnostic::new(&shown_path(&config.content_dir, &page.rel), None, Severity::Note, message)
    });
    (names, note)
}

/// Categories (by folder name) whose published posts all carry exactly one
/// tag, the same one: that tag as the first post (in path order) writes it.
fn single_tags(posts: &[&PostMeta]) -> BTreeMap<String, String> {
    let mut seen: HashMap<String, Option<(String, &str)>> = HashMap::new();
    for post in posts {
        let one = match &post.tags[..] {
            [tag] => Some((model::feed_key(tag), &**tag)),
            _ => None,
        };
        for category in post.categories.iter() {
            let key = model::feed_key(category);
            match seen.get_mut(&key) {
                None => {
                    seen.insert(key, one.clone());
                }
                Some(known) => {
                    if known.as_ref().map(|k| &k.0) != one.as_ref().map(|o| &o.0) {
                        *known = None;
                    }
                }
            }
        }
    }
    seen.into_iter()
        .filter_map(|(key, tag)| Some((key, tag?.1.to_string())))
        .collect()
}

/// The collection as read from disk, one record per post file.
pub struct Collection {
    /// Sorted by path.
    pub records: Vec<Record>,
    /// How many leading records are the index's, unchanged and in place.
    pub kept: usize,
    /// Page files (sorted): where the category and tag pages are.
    pub pages: Vec<String>,
    pub report: Report,
}

impl Collection {
    /// Published posts (sorted by path) and their content hashes.
    pub fn published(&self, config: &Config) -> (Vec<&PostMeta>, Vec<u64>) {
        self.records
            .iter()
            .filter_map(|r| match &r.scanned.outcome {
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
    scan_posts(config, find_posts(config), previous)
}

/// Walk the content folder for post and page files.
fn find_posts(config: &Config) -> content::Found {
    content::find_posts(&config.content_dir, config.drafts, &config.output_dir)
}

/// Read the files `found` lists, reusing `previous` records of unchanged ones.
fn scan_posts(config: &Config, found: content::Found, previous: Vec<Record>) -> Collection {
    let root = &config.content_dir;
    let rules = ReadRules {
        zone: config.site.zone,
        in_posts_dir: true,
        jekyll: config.site.jekyll,
    };
    progress(
        config,
        found.files.len(),
        &format!("reading {} post files", found.files.len()),
    );
    let (records, kept) = content::scan_all(root, found.files, rules, config.max_file_size, previous);
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
        diagnostics: walk_diagnostics.collect(),
        ..Report::default()
    };
    let mut unquoted = Vec::new();
    for r in &records {
        let warned = r.scanned.diagnostics.iter().any(|d| d.severity == Severity::Warning);
        let strict = is_rejected(config, r);
        match &r.scanned.outcome {
            Outcome::NotAPost => {}
            Outcome::Rejected => report.rejected += 1,
            Outcome::Post(_) if strict => report.rejected += 1,
            Outcome::Post(meta) if !meta.is_visible(publishing(config)) => report.excluded += 1,
            Outcome::Post(_) => {
                report.published += 1;
                report.recovered += usize::from(warned);
            }
        }
        if !matches!(r.scanned.outcome, Outcome::NotAPost) {
            report.read += 1;
        }
        for d in &r.scanned.diagnostics {
            if *d.message == *UNQUOTED_DATE_NOTE {
                unquoted.push(d);
                continue;
            }
            let mut d = d.clone();
            if strict && d.severity == Severity::Warning {
                d.severity = Severity::Error;
                d = d.appended(" (rejected: --strict)");
            }
            report.diagnostics.push(d);
        }
    }
    if let Some(first) = unquoted.first() {
        let mut note = (*first).clone();
        let others = match unquoted.len() - 1 {
            0 => String::new(),
            n => format!(" (and {n} more post{})", if n == 1 { "" } else { "s" }),
        };
        note.message = format!(
            "{} post{} an unquoted `date` with a time and no offset, like this one{others}. Jekyll reads such a date as UTC, so the site shows it {} and builds the post's URL (and the feed's link) from that reading, while the feeds keep the written time in the site's `timezone`; quote the dates (`date: \"2021-12-01 13:33:50\"`) or add the offset (`+0800`) so both agree",
            unquoted.len(),
            if unquoted.len() == 1 { " has" } else { "s have" },
            zone_shift(config)
        )
        .into();
        report.diagnostics.push(note);
    }
    Collection {
        records,
        kept,
        pages: found.pages,
        report,
    }
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

/// What rendering and storing the artifacts gave, besides the files.
struct Stored {
    /// Posts that could not be read again, in `posts` order.
    unread: Vec<usize>,
    /// Public URLs of the feed files written (changed or new).
    changed: Vec<String>,
    cuts: Cuts,
}

/// Feed files a cap (`max_items`, `max_bytes`) kept from holding every item
/// their window and minimum asked for, per kind: (files, items asked for,
/// items left out), and the file that lost the most.
#[derive(Default)]
struct Cuts {
    by_kind: BTreeMap<FeedKind, (usize, usize, usize)>,
    worst: Option<(usize, String, usize)>,
}

impl Cuts {
    fn add(&mut self, kind: FeedKind, path: &str, wanted: usize, kept: usize) {
        if kept >= wanted {
            return;
        }
        let e = self.by_kind.entry(kind).or_default();
        e.0 += 1;
        e.1 += wanted;
        e.2 += wanted - kept;
        if self.worst.as_ref().is_none_or(|w| wanted - kept > w.0) {
            self.worst = Some((wanted - kept, path.to_string(), wanted));
        }
    }

    /// One note for the whole run, with counts.
    fn note(&self, output_dir: &std::path::Path) -> Option<Diagnostic> {
        let (lost, worst, wanted) = self.worst.as_ref()?;
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(kind, (files, asked, out))| {
                let name = match kind {
                    FeedKind::Site => "site",
                    FeedKind::Category => "category",
                    FeedKind::Tag => "tag",
                };
                format!("{name}: {files} files, {out} of {asked} items left out")
            })
            .collect();
        let files: usize = self.by_kind.values().map(|v| v.0).sum();
        let message = format!(
            "`max_items`/`max_bytes` cut {files} feed files short of their window or `limit` ({}); most in {worst} ({lost} of {wanted} items left out): raise the caps or shorten the window",
            kinds.join("; ")
        );
        Some(Diagnostic::new(
            &output_dir.display().to_string(),
            None,
            Severity::Note,
            message,
        ))
    }
}

/// Render the artifacts in `todo` and hand them to `commit`, reading and
/// rendering each post at most once (and not at all when `cache` holds
/// it), and dropping it after its last artifact. A post is rendered only
/// from the very bytes it was read from (`hashes`).
fn render_and_store(
    config: &Config,
    plan: &Plan,
    (posts, hashes): (&[&PostMeta], &[u64]),
    todo: &[&Artifact],
    cache: &ItemCache,
    commit: &mut Commit,
) -> Result<Stored> {
    let root = &config.content_dir;
    let mut order: Vec<&Artifact> = todo.to_vec();
    order.sort_by_key(|a| (plan.items(a).iter().min().copied(), a.path.as_str()));
    let mut uses: Vec<u32> = vec![0; posts.len()];
    for a in &order {
        plan.items(a).iter().for_each(|&i| uses[i] += 1);
    }
    let mut out = Stored {
        unread: Vec::new(),
        changed: Vec::new(),
        cuts: Cuts::default(),
    };
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
                let key = items::key(&meta.path, hashes[i]);
                if let Some(entry) = cache.get(key) {
                    return (i, Some(entry));
                }
                let entry = content::load_post(root, meta, hashes[i], config.max_file_size, config.site.jekyll)
                    .map(|post| render::entry(&config.site, meta, &post));
                if let Some(e) = &entry {
                    cache.put(key, e);
                }
                (i, entry)
            })
            .collect();
        for (i, entry) in rendered {
            if entry.is_none() {
                out.unread.push(i);
            }
            entries.insert(i, entry);
        }
        for a in batch {
            if plan
                .items(a)
                .iter()
                .any(|i| entries.get(i).is_some_and(Option::is_none))
            {
                commit.distrust(&a.path);
            }
        }
        let shared: &Commit = commit;
        let stored: Vec<Result<_>> = batch
            .par_iter()
            .map(|a| {
                let items: Vec<&Entry> = plan.items(a).iter().filter_map(|i| entries.get(i)?.as_ref()).collect();
                let rendered = render::artifact(config, plan, a, &items);
                // Items `max_bytes` left out (not those that vanished).
                let dropped = items.len() - rendered.items;
                Ok((a, dropped, shared.store(&a.path, &rendered.bytes)?))
            })
            .collect();
        commit.publish()?;
        for result in stored {
            let (a, dropped, outcome) = result?;
            commit.count(&a.path, outcome);
            let ArtifactKind::Feed { feed, format } = a.kind else {
                continue;
            };
            let spec = &plan.feeds[feed];
            // `max_items` cut the selection, `max_bytes` the rendering.
            let kept = spec.items.len().saturating_sub(dropped);
            out.cuts.add(spec.kind, &a.path, spec.wanted, kept);
            if outcome == StoredFile::Written {
                out.changed.push(render::feed_url(config, spec, format));
            }
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
    out.unread.sort_unstable();
    Ok(out)
}
