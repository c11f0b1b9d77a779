//! What git knows of the content folder, when it lies in a git work tree:
//! each tracked file's blob id and the stat data git recorded for it (at
//! checkout, `git add` or a refresh). A fresh clone gives every file a new
//! mtime, ctime and inode, so the state's stamps recognise none; git's
//! index, written by the same checkout, still vouches for each unchanged
//! file, and the state keeps the blob id of the bytes it last read: where
//! the two agree, the file holds those bytes and is not read again.
//!
//! Git's index is read with the `gix-index` crate, never written, and
//! never with the `git` program. Git's own rules decide what is vouched
//! for: only a stage-0 regular file that is neither intent-to-add,
//! skip-worktree nor assume-unchanged, whose recorded size, mtime, ctime
//! and inode are the file's now (to the nanosecond), and whose mtime is
//! older than the index file's (an entry as new as its index is "racily
//! clean": the file may have changed within the same timestamp, and git
//! does not trust it either). Anything else is read as without git. An
//! index that does not parse or whose checksum is wrong, a SHA-256
//! repository, or a split index whose shared part is gone vouches for
//! nothing, with a note. `GIT_DIR` and `GIT_INDEX_FILE` are not read:
//! the repository is the one whose `.git` is found above the folder.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha1::{Digest, Sha1};
use xxhash_rust::xxh3::xxh3_64;

use super::walk::Stamp;

/// A git object id (SHA-1).
pub type BlobId = [u8; 20];

/// Git's blob id of a file holding `bytes`: the SHA-1 of `blob <len>\0`
/// and the bytes.
pub fn blob_id(bytes: &[u8]) -> BlobId {
    let mut sha = Sha1::new();
    sha.update(format!("blob {}\0", bytes.len()).as_bytes());
    sha.update(bytes);
    sha.finalize().into()
}

/// Whether `root` looks like it lies in a git work tree (a `.git` in it or
/// a folder above): then the blob ids of the files read are worth their
/// hashing. Asks no program: the index is read only when a file needs it.
pub fn in_work_tree(root: &Path) -> bool {
    discover(root).is_some()
}

/// A second and nanoseconds, as git's index keeps a time (32-bit seconds).
type Time = (u32, u32);

/// The repository the content folder lies in.
struct Repo {
    /// The work tree's root.
    work_tree: PathBuf,
    /// Its git folder (`.git`, or a linked work tree's own).
    git_dir: PathBuf,
    /// The folder of the repository's config (`commondir` of a linked work tree).
    common_dir: PathBuf,
}

/// The repository of the nearest `.git` (a folder, or a file naming one)
/// at `root` or above; `None` when there is none.
fn discover(root: &Path) -> Option<Repo> {
    let start = root.canonicalize().ok()?;
    start.ancestors().find_map(|dir| {
        let dot_git = dir.join(".git");
        let meta = std::fs::symlink_metadata(&dot_git).ok()?;
        let git_dir = if meta.is_file() {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            dir.join(text.strip_prefix("gitdir:")?.trim())
        } else {
            dot_git
        };
        let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
            Ok(text) => git_dir.join(text.trim()),
            Err(_) => git_dir.clone(),
        };
        git_dir.join("HEAD").exists().then(|| Repo {
            work_tree: dir.to_path_buf(),
            git_dir,
            common_dir,
        })
    })
}

/// The entries of git's index that may vouch for files below the content
/// folder, kept in 12 bytes each: gix's whole index, every file of the
/// repository with its path, is dropped once read (at a million posts it
/// took 135 MB, and 240 MB while it was decoded).
pub struct GitIndex {
    /// The key ([`entry_key`]) of each stage-0 entry below the content
    /// folder that git itself would trust (see the module), in git's
    /// order: by path.
    keys: Vec<u64>,
    /// Positions in `keys`, sorted by key: how a file is found when it is
    /// not the entry after the last one found.
    by_key: Vec<u32>,
}

