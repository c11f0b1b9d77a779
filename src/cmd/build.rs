//! `feedgen build` (and `--check`): open the state, read the posts,
//! select each feed's items, plan the artifacts, render the ones whose
//! inputs changed and commit them to the output folder, save the state,
//! and report. Each step is a function below, in that order.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;

use anyhow::Result;
use rayon::prelude::*;

use super::commit::{Commit, Manifest};
use super::render_and_commit::{render_and_store, Live, Records};
use crate::collection::{find_posts, scan_posts, Collection};
use crate::config::{Config, Mode, Verbosity};
use crate::content::git::GitView;
use crate::content::pages::SitePage;
use crate::content::post::PostMeta;
use crate::content::{self, shown_path, Found, Record};
use crate::diagnostics::{Diagnostic, Severity};
use crate::model::{self, Feeds};
use crate::names::{DisplayNames, FeedPage};
use crate::output::{Output, Removal, Written};
use crate::permalink;
use crate::plan::{Artifact, Fingerprint, Plan};
use crate::render;
use crate::report::{progress, Phases, Report};
use crate::state::{items, Keys, Listing, Recalled, Saved, State, StoredPost, Walked};
use crate::taxonomy::{self, FeedKind};
use crate::word_hash::WordSet;

/// Run a build (`Mode::Build`) or a check of the feeds on disk
/// (`Mode::CheckFeeds`), and return its report.
pub fn run(config: &Config, mode: Mode) -> Result<Report> {
    let output = open_output(config, mode)?;
    let state = State::open(&output, keys(config), mode == Mode::Build);
    build(config, mode, &output, state)
}

/// The build from `state` (see the module's steps).
fn build(config: &Config, mode: Mode, output: &Output, mut state: State) -> Result<Report> {
    let mut phases = Phases::start();
    let read = read(config, &mut state, &mut phases);
    let (posts, hashes) = read.collection.published(config);
    let mut report = read.collection.report.clone();
    let selected = select(config, &read.collection.pages, &posts, &mut report, &mut phases);
    // A partial build renders some feeds but knows every feed's items: the
    // item cache keeps those, as a full build's does, and drops the rest.
    let carried_anywhere = (!config.only.is_everything()).then(|| carried_by_any(&selected.0, posts.len()));
    let manifest = Manifest::read(&state, output, &config.layout);
    let plan = plan(config, output, selected, (&posts, &hashes), &manifest, &mut report);
    let todo = outdated(mode, &state, &plan);
    report.unchanged += plan.artifacts.len() - todo.len();
    phases.lap("fingerprint");

    let fingerprints = state.take_fingerprints();
    let mut commit = Commit::begin((output, &state), config, mode, &plan, (manifest, fingerprints), &todo)?;
    let posts_read = (&posts[..], &hashes[..]);
    let (unread, mut cached, cut) =
        render_and_commit(config, &state, (&plan, &todo), posts_read, &mut commit, &mut report)?;
    phases.lap("render and write feeds");

    if let Some(anywhere) = &carried_anywhere {
        cached
            .iter_mut()
            .zip(anywhere)
            .filter(|(_, &c)| c)
            .for_each(|(live, _)| live.keep_all());
    }
    let live = live_entries(mode, &cached, posts_read, todo.is_empty());
    drop(posts);
    let records = &read.collection.records;
    let files_reused = records.len() == read.indexed && records.iter().all(|r| r.reused);
    let mut done = commit.finish(&plan, files_reused && unread.is_empty())?;
    write_jekyll_data(config, mode, (output, &state), &plan, &mut report)?;
    save_state(state, done.fingerprints.take(), read, &unread, (live, cut))?;
    phases.lap("manifest and index");

    report.written += done.written;
    report.unchanged += done.unchanged;
    report.removed += done.removed;
    report.stale.extend(done.stale);
    report.diagnostics.extend(done.diagnostics);
    Ok(report.finish(phases))
}

/// What reading the content folder gave.
struct Read {
    collection: Collection,
    /// The walk's listing, for the next run to take instead of walking.
    listing: Option<Listing>,
    /// How many post files the index held.
    indexed: usize,
}

