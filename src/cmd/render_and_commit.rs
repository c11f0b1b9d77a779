//! The render-and-commit step of `feedgen build`: each outdated artifact
//! rendered from its posts' entries (cached in the state, or read and
//! rendered once) and handed to the [`Commit`], a batch at a time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use anyhow::Result;
use rayon::prelude::*;

use super::commit::{Commit, Stored as StoredFile};
use crate::author::Author;
use crate::config::{Config, ContentMode};
use crate::content;
use crate::content::post::PostMeta;
use crate::content::problem::Problem;
use crate::diagnostics::{Diagnostic, Severity};
use crate::model;
use crate::plan::{Artifact, ArtifactKind, Plan};
use crate::render::{self, entry::Entry, HeadTooBig};
use crate::state::{items, State, StoredAuthor, StoredCut, StoredEntry};
use crate::taxonomy::FeedKind;

/// Artifacts rendered per batch: bounds the memory held by rendered posts
/// and artifact bytes, while artifacts that share posts (a category and
/// its tag) are rendered together.
const BATCH: usize = 256;

/// Feed path → what its render now cut (`None`: nothing; see
/// [`StoredCut`]), for every feed file rendered now but those whose head
/// alone is over their cap.
pub type Records = BTreeMap<String, Option<StoredCut>>;

/// What rendering and storing the artifacts gave, besides the files.
pub struct Stored {
    /// Posts that could not be read again, in `posts` order.
    pub unread: Vec<usize>,
    /// What the feeds rendered now cut, for the state to keep.
    pub records: Records,
    /// The caps' note, posts too large for a feed's cap (of every feed,
    /// rendered now or not), and feeds that cannot be written.
    pub diagnostics: Vec<Diagnostic>,
    /// By post: which of its cache records stay worth keeping.
    pub cached: Vec<Live>,
}

/// Which of a post's cache records stay: the entry with its text when a
/// feed rendered now writes it whole with it; the one without only when
/// no feed does (summary feeds take the other too); both when a feed not
/// rendered now carries the post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Live {
    text: bool,
    summary: bool,
    both: bool,
}

impl Live {
    /// Keep every record of the post.
    pub fn keep_all(&mut self) {
        self.both = true;
    }

    /// The cache keys to keep, from the post's [`items::key`].
    pub fn keys(self, key: u64) -> impl Iterator<Item = u64> {
        let text = self.text || self.both;
        let summary = self.both || (self.summary && !self.text);
        let keys = [text.then_some(key), summary.then(|| items::summary_key(key))];
        keys.into_iter().flatten()
    }
}

/// Feed files a cap (`max_items`, `max_bytes`) kept from holding every item
/// their window and minimum asked for, per kind: (files, items asked for,
/// items left out), and the file that lost the most (the first in plan
/// order of those that lost as many).
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
                format!("{}: {files} files, {out} of {asked} items left out", kind.name())
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

/// A post's entry as this run holds it, read and rendered (or taken from
/// the cache) the first time a feed reaches it.
struct Loaded {
    entry: Entry,
    key: u64,
    /// Rendered this run, not taken from the cache.
    fresh: bool,
    /// Handed to the cache already.
    kept: AtomicBool,
}

/// A post's entry, once some artifact of the current batches reaches it
/// (`None` inside: it could not be read again): with its full text, and
/// without it for feeds of `content: summary`, which never write it, so
/// the thousands of items such a feed holds cost their summaries only.
#[derive(Default)]
struct Slot {
    full: OnceLock<Option<Loaded>>,
    summary: OnceLock<Option<Loaded>>,
}

type Slots = HashMap<usize, Slot>;

impl Loaded {
    /// The same entry without its full text, under its summary key.
    fn copy_without_text(&self) -> Loaded {
        Loaded {
            entry: Entry {
                content: String::new(),
                ..self.entry.clone()
            },
            key: items::summary_key(self.key),
            fresh: self.fresh,
            kept: AtomicBool::new(!self.fresh),
        }
    }
}