/// Stat data as git's index keeps it: the size, then 32 bits of the
/// mtime, the ctime and the inode (the size in full, so a file over 4 GiB
/// never matches git's 32 bits of it).
type Stat = (u64, Time, Time, u32);

/// An entry's key: the xxh3 hash of its path below the content folder,
/// the stat data git recorded, and its blob id. A file is vouched for
/// when the key of its path, its stat data now and the blob id the state
/// kept for it is an entry's: a changed file passes only if its key
/// collides with the one entry it is compared with, a 2^-64 chance (the
/// odds the state already takes on the content hash of a file's bytes).
fn entry_key(rel: &[u8], (size, mtime, ctime, ino): Stat, blob: &BlobId, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    buf.extend_from_slice(rel);
    buf.extend_from_slice(&size.to_le_bytes());
    for n in [mtime.0, mtime.1, ctime.0, ctime.1, ino] {
        buf.extend_from_slice(&n.to_le_bytes());
    }
    buf.extend_from_slice(blob);
    xxh3_64(buf)
}

/// Why git's index could not be used.
pub type Unusable = String;

impl GitIndex {
    /// Git's index of the work tree `root` lies in: `Ok(None)` when it lies
    /// in none, `Err` when git's index cannot be read or trusted.
    pub fn read(root: &Path) -> Result<Option<GitIndex>, Unusable> {
        let Some(repo) = discover(root) else {
            return Ok(None);
        };
        let canonical = root.canonicalize().map_err(|e| e.to_string())?;
        let below = canonical.strip_prefix(&repo.work_tree).map_err(|e| e.to_string())?;
        let Some(below) = below.to_str() else {
            return Err("the content folder's path is not UTF-8".to_string());
        };
        let prefix = match below {
            "" => String::new(),
            below => format!("{below}/"),
        };
        if let Some(format) = object_format(&repo.common_dir) {
            return Err(format!("the repository's object format is {format}, not sha1"));
        }
        let path = repo.git_dir.join("index");
        if !path.exists() {
            return Ok(Some(GitIndex {
                keys: Vec::new(),
                by_key: Vec::new(),
            }));
        }
        let options = gix_index::decode::Options::default();
        // The checksum is checked: git itself checks it only in `git fsck`.
        let file = gix_index::File::at(&path, gix_index::hash::Kind::Sha1, false, options)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Some(GitIndex::of(&file, &prefix)))
    }

    /// The entries of `file` below `prefix` (`/`-ended; empty: the root)
    /// that may vouch for a file.
    fn of(file: &gix_index::File, prefix: &str) -> GitIndex {
        use gix_index::entry::{Flags, Mode, Stage};
        let stamp = file.timestamp();
        let index_mtime = (stamp.unix_seconds() as u32, stamp.nanoseconds());
        let untrusted = Flags::ASSUME_VALID | Flags::INTENT_TO_ADD | Flags::SKIP_WORKTREE;
        let mut buf = Vec::new();
        let keys: Vec<u64> = file
            .entries()
            .iter()
            .filter_map(|entry| {
                let rel = entry.path(file).strip_prefix(prefix.as_bytes())?;
                let st = &entry.stat;
                let regular = entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE;
                let mtime = (st.mtime.secs, st.mtime.nsecs);
                // A size of 0 is also how git marks a racily clean entry it
                // found changed when it wrote the index; an entry as new as
                // its index is racily clean.
                let trusted = regular
                    && entry.stage() == Stage::Unconflicted
                    && !entry.flags.intersects(untrusted)
                    && st.size != 0
                    && mtime < index_mtime;
                if !trusted {
                    return None;
                }
                let blob: BlobId = entry.id.as_slice().try_into().ok()?;
                let stat = (u64::from(st.size), mtime, (st.ctime.secs, st.ctime.nsecs), st.ino);
                Some(entry_key(rel, stat, &blob, &mut buf))
            })
            .collect();
        let mut by_key: Vec<u32> = (0..keys.len()).map(|i| i as u32).collect();
        by_key.par_sort_unstable_by_key(|&i| keys[i as usize]);
        GitIndex { keys, by_key }
    }

    /// Whether git vouches that the file `rel`, with `stamp` now, holds
    /// the blob `blob`. Files are looked up in path order, a run of them
    /// per thread, as git's index lists them: the entry after the one each
    /// thread found last is tried first, so a fresh clone of a million
    /// posts costs a comparison per file, not a search through a million
    /// entries.
    pub fn vouches(&self, rel: &str, stamp: Stamp, blob: &BlobId) -> bool {
        thread_local! {
            static NEXT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
            static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let (size, mtime_ns, ctime_ns, ino) = stamp;
        let stat = (size, time(mtime_ns), time(ctime_ns), ino as u32);
        let key = BUF.with_borrow_mut(|buf| entry_key(rel.as_bytes(), stat, blob, buf));
        let next = NEXT.get();
        let found = match self.keys.get(next) {
            Some(&k) if k == key => Some(next),
            _ => {
                let at = self.by_key.partition_point(|&i| self.keys[i as usize] < key);
                let i = self.by_key.get(at).map(|&i| i as usize);
                i.filter(|&i| self.keys[i] == key)
            }
        };
        if let Some(i) = found {
            NEXT.set(i + 1);
        }
        found.is_some()
    }
}

