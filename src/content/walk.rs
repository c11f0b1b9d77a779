//! Walking the content folder: the mechanics (the output folder, symlinks,
//! folder stamps, paths below the root). Which files and folders Jekyll
//! reads, and as what, is `visibility`'s.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use walkdir::{DirEntry, DirEntryExt, WalkDir};

use super::problem::Problem;
use super::visibility::{self, is_post_name, is_post_path, FileKind, Place};
use crate::archive::Archive;
use crate::diagnostics::Diagnostic;
use rayon::prelude::*;

/// Walk `root` in sorted order. Skips `_`-folders other than `_posts` (and
/// `_drafts` when `drafts`), `.`-folders, and the output folder if it lies
/// inside. Symlinked folders are not entered (no loops, no escapes);
/// symlinked files are read only when they point inside `root`. Files in
/// the `archive` folders are listed with the posts.
pub fn find_posts(root: &Path, drafts: bool, archive: &Archive, output_dir: &Path) -> Found {
    let mut found = Found {
        started_ns: Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(i64::MIN, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MIN)),
        ),
        ..Found::default()
    };
    let walk = Walk::new(root, archive, output_dir);
    // No sorted walk: comparing paths per directory entry is slow on huge
    // folders; the list is sorted once at the end instead.
    let walker = WalkDir::new(root)
        .into_iter()
        .filter_entry(|entry| walk.enters(entry, drafts));
    for entry in walker {
        match entry {
            Ok(entry) => walk.visit(&entry, &mut found),
            Err(err) => {
                let path = err.path().map_or_else(|| root.to_path_buf(), Path::to_path_buf);
                // Posts in a folder that cannot be read (no permission, a
                // path over the system's 4,096-byte limit) would be lost
                // without a trace: an error, so the exit status says so.
                let error = err.io_error().map_or_else(|| err.to_string(), ToString::to_string);
                let shown = path.display().to_string();
                found.diagnostics.push(Problem::CannotList { error }.at(&shown, None));
            }
        }
    }
    found.files.sort();
    found.pages.sort();
    found.folders.sort();
    found
}

/// What one walk of a content folder keeps from entry to entry.
struct Walk<'a> {
    root: &'a Path,
    archive: &'a Archive,
    canonical_root: PathBuf,
    /// The output folder's device and inode.
    output_id: Option<(u64, u64)>,
}

