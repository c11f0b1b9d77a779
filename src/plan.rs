//! What a build produces: the feeds the run asked for, and every file
//! (artifact) they become, each with its path, its kind and a fingerprint
//! of everything its bytes depend on. A new output (a JSON Feed, an OPML
//! list) is a new [`ArtifactKind`] here and a new file in `render/`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use crate::config::{Config, Format, Layout};
use crate::content::post::PostMeta;
use crate::diagnostics::{Diagnostic, Severity};
use crate::model::{FeedSpec, Feeds};
use crate::names::{DisplayNames, FeedPage};
use crate::taxonomy::{feed_key, FeedKind};

pub use crate::fingerprint::Fingerprint;
pub use crate::places::{ARTIFACT_FILES, DISCOVERY_FILES, FEEDS_JSON_FILE, OPML_FILE};

/// Raised when a writer's bytes change for the same inputs within one
/// feedgen version, so that the files an earlier binary wrote are written
/// again: Atom 1 carries item images (Media RSS); 2 (and RSS, JSON Feed 1)
/// fits `max_bytes` item by item, a post too large for it written short.
fn writer_revision(format: Format) -> u64 {
    match format {
        Format::Atom => 2,
        Format::Rss | Format::JsonFeed => 1,
    }
}

/// Everything a build will produce.
#[derive(Debug)]
pub struct Plan {
    /// The feeds this run builds (all, or those `--category`/`--tag` named).
    pub feeds: Vec<FeedSpec>,
    /// Each feed's display name and page, in the order of `feeds`.
    pub pages: Vec<FeedPage>,
    /// Display names of every category and tag (Atom labels, RSS sources).
    pub names: DisplayNames,
    /// Every feed of the collection, whatever this run builds: what the
    /// discovery files list.
    pub listing: Vec<Listed>,
    /// Every file those feeds become, in feed order.
    pub artifacts: Vec<Artifact>,
    /// Which files of earlier runs this run retires.
    pub retire: Retire,
    /// Discovery files left to the site (`leave_foreign_files`): not
    /// produced, and not retired either.
    pub left_alone: BTreeSet<String>,
    /// Requested feeds that no published post has.
    pub diagnostics: Vec<Diagnostic>,
}

/// One file to produce, relative to the output folder.
#[derive(Debug)]
pub struct Artifact {
    pub path: String,
    pub kind: ArtifactKind,
    /// Changes whenever the file's bytes may change.
    pub fingerprint: u64,
}

/// What an artifact is, and so which renderer makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// One feed (an index into [`Plan::feeds`]) in one format.
    Feed { feed: usize, format: Format },
    /// `feeds.opml`: every feed, for a reader's import.
    Opml,
    /// `feeds.json`: every feed, for machines.
    FeedsJson,
    /// `index.html`: the feed directory for people.
    Directory,
}

/// One feed as the discovery files list it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The feed, without its items.
    pub spec: FeedSpec,
    pub page: FeedPage,
    pub newest: Option<DateTime<FixedOffset>>,
}

impl Listed {
    /// The name people see: the display name, else the name as written.
    pub fn display_name(&self) -> &str {
        self.page.title.as_deref().unwrap_or(&self.spec.name)
    }
}

/// Files written by earlier runs that no longer belong to any feed.
#[derive(Debug)]
pub enum Retire {
    /// A full build: every file this run does not produce.
    AllOthers,
    /// A `--category`/`--tag` build: only files under these folders (of
    /// requested feeds that no longer have posts).
    Under(Vec<String>),
}