/// Git's view of the content folder for one scan: the index is read at
/// most once, when a file first needs it (a rerun in the same folder, where
/// every stamp is the state's, never reads it), or before the scan when
/// the caller knows it will be needed ([`GitView::read_now`]).
pub struct GitView<'a> {
    root: &'a Path,
    /// The folder is in a git work tree: the files read get blob ids.
    pub blobs: bool,
    index: std::sync::OnceLock<Result<Option<GitIndex>, Unusable>>,
    /// A file asked: an index that could not be used cost a read.
    asked: std::sync::atomic::AtomicBool,
}

impl GitView<'_> {
    /// The view of `root` (`used`: false, none at all).
    pub fn new(root: &Path, used: bool) -> GitView<'_> {
        GitView {
            root,
            blobs: used && in_work_tree(root),
            index: std::sync::OnceLock::new(),
            asked: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Read git's index now: in a fresh checkout every file will ask for
    /// it, and read before the state's records and the walk's paths are
    /// in memory, its decoding does not add to theirs.
    pub fn read_now(&self) {
        if self.blobs {
            self.index.get_or_init(|| GitIndex::read(self.root));
        }
    }

    /// [`GitIndex::vouches`], the index read on first use.
    pub fn vouches(&self, rel: &str, stamp: Stamp, blob: &BlobId) -> bool {
        if !self.blobs {
            return false;
        }
        self.asked.store(true, std::sync::atomic::Ordering::Relaxed);
        let index = self.index.get_or_init(|| GitIndex::read(self.root));
        matches!(index, Ok(Some(index)) if index.vouches(rel, stamp, blob))
    }

    /// Why git's index, once a file asked it, could not be used.
    pub fn unusable(self) -> Option<Unusable> {
        let asked = self.asked.into_inner();
        self.index.into_inner()?.err().filter(|_| asked)
    }
}

/// The object format a repository's config names, other than SHA-1
/// (`extensions.objectFormat`).
fn object_format(common_dir: &Path) -> Option<String> {
    let config = std::fs::read_to_string(common_dir.join("config")).ok()?;
    config.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        let value = value.trim().to_ascii_lowercase();
        (key.trim().eq_ignore_ascii_case("objectformat") && value != "sha1").then_some(value)
    })
}