impl Walk<'_> {
    fn new<'a>(root: &'a Path, archive: &'a Archive, output_dir: &Path) -> Walk<'a> {
        Walk {
            root,
            archive,
            canonical_root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            // The output folder is known by its device and inode, not its
            // canonical path: canonicalising every folder made a walk 1,500
            // folders deep quadratic (bench/README.md).
            output_id: std::fs::metadata(output_dir).ok().map(|m| (m.dev(), m.ino())),
        }
    }

    /// Whether the walk goes into `entry` (files are judged in [`Walk::visit`]).
    fn enters(&self, entry: &DirEntry, drafts: bool) -> bool {
        if entry.depth() == 0 || !entry.file_type().is_dir() {
            return true;
        }
        visibility::enters_folder(&entry.file_name().to_string_lossy(), drafts) && !self.is_output(entry)
    }

    fn is_output(&self, entry: &DirEntry) -> bool {
        self.output_id
            .is_some_and(|(dev, ino)| entry.ino() == ino && entry.metadata().is_ok_and(|m| m.dev() == dev))
    }

    /// The path below the root, by bytes: `Path::strip_prefix` parses
    /// every component again, per post.
    fn rel<'p>(&self, path: &'p Path) -> Option<&'p [u8]> {
        let rel = path.as_os_str().as_bytes().get(self.root.as_os_str().len()..)?;
        Some(rel.strip_prefix(b"/").unwrap_or(rel))
    }

    fn visit(&self, entry: &DirEntry, found: &mut Found) {
        if entry.path_is_symlink() {
            if !self.follows(entry, found) {
                return;
            }
        } else if entry.file_type().is_dir() {
            self.stamp_folder(entry, found);
            return;
        } else if !entry.file_type().is_file() {
            return;
        }
        if is_post_name(entry.file_name()) {
            self.add_file(entry, found);
        }
    }

    /// Whether a symlink is read: only one to a file inside the root.
    fn follows(&self, entry: &DirEntry, found: &mut Found) -> bool {
        let path = entry.path();
        let shown = || path.display().to_string();
        // What a symlinked post or page reaches can change with no folder
        // the walk lists changing: never vouched for.
        if is_post_name(entry.file_name()) {
            found.started_ns = Some(i64::MIN);
        }
        match path.canonicalize() {
            Ok(real) if real.starts_with(&self.canonical_root) && real.is_file() => true,
            Ok(real) if real.is_dir() => {
                found.diagnostics.push(Problem::SymlinkedFolder.at(&shown(), None));
                false
            }
            _ => {
                // Only a would-be post is worth a word; pages get none.
                let under_posts = path
                    .strip_prefix(self.root)
                    .unwrap_or(path)
                    .components()
                    .any(|c| c.as_os_str() == "_posts" || c.as_os_str() == "_drafts");
                if is_post_name(entry.file_name()) && under_posts {
                    found.diagnostics.push(Problem::SymlinkOutside.at(&shown(), None));
                }
                false
            }
        }
    }

    /// Stamped before its entries are read: walkdir (unsorted, not
    /// contents-first) opens a folder when it yields it and reads the
    /// entries only when asked for the next one, so a change while it is
    /// listed shows as a new stamp next time. Sorting or contents-first
    /// would break this.
    fn stamp_folder(&self, entry: &DirEntry, found: &mut Found) {
        let rel = self.rel(entry.path()).unwrap_or_default();
        match (entry.metadata(), std::str::from_utf8(rel)) {
            (Ok(meta), Ok(rel)) => found.folders.push((rel.to_string(), stamp_of(&meta))),
            // Never vouched for: the next run walks again.
            _ => found.started_ns = Some(i64::MIN),
        }
    }

    /// A file with a post's extension: a post or a page, as Jekyll reads it.
    fn add_file(&self, entry: &DirEntry, found: &mut Found) {
        let Some(rel) = self.rel(entry.path()) else {
            return;
        };
        let Ok(rel) = std::str::from_utf8(rel) else {
            let shown = entry.path().display().to_string();
            found.diagnostics.push(Problem::FileNameNotUtf8.at(&shown, None));
            return;
        };
        // `/`-separated on every system feedgen runs on.
        let name_at = rel.rfind('/').map_or(0, |slash| slash + 1);
        let place = found.files.place_of(rel, name_at, self.archive);
        match visibility::file_kind(&rel[name_at..], place) {
            FileKind::Skipped => {}
            FileKind::Page => found.pages.push(rel.to_string()),
            FileKind::Post => found.files.push_at(rel, name_at, place),
        }
    }
}

/// The post files a walk found, sorted by path, their paths one after
/// another in one string in that order: a million paths are one allocation
/// read front to back, not a million scattered ones, which is measurably
/// faster at a million files (pairing a walk's files with the index's
/// records missed the cache when each path was its own allocation, laid
/// out in directory order; bench/README.md).
#[derive(Debug, Default)]
pub struct PostFiles {
    text: String,
    files: Vec<Span>,
}

/// Where one file's path lies in [`PostFiles::text`]: 24 bytes, a
/// million of them twice over while the walk's files are sorted.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    len: u32,
    /// Where the file name starts, from `start`.
    name_at: u32,
    /// The bytes of its archive folder's path (0: in none).
    archive_len: u32,
    in_posts_dir: bool,
}

/// A length within a path: a path is far shorter than 4 GiB.
fn short(n: usize) -> u32 {
    u32::try_from(n).expect("a path is shorter than 4 GiB")
}

