//! Reading the content folder: finding post files (the only place that
//! touches it), and reading each into per-post metadata with diagnostics.

pub mod date;
pub mod front_matter;
pub mod git;
mod limits;
pub mod pages;
pub mod post;
pub mod post_front_matter;
pub mod problem;
mod visibility;
mod walk;

use walk::{ctime_ns, mtime_ns, stamp_key, stamp_of};
pub use walk::{find_posts, folder_stamp, Found, PostFile, PostFiles, Stamp};

use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{AtFlags, Mode, OFlags};

use rayon::prelude::*;

use crate::archive::Archive;
use crate::diagnostics::Diagnostic;
use crate::jekyll::JekyllRules;
use git::GitView;
use post::{Outcome, Post, PostMeta, ReadRules};
use problem::Problem;

/// Names the rules files are read by: part of the rebuild index's
/// fingerprint, so records read under older rules are never reused.
pub const READ_RULES: &str = "Jekyll 4.3.1 posts, dates and front matter; records with jekyll_time";

/// The outcome of reading one file, with its diagnostics.
#[derive(Debug)]
pub struct Scanned {
    pub outcome: Outcome,
    pub diagnostics: Notes,
}

/// A file's diagnostics. Most files have none: then a null pointer, 8
/// bytes (a `Vec` takes 24 and a boxed slice 16, in each of a million
/// records).
#[derive(Debug, Default)]
#[allow(
    clippy::box_collection,
    reason = "a thin pointer: 8 bytes in each of a million records"
)]
pub struct Notes(Option<Box<Vec<Diagnostic>>>);

impl Notes {
    pub fn new(diagnostics: Vec<Diagnostic>) -> Notes {
        Notes((!diagnostics.is_empty()).then(|| Box::new(diagnostics)))
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0.map(|v| *v).unwrap_or_default()
    }
}

impl std::ops::Deref for Notes {
    type Target = [Diagnostic];

    fn deref(&self) -> &[Diagnostic] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

/// The empty path, of a [`Record::placeholder`].
static NOWHERE: std::sync::LazyLock<std::sync::Arc<str>> = std::sync::LazyLock::new(|| "".into());

/// One file as last read: enough to know, from a `stat`, whether reading
/// it again can give anything new.
#[derive(Debug)]
pub struct Record {
    /// The path of a file that is not a post (see [`Record::rel`]); `None`
    /// for a post, whose path is its [`PostMeta::path`]: one copy of it,
    /// not two, and a thin pointer, 8 bytes in each of a million records.
    #[allow(
        clippy::redundant_allocation,
        reason = "a thin pointer: 8 bytes in each of a million records, most of them posts"
    )]
    other: Option<Box<std::sync::Arc<str>>>,
    /// The key of its stamp ([`stamp_key`]): size, mtime, and the ctime
    /// and inode, which `touch -r`, `cp -p` and `tar x` cannot set when
    /// they put an old mtime back on new bytes.
    pub stamp: u64,
    /// xxh3 of the file's bytes (0 when they were not read).
    pub hash: u64,
    pub scanned: Scanned,
    /// Taken unchanged from the previous run's index (size and mtime matched).
    pub reused: bool,
    /// Git's blob id of the bytes read (`None`: not in a git work tree,
    /// or not known); see [`git`].
    pub blob: Option<git::BlobId>,
    /// Its bytes were read in this run (not taken from the index).
    pub opened: bool,
}

impl Record {
    /// A file read afresh, with its stamp, content hash and what it gave.
    pub fn new(rel: std::sync::Arc<str>, stamp: Stamp, hash: u64, scanned: Scanned) -> Record {
        Record::keyed(rel, stamp_key(stamp), hash, scanned)
    }

    /// A file as the index remembers it: its stamp as a key already.
    pub fn keyed(rel: std::sync::Arc<str>, stamp: u64, hash: u64, scanned: Scanned) -> Record {
        let other = match &scanned.outcome {
            Outcome::Post(meta) => {
                debug_assert_eq!(meta.path, rel);
                None
            }
            _ if rel.is_empty() => None,
            _ => Some(Box::new(rel)),
        };
        Record {
            other,
            stamp,
            hash,
            scanned,
            reused: false,
            blob: None,
            opened: false,
        }
    }