impl Plan {
    /// Plan the feeds `config` asks for out of every selected feed.
    /// `posts` and `hashes` (content hashes) are the published posts that
    /// the feeds' items index.
    pub fn new(config: &Config, feeds: Feeds, names: DisplayNames, posts: &[&PostMeta], hashes: &[u64]) -> Plan {
        let listing = listing(&feeds, &names, posts);
        let unclaimed = unclaimed(config, &listing);
        let (feeds, missing) = wanted(config, feeds);
        let root = config.content_dir.display().to_string();
        let mut diagnostics: Vec<Diagnostic> = missing
            .iter()
            .map(|(kind, key)| {
                let message = format!(
                    "no published post has the {} `{key}`; its feeds are removed if feedgen wrote them",
                    kind.name()
                );
                Diagnostic::new(&root, None, Severity::Warning, message)
            })
            .collect();
        if config.only.is_everything() {
            diagnostics.extend(unclaimed.into_iter().map(|folder| {
                let message = format!(
                    "`feedgen.claims` names the feed `{folder}`, which does not exist; the claim is not published"
                );
                Diagnostic::new(&root, None, Severity::Warning, message)
            }));
        }
        let retire = if config.only.is_everything() {
            Retire::AllOthers
        } else {
            let dirs = missing
                .iter()
                .map(|(kind, key)| format!("{}/{key}/", kind_dir(&config.layout, *kind)))
                .collect();
            Retire::Under(dirs)
        };
        let site = Fingerprint::new()
            .add(env!("CARGO_PKG_VERSION").as_bytes())
            // Display names and pages are not here: each feed's fingerprint
            // takes the ones it shows, so renaming one outlet's page
            // re-renders only the feeds that name it.
            .add(format!("{:?}{:?}", site_settings(&config.site), config.layout).as_bytes())
            // Item rules (window, caps, content mode) and poll hints.
            .add(format!("{:?}{:?}", config.feeds, config.poll).as_bytes())
            .finish();
        let pages: Vec<FeedPage> = feeds.iter().map(|spec| names.page(spec.kind, &spec.key)).collect();
        // Each item is hashed once, however many feeds carry it, and each
        // feed's inputs once, for all its formats.
        let carried = carried(&feeds, posts.len());
        let items: Vec<u64> = (posts, hashes, &carried)
            .into_par_iter()
            .map(|(post, &hash, &carried)| {
                if carried {
                    item_fingerprint(post, hash, &names)
                } else {
                    0
                }
            })
            .collect();
        let inputs: Vec<u64> = feeds
            .par_iter()
            .map(|spec| feed_fingerprint(site, spec, &items, &names))
            .collect();
        let mut artifacts: Vec<Artifact> = feeds
            .iter()
            .zip(&inputs)
            .enumerate()
            .flat_map(|(i, (spec, &fp))| config.formats.iter().map(move |&format| (i, spec, fp, format)))
            .map(|(feed, spec, fp, format)| Artifact {
                path: feed_path(&config.layout, spec, format),
                kind: ArtifactKind::Feed { feed, format },
                fingerprint: Fingerprint::new()
                    .add_u64(fp)
                    .add(format!("{format:?}").as_bytes())
                    .add_u64(writer_revision(format))
                    .finish(),
            })
            .collect();
        let listed = listing_fingerprint(site, &config.formats, &listing);
        let kinds = [ArtifactKind::Opml, ArtifactKind::FeedsJson, ArtifactKind::Directory];
        for (path, kind) in DISCOVERY_FILES.into_iter().zip(kinds) {
            let fingerprint = Fingerprint::new().add_u64(listed).add(path.as_bytes()).finish();
            artifacts.push(Artifact {
                path: path.to_string(),
                kind,
                fingerprint,
            });
        }
        Plan {
            feeds,
            pages,
            names,
            listing,
            artifacts,
            retire,
            left_alone: BTreeSet::new(),
            diagnostics,
        }
    }

    /// Drop the discovery files that `is_foreign` says exist in the output
    /// folder without feedgen having written them (a site's own
    /// `index.html`): they are never overwritten. Returns a warning for each.
    pub fn leave_foreign_files(&mut self, shown_dir: &str, is_foreign: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        let left_alone = &mut self.left_alone;
        self.artifacts.retain(|a| {
            let foreign = matches!(
                a.kind,
                ArtifactKind::Opml | ArtifactKind::FeedsJson | ArtifactKind::Directory
            ) && is_foreign(&a.path);
            if foreign {
                let message =
                    "exists and feedgen did not write it; left as it is, and this discovery file is not written";
                let path = format!("{}/{}", shown_dir.trim_end_matches('/'), a.path);
                diagnostics.push(Diagnostic::new(&path, None, Severity::Warning, message));
                left_alone.insert(a.path.clone());
            }
            !foreign
        });
        diagnostics
    }