/// One post file, as reading sees it.
#[derive(Debug, Clone, Copy)]
pub struct PostFile<'a> {
    /// Relative to the content root, `/`-separated.
    pub rel: &'a str,
    /// Where the file name starts in `rel`.
    name_at: usize,
    pub in_posts_dir: bool,
    /// The bytes of its archive folder's path (0: in none).
    archive_len: usize,
}

impl<'a> PostFile<'a> {
    /// The path it is read at as a post: its own, or for a file in an
    /// archive folder, `_posts/<its path below that folder>` (see
    /// [`Archive::reading_path`]).
    pub(super) fn reading_rel(self) -> std::borrow::Cow<'a, str> {
        match self.archive_len {
            0 => self.rel.into(),
            n => format!("_posts/{}", &self.rel[n + 1..]).into(),
        }
    }

    /// Whether it lies in an archive folder (a page to Jekyll).
    pub(super) fn archived(self) -> bool {
        self.archive_len > 0
    }

    /// The folder it is in, relative to the content root.
    pub(super) fn folder(self) -> &'a str {
        &self.rel[..self.name_at.saturating_sub(1)]
    }

    /// Its name in that folder.
    pub(super) fn name(self) -> &'a str {
        &self.rel[self.name_at..]
    }
}

impl PostFiles {
    /// Files already in path order (an index's records).
    pub(super) fn sorted<'a>(rels: impl Iterator<Item = &'a str>, archive: &Archive) -> PostFiles {
        let mut files = PostFiles::default();
        rels.for_each(|rel| files.push(rel, archive));
        files
    }

    pub(super) fn push(&mut self, rel: &str, archive: &Archive) {
        let name_at = rel.rfind('/').map_or(0, |slash| slash + 1);
        let place = self.place_of(rel, name_at, archive);
        self.push_at(rel, name_at, place);
    }

    /// The [`Place`] of `rel`, whose name starts at `name_at`: the last
    /// file's when it is in the same folder (files come a folder at a
    /// time), else worked out.
    pub(super) fn place_of(&self, rel: &str, name_at: usize, archive: &Archive) -> Place {
        match self.files.last() {
            Some(last)
                if last.name_at as usize == name_at
                    && self.text.as_bytes()[last.start..][..name_at] == rel.as_bytes()[..name_at] =>
            {
                Place {
                    in_posts_dir: last.in_posts_dir,
                    archive_len: last.archive_len as usize,
                }
            }
            _ => Place::of(rel, archive),
        }
    }

    /// Add `rel`, whose name starts at `name_at`, at `place`.
    pub(super) fn push_at(&mut self, rel: &str, name_at: usize, place: Place) {
        let start = self.text.len();
        self.text.push_str(rel);
        self.files.push(Span {
            start,
            len: short(rel.len()),
            name_at: short(name_at),
            archive_len: short(place.archive_len),
            in_posts_dir: place.in_posts_dir,
        });
    }

    /// Sort by path, and lay the paths out in that order.
    pub(super) fn sort(&mut self) {
        let text = self.text.as_bytes();
        let path = |span: &Span| &text[span.start..][..span.len as usize];
        // Sorted by the 32 bytes after the prefix all paths share, kept
        // beside each file, and by the whole path only where those tie:
        // comparing paths in place missed the cache on every comparison
        // (measured at a million files in one folder: bench/README.md).
        let shared = self.files.first().map_or(0, |first| {
            let first = path(first);
            self.files.iter().fold(first.len(), |n, span| {
                n.min(first.iter().zip(path(span)).take_while(|(a, b)| a == b).count())
            })
        });
        let mut keyed: Vec<([u8; 32], u32)> = self
            .files
            .par_iter()
            .enumerate()
            .map(|(i, span)| {
                // Zero after the end: no path holds a NUL, so a path sorts
                // before the longer ones it starts.
                let rest = &path(span)[shared..];
                let mut key = [0; 32];
                let n = rest.len().min(32);
                key[..n].copy_from_slice(&rest[..n]);
                (key, short(i))
            })
            .collect();
        keyed.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| path(&self.files[a.1 as usize]).cmp(path(&self.files[b.1 as usize])))
        });
        // The keys go before the paths are laid out again, and the spans
        // are put in order where they lie: at a million files the keys
        // are 36 MB, a second vector of spans 24 MB.
        let mut order: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
        drop(keyed);
        permute(&mut self.files, &mut order);
        drop(order);
        let mut sorted = String::with_capacity(self.text.len());
        for span in &mut self.files {
            let start = sorted.len();
            sorted.push_str(&self.text[span.start..][..span.len as usize]);
            span.start = start;
        }
        self.text = sorted;
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub(super) fn get(&self, i: usize) -> PostFile<'_> {
        let span = self.files[i];
        PostFile {
            rel: &self.text[span.start..][..span.len as usize],
            name_at: span.name_at as usize,
            in_posts_dir: span.in_posts_dir,
            archive_len: span.archive_len as usize,
        }
    }
}