/// Read: the last walk's listing while no folder changed (else a walk),
/// then every post, reusing the index's records of unchanged files.
fn read(config: &Config, state: &mut State, phases: &mut Phases) -> Read {
    const WALKED: &str = "lock, read index, find posts";
    let stamp = |rel: &str| content::folder_stamp(&config.content_dir, rel);
    // In a fresh copy every file will ask git's index: it is read first,
    // beside the walk, so its decoding is over before the index's records
    // are decoded (and the walk's paths sorted) beside them.
    let git = GitView::new(&config.content_dir, true);
    let elsewhere = state.elsewhere(stamp);
    let read_git = || {
        if elsewhere {
            git.read_now();
        }
    };
    let (previous, found, phase) = match state.recall::<_, Record>(stamp, || find_posts(config), read_git) {
        Recalled::Listed {
            posts: previous,
            listing,
        } => {
            let archive = &config.site.archive;
            match Found::known(
                previous.iter().map(|r| &**r.rel()),
                listing.pages,
                listing.folders,
                archive,
            ) {
                Some(found) => (previous, found, "lock, read index (folders unchanged: not walked)"),
                None => (previous, find_posts(config), WALKED),
            }
        }
        Recalled::Walked { posts, walked } => (posts, walked, WALKED),
    };
    let indexed = previous.len();
    // What the next run may take instead of walking (the index's checksum
    // is set once the index is written).
    let listing = Listing::of(&Walked::from(&found), true, 0);
    phases.lap(phase);
    let collection = scan_posts(config, found, previous, git);
    phases.lap("read posts");
    Read {
        collection,
        listing,
        indexed,
    }
}

/// Select: each feed's items, then the feeds' display names and pages.
fn select(
    config: &Config,
    pages: &[String],
    posts: &[&PostMeta],
    report: &mut Report,
    phases: &mut Phases,
) -> (Feeds, DisplayNames) {
    let feeds = model::select(posts, &config.feeds, |p| shown_path(&config.content_dir, p));
    phases.lap("select");
    report.diagnostics.extend(feeds.notices.iter().cloned());
    let pages = content::pages::read_pages(&config.content_dir, pages);
    let (names, names_note) = site_names(config, &pages.feed_pages, posts);
    report.diagnostics.extend(names_note);
    report.diagnostics.extend(moved_posts_notes(config, &pages.moved_posts));
    phases.lap("read pages");
    (feeds, names)
}

/// Plan: every artifact, with the fingerprint of its inputs. A site's own
/// `index.html` (or other discovery file feedgen did not write) stays,
/// with a warning; foreign files at feed paths are the commit's to report.
fn plan(
    config: &Config,
    output: &Output,
    (feeds, names): (Feeds, DisplayNames),
    (posts, hashes): (&[&PostMeta], &[u64]),
    manifest: &Manifest,
    report: &mut Report,
) -> Plan {
    let mut plan = Plan::new(config, feeds, names, posts, hashes);
    report.diagnostics.extend(plan.diagnostics.iter().cloned());
    let shown_out = config.output_dir.display().to_string();
    let foreign = |path: &str| output.is_foreign(path, manifest.files.contains(path));
    report.diagnostics.extend(plan.leave_foreign_files(&shown_out, foreign));
    plan
}

/// The artifacts to render: building, those whose inputs changed since
/// the state recorded them, or whose file is not the one the state says
/// was written (gone, or other bytes: a checkout, a cache from another
/// commit); checking, all.
fn outdated<'p>(mode: Mode, state: &State, plan: &'p Plan) -> Vec<&'p Artifact> {
    match mode {
        Mode::Build => plan.outdated(state.fingerprints(), |path| state.vouches(path)),
        _ => plan.artifacts.iter().collect(),
    }
}

/// Render and commit the outdated artifacts (the commit queues the feeds
/// that change for a ping). Returns the posts that could not be read again: they are
/// not published, and the index forgets them, so the next run reads them
/// afresh; which posts' cached entries stay worth keeping; and what the
/// caps of each feed rendered cut.
fn render_and_commit(
    config: &Config,
    state: &State,
    (plan, todo): (&Plan, &[&Artifact]),
    posts: (&[&PostMeta], &[u64]),
    commit: &mut Commit,
    report: &mut Report,
) -> Result<(HashSet<String>, Vec<Live>, Records)> {
    progress(config, todo.len(), &format!("rendering {} feeds", todo.len()));
    let stored = render_and_store(config, plan, posts, todo, state, commit)?;
    report.diagnostics.extend(stored.diagnostics);
    report.published = report.published.saturating_sub(stored.unread.len());
    report.rejected += stored.unread.len();
    let unread: HashSet<String> = stored.unread.iter().map(|&i| posts.0[i].path.to_string()).collect();
    for i in &unread {
        let message = "changed or vanished while feedgen ran; left out of this build (the next build reads it again)";
        let shown = shown_path(&config.content_dir, i);
        report
            .diagnostics
            .push(Diagnostic::new(&shown, None, Severity::Error, message));
    }
    Ok((unread, stored.cached, stored.records))
}