    /// The posts (indices into the published posts) an artifact shows.
    pub fn items(&self, artifact: &Artifact) -> &[usize] {
        match artifact.kind {
            ArtifactKind::Feed { feed, .. } => &self.feeds[feed].items,
            ArtifactKind::Opml | ArtifactKind::FeedsJson | ArtifactKind::Directory => &[],
        }
    }

    /// Every path this run produces.
    pub fn paths(&self) -> BTreeSet<String> {
        self.artifacts.iter().map(|a| a.path.clone()).collect()
    }

    /// The files in an earlier run's manifest that this run removes;
    /// `paths` is [`Plan::paths`] (built once by the caller: a set of
    /// 8,000 strings for 2,000 outlets).
    pub fn retired(&self, manifest: &BTreeSet<String>, paths: &BTreeSet<String>) -> Vec<String> {
        match &self.retire {
            Retire::AllOthers => manifest
                .difference(paths)
                .filter(|f| !self.left_alone.contains(*f))
                .cloned()
                .collect(),
            Retire::Under(dirs) => manifest
                .iter()
                .filter(|f| dirs.iter().any(|d| f.starts_with(d)))
                .cloned()
                .collect(),
        }
    }

    /// The artifacts whose inputs changed since `previous` fingerprints
    /// were recorded, or whose file is missing.
    pub fn outdated(&self, previous: &BTreeMap<String, u64>, exists: impl Fn(&str) -> bool + Sync) -> Vec<&Artifact> {
        // A `stat` per feed (8,000 of them for 2,000 outlets): on every core.
        self.artifacts
            .par_iter()
            // Asked first, even for a feed rendered anyway: whether the
            // files are the state's tells whether the folder is as it was.
            .filter(|a| !exists(&a.path) || previous.get(&a.path) != Some(&a.fingerprint))
            .collect()
    }
}

/// Which of `posts` posts some feed carries as an item.
fn carried(feeds: &[FeedSpec], posts: usize) -> Vec<bool> {
    let mut carried = vec![false; posts];
    for &i in feeds.iter().flat_map(|spec| &spec.items) {
        carried[i] = true;
    }
    carried
}

/// Every feed of the collection, for the discovery files.
fn listing(feeds: &Feeds, names: &DisplayNames, posts: &[&PostMeta]) -> Vec<Listed> {
    std::iter::once(&feeds.site)
        .chain(&feeds.categories)
        .chain(&feeds.tags)
        .map(|spec| Listed {
            spec: FeedSpec {
                items: Vec::new(),
                ..spec.clone()
            },
            page: names.page(spec.kind, &spec.key),
            newest: spec.newest(posts),
        })
        .collect()
}

/// The folder a feed lives in (`category/emnews`; empty for the site feed).
pub fn feed_folder(layout: &Layout, spec: &FeedSpec) -> String {
    match spec.kind {
        FeedKind::Site => String::new(),
        FeedKind::Category | FeedKind::Tag => format!("{}/{}", kind_dir(layout, spec.kind), spec.key),
    }
}

/// Claimed feed folders that no feed has.
fn unclaimed(config: &Config, listing: &[Listed]) -> Vec<String> {
    let folders: BTreeSet<String> = listing.iter().map(|l| feed_folder(&config.layout, &l.spec)).collect();
    config
        .site
        .claims
        .keys()
        .filter(|k| !folders.contains(*k))
        .map(|k| if k.is_empty() { "/".to_string() } else { k.clone() })
        .collect()
}

/// Fingerprint of what the discovery files show: every feed's names, page,
/// post count and newest date, and the formats.
fn listing_fingerprint(site: u64, formats: &[Format], listing: &[Listed]) -> u64 {
    let mut fp = Fingerprint::new();
    fp.add_u64(site).add(format!("{formats:?}").as_bytes());
    for l in listing {
        fp.add(
            format!(
                "{:?}{}{}{:?}{:?}",
                l.spec.kind, l.spec.key, l.spec.name, l.page, l.newest
            )
            .as_bytes(),
        )
        .add_u64(l.spec.total as u64);
    }
    fp.finish()
}

/// Keep only the feeds `--category`/`--tag` asked for (all when none),
/// and the requested names no published post has.
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