    /// A record of no file, holding the place of one [`scan_all`] is
    /// about to read: its path is empty, and it allocates nothing.
    fn placeholder() -> Record {
        let scanned = Scanned {
            outcome: Outcome::NotAPost,
            diagnostics: Notes::default(),
        };
        Record::new(NOWHERE.clone(), (0, 0, 0, 0), 0, scanned)
    }

    /// Its path, relative to the content root, `/`-separated: a post's
    /// is its [`PostMeta::path`].
    pub fn rel(&self) -> &std::sync::Arc<str> {
        match (&self.scanned.outcome, &self.other) {
            (Outcome::Post(meta), _) => &meta.path,
            (_, Some(rel)) => rel,
            (_, None) => &NOWHERE,
        }
    }
}

/// How one file's path is shown in diagnostics.
pub fn shown_path(root: &Path, rel: &str) -> String {
    root.join(rel).display().to_string()
}

/// A post file to look up: its name in the folder `dir` was opened on
/// (one path component to look up, not the whole path), or its path.
struct Where<'a> {
    dir: Option<&'a OwnedFd>,
    root: &'a Path,
    file: PostFile<'a>,
}

impl Where<'_> {
    fn open(&self) -> std::io::Result<std::fs::File> {
        match self.dir {
            Some(dir) => {
                let flags = OFlags::RDONLY | OFlags::CLOEXEC;
                Ok(rustix::fs::openat(dir, self.file.name(), flags, Mode::empty())?.into())
            }
            None => std::fs::File::open(self.root.join(self.file.rel)),
        }
    }
}

/// The stamp of a post file.
fn stamp(at: &Where) -> std::io::Result<Stamp> {
    match at.dir {
        Some(dir) => {
            let st = rustix::fs::statat(dir, at.file.name(), AtFlags::empty())?;
            let ns = |secs: i64, nsec: u64| secs.saturating_mul(1_000_000_000).saturating_add(nsec as i64);
            Ok((
                st.st_size as u64,
                ns(st.st_mtime as i64, st.st_mtime_nsec as u64),
                ns(st.st_ctime as i64, st.st_ctime_nsec as u64),
                st.st_ino as u64,
            ))
        }
        None => {
            let meta = std::fs::metadata(at.root.join(at.file.rel))?;
            Ok((meta.len(), mtime_ns(&meta), ctime_ns(&meta), meta.ino()))
        }
    }
}

/// A file whose previous record is `slot`: unchanged (by its stamp, or by
/// git's index), it updates the record where it lies; else it is read
/// again ([`scan_file`]) and replaces it.
fn rescan_in_place(
    root: &Path,
    (file, dir): (PostFile, Option<&OwnedFd>),
    (rules, git): (ReadRules, &GitView),
    max_size: u64,
    slot: &mut Record,
) {
    match stamp(&Where { dir, root, file }) {
        Ok(stamp) if slot.stamp == stamp_key(stamp) => slot.reused = true,
        // A fresh clone: a new stamp on the bytes last read. Not `reused`:
        // the index keeps the new stamp.
        Ok(stamp) if slot.blob.is_some_and(|blob| git.vouches(file.rel, stamp, &blob)) => {
            slot.stamp = stamp_key(stamp);
        }
        stamped => {
            let previous = std::mem::replace(slot, Record::placeholder());
            *slot = scan_file(root, (file, dir), (rules, git), max_size, Some((stamped, previous)));
        }
    }
}