/// Nanoseconds since the epoch as git's index keeps them.
fn time(ns: i64) -> Time {
    (ns.div_euclid(1_000_000_000) as u32, ns.rem_euclid(1_000_000_000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of an index of `paths` (sorted as git sorts them), the
    /// content folder at `prefix`: each entry's size is 1, its mtime 1 s,
    /// its inode its place, and its blob id its place in every byte;
    /// the entry of path `conflicted` is at stage 2, as in a merge.
    fn index_of(paths: &[&str], prefix: &str, conflicted: &str) -> GitIndex {
        use gix_index::entry::{stat::Time, Flags, Mode, Stat};
        let mut state = gix_index::State::new(gix_index::hash::Kind::Sha1);
        for (i, path) in paths.iter().enumerate() {
            let id = gix_index::hash::ObjectId::from_bytes_or_panic(&[i as u8; 20]);
            let stat = Stat {
                size: 1,
                mtime: Time { secs: 1, nsecs: 0 },
                ino: i as u32,
                ..Stat::default()
            };
            let flags = match *path == conflicted {
                true => Flags::from_stage(gix_index::entry::Stage::Ours),
                false => Flags::empty(),
            };
            state.dangerously_push_entry(stat, id, flags, Mode::FILE, path.as_bytes().into());
        }
        state.sort_entries();
        GitIndex::of(&gix_index::File::from_state(state, "index"), prefix)
    }

    /// The stamp of entry `i` of [`index_of`].
    fn stamp(i: u64) -> Stamp {
        (1, 1_000_000_000, 0, i)
    }

    /// Each file is found at its own path below the content folder, after
    /// the hint or not, and vouched for only with its own stat data; a
    /// file outside the folder, or with a conflict, is not.
    #[test]
    fn a_file_is_vouched_for_at_its_own_path_only() {
        let index = index_of(
            &[
                "a/_posts/x.md",
                "content/_posts/x.md",
                "content/_posts/y.md",
                "content/_posts/z.md",
                "z/_posts/y.md",
            ],
            "content/",
            "content/_posts/z.md",
        );
        // A new thread: its hint is the first entry.
        let found = std::thread::scope(|s| {
            s.spawn(|| {
                [
                    index.vouches("_posts/y.md", stamp(2), &[2; 20]),
                    index.vouches("_posts/x.md", stamp(1), &[1; 20]),
                    index.vouches("_posts/y.md", stamp(2), &[2; 20]),
                    index.vouches("_posts/z.md", stamp(3), &[3; 20]),
                ]
            })
            .join()
            .expect("thread")
        });
        assert_eq!(found, [true, true, true, false], "z is in conflict");
        let not = [
            ("_posts/x.md", stamp(0), [1; 20], "another inode"),
            ("_posts/x.md", (2, 1_000_000_000, 0, 1), [1; 20], "another size"),
            ("_posts/x.md", (1, 1_000_000_001, 0, 1), [1; 20], "another mtime"),
            ("_posts/x.md", (1, 1_000_000_000, 1, 1), [1; 20], "another ctime"),
            ("_posts/x.md", (1 << 32 | 1, 1_000_000_000, 0, 1), [1; 20], "4 GiB more"),
            ("_posts/x.md", stamp(1), [2; 20], "other bytes"),
            ("_posts/w.md", stamp(1), [1; 20], "not in git"),
            ("x.md", stamp(1), [1; 20], "another folder"),
        ];
        for (rel, stamp, blob, why) in not {
            assert!(!index.vouches(rel, stamp, &blob), "{why}");
        }
        let at_root = index_of(&["_posts/x.md", "_posts/y.md", "content/_posts/x.md"], "", "");
        assert!(at_root.vouches("content/_posts/x.md", stamp(2), &[2; 20]));
        assert!(at_root.vouches("_posts/x.md", stamp(0), &[0; 20]));
    }

    /// The id `git hash-object` gives.
    #[test]
    fn blob_ids_are_gits() {
        let hex: String = blob_id(b"hi\n").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "45b983be36b73c0788dc9cbcb76cbb80fc7bb057");
    }
}