/// Which of `posts` posts some feed of `feeds` (all of them, not only
/// those a partial build renders) carries as an item.
fn carried_by_any(feeds: &Feeds, posts: usize) -> Vec<bool> {
    let mut carried = vec![false; posts];
    let specs = std::iter::once(&feeds.site).chain(&feeds.categories).chain(&feeds.tags);
    for &i in specs.flat_map(|spec| &spec.items) {
        carried[i] = true;
    }
    carried
}

/// The cache keys of the entries some feed writes whole (`cached`; in a
/// partial build, of every post some feed carries), each once: entries of
/// posts that left every feed, of their older versions, or that every feed
/// cuts at its `max_bytes`, go. A run that rendered nothing keeps them all.
fn live_entries(
    mode: Mode,
    cached: &[Live],
    (posts, hashes): (&[&PostMeta], &[u64]),
    nothing_rendered: bool,
) -> Option<WordSet<u64>> {
    (mode == Mode::Build && !nothing_rendered).then(|| {
        let keys: Vec<u64> = (posts, hashes, cached)
            .into_par_iter()
            .flat_map_iter(|(post, &hash, live)| live.keys(items::key(&post.path, hash)))
            .collect();
        keys.into_iter().collect()
    })
}

/// Save state (after the commit recorded the manifest): the rebuild
/// index, when the commit handed back `fingerprints` (every post file as
/// read, less those not read again) with what the caps of the feeds
/// rendered cut (`cuts`), the folder listing and the item cache.
fn save_state(
    state: State,
    fingerprints: Option<BTreeMap<String, u64>>,
    read: Read,
    unread: &HashSet<String>,
    (live, cuts): (Option<WordSet<u64>>, Records),
) -> Result<()> {
    let Read {
        collection, listing, ..
    } = read;
    let mut records = collection.records;
    let mut kept = collection.kept;
    if !unread.is_empty() {
        kept = kept.min(records.iter().position(|r| unread.contains(&**r.rel())).unwrap_or(kept));
        records.retain(|r| !unread.contains(&**r.rel()));
    }
    let index = match fingerprints {
        Some(feeds) => Some((records.into_iter().map(StoredPost::from).collect(), kept, feeds)),
        None => {
            // Freed by the system when the process ends, not one by one.
            std::mem::forget(records);
            None
        }
    };
    let listing = listing.filter(|_| unread.is_empty());
    state.save(Saved {
        index,
        listing,
        live,
        cuts,
    })
}

/// The site's discovery tags (README.md): the whole listing, so a
/// `--category` run writes the same bytes as a full build. Written only
/// where feedgen may ([`Output::site_file_is_ours`]: never through a
/// symlink, never over a file feedgen did not write), and recorded in the
/// state before it is written, so that once the setting no longer names
/// it, it is removed ([`retire_site_files`]).
fn write_jekyll_data(
    config: &Config,
    mode: Mode,
    (output, state): (&Output, &State),
    plan: &Plan,
    report: &mut Report,
) -> Result<()> {
    let content = &config.content_dir;
    let recorded = state.site_files(content);
    let mut kept = BTreeSet::new();
    if let Some(rel) = &config.jekyll_data {
        let shown = shown_path(content, rel);
        match output.site_file_is_ours(content, rel, recorded.contains(rel)) {
            Err(why) => {
                let message = format!(
                    "{why}; left as is, and the `feedgen.jekyll_data` file is not written (delete it, or name another file)"
                );
                report
                    .diagnostics
                    .push(Diagnostic::new(&shown, None, Severity::Error, message));
            }
            Ok(_) => {
                let bytes = render::jekyll_data::render(config, &plan.listing);
                kept.insert(rel.clone());
                match mode {
                    Mode::Build => {
                        if !recorded.contains(rel) {
                            state.record_site_files(content, &recorded.union(&kept).cloned().collect())?;
                        }
                        match output.write_site_file(content, rel, &bytes)? {
                            Written::Unchanged => report.unchanged += 1,
                            _ => {
                                report.written += 1;
                                // Its folder's entry, as for feeds (with `fsync`).
                                output.sync_folders()?;
                            }
                        }
                    }
                    _ if output.site_file_is_current(content, rel, &bytes) => report.unchanged += 1,
                    _ => report.stale.push(stale_site_file(content, rel)),
                }
            }
        }
    }
    retire_site_files(config, mode, (output, state), (&recorded, kept), report)
}

