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

use sha1::{Digest, Sha1};

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
/// folder.
pub struct GitIndex {
    /// `None`: no index yet (a repository with nothing staged).
    file: Option<gix_index::File>,
    /// The content folder below the work tree's root, `/`-ended (empty: the root).
    prefix: String,
    /// The index file's mtime.
    mtime: Time,
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
                file: None,
                prefix,
                mtime: (0, 0),
            }));
        }
        let options = gix_index::decode::Options::default();
        // The checksum is checked: git itself checks it only in `git fsck`.
        let file = gix_index::File::at(&path, gix_index::hash::Kind::Sha1, false, options)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let stamp = file.timestamp();
        let mtime = (stamp.unix_seconds() as u32, stamp.nanoseconds());
        Ok(Some(GitIndex {
            file: Some(file),
            prefix,
            mtime,
        }))
    }

    /// The blob id of the file `rel` when git vouches that the file, with
    /// `stamp` now, holds it.
    pub fn vouches(&self, rel: &str, stamp: Stamp) -> Option<BlobId> {
        use gix_index::entry::{Flags, Mode};
        let file = self.file.as_ref()?;
        let entry = file.entry(self.find(file, rel)?);
        let st = &entry.stat;
        let regular = entry.mode == Mode::FILE || entry.mode == Mode::FILE_EXECUTABLE;
        let untrusted = Flags::ASSUME_VALID | Flags::INTENT_TO_ADD | Flags::SKIP_WORKTREE;
        let mtime = (st.mtime.secs, st.mtime.nsecs);
        // A size of 0 is also how git marks a racily clean entry it found
        // changed when it wrote the index.
        let trusted = regular && !entry.flags.intersects(untrusted) && st.size != 0 && mtime < self.mtime;
        let (size, mtime_ns, ctime_ns, ino) = stamp;
        let same = u64::from(st.size) == size
            && mtime == time(mtime_ns)
            && (st.ctime.secs, st.ctime.nsecs) == time(ctime_ns)
            && u64::from(st.ino) == ino & u64::from(u32::MAX);
        (trusted && same).then(|| entry.id.as_slice().try_into().ok()).flatten()
    }

    /// Where `rel`'s stage-0 entry is in `file`. Files are looked up in
    /// path order, a run of them per thread, as git's index lists them:
    /// the entry after the one each thread found last is tried first, so a
    /// fresh clone of a million posts costs a comparison per file, not a
    /// binary search through a million paths.
    fn find(&self, file: &gix_index::File, rel: &str) -> Option<usize> {
        use gix_index::entry::Stage;
        thread_local! {
            static NEXT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        }
        let is = |i: usize| {
            file.entries().get(i).is_some_and(|e| {
                let path: &[u8] = e.path(file);
                path.strip_prefix(self.prefix.as_bytes()) == Some(rel.as_bytes()) && e.stage() == Stage::Unconflicted
            })
        };
        let next = NEXT.get();
        let i = match is(next) {
            true => next,
            false => {
                let path = format!("{}{rel}", self.prefix);
                file.entry_index_by_path_and_stage(path.as_bytes().into(), Stage::Unconflicted)?
            }
        };
        NEXT.set(i + 1);
        Some(i)
    }
}

/// Git's view of the content folder for one scan: the index is read at
/// most once, when a file first needs it (a rerun in the same folder, where
/// every stamp is the state's, never reads it).
pub struct GitView<'a> {
    root: &'a Path,
    /// The folder is in a git work tree: the files read get blob ids.
    pub blobs: bool,
    index: std::sync::OnceLock<Result<Option<GitIndex>, Unusable>>,
}

impl GitView<'_> {
    /// The view of `root` (`used`: false, none at all).
    pub fn new(root: &Path, used: bool) -> GitView<'_> {
        GitView {
            root,
            blobs: used && in_work_tree(root),
            index: std::sync::OnceLock::new(),
        }
    }

    /// [`GitIndex::vouches`], the index read on first use.
    pub fn vouches(&self, rel: &str, stamp: Stamp) -> Option<BlobId> {
        if !self.blobs {
            return None;
        }
        let index = self.index.get_or_init(|| GitIndex::read(self.root));
        index.as_ref().ok()?.as_ref()?.vouches(rel, stamp)
    }

    /// Why git's index, once read, could not be used.
    pub fn unusable(self) -> Option<Unusable> {
        self.index.into_inner()?.err()
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

    /// An index of `paths` (sorted as git sorts them), the content folder
    /// at `prefix`.
    fn index_of(paths: &[&str], prefix: &str) -> GitIndex {
        use gix_index::entry::{Flags, Mode, Stat};
        let mut state = gix_index::State::new(gix_index::hash::Kind::Sha1);
        for path in paths {
            let id = gix_index::hash::ObjectId::null(gix_index::hash::Kind::Sha1);
            state.dangerously_push_entry(Stat::default(), id, Flags::empty(), Mode::FILE, path.as_bytes().into());
        }
        state.sort_entries();
        GitIndex {
            file: Some(gix_index::File::from_state(state, "index")),
            prefix: prefix.to_string(),
            mtime: (0, 0),
        }
    }

    /// The entry after the last one found is tried first, and taken only
    /// when it is the file's: not another folder's file of the same name.
    #[test]
    fn a_file_is_found_at_its_own_path_after_the_hint() {
        let index = index_of(
            &[
                "a/_posts/x.md",
                "content/_posts/x.md",
                "content/_posts/y.md",
                "z/_posts/y.md",
            ],
            "content/",
        );
        let file = index.file.as_ref().expect("file");
        // A new thread: its hint is the first entry, `a/_posts/x.md`.
        let found = std::thread::scope(|s| {
            s.spawn(|| ["_posts/x.md", "_posts/y.md", "_posts/z.md"].map(|rel| index.find(file, rel)))
                .join()
                .expect("thread")
        });
        assert_eq!(found, [Some(1), Some(2), None]);
        let at_root = index_of(&["_posts/x.md", "_posts/y.md", "content/_posts/x.md"], "");
        let file = at_root.file.as_ref().expect("file");
        let found = std::thread::scope(|s| {
            s.spawn(|| ["_posts/y.md", "_posts/x.md", "_posts/y.md"].map(|rel| at_root.find(file, rel)))
                .join()
                .expect("thread")
        });
        assert_eq!(found, [Some(1), Some(0), Some(1)]);
    }

    /// The id `git hash-object` gives.
    #[test]
    fn blob_ids_are_gits() {
        let hex: String = blob_id(b"hi\n").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "45b983be36b73c0788dc9cbcb76cbb80fc7bb057");
    }
}