/// Render the artifacts in `todo` and hand them to `commit`, reading and
/// rendering each post at most once (and not at all when `state` caches
/// it, or when no feed reaches it before its cap), and dropping it after
/// its last artifact. A post is rendered only from the very bytes it was
/// read from (`hashes`). Only entries some feed writes whole are cached.
pub fn render_and_store(
    config: &Config,
    plan: &Plan,
    posts: (&[&PostMeta], &[u64]),
    todo: &[&Artifact],
    state: &State,
    commit: &mut Commit,
) -> Result<Stored> {
    let mut order: Vec<&Artifact> = todo.to_vec();
    order.sort_by_key(|a| (plan.items(a).iter().min().copied(), a.path.as_str()));
    let mut uses: Vec<u32> = vec![0; posts.0.len()];
    for a in &order {
        plan.items(a).iter().for_each(|&i| uses[i] += 1);
    }
    let mut out = Stored {
        unread: Vec::new(),
        records: Records::new(),
        diagnostics: Vec::new(),
        cached: vec![Live::default(); posts.0.len()],
    };
    let rendered: HashSet<&str> = todo.iter().map(|a| a.path.as_str()).collect();
    for a in plan.artifacts.iter().filter(|a| !rendered.contains(a.path.as_str())) {
        plan.items(a).iter().for_each(|&i| out.cached[i].both = true);
    }
    let mut slots: Slots = HashMap::new();
    for batch in order.chunks(BATCH) {
        for a in batch {
            for &i in plan.items(a) {
                slots.entry(i).or_default();
            }
        }
        store_batch(config, plan, posts, batch, (&slots, state), commit, &mut out)?;
        for a in batch {
            for &i in plan.items(a) {
                uses[i] -= 1;
                if uses[i] == 0 {
                    slots.remove(&i);
                }
            }
        }
    }
    out.unread.sort_unstable();
    out.unread.dedup();
    let said = cap_diagnostics(config, plan, (&rendered, &out.records), state);
    out.diagnostics.extend(said);
    Ok(out)
}

/// The caps' note and the warnings about posts too large for a cap, of
/// every feed of the plan: from this run's render of it, else from the
/// record of its last render, which the state keeps for a feed not
/// rendered now (its inputs unchanged, its file the one written), so a
/// rerun says what a clean build says. A feed rendered now with no
/// record (`records`) was not written: its head alone is over its cap,
/// which it says instead.
fn cap_diagnostics(
    config: &Config,
    plan: &Plan,
    (rendered, records): (&HashSet<&str>, &Records),
    state: &State,
) -> Vec<Diagnostic> {
    let mut cuts = Cuts::default();
    let mut short = Shortened::default();
    for a in &plan.artifacts {
        let ArtifactKind::Feed { feed, .. } = a.kind else {
            continue;
        };
        let cut = match rendered.contains(a.path.as_str()) {
            true => match records.get(&a.path) {
                Some(cut) => cut.as_ref(),
                None => continue,
            },
            false => state.cut(&a.path),
        };
        let spec = &plan.feeds[feed];
        // The window and `wanted` follow the clock, not the fingerprint:
        // taken from this run's plan.
        let kept = cut.map_or(spec.items.len(), |c| usize::try_from(c.kept).unwrap_or(usize::MAX));
        cuts.add(spec.kind, &a.path, spec.wanted, kept);
        if let Some(cut) = cut {
            short.add(&a.path, cut);
        }
    }
    let mut said = short.diagnostics(config);
    said.extend(cuts.note(&config.output_dir));
    said
}

/// What a feed's render cut, for the state: `None` when it wrote every
/// one of its feed's `selected` items, none of them short.
fn record(selected: usize, posts: &[&PostMeta], rendered: &render::Rendered) -> Option<StoredCut> {
    // `max_items` cut the selection, `max_bytes` the rendering; posts
    // that vanished are not the caps' doing.
    let kept = rendered.items + rendered.unread.len();
    if kept == selected && rendered.shortened.is_empty() && rendered.left_out.is_empty() {
        return None;
    }
    let paths = |of: &[usize]| -> Vec<String> { of.iter().map(|&i| posts[i].path.to_string()).collect() };
    Some(StoredCut {
        kept: kept as u64,
        shortened: paths(&rendered.shortened),
        left_out: paths(&rendered.left_out),
    })
}

/// The feed files each post was too large for, by post (its path in the
/// content folder).
#[derive(Default)]
struct Shortened {
    written_short: BTreeMap<String, Vec<String>>,
    left_out: BTreeMap<String, Vec<String>>,
}

impl Shortened {
    fn add(&mut self, path: &str, cut: &StoredCut) {
        for post in &cut.shortened {
            self.written_short
                .entry(post.clone())
                .or_default()
                .push(path.to_string());
        }
        for post in &cut.left_out {
            self.left_out.entry(post.clone()).or_default().push(path.to_string());
        }
    }