/// Put `items` in `order` where they lie: the item at `i` becomes the one
/// at `order[i]`. `order` (a permutation) is used up, its entries marked
/// as their places are filled.
fn permute<T: Copy>(items: &mut [T], order: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for start in 0..items.len() {
        if order[start] == DONE {
            continue;
        }
        // Follow the cycle through `start`: each place takes the item the
        // next one holds, and the last takes the first's.
        let first = items[start];
        let mut at = start;
        loop {
            let from = std::mem::replace(&mut order[at], DONE) as usize;
            if from == start {
                items[at] = first;
                break;
            }
            items[at] = items[from];
            at = from;
        }
    }
}

/// What walking the content folder gave.
#[derive(Debug, Default)]
pub struct Found {
    /// Sorted by relative path.
    pub files: PostFiles,
    /// Page files (`.md`, `.markdown`, `.html` outside `_posts/` and the
    /// archive folders), sorted: where the site's category and tag pages
    /// are (see [`pages`]).
    pub pages: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every folder the walk listed, with its stamp taken before listing
    /// it (sorted): while none changes, no file was added, removed or
    /// renamed, and the same list of files stands.
    pub folders: Vec<(String, Stamp)>,
    /// When the walk started (ns since the epoch, this machine's clock;
    /// `i64::MIN` for a walk never to vouch for); `None` for a listing taken
    /// from the last run ([`Found::known`]).
    pub started_ns: Option<i64>,
}

impl Found {
    /// What a walk finds while no folder of `folders` changed: the files
    /// of `rels` (an index of that walk's files, in path order), and `pages`. `None`
    /// unless every path is one a walk gives: relative, plain, in a listed
    /// folder, and under `_posts/` or `_drafts/` or in an `archive` folder
    /// for a post (a forged index or listing never makes feedgen open a
    /// file the walk would not).
    pub fn known<'a>(
        rels: impl Iterator<Item = &'a str> + Clone,
        pages: Vec<String>,
        folders: Vec<(String, Stamp)>,
        archive: &Archive,
    ) -> Option<Found> {
        let listed: std::collections::HashSet<&str> = folders
            .iter()
            .map(|(rel, _)| rel.as_str())
            .filter(|rel| rel.is_empty() || is_plain(rel))
            .collect();
        let posts_ok = all_walkable(rels.clone(), (true, archive), &listed);
        let pages_ok = all_walkable(pages.iter().map(String::as_str), (false, archive), &listed);
        (posts_ok && pages_ok).then(|| Found {
            files: PostFiles::sorted(rels, archive),
            pages,
            diagnostics: Vec::new(),
            folders,
            started_ns: None,
        })
    }
}