/// Read and check one post file: a new one, or one whose stamp (as
/// [`rescan_in_place`] found it: `previous`, with its earlier record) no
/// longer vouches for its record. The earlier record is kept, with the new
/// stamp, when the bytes are the ones it was read from. `dir` is the
/// file's folder, opened.
fn scan_file(
    root: &Path,
    (file, dir): (PostFile, Option<&OwnedFd>),
    (rules, git): (ReadRules, &GitView),
    max_size: u64,
    previous: Option<(std::io::Result<Stamp>, Record)>,
) -> Record {
    let at = Where { dir, root, file };
    let reject = |stamp, problem: Problem, line| {
        let diagnostic = problem.at(&shown_path(root, file.rel), line);
        let scanned = Scanned {
            outcome: Outcome::Rejected,
            diagnostics: Notes::new(vec![diagnostic]),
        };
        Record::new(file.rel.into(), stamp, 0, scanned)
    };
    // A new file is opened first and stamped from the open file: one
    // lookup of its name instead of two (a million in a first build).
    let (stamped, previous) = match previous {
        None => (at.open().and_then(|f| Ok((stamp_of(&f.metadata()?), Some(f)))), None),
        Some((stamped, previous)) => (stamped.map(|stamp| (stamp, None)), Some(previous)),
    };
    let (stamp, opened) = match stamped {
        Ok(stamped) => stamped,
        Err(err) => return reject((0, 0, 0, 0), Problem::CannotRead { error: err.to_string() }, None),
    };
    let size = stamp.0;
    if size > max_size {
        return reject(stamp, Problem::FileTooBig { size, max: max_size }, None);
    }
    BUFFER.with_borrow_mut(|bytes| {
        let open = match opened {
            Some(f) => Ok(f),
            None => at.open(),
        };
        if let Err(err) = open.and_then(|f| read_into(f, size, max_size, bytes)) {
            return reject(stamp, Problem::CannotRead { error: err.to_string() }, None);
        }
        let mut record = scan_bytes(bytes, (root, file), rules, stamp, previous);
        record.blob = git.blobs.then(|| git::blob_id(bytes));
        record.opened = true;
        if bytes.capacity() > MAX_BUFFER {
            *bytes = Vec::new();
        }
        record
    })
}