/// Remove the files feedgen wrote in the content folder that the settings
/// no longer name (`feedgen.jekyll_data` removed or renamed), if they are
/// still feedgen's (`--check`: report them), then record `kept`.
fn retire_site_files(
    config: &Config,
    mode: Mode,
    (output, state): (&Output, &State),
    (recorded, kept): (&BTreeSet<String>, BTreeSet<String>),
    report: &mut Report,
) -> Result<()> {
    let content = &config.content_dir;
    let named = config.jekyll_data.as_ref();
    // A named file left to the user stays recorded, and is not retired.
    let mut kept = kept;
    kept.extend(named.filter(|n| recorded.contains(*n)).cloned());
    for old in recorded.difference(&kept) {
        let shown = shown_path(content, old);
        if mode != Mode::Build {
            if output.site_file_is_ours(content, old, true) == Ok(true) {
                report.stale.push(stale_site_file(content, old));
            }
            continue;
        }
        match output.remove_site_file(content, old, true)? {
            Removal::Removed => report.removed += 1,
            Removal::Absent => {}
            Removal::Kept(why) => {
                let message = format!("no longer the `feedgen.jekyll_data` file, but {why}; left as is");
                report
                    .diagnostics
                    .push(Diagnostic::new(&shown, None, Severity::Warning, message));
            }
        }
    }
    if mode == Mode::Build && *recorded != kept {
        output.sync_folders()?;
        state.record_site_files(content, &kept)?;
    }
    Ok(())
}

/// A stale file of the content folder as the report lists it: absolute,
/// since stale files are shown joined to the output folder.
fn stale_site_file(content: &std::path::Path, rel: &str) -> String {
    let path = content.join(rel);
    std::path::absolute(&path).unwrap_or(path).display().to_string()
}

/// The settings each state file is valid for.
fn keys(config: &Config) -> Keys {
    let read = read_settings(config);
    // Another user may not list a folder this one could (the walk would
    // say so): a listing is kept per user, as drafts are per flag.
    let listing = Fingerprint::new()
        .add_u64(read)
        .add(&[u8::from(config.drafts)])
        .add_u64(u64::from(rustix::process::geteuid().as_raw()))
        .finish();
    Keys {
        read,
        listing,
        entries: entry_settings(config),
    }
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
        // Which folders hold posts moved out of `_posts/`.
        .add(config.site.archive.folders().join("\n").as_bytes())
        // What each post's page file hash is built from.
        .add(model::page_settings(&config.site).as_bytes())
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
/// with `feedgen.names_from_tags`, the tag all of a category's posts
/// carry ([`crate::names::category_tags`]), then a page title that only spells the slug. Pages are read on
/// every run (front matter only) and their names and URLs are part of every
/// feed's fingerprint, so a renamed outlet re-renders its feeds. Returns
/// one note for all the pages whose title differs from that tag.
fn site_names(config: &Config, pages: &[SitePage], posts: &[&PostMeta]) -> (DisplayNames, Option<Diagnostic>) {
    let mut names = config.site.names.clone();
    let tags = if config.names_from_tags {
        crate::names::category_tags(posts.iter().map(|p| (&p.categories[..], &p.tags[..])))
    } else {
        BTreeMap::new()
    };
    let mut differ: Vec<(&SitePage, &str)> = Vec::new();
    for page in pages {
        let kind = FeedKind::from(page.taxonomy);
        let tag = match kind {
            FeedKind::Category => tags.get(&taxonomy::feed_key(&page.name)).map(String::as_str),
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
            "the page of category `{}` is titled `{}`, but every post in it carries the tag `{tag}`{others}; the page titles name the feeds (`feedgen.names` chooses otherwise)",
            page.name,
            page.title.as_deref().unwrap_or_default()
        );
        Diagnostic::new(&shown_path(&config.content_dir, &page.rel), None, Severity::Note, message)
    });
    (names, note)
}