/// A relative path with no empty, `.` or `..` part.
fn is_plain(path: &str) -> bool {
    path.split('/').all(|part| !matches!(part, "" | "." | ".."))
}

/// Whether every path of `rels` is one a walk gives: a plain name in a
/// `listed` folder, under `_posts/` or `_drafts/` or in an archive folder
/// exactly when `posts`. Each run of files in one folder checks that
/// folder once.
fn all_walkable<'a>(
    rels: impl Iterator<Item = &'a str>,
    (posts, archive): (bool, &Archive),
    listed: &std::collections::HashSet<&str>,
) -> bool {
    let mut last_folder = None;
    rels.into_iter().all(|rel| {
        let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if last_folder != Some(folder) {
            if !listed.contains(folder) || is_post_path(rel, archive) != posts {
                return false;
            }
            last_folder = Some(folder);
        }
        // `name` has no `/` (split at the last one above).
        !matches!(name, "" | "." | "..")
    })
}

/// The stamp of the folder `rel` (not through a symlink), or `None`.
pub fn folder_stamp(root: &Path, rel: &str) -> Option<Stamp> {
    let meta = std::fs::symlink_metadata(root.join(rel)).ok()?;
    meta.is_dir().then(|| stamp_of(&meta))
}

pub(super) fn stamp_of(meta: &std::fs::Metadata) -> Stamp {
    (meta.len(), mtime_ns(meta), ctime_ns(meta), meta.ino())
}

/// A file's size, mtime, ctime and inode: what tells, without reading it,
/// whether it changed.
pub type Stamp = (u64, i64, i64, u64);

/// A stamp in 8 bytes (xxh3 of its four numbers), as a file's record
/// keeps it: a million records are 24 MB smaller than with the numbers
/// themselves. A changed file whose new stamp hashes as its old one would
/// go unread: a 2^-64 chance, the odds the state already takes on the
/// content hash of a file's bytes.
pub fn stamp_key((size, mtime_ns, ctime_ns, ino): Stamp) -> u64 {
    let mut bytes = [0; 32];
    for (at, n) in [size, mtime_ns as u64, ctime_ns as u64, ino].into_iter().enumerate() {
        bytes[8 * at..][..8].copy_from_slice(&n.to_le_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

pub(super) fn ctime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.ctime()
        .saturating_mul(1_000_000_000)
        .saturating_add(meta.ctime_nsec())
}

pub(super) fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Items put in order where they lie are the items taken in that
        /// order: every permutation, cycles of every length.
        #[test]
        fn permuting_in_place_takes_the_items_in_order(
            order in (0..200usize).prop_flat_map(|n| Just((0..n as u32).collect::<Vec<_>>()).prop_shuffle())
        ) {
            let items: Vec<u64> = (0..order.len() as u64).map(|i| i * 7 + 1).collect();
            let want: Vec<u64> = order.iter().map(|&i| items[i as usize]).collect();
            let (mut got, mut order) = (items, order);
            permute(&mut got, &mut order);
            prop_assert_eq!(got, want);
        }
    }

    /// A file's place, taken from the file before it in the same folder,
    /// is the one worked out from its own path.
    #[test]
    fn a_place_is_the_same_worked_out_or_taken_from_the_last_file() {
        let archive = Archive::new(&["old_post".to_string()]).expect("valid");
        let rels = [
            "_posts/a.md",
            "_posts/b.md",
            "old_post/a.md",
            "old_post/b.md",
            "old_posx/a.md",
            "old_post/_posts/a.md",
            "news/_posts/a.md",
            "news/_postz/a.md",
            "news/_postz/b.md",
            "a.md",
        ];
        let mut files = PostFiles::default();
        for rel in rels {
            let name_at = rel.rfind('/').map_or(0, |slash| slash + 1);
            let place = files.place_of(rel, name_at, &archive);
            assert_eq!(place, Place::of(rel, &archive), "{rel}");
            files.push_at(rel, name_at, place);
        }
    }
}