    /// One warning a post, naming the files.
    fn diagnostics(self, config: &Config) -> Vec<Diagnostic> {
        let at = |post: &str| content::shown_path(&config.content_dir, post);
        let short = self.written_short.into_iter().map(|(post, mut files)| {
            files.sort();
            Problem::ShortenedForCap { files }.at(&at(&post), None)
        });
        let out = self.left_out.into_iter().map(|(post, mut files)| {
            files.sort();
            Problem::LeftOutForCap { files }.at(&at(&post), None)
        });
        short.chain(out).collect()
    }
}

/// A post's entry: from the state's cache, or read and rendered; `None`
/// when the post could not be read again. Without its full text unless
/// `text`: cached under the summary key then (a whole entry serves too).
fn load(config: &Config, state: &State, (meta, hash): (&PostMeta, u64), text: bool) -> Option<Loaded> {
    let whole = items::key(&meta.path, hash);
    let key = if text { whole } else { items::summary_key(whole) };
    let cached = match text {
        true => state.entry(whole),
        false => state.entry(key).or_else(|| state.entry(whole)),
    };
    let (mut entry, fresh) = match cached {
        Some(entry) => (Entry::from(entry), false),
        None => {
            let post = content::load_post(
                &config.content_dir,
                (meta, hash),
                config.max_file_size,
                config.site.jekyll,
                &config.site.archive,
            )?;
            (render::entry(&config.site, meta, &post), true)
        }
    };
    if !text {
        entry.content = String::new();
    }
    Some(Loaded {
        entry,
        key,
        fresh,
        kept: AtomicBool::new(!fresh),
    })
}

/// What rendering one artifact gave, its bytes aside, and whether its
/// feed writes full text.
type Done<'a> = (
    &'a Artifact,
    bool,
    std::result::Result<(StoredFile, render::Rendered), NotStored>,
);

/// Why an artifact was not stored: its head alone is over `max_bytes`, or
/// its file could not be written (the rest are written all the same).
enum NotStored {
    TooBig(HeadTooBig),
    Failed(anyhow::Error),
}

/// Render one batch of artifacts (on every core), taking entries from
/// `slots`, hand them to `commit`, put them in place, and count what each
/// became and what each feed's caps cut.
fn store_batch(
    config: &Config,
    plan: &Plan,
    (posts, hashes): (&[&PostMeta], &[u64]),
    batch: &[&Artifact],
    (slots, state): (&Slots, &State),
    commit: &mut Commit,
    out: &mut Stored,
) -> Result<()> {
    let shared: &Commit = commit;
    let full = |i: usize| -> Option<&Entry> {
        let loaded = slots
            .get(&i)?
            .full
            .get_or_init(|| load(config, state, (posts[i], hashes[i]), true));
        loaded.as_ref().map(|l| &l.entry)
    };
    let summary = |i: usize| -> Option<&Entry> {
        let slot = slots.get(&i)?;
        let loaded = slot.summary.get_or_init(|| match slot.full.get() {
            Some(full) => full.as_ref().map(Loaded::copy_without_text),
            None => load(config, state, (posts[i], hashes[i]), false),
        });
        loaded.as_ref().map(|l| &l.entry)
    };
    let stored: Vec<Done> = batch
        .par_iter()
        .map(|&a| {
            let (updated, get_is_full) = match a.kind {
                ArtifactKind::Feed { feed, .. } => {
                    let spec = &plan.feeds[feed];
                    let mode = model::settings(spec.kind, &config.feeds).content;
                    (spec.newest(posts), mode == ContentMode::Full)
                }
                _ => (None, true),
            };
            let get: &render::Entries = if get_is_full { &full } else { &summary };
            let mut rendered = match render::artifact(config, plan, a, get, updated) {
                Ok(rendered) => rendered,
                Err(too_big) => return (a, get_is_full, Err(NotStored::TooBig(too_big))),
            };
            match shared.store(&a.path, &rendered.bytes) {
                Ok(outcome) => {
                    rendered.bytes = Vec::new();
                    (a, get_is_full, Ok((outcome, rendered)))
                }
                Err(error) => (a, get_is_full, Err(NotStored::Failed(error))),
            }
        })
        .collect();
    // The feeds that change, queued for a ping before any is in place;
    // those stored before one failed are put in place too.
    let changed = stored
        .iter()
        .filter_map(|(a, _, done)| match (a.kind, done) {
            (ArtifactKind::Feed { feed, format }, Ok((StoredFile::Written, _))) => {
                Some(render::head::feed_url(config, &plan.feeds[feed], format))
            }
            _ => None,
        })
        .collect();
    commit.publish(changed)?;
    let mut whole: [HashSet<usize>; 2] = Default::default();
    for result in stored {
        let (a, text, done) = result;
        let (outcome, rendered) = match done {
            Ok(done) => done,
            Err(not_stored) => {
                plan.items(a).iter().for_each(|&i| out.cached[i].both = true);
                commit.distrust(&a.path);
                out.diagnostics.push(match not_stored {
                    NotStored::TooBig(too_big) => head_too_big(config, &a.path, &too_big),
                    NotStored::Failed(error) => not_written(config, &a.path, &error),
                });
                continue;
            }
        };
        if !rendered.unread.is_empty() {
            commit.distrust(&a.path);
            out.unread.extend(&rendered.unread);
        }
        for &i in &rendered.whole {
            let live = &mut out.cached[i];
            *(if text { &mut live.text } else { &mut live.summary }) = true;
        }
        whole[usize::from(text)].extend(&rendered.whole);
        commit.count(&a.path, outcome);
        if let ArtifactKind::Feed { feed, .. } = a.kind {
            let selected = plan.feeds[feed].items.len();
            out.records.insert(a.path.clone(), record(selected, posts, &rendered));
        }
    }
    let [summaries, texts] = whole;
    keep_written(slots, state, &texts, &summaries);
    Ok(())
}