fn kind_dir(layout: &Layout, kind: FeedKind) -> &str {
    match kind {
        FeedKind::Category => &layout.category_dir,
        FeedKind::Tag | FeedKind::Site => &layout.tag_dir,
    }
}

/// Whether feedgen could have written `rel` (relative to the output folder)
/// under `layout`: a site feed, or `<category_dir|tag_dir>/<name>/<file>`
/// with a registered file name. Nothing else is ever removed.
pub fn could_produce(layout: &Layout, rel: &str) -> bool {
    let Some((dir, file)) = rel.rsplit_once('/') else {
        return ARTIFACT_FILES.contains(&rel) || DISCOVERY_FILES.contains(&rel);
    };
    ARTIFACT_FILES.contains(&file)
        && [&layout.category_dir, &layout.tag_dir].iter().any(|d| {
            dir.strip_prefix(d.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| !name.is_empty() && !name.contains(['/', '\\', '\0']) && !name.starts_with('.'))
        })
}

/// A feed's file path relative to the output folder.
pub fn feed_path(layout: &Layout, spec: &FeedSpec, format: Format) -> String {
    match spec.kind {
        FeedKind::Site => format.file_name().to_string(),
        FeedKind::Category | FeedKind::Tag => {
            format!("{}/{}/{}", kind_dir(layout, spec.kind), spec.key, format.file_name())
        }
    }
}

/// The site settings every file depends on, without the display names
/// (`config.site.names`), which feeds fingerprint one by one.
fn site_settings(site: &crate::config::Site) -> crate::config::Site {
    crate::config::Site {
        names: DisplayNames::default(),
        ..site.clone()
    }
}

/// Everything a feed's files depend on but their format: the site
/// settings, the feed, its items' fingerprints (`items`, by post), and its
/// own title and page.
fn feed_fingerprint(site: u64, spec: &FeedSpec, items: &[u64], names: &DisplayNames) -> u64 {
    let mut fp = Fingerprint::new();
    fp.add_u64(site)
        .add(format!("{:?}", spec.kind).as_bytes())
        .add(spec.key.as_bytes())
        .add(spec.name.as_bytes())
        .add(format!("{:?}", names.page(spec.kind, &spec.key)).as_bytes());
    for &i in &spec.items {
        fp.add_u64(items[i]);
    }
    fp.finish()
}

/// Everything an item depends on besides the site settings: its post's
/// path and content hash, and the display name of every category and tag
/// it carries (Atom labels, the outlet named in `<source>` and `rel="via"`).
fn item_fingerprint(post: &PostMeta, hash: u64, names: &DisplayNames) -> u64 {
    let mut fp = Fingerprint::new();
    fp.add(post.path.as_bytes()).add_u64(hash);
    let terms =
        (post.categories.iter().map(|c| (FeedKind::Category, c))).chain(post.tags.iter().map(|t| (FeedKind::Tag, t)));
    for (kind, term) in terms {
        // As the item carries it (`render::entry`): trimmed, XML-clean.
        let term = term.trim();
        let display = match crate::xml_chars::first_invalid_xml_char(term) {
            None => names.display(kind, term),
            Some(_) => names.display(kind, &crate::xml_chars::strip_invalid_xml(term)),
        };
        fp.add(display.unwrap_or_default().as_bytes());
    }
    fp.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producible_paths() {
        let layout = Layout {
            category_dir: "category".into(),
            tag_dir: "feeds/tag".into(),
        };
        for f in [Format::Rss, Format::Atom] {
            assert!(ARTIFACT_FILES.contains(&f.file_name()), "{f:?} is registered");
        }
        for good in ["rss.xml", "atom.xml", "category/新闻/rss.xml", "feeds/tag/a b/atom.xml"] {
            assert!(could_produce(&layout, good), "{good}");
        }
        for bad in [
            "user.txt",
            "category/news/user.txt",
            "category/rss.xml",
            "category/a/b/rss.xml",
            "category/../rss.xml",
            "category/.git/rss.xml",
            "lnk/secret.txt",
            "tag/x/rss.xml",
            "feeds/tag/rss.xml",
            "/etc/rss.xml",
        ] {
            assert!(!could_produce(&layout, bad), "{bad}");
        }
    }
}
