//! What git knows of the content folder, when it lies in a git work tree:
//! each tracked file's blob id and the stat data git recorded for it (at
//! checkout, `git add` or a refresh). A fresh clone gives every file a new
//! mtime, ctime and inode, so the state's stamps recognise none; git's
//! index, written by the same checkout, still vouches for each unchanged
//! file, and the state keeps the blob id of the bytes it last read: where
//! the two agree, the file holds those bytes and is not read again.
//!
//! Git's index is read with the `git` program (`git ls-files --stage
//! --debug -z`), never written. Git's own rules decide what is vouched
//! for: only a stage-0 regular file that is neither intent-to-add,
//! skip-worktree nor assume-unchanged, whose recorded size, mtime, ctime
//! and inode are the file's now, and whose mtime is older than the index
//! file's (an entry as new as its index is "racily clean": the file may
//! have changed within the same timestamp, and git does not trust it
//! either). Anything else is read as without git. An index git cannot
//! read, a SHA-256 repository or output that does not parse vouches for
//! nothing, with a note.

use std::path::Path;
use std::process::{Command, Stdio};

use sha1::{Digest, Sha1};

use super::walk::{mtime_ns, Stamp};

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
    let start = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    start.ancestors().any(|dir| dir.join(".git").exists())
}

/// A second and nanoseconds, as git's index keeps a time (32-bit seconds).
type Time = (u32, u32);

/// What git's index says of one file.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    blob: BlobId,
    size: u32,
    mtime: Time,
    ctime: Time,
    ino: u32,
}

/// The entries of git's index that git vouches for, by path below the
/// content folder (sorted).
#[derive(Debug, Default)]
pub struct GitIndex {
    entries: Vec<(Box<str>, Entry)>,
}

/// Why git's index could not be used.
pub type Unusable = String;

impl GitIndex {
    /// Git's index of the work tree `root` lies in: `Ok(None)` when it lies
    /// in none (or there is no `git` program), `Err` when git's index
    /// cannot be read or trusted.
    pub fn read(root: &Path) -> Result<Option<GitIndex>, Unusable> {
        let Some(head) = git(
            root,
            &[
                "rev-parse",
                "--is-inside-work-tree",
                "--show-object-format",
                "--git-path",
                "index",
            ],
        )
        .ok()
        .filter(|out| out.status.success()) else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&head.stdout);
        let mut lines = text.lines();
        if lines.next() != Some("true") {
            return Ok(None);
        }
        match lines.next() {
            Some("sha1") => {}
            Some(other) => return Err(format!("the repository's object format is {other}, not sha1")),
            None => return Err("`git rev-parse` said nothing of the object format".to_string()),
        }
        let index_path = root.join(lines.next().unwrap_or("index"));
        let index_mtime = match checked_index(&index_path) {
            Ok(mtime) => mtime,
            // No index yet (a repository with nothing staged): nothing vouched.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(GitIndex::default())),
            Err(e) => return Err(format!("{}: {e}", index_path.display())),
        };
        let listed = git(root, &["ls-files", "--stage", "--debug", "-z"])
            .map_err(|e| format!("cannot run `git ls-files`: {e}"))?;
        if !listed.status.success() {
            let said = String::from_utf8_lossy(&listed.stderr);
            let said = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
            return Err(format!("`git ls-files` failed: {}", said.trim()));
        }
        parse(&listed.stdout, index_mtime).map(Some)
    }

    /// The blob id of the file `rel` when git vouches that the file, with
    /// `stamp` now, holds it.
    pub fn vouches(&self, rel: &str, stamp: Stamp) -> Option<BlobId> {
        let at = self.entries.binary_search_by(|(path, _)| (**path).cmp(rel)).ok()?;
        let entry = &self.entries[at].1;
        let (size, mtime_ns, ctime_ns, ino) = stamp;
        let same = u64::from(entry.size) == size
            && entry.mtime == time(mtime_ns)
            && entry.ctime == time(ctime_ns)
            && u64::from(entry.ino) == ino & u64::from(u32::MAX);
        same.then_some(entry.blob)
    }

    /// How many files it vouches for (given their stamps match).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Git's view of the content folder for one scan: the index is read at
/// most once, when a file first needs it (a rerun in the same folder, where
/// every stamp is the state's, never runs git).
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

/// The mtime of git's index file at `path`, once its checksum (the SHA-1
/// of the rest, at its end) is found right: git itself checks it only in
/// `git fsck`, and reads a damaged index as it comes. Stamped before git
/// reads it: an index written meanwhile is newer, and an older time only
/// makes more entries racily clean. An index written with
/// `index.skipHash` (a checksum of zeros) is taken as it is.
fn checked_index(path: &Path) -> std::io::Result<Time> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mtime = time(mtime_ns(&file.metadata()?));
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let damaged = || std::io::Error::other("git's index is damaged: its checksum is not its bytes'");
    let (body, sum) = bytes.split_last_chunk::<20>().ok_or_else(damaged)?;
    if *sum != [0; 20] && Sha1::digest(body)[..] != sum[..] {
        return Err(damaged());
    }
    Ok(mtime)
}

/// `git -C root <args>`, its output captured; never a prompt, never a lock.
fn git(root: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .output()
}

/// Nanoseconds since the epoch as git's index keeps them.
fn time(ns: i64) -> Time {
    (ns.div_euclid(1_000_000_000) as u32, ns.rem_euclid(1_000_000_000) as u32)
}

/// In-memory flags `ls-files --debug` prints that make an entry unknown:
/// assume-unchanged (`CE_VALID`), intent-to-add, skip-worktree.
const UNTRUSTED_FLAGS: u32 = 0x8000 | (1 << 29) | (1 << 30);