/// Cache the entries rendered now that a feed wrote whole: with their
/// text (`texts`), or without it (`summaries`) for posts no feed of this
/// batch wrote with it and whose entry with its text is not cached (a
/// summary feed takes that one too).
fn keep_written(slots: &Slots, state: &State, texts: &HashSet<usize>, summaries: &HashSet<usize>) {
    let keep = |loaded: &Loaded| {
        if loaded.fresh && !loaded.kept.swap(true, Ordering::Relaxed) {
            state.keep_entry(loaded.key, &StoredEntry::from(loaded.entry.clone()));
        }
    };
    let mut texts: Vec<usize> = texts.iter().copied().collect();
    texts.sort_unstable();
    for p in texts {
        if let Some(Some(loaded)) = slots.get(&p).and_then(|slot| slot.full.get()) {
            keep(loaded);
        }
    }
    let mut summaries: Vec<usize> = summaries.iter().copied().collect();
    summaries.sort_unstable();
    for p in summaries {
        let Some(slot) = slots.get(&p) else { continue };
        let whole_cached = matches!(slot.full.get(), Some(Some(l)) if !l.fresh || l.kept.load(Ordering::Relaxed));
        if let (false, Some(Some(loaded))) = (whole_cached, slot.summary.get()) {
            keep(loaded);
        }
    }
}

/// A file that could not be written: an error (exit status 1), and the
/// run goes on with the others.
fn not_written(config: &Config, path: &str, error: &anyhow::Error) -> Diagnostic {
    let shown = config.output_dir.join(path).display().to_string();
    let message = format!("{error:#}; not written (a file an earlier run wrote stays as it was)");
    Diagnostic::new(&shown, None, Severity::Error, message)
}

/// The error for a feed whose head alone is over its cap.
fn head_too_big(config: &Config, path: &str, too_big: &HeadTooBig) -> Diagnostic {
    let shown = config.output_dir.join(path).display().to_string();
    let message = format!(
        "this feed's head alone (title, description, links) is {} bytes, over its `max_bytes` of {}: {}; not written (a file an earlier run wrote stays as it was): shorten it or raise `max_bytes`",
        too_big.bytes, too_big.max, too_big.cause
    );
    Diagnostic::new(&shown, None, Severity::Error, message)
}

impl From<Entry> for StoredEntry {
    fn from(e: Entry) -> StoredEntry {
        StoredEntry {
            title: e.title,
            link: e.link,
            id: e.id,
            id_is_link: e.id_is_link,
            date: e.date,
            author: StoredAuthor {
                name: e.author.name,
                email: e.author.email,
                uri: e.author.uri,
            },
            summary: e.summary,
            content: e.content,
            categories: e.categories,
            tags: e.tags,
            source: e.source,
            image: e.image,
        }
    }
}

impl From<StoredEntry> for Entry {
    fn from(e: StoredEntry) -> Entry {
        Entry {
            title: e.title,
            link: e.link,
            id: e.id,
            id_is_link: e.id_is_link,
            date: e.date,
            author: Author {
                name: e.author.name,
                email: e.author.email,
                uri: e.author.uri,
            },
            summary: e.summary,
            content: e.content,
            categories: e.categories,
            tags: e.tags,
            source: e.source,
            image: e.image,
            summary_only: false,
        }
    }
}