thread_local! {
    /// Each reading thread's buffer for a post's bytes, from post to post:
    /// a new one per post was an allocation of kilobytes and its free.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A buffer that grew past this (a huge post) is not kept.
const MAX_BUFFER: usize = 1 << 20;

/// What a post file's `bytes` give: `previous` when they are its bytes.
fn scan_bytes(
    bytes: &[u8],
    (root, file): (&Path, PostFile),
    rules: ReadRules,
    stamp: Stamp,
    previous: Option<Record>,
) -> Record {
    let reject = |problem: Problem, line| {
        let diagnostic = problem.at(&shown_path(root, file.rel), line);
        let scanned = Scanned {
            outcome: Outcome::Rejected,
            diagnostics: Notes::new(vec![diagnostic]),
        };
        Record::new(file.rel.into(), stamp, 0, scanned)
    };
    let hash = content_hash(bytes);
    if let Some(prev) = previous.filter(|p| p.hash == hash && hash != 0) {
        return Record {
            stamp: stamp_key(stamp),
            ..prev
        };
    }
    let text = match utf8(bytes) {
        Some(text) => text,
        None => {
            let offset = std::str::from_utf8(bytes).err().map_or(0, |e| e.valid_up_to());
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            return Record {
                hash,
                ..reject(Problem::NotUtf8 { offset }, Some(line))
            };
        }
    };
    let mut diagnostics = Vec::new();
    let rules = ReadRules {
        in_posts_dir: file.in_posts_dir || file.archived(),
        archived: file.archived(),
        ..rules
    };
    let reading = file.reading_rel();
    let shown = || shown_path(root, file.rel);
    let mut outcome = post::scan(text, &reading, &shown, rules, &mut diagnostics);
    let rel: std::sync::Arc<str> = match &mut outcome {
        // An archived post is read at its `_posts/` path, and found at its own.
        Outcome::Post(meta) if file.archived() => {
            meta.path = file.rel.into();
            meta.path.clone()
        }
        Outcome::Post(meta) => meta.path.clone(),
        _ => file.rel.into(),
    };
    let diagnostics = Notes::new(diagnostics);
    Record::new(rel, stamp, hash, Scanned { outcome, diagnostics })
}

/// Read every file in parallel, reusing `previous` records (sorted by
/// path) where the file is unchanged (by its stamp, or by `git`'s index);
/// results keep the order of `files`.
///
/// Also returns how many leading records are the leading records of
/// `previous`, unchanged and in the same places (the index can leave
/// their chunks as they are).
pub fn scan_all(
    root: &Path,
    files: PostFiles,
    (rules, git): (ReadRules, &GitView),
    max_size: u64,
    previous: Vec<Record>,
) -> (Vec<Record>, usize) {
    // Big folders are opened once, and their files looked up in them: a
    // `stat` of the whole path walks every component again, per post. At
    // most `MAX_OPEN` stay open, so reading posts never runs out of
    // descriptors; files elsewhere are looked up by path.
    const MIN_FILES: usize = 32;
    const MAX_OPEN: usize = 64;
    let mut folders: Vec<Option<OwnedFd>> = Vec::new();
    // A byte per file (`NONE`: looked up by path): 16 MB less than an
    // `Option<usize>` each at a million files.
    const NONE: u8 = u8::MAX;
    const _: () = assert!(MAX_OPEN < NONE as usize);
    let mut folder_of = vec![NONE; files.len()];
    let mut start = 0;
    while start < files.len() && folders.len() < MAX_OPEN {
        let dir = files.get(start).folder();
        let run = (start..files.len())
            .take_while(|&i| files.get(i).folder() == dir)
            .count();
        if run >= MIN_FILES {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            folders.push(rustix::fs::open(root.join(dir), flags, Mode::empty()).ok());
            folder_of[start..start + run].fill((folders.len() - 1) as u8);
        }
        start += run;
    }
    // Both lists are sorted by path. The records are merged into the
    // files' order in `previous`'s own vector: the records of files gone
    // are dropped, the others moved up to their files' places, and new
    // files read into the places left. A rerun moves no record it keeps in
    // place and writes no second vector of a million records.
    let mut records = previous;
    let mut places = Vec::with_capacity(records.len());
    let mut gone = Vec::with_capacity(records.len());
    // Where the first record of `previous` was dropped (its file is gone).
    let mut dropped = files.len();
    let mut next = 0;
    for record in &records {
        while next < files.len() && *files.get(next).rel < **record.rel() {
            next += 1;
        }
        let found = next < files.len() && *files.get(next).rel == **record.rel();
        gone.push(!found);
        match found {
            true => places.push(next),
            false => dropped = dropped.min(next),
        }
        next += usize::from(found);
    }
    let dir = |i: usize| folders.get(usize::from(folder_of[i])).and_then(Option::as_ref);
    if places.is_empty() {
        // A first build: every file is new.
        records.clear();
        records.reserve_exact(files.len());
        let read = |i| scan_file(root, (files.get(i), dir(i)), (rules, git), max_size, None);
        records.par_extend((0..files.len()).into_par_iter().map(read));
    } else {
        let mut gone = gone.into_iter();
        records.retain(|_| !gone.next().unwrap_or(true));
        let mut new = vec![true; files.len()];
        // Exactly: growing doubles a million records' vector.
        records.reserve_exact(files.len().saturating_sub(records.len()));
        records.resize_with(files.len(), Record::placeholder);
        // From the last: each record's place holds a placeholder by then.
        for (i, &place) in places.iter().enumerate().rev() {
            if i != place {
                records.swap(i, place);
            }
            new[place] = false;
        }
        records
            .par_iter_mut()
            .zip(new)
            .enumerate()
            .for_each(|(i, (slot, new))| {
                let file = (files.get(i), dir(i));
                match new {
                    true => *slot = scan_file(root, file, (rules, git), max_size, None),
                    false => rescan_in_place(root, file, (rules, git), max_size, slot),
                }
            });
    }
    let same = records.iter().take_while(|r| r.reused).count();
    (records, same.min(dropped))
}

/// Read a published post again for rendering: `None` unless its bytes
/// are still the ones read (and hashed, as `hash`) when it was scanned, so
/// a post is never rendered from other text than its metadata came from.
/// An archived post is read at its `_posts/` path, as it was scanned.
pub fn load_post(
    root: &Path,
    (meta, hash): (&PostMeta, u64),
    max_size: u64,
    jekyll: JekyllRules,
    archive: &Archive,
) -> Option<Post> {
    let file = std::fs::File::open(root.join(&*meta.path)).ok()?;
    let bytes = read_bytes(file, 0, max_size).ok()?;
    if content_hash(&bytes) != hash {
        return None;
    }
    let reading = archive.reading_path(&meta.path);
    post::load(utf8(&bytes)?, reading.as_deref().unwrap_or(&meta.path), jekyll)
}

/// Hash of a file's bytes (xxh3: fast, and stable across runs and machines).
pub fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Validate UTF-8 with SIMD: the standard library's validator is a
/// measurable share of a full build's CPU time on Chinese text
/// (bench/README.md).
fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Read a whole file; `size` (from a `stat`, or 0) sizes the buffer so the
/// file is read in one call without regrowing.
fn read_bytes(file: std::fs::File, size: u64, max_size: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_into(file, size, max_size, &mut bytes)?;
    Ok(bytes)
}

/// [`read_bytes`] into `bytes` (emptied first).
fn read_into(file: std::fs::File, size: u64, max_size: u64, bytes: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read;
    let size = if size == 0 { file.metadata()?.len() } else { size };
    bytes.clear();
    bytes.reserve(usize::try_from(size.min(max_size)).unwrap_or(0) + 1);
    // Never more than one byte past the limit, even if the file grows meanwhile.
    file.take(max_size + 1).read_to_end(bytes)?;
    if bytes.len() as u64 > max_size {
        return Err(std::io::Error::other(format!(
            "file grew past the {max_size}-byte limit while being read"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record is kept for every post file, a million of them at the
    /// archive sizes `bench/` runs: its size is most of the memory a full
    /// build holds (see bench/README.md), so growing it is a choice.
    #[test]
    fn a_record_stays_within_136_bytes() {
        assert!(size_of::<Record>() <= 136, "{}", size_of::<Record>());
    }

    /// A listing is taken only with paths a walk could give: a forged
    /// index or listing never names a file outside the listed folders.
    #[test]
    fn known_files_are_only_paths_a_walk_gives() {
        let folders = || vec![(String::new(), (0, 0, 0, 0)), ("_posts".to_string(), (0, 0, 0, 0))];
        let page = || vec!["about.md".to_string()];
        let found =
            Found::known(["_posts/a.md"].into_iter(), page(), folders(), &Archive::default()).expect("a walk's paths");
        assert_eq!(found.files.get(0).rel, "_posts/a.md");
        assert_eq!(found.started_ns, None);
        for rel in [
            "/etc/_posts/a.md",
            "_posts/../../a.md",
            "_posts//a.md",
            "x/_posts/a.md",
            "_posts/./a.md",
            "a.md",
        ] {
            assert!(
                Found::known([rel].into_iter(), page(), folders(), &Archive::default()).is_none(),
                "{rel}"
            );
        }
        for rel in ["../about.md", "_posts/about.md", "x/about.md"] {
            assert!(
                Found::known(
                    std::iter::empty(),
                    vec![rel.to_string()],
                    folders(),
                    &Archive::default()
                )
                .is_none(),
                "{rel}"
            );
        }
    }

    /// Files sort as their paths do: past the 32 bytes after the shared
    /// prefix, a path before the longer ones it starts, in any folder.
    #[test]
    fn post_files_sort_as_their_paths() {
        let long = "x".repeat(40);
        let mut rels = vec![
            format!("_posts/2021-12-08-{long}b.md"),
            format!("_posts/2021-12-08-{long}a.md"),
            "_posts/2021-12-08-a.md".to_string(),
            "_posts/2021-12-08-a.md.md".to_string(),
            "a/_posts/2021-12-08-a.md".to_string(),
            "_posts/2021-12-07-z.md".to_string(),
            "_posts/sub/2021-12-09-q.md".to_string(),
            "_posts/2021-12-08-é.md".to_string(),
        ];
        let mut files = PostFiles::default();
        rels.iter().for_each(|r| files.push(r, &Archive::default()));
        files.sort();
        rels.sort();
        let sorted: Vec<&str> = (0..files.len()).map(|i| files.get(i).rel).collect();
        assert_eq!(sorted, rels);
        assert_eq!(files.get(6).name(), "2021-12-09-q.md");
        assert_eq!(files.get(6).folder(), "_posts/sub");
        let one = {
            let mut f = PostFiles::default();
            f.push("_posts/x.md", &Archive::default());
            f.sort();
            f
        };
        assert_eq!(one.get(0).rel, "_posts/x.md");
        PostFiles::default().sort();
    }

    /// Files in a big folder (looked up in it) and in small ones (by
    /// path), merged with the records of an earlier scan in their vector:
    /// unchanged files reuse theirs, changed, new and vanished ones do not,
    /// whatever mix of them one scan meets.
    #[test]
    fn scans_merge_files_with_earlier_records_in_place() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path();
        let write = |rel: &str, title: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(
                path,
                format!("---\ntitle: {title}\ndate: 2024-05-01 10:00:00 +0800\n---\nBody\n"),
            )
            .expect("write");
        };
        for i in 0..40 {
            write(&format!("_posts/2024-05-01-p{i:02}.md"), &format!("P{i}"));
        }
        for i in 0..3 {
            write(&format!("a{i}/_posts/2024-05-01-q.md"), &format!("Q{i}"));
        }
        let rules = ReadRules {
            zone: date::SiteZone::parse("Asia/Shanghai").expect("zone"),
            in_posts_dir: true,
            archived: false,
            jekyll: JekyllRules::default(),
        };
        let scan = |previous| {
            scan_all(
                root,
                find_posts(root, false, &Archive::default(), &root.join("out")).files,
                (rules, &GitView::new(root, false)),
                1 << 20,
                previous,
            )
        };
        let (first, kept) = scan(Vec::new());
        assert_eq!((first.len(), kept), (43, 0));
        assert!(first.iter().all(|r| !r.reused && r.hash != 0));
        std::fs::remove_file(root.join("_posts/2024-05-01-p05.md")).expect("rm");
        write("_posts/2024-05-01-p07.md", "Changed, and longer");
        write("_posts/2024-05-01-p99.md", "New");
        write("a1/_posts/2024-05-01-q.md", "Q1 changed");
        let (second, kept) = scan(first);
        // p00 to p04 are where they were; p05 is gone.
        assert_eq!(kept, 5);
        let rels: Vec<&str> = second.iter().map(|r| &**r.rel()).collect();
        let mut sorted = rels.clone();
        sorted.sort_unstable();
        assert_eq!(rels, sorted, "in path order");
        assert_eq!(second.len(), 43);
        let fresh: Vec<&str> = second.iter().filter(|r| !r.reused).map(|r| &**r.rel()).collect();
        assert_eq!(
            fresh,
            [
                "_posts/2024-05-01-p07.md",
                "_posts/2024-05-01-p99.md",
                "a1/_posts/2024-05-01-q.md"
            ]
        );
        assert!(!rels.contains(&"_posts/2024-05-01-p05.md"));
        // A file after all the others: every old record keeps its place.
        write("b/_posts/2024-05-01-z.md", "Z");
        let (third, kept) = scan(second);
        assert_eq!((third.len(), kept), (44, 43));
        // The last file gone: so are none of the places before it.
        std::fs::remove_file(root.join("b/_posts/2024-05-01-z.md")).expect("rm");
        let (fourth, kept) = scan(third);
        assert_eq!((fourth.len(), kept), (43, 43));
        // The first file touched: nothing keeps its place.
        write("_posts/2024-05-01-p00.md", "P0 again");
        assert_eq!(scan(fourth).1, 0);
    }
}