/// The entries of `ls-files --stage --debug -z` output that git vouches
/// for, given the index file's mtime.
fn parse(out: &[u8], index_mtime: Time) -> Result<GitIndex, Unusable> {
    let mut entries = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        let (entry, after) = parse_entry(rest).ok_or_else(|| {
            let at = out.len() - rest.len();
            format!("`git ls-files --debug` output does not parse at byte {at}")
        })?;
        rest = after;
        if let Some((path, entry, flags)) = entry {
            let racy = entry.mtime >= index_mtime;
            // A size of 0 is also how git marks a racily clean entry it
            // found changed when writing the index.
            if !racy && entry.size != 0 && flags & UNTRUSTED_FLAGS == 0 {
                entries.push((path, entry));
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // A path twice (stages of a conflict were left out already): unknown.
    let mut twice = std::collections::HashSet::new();
    for pair in entries.windows(2) {
        if pair[0].0 == pair[1].0 {
            twice.insert(pair[0].0.clone());
        }
    }
    entries.retain(|(path, _)| !twice.contains(path));
    Ok(GitIndex { entries })
}

/// One entry and what follows it; the entry is `None` when it is not a
/// stage-0 regular file with a UTF-8 path.
#[allow(clippy::type_complexity)]
fn parse_entry(bytes: &[u8]) -> Option<(Option<(Box<str>, Entry, u32)>, &[u8])> {
    let nul = memchr::memchr(0, bytes)?;
    let head = std::str::from_utf8(&bytes[..nul]).ok();
    let (meta, path) = match head {
        Some(head) => head.split_once('\t')?,
        // A path that is not UTF-8: skipped, as the walk skips it.
        None => ("", ""),
    };
    let mut rest = &bytes[nul + 1..];
    let mut line = |key: &str| -> Option<&str> {
        let end = memchr::memchr(b'\n', rest)?;
        let text = std::str::from_utf8(&rest[..end]).ok()?;
        rest = &rest[end + 1..];
        text.trim_start().strip_prefix(key)?.strip_prefix(':').map(str::trim)
    };
    let ctime = parse_time(line("ctime")?)?;
    let mtime = parse_time(line("mtime")?)?;
    let ino = line("dev")?.split_once("ino:")?.1.trim().parse::<u32>().ok()?;
    line("uid")?;
    let (size, flags) = line("size")?.split_once("flags:")?;
    let size = size.trim().parse::<u32>().ok()?;
    let flags = u32::from_str_radix(flags.trim(), 16).ok()?;
    if meta.is_empty() {
        return Some((None, rest));
    }
    let mut fields = meta.split(' ');
    let (mode, hex, stage) = (fields.next()?, fields.next()?, fields.next()?);
    let blob = parse_hex(hex)?;
    let regular = mode == "100644" || mode == "100755";
    let entry = Entry {
        blob,
        size,
        mtime,
        ctime,
        ino,
    };
    let known = (regular && stage == "0").then(|| (Box::from(path), entry, flags));
    Some((known, rest))
}

/// `seconds:nanoseconds`.
fn parse_time(text: &str) -> Option<Time> {
    let (s, ns) = text.split_once(':')?;
    Some((s.parse().ok()?, ns.parse().ok()?))
}

/// A SHA-1 in 40 hex digits.
fn parse_hex(hex: &str) -> Option<BlobId> {
    if hex.len() != 40 {
        return None;
    }
    let mut id = [0; 20];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id `git hash-object` gives.
    #[test]
    fn blob_ids_are_gits() {
        let hex: String = blob_id(b"hi\n").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "45b983be36b73c0788dc9cbcb76cbb80fc7bb057");
    }

    fn listed(path: &str, stage: u8, mtime: Time, size: u32, flags: u32) -> String {
        format!(
            "100644 45b983be36b73c0788dc9cbcb76cbb80fc7bb057 {stage}\t{path}\0  ctime: 5:6\n  mtime: {}:{}\n  dev: 1\tino: 7\n  uid: 0\tgid: 0\n  size: {size}\tflags: {flags:x}\n",
            mtime.0, mtime.1
        )
    }

    /// Racily clean, smudged, conflicted, intent-to-add and skip-worktree
    /// entries vouch for nothing; a clean one for its stamp only.
    #[test]
    fn only_entries_git_trusts_vouch() {
        let index = (100, 0);
        let out = [
            listed("a.md", 0, (99, 5), 3, 0),
            listed("b.md", 0, (100, 0), 3, 0),
            listed("c.md", 0, (99, 5), 0, 0),
            listed("d.md", 1, (99, 5), 3, 0),
            listed("d.md", 2, (99, 5), 3, 0),
            listed("e.md", 0, (99, 5), 3, 0x2000_4000),
            listed("f.md", 0, (99, 5), 3, 0x4000_4000),
        ]
        .concat();
        let git = parse(out.as_bytes(), index).expect("parses");
        assert_eq!(git.len(), 1);
        let stamp = (3, 99_000_000_005, 5_000_000_006, 7);
        assert!(git.vouches("a.md", stamp).is_some());
        assert!(git.vouches("a.md", (3, 99_000_000_005, 5_000_000_007, 7)).is_none());
        assert!(git.vouches("a.md", (3, 99_000_000_005, 5_000_000_006, 8)).is_none());
        assert!(git.vouches("b.md", (3, 100_000_000_000, 5_000_000_006, 7)).is_none());
        assert!(parse(b"100644 xyz 0\ta.md\0  ctime: 1:2\n", index).is_err());
        let sha256 = listed("a.md", 0, (99, 5), 3, 0).replace("45b9", "45b945b945b945b945b945b945b945b945b945b9");
        assert!(parse(sha256.as_bytes(), index).is_err());
    }
}