/// One note per folder of pages that look like posts moved out of
/// `_posts/` (no `feedgen.archive` covers them: those are read as posts):
/// they are in no feed, and the setting would keep them there.
fn moved_posts_notes(config: &Config, moved: &BTreeMap<String, usize>) -> Vec<Diagnostic> {
    moved
        .iter()
        .map(|(folder, &count)| {
            let pages = if count == 1 { "page looks like a post" } else { "pages look like posts" };
            let setting = if folder.contains([' ', ':', ',', '[', ']', '#', '\'', '"']) {
                format!("\"{}\"", folder.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                folder.clone()
            };
            let message = format!(
                "{count} {pages} moved out of _posts/ (layout: post, a date, categories); Jekyll publishes them as pages, so they are in no feed; add `feedgen.archive: [{setting}]` to keep them in their feeds"
            );
            Diagnostic::new(&shown_path(&config.content_dir, folder), None, Severity::Note, message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::config::Overrides;

    fn post(content: &Path, name: &str, day: u32, category: &str, title: &str) {
        let text = format!(
            "---\ntitle: \"{title}\"\ndate: 2022-01-{day:02} 10:00:00 +0800\ncategories: {category}\ntags: {category}新闻\n---\n\n{title}。正文。\n"
        );
        fs::write(content.join("_posts").join(name), text).expect("write post");
    }

    fn config(content: &Path, output: &Path, state: &Path) -> Config {
        let flags = Overrides {
            content_dir: Some(content.to_path_buf()),
            output_dir: Some(output.to_path_buf()),
            state_dir: Some(state.to_path_buf()),
            now: Some("2030-01-01T00:00:00+08:00".into()),
            verbosity: Some(Verbosity::Quiet),
            ..Overrides::default()
        };
        Config::load(flags, None).expect("config")
    }

    /// Every file under `dir`, with its bytes, sorted by path.
    fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut found: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(dir).expect("inside").to_path_buf();
                (rel, fs::read(e.path()).expect("read"))
            })
            .collect();
        found.sort();
        found
    }

    /// A build that starts from the state of earlier builds, after posts
    /// were added, changed and deleted, writes the bytes of a build with
    /// no state at all ([`State::none`]) into an empty folder.
    #[test]
    fn an_incremental_build_writes_the_bytes_of_a_build_without_state() {
        let tmp = tempfile::tempdir().expect("tmp");
        let content = tmp.path().join("site");
        fs::create_dir_all(content.join("_posts")).expect("mkdir");
        let yml = "title: 测试\nurl: https://t.example.com\ntimezone: Asia/Shanghai\n";
        fs::write(content.join("_config.yml"), yml).expect("config");
        for i in 0..30 {
            let category = ["alpha", "beta", "gamma"][i % 3];
            post(
                &content,
                &format!("2022-01-{:02}-{i:02}.md", 1 + i % 28),
                1 + (i % 28) as u32,
                category,
                &format!("消息{i}"),
            );
        }
        let (kept, state) = (tmp.path().join("kept"), tmp.path().join("state"));
        let incremental = config(&content, &kept, &state);
        run(&incremental, Mode::Build).expect("first build");
        assert!(state.join("index").is_file(), "the first build leaves an index");
        post(&content, "2022-02-01-new.md", 1, "delta", "新消息");
        post(&content, "2022-01-05-04.md", 5, "beta", "改过的消息4");
        fs::remove_file(content.join("_posts/2022-01-03-02.md")).expect("delete");
        let report = run(&incremental, Mode::Build).expect("incremental build");
        assert!(report.unchanged > 0, "the index saved work");

        let (clean, unused) = (tmp.path().join("clean"), tmp.path().join("unused-state"));
        let fresh = config(&content, &clean, &unused);
        let output = open_output(&fresh, Mode::Build).expect("open");
        let report = build(&fresh, Mode::Build, &output, State::none()).expect("clean build");
        assert_eq!(report.unchanged, 0, "nothing to reuse without state");
        assert!(!unused.join("index").exists() && !unused.join("manifest").exists());
        let (a, b) = (files(&kept), files(&clean));
        assert!(
            a.iter().any(|(p, _)| p.ends_with("delta/rss.xml")),
            "{:?}",
            a.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert_eq!(a.len(), b.len());
        for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
            assert_eq!(pa, pb);
            assert!(ba == bb, "{} differs", pa.display());
        }
    }
}
