//! The render-and-commit step of `feedgen build`: each outdated artifact
//! rendered from its posts' entries (cached in the state, or read and
//! rendered once) and handed to the [`Commit`], a batch at a time.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use rayon::prelude::*;

use super::commit::{Commit, Stored as StoredFile};
use crate::author::Author;
use crate::config::Config;
use crate::content;
use crate::content::post::PostMeta;
use crate::diagnostics::{Diagnostic, Severity};
use crate::plan::{Artifact, ArtifactKind, Plan};
use crate::render::{self, entry::Entry};
use crate::state::{items, State, StoredAuthor, StoredEntry};
use crate::taxonomy::FeedKind;

/// Artifacts rendered per batch: bounds the memory held by rendered posts
/// and artifact bytes, while artifacts that share posts (a category and
/// its tag) are rendered together.
const BATCH: usize = 256;

/// What rendering and storing the artifacts gave, besides the files.
pub struct Stored {
    /// Posts that could not be read again, in `posts` order.
    pub unread: Vec<usize>,
    pub cuts: Cuts,
}

/// Feed files a cap (`max_items`, `max_bytes`) kept from holding every item
/// their window and minimum asked for, per kind: (files, items asked for,
/// items left out), and the file that lost the most.
#[derive(Default)]
pub struct Cuts {
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
    pub fn note(&self, output_dir: &std::path::Path) -> Option<Diagnostic> {
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
/// rendering each post at most once (and not at all when `state` caches
/// it), and dropping it after its last artifact. A post is rendered only
/// from the very bytes it was read from (`hashes`).
pub fn render_and_store(
    config: &Config,
    plan: &Plan,
    (posts, hashes): (&[&PostMeta], &[u64]),
    todo: &[&Artifact],
    state: &State,
    commit: &mut Commit,
) -> Result<Stored> {
    let mut order: Vec<&Artifact> = todo.to_vec();
    order.sort_by_key(|a| (plan.items(a).iter().min().copied(), a.path.as_str()));
    let mut uses: Vec<u32> = vec![0; posts.len()];
    for a in &order {
        plan.items(a).iter().for_each(|&i| uses[i] += 1);
    }
    let mut out = Stored {
        unread: Vec::new(),
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
            .map(|&i| (i, entry(config, state, posts[i], hashes[i])))
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
        store_batch(config, plan, batch, &entries, commit, &mut out)?;
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

/// A post's entry: from the state's cache, or read and rendered (and
/// cached); `None` when the post could not be read again.
fn entry(config: &Config, state: &State, meta: &PostMeta, hash: u64) -> Option<Entry> {
    let key = items::key(&meta.path, hash);
    if let Some(entry) = state.entry(key) {
        return Some(entry.into());
    }
    let post = content::load_post(
        &config.content_dir,
        (meta, hash),
        config.max_file_size,
        config.site.jekyll,
        &config.site.archive,
    )?;
    let stored = StoredEntry::from(render::entry(&config.site, meta, &post));
    state.keep_entry(key, &stored);
    Some(stored.into())
}

/// Render one batch of artifacts from `entries` (on every core), hand
/// them to `commit`, put them in place, and count what each became.
fn store_batch(
    config: &Config,
    plan: &Plan,
    batch: &[&Artifact],
    entries: &HashMap<usize, Option<Entry>>,
    commit: &mut Commit,
    out: &mut Stored,
) -> Result<()> {
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
    // The feeds that change, queued for a ping before any is in place;
    // those stored before one failed are put in place too.
    let changed = stored
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|(_, _, outcome)| *outcome == StoredFile::Written)
        .filter_map(|(a, _, _)| match a.kind {
            ArtifactKind::Feed { feed, format } => Some(render::head::feed_url(config, &plan.feeds[feed], format)),
            _ => None,
        })
        .collect();
    commit.publish(changed)?;
    for result in stored {
        let (a, dropped, outcome) = result?;
        commit.count(&a.path, outcome);
        let ArtifactKind::Feed { feed, .. } = a.kind else {
            continue;
        };
        let spec = &plan.feeds[feed];
        // `max_items` cut the selection, `max_bytes` the rendering.
        let kept = spec.items.len().saturating_sub(dropped);
        out.cuts.add(spec.kind, &a.path, spec.wanted, kept);
    }
    Ok(())
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
        }
    }
}
