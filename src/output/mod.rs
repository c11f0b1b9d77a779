//! The output folder, and the only code that writes to it: atomic
//! replacement of changed files, the removal of files that no longer
//! belong, the lock between runs, the plain-file primitives the state
//! folder's files are read and written with (what they hold is
//! [`crate::state`]'s). The commit step that puts a plan on disk through
//! it is `cmd::commit`.

use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

/// Files in the state folder.
const LOCK: &str = "lock";
/// In the state folder while old files [`Output::publish`] swapped out of
/// the output folder wait to be removed: a run that finds it (the one
/// before was killed first) removes them.
pub const SWAPPING: &str = "swapping";
const GITIGNORE: &str = ".gitignore";
/// The `.gitignore` feedgen writes in a state folder it creates: it also
/// tells that every file at a state file's name there is feedgen's (see
/// [`Output::is_foreign_state`]). Earlier versions wrote `*` alone.
const OWN_GITIGNORE: &str = "# feedgen's state folder: a cache, safe to delete\n*\n";
/// State files earlier versions kept in the output folder.
const LEGACY: &[&str] = &[".feedgen-index", ".feedgen-manifest", ".feedgen.lock"];
/// How far into a file feedgen looks for its generator mark.
const MARK_WINDOW: u64 = 1 << 20;
/// The first block [`Output::has_mark`] reads.
const MARK_BLOCK: u64 = 16 << 10;
/// Longer than every generator mark: a mark across two blocks is found.
const MARK_LEN: usize = 64;

/// What happened to one feed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    New,
    Changed,
    Unchanged,
}

/// What identifies the bytes of a file feedgen wrote: their length and
/// xxh3 hash. The state keeps one per file, and a file counts as the one
/// written only while it still matches (a checkout or a cache restore can
/// put other bytes there, often of the same length). `stamp` (0: none)
/// saves reading the file again: see [`Output::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub size: u64,
    pub hash: u64,
    pub stamp: u64,
}

impl Signature {
    pub fn of(bytes: &[u8]) -> Signature {
        Signature {
            size: bytes.len() as u64,
            hash: xxhash_rust::xxh3::xxh3_64(bytes),
            stamp: 0,
        }
    }
}

/// A file's length and modification time to the nanosecond, hashed: what
/// rsync's quick check and make compare, and what a cache restore keeps
/// (`actions/cache` extracts with `tar`, which sets each file's
/// modification time back; a copy with `cp -p` or `rsync -a` does too).
/// A write sets a new modification time, so while the stamp is the same
/// the bytes are, unless a program puts the time back to the nanosecond
/// on other bytes of the same length: the state then vouches for a file
/// it did not write (a cache; delete it, or the file, to rebuild). The
/// device, inode and change time are left out on purpose: a restore
/// changes all three, and keeping them made every run on a fresh runner
/// read and hash every feed again.
fn stamp_of(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let fields = [meta.len(), meta.mtime() as u64, meta.mtime_nsec() as u64];
    let mut bytes = [0u8; 24];
    for (chunk, field) in bytes.chunks_exact_mut(8).zip(fields) {
        chunk.copy_from_slice(&field.to_le_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&bytes).max(1)
}

/// A stamp that may stand for the file's bytes later: only one whose
/// modification time is behind the clock the file system stamps writes
/// with (see [`is_settled`]), since a write in the same clock tick as the
/// one that made it could leave it unchanged. A file restored with its
/// time, however recently, is settled.
fn settled_stamp(meta: &fs::Metadata) -> u64 {
    if is_settled(meta, fs_clock()) {
        stamp_of(meta)
    } else {
        0
    }
}

/// Whether every later write to the file will give it another modification
/// time than `meta`'s, the file system's clock being at `now` (seconds,
/// nanoseconds): the rule git applies to "racily clean" files. A time with
/// nanoseconds is from a file system that keeps them (ext4, XFS, Btrfs,
/// APFS; NTFS keeps 100 ns): a millisecond on is a later time there. A
/// time of whole seconds may be from one that keeps seconds (ext3, HFS+)
/// or two (FAT): it must be [`SETTLED`] behind. A time ahead of the clock
/// (another machine's, a clock set back) is never settled.
fn is_settled(meta: &fs::Metadata, now: Option<(i64, i64)>) -> bool {
    use std::os::unix::fs::MetadataExt;
    now.is_some_and(|now| settled_at((meta.mtime(), meta.mtime_nsec()), now))
}

/// [`is_settled`] of a modification time (seconds, nanoseconds).
fn settled_at(mtime: (i64, i64), now: (i64, i64)) -> bool {
    let at = |(s, n): (i64, i64)| i128::from(s) * 1_000_000_000 + i128::from(n);
    let margin = match mtime.1 {
        0 => (SETTLED.as_nanos() + 1_000_000_000) as i128,
        _ => 1_000_000,
    };
    at(now) >= at(mtime) + margin
}

/// A time no later than the one the file system would stamp a write
/// with now: the precise clock less 50 ms. Linux stamps writes from its
/// coarse clock, which lags the precise one by up to a tick (4 ms at 250
/// Hz, 10 ms at 100): a file written now can carry a time before
/// `SystemTime::now()`.
fn fs_clock() -> Option<(i64, i64)> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .checked_sub(std::time::Duration::from_millis(50))?;
    Some((i64::try_from(since.as_secs()).ok()?, i64::from(since.subsec_nanos())))
}

/// How long ago a file must have changed for its stamp to vouch for it
/// (as for the folders of the walk).
const SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

/// How each of feedgen's state files starts: binary ones with an 8-byte
/// magic of `FG` and six capitals or digits (`FGINDEX6`, `FGFOLDR2`,
/// `FGPACK01`, `FGPIDX02`), or 16 zero bytes where a cache file was
/// invalidated; text ones with `# feedgen ` (the manifest, `written`,
/// `site-files`); the ping lists with the URL on their first line.
fn is_state_head(head: &[u8]) -> bool {
    let magic = head.len() >= 8
        && head.starts_with(b"FG")
        && head[2..8].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let zeroed = head.len() >= 16 && head[..16].iter().all(|&b| b == 0);
    magic || zeroed || STATE_HEADS.iter().any(|h| head.starts_with(h))
}

/// The text heads of [`is_state_head`].
const STATE_HEADS: [&[u8]; 3] = [b"# feedgen ", b"http://", b"https://"];
/// How much of a state file [`is_state_head`] reads.
const STATE_HEAD_LEN: u64 = 16;

/// What [`Output::remove`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    Absent,
    /// Left in place: not feedgen's (no generator mark), not a plain file,
    /// or reached through a symlink.
    Kept(&'static str),
}

/// The output folder and feedgen's state folder, locked for this run.
pub struct Output {
    dir: PathBuf,
    /// `None` when it cannot be created or locked (a read-only content
    /// folder): the build goes on without the index and the manifest.
    state: Option<PathBuf>,
    /// Why there is no state folder, for the report.
    pub stateless: Option<String>,
    fsync: bool,
    /// Folders whose entries this run changed, synced before the manifest.
    touched: Mutex<BTreeSet<PathBuf>>,
    /// Files written to their temporary names, waiting for
    /// [`Output::publish`] (temporary path, final path).
    staged: Mutex<Vec<(PathBuf, PathBuf)>>,
    /// The files [`Output::stage`] wrote, with their metadata as written
    /// (relative path, metadata): see [`Output::fresh_stamps`].
    fresh: Mutex<Vec<(String, fs::Metadata)>>,
    /// With `fsync`: a cache file [`Output::invalidate_cache_file`] zeroed
    /// on the output folder's file system, not yet on disk. It gets there
    /// before any feed is replaced or removed: with the one `syncfs` of
    /// [`Output::publish`], or on its own (see [`Output::settle`]).
    unsynced: Mutex<Option<File>>,
    /// The state folder's lock file and the output folder, locked for the
    /// whole run; `None` when reading only.
    _lock: Option<(Option<File>, Option<File>)>,
    /// Threads removing the old files [`Output::publish`] swapped out.
    removers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// This run made the [`SWAPPING`] mark: it may swap.
    swapping: Mutex<bool>,
    /// The manifest an earlier version left in the output folder.
    legacy_manifest: Option<String>,
    /// The state folder is one feedgen created (its `.gitignore`): a file
    /// at a state file's name there is feedgen's, however damaged.
    own_state: bool,
    /// Old state files removed from the output folder, for the report.
    pub removed_legacy: Vec<PathBuf>,
}

impl Drop for Output {
    /// The output folder stays locked until the old files are gone.
    fn drop(&mut self) {
        self.settle_removals();
    }
}

/// How [`put_in_place`] put a file in place.
enum Put {
    /// Swapped with the older plain file at its name, which is now at the
    /// temporary name, to be removed.
    Swapped,
    /// Renamed (over whatever was there, or nothing).
    Renamed,
}

/// Put the file written at `tmp` in place at `path`, atomically: a reader
/// sees the old file or the new one. Over an older plain file the two are
/// swapped (`RENAME_EXCHANGE`; `RENAME_SWAP` on macOS), so the old one can
/// be removed later, off the path of the run. Anything else at `path`
/// (nothing, a symlink, a folder), a file system without the swap, or no
/// `swap` (no [`SWAPPING`] mark): a plain rename, which fails on a folder.
fn put_in_place(tmp: &Path, path: &Path, swap: bool) -> io::Result<Put> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    let is_file = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    if swap && is_file(path) && renameat_with(CWD, tmp, CWD, path, RenameFlags::EXCHANGE).is_ok() {
        if is_file(tmp) {
            return Ok(Put::Swapped);
        }
        // Not a file at the swap after all (replaced meanwhile): swapped
        // back, and renamed as without the swap.
        renameat_with(CWD, tmp, CWD, path, RenameFlags::EXCHANGE)?;
    }
    fs::rename(tmp, path).map(|()| Put::Renamed)
}

/// Whether `rel` is a plain relative path that stays inside its folder.
pub fn is_inside(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains(['\\', '\0'])
        && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)))
}

/// Whether `bytes` (the start of a file) carry feedgen's generator mark, as
/// its RSS (`<generator>feedgen 0.1.0</generator>`), Atom
/// (`<generator version="0.1.0">feedgen</generator>`) and other files do.
fn has_mark(bytes: &[u8]) -> bool {
    GENERATOR_MARKS
        .iter()
        .any(|mark| memchr::memmem::find(bytes, mark).is_some())
}

/// How each kind of file feedgen writes names its generator: RSS, Atom,
/// JSON Feed (its `_feedgen` extension) and `feeds.json`, the OPML file
/// (a comment) and the feed directory (`<meta name="generator">`).
const GENERATOR_MARKS: [&[u8]; 5] = [
    b"<generator>feedgen",
    b">feedgen</generator>",
    b"\"generator\": \"feedgen",
    b"<!-- generator: feedgen",
    b"<meta name=\"generator\" content=\"feedgen",
];

impl Output {
    /// Create (if needed) the output and state folders and lock the state
    /// folder: a second run waits for the first to finish. A new state
    /// folder gets a `.gitignore` of `*`, so a site committed by CI does
    /// not commit it. State files earlier versions left in the output
    /// folder are removed (their manifest is read first).
    pub fn open(dir: &Path, state: &Path, fsync: bool, on_wait: impl FnOnce()) -> Result<Output> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create output folder {}", dir.display()))?;
        let lock_path = state.join(LOCK);
        let opened = (|| {
            if fs::symlink_metadata(state).is_err() {
                fs::create_dir_all(state)?;
                fs::write(state.join(GITIGNORE), OWN_GITIGNORE)?;
            }
            open_plain(&lock_path, File::options().create(true).truncate(false).write(true)).map(|(lock, _)| lock)
        })();
        // Say once that this run waits, whichever lock it waits for.
        let mut on_wait = Some(on_wait);
        let mut wait = || {
            if let Some(f) = on_wait.take() {
                f();
            }
        };
        let (lock, stateless) = match opened {
            Ok(lock) => {
                take_lock(&lock, &lock_path, &mut wait)?;
                (Some(lock), None)
            }
            Err(e) => (
                None,
                Some(format!(
                    "cannot write the state folder ({e}); built without the rebuild index and manifest (name a writable folder with --state)"
                )),
            ),
        };
        // The output folder itself is locked too (after the state, always in
        // this order): runs with other state folders on it take turns as well.
        let folder_lock = File::open(dir).ok();
        if let Some(folder) = &folder_lock {
            take_lock(folder, dir, &mut wait)?;
        }
        let mut output = Output::read_only(dir, state, fsync);
        output._lock = Some((lock, folder_lock));
        if stateless.is_some() {
            output.state = None;
            output.stateless = stateless;
        }
        output.remove_legacy()?;
        output.remove_swapped();
        Ok(output)
    }

    /// The output folder for reading only (`--check`): nothing is created
    /// or locked.
    pub fn read_only(dir: &Path, state: &Path, fsync: bool) -> Output {
        Output {
            dir: dir.to_path_buf(),
            state: Some(state.to_path_buf()),
            stateless: None,
            fsync,
            touched: Mutex::new(BTreeSet::new()),
            staged: Mutex::new(Vec::new()),
            fresh: Mutex::new(Vec::new()),
            unsynced: Mutex::new(None),
            _lock: None,
            legacy_manifest: fs::read_to_string(dir.join(LEGACY[1])).ok(),
            removed_legacy: Vec::new(),
            removers: Mutex::new(Vec::new()),
            swapping: Mutex::new(false),
            own_state: read_plain(&state.join(GITIGNORE))
                .is_some_and(|text| text == OWN_GITIGNORE.as_bytes() || text == b"*\n"),
        }
    }

    /// Remove the state files of earlier versions from the output folder,
    /// once: they are feedgen's own, and were served with the feeds.
    fn remove_legacy(&mut self) -> Result<()> {
        for name in LEGACY {
            let path = self.dir.join(name);
            let _ = fs::remove_file(temp_path(&path));
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
                self.removed_legacy.push(path);
            }
        }
        Ok(())
    }

    /// After a run killed while old files it swapped out waited to be
    /// removed ([`SWAPPING`] is there): remove every temporary name's
    /// (`.NAME.tmp`) plain file in the output folder that is empty or
    /// carries feedgen's mark, as each of those does, then the mark.
    fn remove_swapped(&self) {
        let Some(mark) = self._lock.as_ref().and(self.state.as_ref()).map(|s| s.join(SWAPPING)) else {
            return;
        };
        if fs::symlink_metadata(&mark).is_err() || self.is_foreign_state(SWAPPING) {
            return;
        }
        let is_temp = |name: &str| name.len() > 5 && name.starts_with('.') && name.ends_with(".tmp");
        for entry in walkdir::WalkDir::new(&self.dir)
            .min_depth(1)
            .follow_links(false)
            .into_iter()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy();
            let plain = entry.file_type().is_file();
            if plain
                && is_temp(&name)
                && entry
                    .metadata()
                    .is_ok_and(|m| m.len() == 0 || self.has_mark(entry.path()))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
        let _ = fs::remove_file(mark);
    }

    /// Whether old files may be swapped out, to be removed later: once
    /// the [`SWAPPING`] mark is made (a locked, writable state folder, and
    /// no file of the user's at its name).
    fn may_swap(&self) -> bool {
        let Some(state) = self._lock.as_ref().and(self.state.as_ref()) else {
            return false;
        };
        if self.is_foreign_state(SWAPPING) {
            return false;
        }
        let mut marked = self.swapping.lock().unwrap_or_else(|e| e.into_inner());
        if !*marked {
            *marked = open_plain(&state.join(SWAPPING), File::options().write(true).create(true)).is_ok();
        }
        *marked
    }

    /// Whether `rel` exists as a file.
    pub fn exists(&self, rel: &str) -> bool {
        is_inside(rel) && self.dir.join(rel).is_file()
    }

    /// Whether something other than a feed feedgen wrote sits at `rel`: a
    /// file without feedgen's generator mark, a folder or a symlink. An
    /// empty file the manifest lists (`listed`) is feedgen's: what a power
    /// loss leaves of a feed written without `fsync`.
    pub fn is_foreign(&self, rel: &str, listed: bool) -> bool {
        let path = self.dir.join(rel);
        match fs::symlink_metadata(&path) {
            Err(_) => false,
            Ok(meta) if !meta.is_file() => true,
            Ok(meta) if listed && meta.len() == 0 => false,
            Ok(_) => !self.has_mark(&path),
        }
    }

    /// Whether `rel` is a plain file, reached without a symlink, that
    /// carries feedgen's mark.
    fn is_marked(&self, rel: &str) -> bool {
        self.plain_file(rel).is_ok_and(|p| p.is_some_and(|p| self.has_mark(&p)))
    }

    /// Whether the file at `path` carries feedgen's mark in its first
    /// [`MARK_WINDOW`] bytes. Read a block at a time: the mark sits in a
    /// file's head, a few hundred bytes in, and a feed can be megabytes.
    fn has_mark(&self, path: &Path) -> bool {
        use std::os::unix::fs::OpenOptionsExt;
        // Never waiting on a FIFO: opened without blocking, it reads empty.
        let nonblock = rustix::fs::OFlags::NONBLOCK.bits() as i32;
        let Ok(mut file) = File::options().read(true).custom_flags(nonblock).open(path) else {
            return false;
        };
        let mut head = Vec::new();
        let mut block = MARK_BLOCK;
        loop {
            let start = head.len();
            match (&mut file).take(block).read_to_end(&mut head) {
                Err(_) => return false,
                Ok(_) if has_mark(&head[start.saturating_sub(MARK_LEN)..]) => return true,
                // The end of the file, or of the window.
                Ok(n) if (n as u64) < block || head.len() as u64 >= MARK_WINDOW => return false,
                Ok(_) => block = (block * 4).min(MARK_WINDOW - head.len() as u64),
            }
        }
    }

    /// Replace `rel` with `bytes` unless it already holds exactly them. The
    /// new bytes wait under their temporary name until [`Output::publish`]
    /// puts them in place, so the caller knows which feeds change before
    /// any of them does (the ping list is written ahead). With `fsync`,
    /// `publish` syncs them all at once first: one file-system sync per
    /// batch instead of a journal commit per file, which makes a full build
    /// of thousands of feeds much faster (bench/README.md).
    pub fn stage(&self, rel: &str, bytes: &[u8]) -> Result<Written> {
        if !is_inside(rel) {
            bail!("refusing to write {rel}: outside the output folder");
        }
        self.replace(&self.dir, rel, bytes, true)
    }

    /// Put the files [`Output::stage`] wrote in place: with `fsync`, their
    /// bytes reach the disk first (one `syncfs` of the output folder's file
    /// system), so a crash leaves each feed old or new, never empty.
    pub fn publish(&self) -> Result<()> {
        let staged = std::mem::take(&mut *self.staged.lock().unwrap_or_else(|e| e.into_inner()));
        if staged.is_empty() {
            return Ok(());
        }
        // Made before the sync: with `fsync`, it is on the disk before
        // any swap (when the state folder is on the same file system).
        let swap = self.may_swap();
        if self.fsync {
            if let Err(e) = syncfs(&self.dir) {
                for (tmp, _) in &staged {
                    let _ = fs::remove_file(tmp);
                }
                return Err(e).with_context(|| format!("cannot sync the file system of {}", self.dir.display()));
            }
            // That sync took the zeroed cache file's head to the disk too.
            self.unsynced.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        // On every core. The old files swapped out are removed by a
        // thread of their own while the run goes on: freeing a replaced
        // file was most of what putting the 250 feeds 100 new posts change
        // in place cost, 30-40 ms at 100k posts (bench/README.md).
        let put: Vec<_> = staged
            .par_iter()
            .map(|(tmp, path)| (path, put_in_place(tmp, path, swap)))
            .collect();
        let mut old = Vec::new();
        let mut failed = None;
        for ((path, result), (tmp, _)) in put.into_iter().zip(&staged) {
            match result {
                Ok(Put::Swapped) => old.push(tmp.clone()),
                Ok(Put::Renamed) => {}
                Err(e) => {
                    let _ = fs::remove_file(tmp);
                    // The first path in order is named, whatever the order
                    // the feeds were staged in.
                    if failed.as_ref().is_none_or(|(first, _)| path < *first) {
                        failed = Some((path, e));
                    }
                }
            }
        }
        if !old.is_empty() {
            let remove = move || old.iter().for_each(|p| drop(fs::remove_file(p)));
            match std::thread::Builder::new()
                .name("feedgen-remove".into())
                .spawn(remove.clone())
            {
                Ok(thread) => self.removers.lock().unwrap_or_else(|e| e.into_inner()).push(thread),
                Err(_) => remove(),
            }
        }
        if let Some((path, e)) = failed {
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
        if self.fsync {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            touched.extend(
                staged
                    .iter()
                    .filter_map(|(_, path)| path.parent())
                    .map(Path::to_path_buf),
            );
        }
        Ok(())
    }

    /// Whether feedgen may replace or remove `rel` inside the site's
    /// content folder (the `feedgen.jekyll_data` file): `Err(why)` when a
    /// symlink is at it or on any folder of its path below `site_dir`, or
    /// something there is not a plain file with feedgen's mark (an empty
    /// file counts as feedgen's when the state recorded it, `listed`: what
    /// a power loss leaves without `fsync`). `Ok(false)`: nothing there.
    pub fn site_file_is_ours(
        &self,
        site_dir: &Path,
        rel: &str,
        listed: bool,
    ) -> std::result::Result<bool, &'static str> {
        let path = match plain_under(site_dir, rel, "outside the content folder")? {
            None => return Ok(false),
            Some(path) => path,
        };
        let empty = listed && fs::symlink_metadata(&path).is_ok_and(|m| m.len() == 0);
        match empty || self.has_mark(&path) {
            true => Ok(true),
            false => Err("not written by feedgen"),
        }
    }

    /// Replace `rel` inside the site's content folder: only the
    /// `feedgen.jekyll_data` file the user named, written as feeds are,
    /// once [`Output::site_file_is_ours`] allowed it.
    pub fn write_site_file(&self, site_dir: &Path, rel: &str, bytes: &[u8]) -> Result<Written> {
        if !is_inside(rel) {
            bail!("refusing to write {rel}: outside the content folder");
        }
        self.replace(site_dir, rel, bytes, false)
    }

    /// Remove the site file `rel` feedgen wrote earlier (a setting removed
    /// or renamed): only when [`Output::site_file_is_ours`] allows it. Its
    /// folders stay (`_data/` is the site's).
    pub fn remove_site_file(&self, site_dir: &Path, rel: &str, listed: bool) -> Result<Removal> {
        match self.site_file_is_ours(site_dir, rel, listed) {
            Err(why) => Ok(Removal::Kept(why)),
            Ok(false) => Ok(Removal::Absent),
            Ok(true) => {
                let path = site_dir.join(rel);
                let _ = fs::remove_file(temp_path(&path));
                fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
                if self.fsync {
                    let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
                    touched.insert(path.parent().unwrap_or(site_dir).to_path_buf());
                }
                Ok(Removal::Removed)
            }
        }
    }

    /// Whether the site file `rel` holds exactly `bytes` (`--check`).
    pub fn site_file_is_current(&self, site_dir: &Path, rel: &str, bytes: &[u8]) -> bool {
        is_inside(rel) && holds(&site_dir.join(rel), bytes).unwrap_or(false)
    }

    /// Replace `base/rel` with `bytes` unless it already holds exactly
    /// them. The new bytes go to a temporary file in the same folder, then
    /// a rename puts them in place (`staged`: in [`Output::publish`]): a
    /// reader or a crash sees the old or the new file. With `fsync`, the
    /// bytes reach the disk before the rename, and [`Output::sync_folders`]
    /// makes the renames durable.
    fn replace(&self, base: &Path, rel: &str, bytes: &[u8], staged: bool) -> Result<Written> {
        let path = base.join(rel);
        let existed = match holds(&path, bytes) {
            Ok(true) => {
                // Left by a run killed before its rename, if any.
                let _ = fs::remove_file(temp_path(&path));
                return Ok(Written::Unchanged);
            }
            Ok(false) => true,
            Err(e) => e.kind() != io::ErrorKind::NotFound,
        };
        let parent = path.parent().unwrap_or(base);
        if !parent.is_dir() {
            fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            if self.fsync {
                // New folders are entries of their parents, up to `base`.
                let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
                touched.extend(
                    parent
                        .ancestors()
                        .skip(1)
                        .take_while(|d| d.starts_with(base))
                        .map(Path::to_path_buf),
                );
            }
        }
        let tmp = temp_path(&path);
        // A new file, never one found at that name: whatever is there (a
        // killed run's bytes, a symlink, a FIFO) is removed first, and
        // `create_new` neither follows a symlink nor opens a FIFO.
        let create = || File::options().write(true).create_new(true).open(&tmp);
        let result = match create() {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => fs::remove_file(&tmp).and_then(|()| create()),
            created => created,
        }
        .and_then(|mut f| {
            f.write_all(bytes)?;
            if staged {
                // The metadata of this write, taken from the file written:
                // a stamp for the bytes, once settled (a rename keeps it).
                let meta = f.metadata()?;
                let mut fresh = self.fresh.lock().unwrap_or_else(|e| e.into_inner());
                fresh.push((rel.to_string(), meta));
            }
            if staged && self.fsync {
                // Start writing the bytes back now (Linux starts the
                // writeback of dirty pages for this advice, and drops
                // no page that is still to be written), so the disk
                // works while the next feeds render, and the one sync
                // in `publish` has less left to wait for (measured with
                // 100 new posts at 100k: bench/README.md).
                let _ = rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed);
            }
            if self.fsync && !staged {
                f.sync_all()?;
            }
            Ok(())
        })
        .and_then(|()| match staged {
            true => Ok(()),
            false => fs::rename(&tmp, &path),
        });
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
        if staged {
            let mut queue = self.staged.lock().unwrap_or_else(|e| e.into_inner());
            queue.push((tmp, path));
        } else if self.fsync {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            touched.insert(parent.to_path_buf());
        }
        Ok(if existed { Written::Changed } else { Written::New })
    }

    /// Sync every folder whose entries this run changed, so renames and
    /// removals survive a power loss (with `fsync`; otherwise nothing).
    pub fn sync_folders(&self) -> Result<()> {
        let touched = std::mem::take(&mut *self.touched.lock().unwrap_or_else(|e| e.into_inner()));
        if touched.is_empty() {
            return Ok(());
        }
        // The swapped-out files' removals are entries to make durable too.
        self.settle_removals();
        // One `syncfs` per file system makes every entry in it durable: a
        // full build touches thousands of folders, and an `fsync` of each
        // cost a journal commit apiece.
        let mut synced = BTreeSet::new();
        for dir in touched {
            let Ok(meta) = fs::metadata(&dir) else { continue };
            if meta.is_dir() && synced.insert(std::os::unix::fs::MetadataExt::dev(&meta)) {
                syncfs(&dir).with_context(|| format!("cannot sync folder {}", dir.display()))?;
            }
        }
        Ok(())
    }

    /// Wait until the old files [`Output::publish`] swapped out are gone.
    pub fn settle_removals(&self) {
        let removers = std::mem::take(&mut *self.removers.lock().unwrap_or_else(|e| e.into_inner()));
        for thread in removers {
            let _ = thread.join();
        }
        let mut marked = self.swapping.lock().unwrap_or_else(|e| e.into_inner());
        if let (true, Some(state)) = (*marked, &self.state) {
            *marked = fs::remove_file(state.join(SWAPPING)).is_err();
        }
    }

    /// Whether the plain file at `rel` (reached without a symlink at its
    /// name) is the one `signature` describes, and if so, the stamp that
    /// vouches for it next time (0: none yet). Cheapest first: one `lstat`
    /// when the stamp recorded still holds; else the length, and only when
    /// it agrees, the bytes' hash.
    pub fn check(&self, rel: &str, signature: Signature) -> Option<u64> {
        if !is_inside(rel) {
            return None;
        }
        let path = self.dir.join(rel);
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() != signature.size {
            return None;
        }
        if signature.stamp != 0 && stamp_of(&meta) == signature.stamp {
            return Some(signature.stamp);
        }
        matches(&path, signature)
            .ok()
            .flatten()
            .map(|meta| settled_stamp(&meta))
    }

    /// The stamps of the files this run wrote (relative path, stamp) that
    /// vouch for their bytes from now on: those written before the file
    /// system's clock moved on (see [`is_settled`]), so that the next run
    /// need not read them back. The others are read once, next time.
    pub fn fresh_stamps(&self) -> HashMap<String, u64> {
        let fresh = std::mem::take(&mut *self.fresh.lock().unwrap_or_else(|e| e.into_inner()));
        let now = fs_clock();
        fresh
            .into_iter()
            .filter(|(_, meta)| is_settled(meta, now))
            .map(|(rel, meta)| (rel, stamp_of(&meta)))
            .collect()
    }

    /// Whether `rel` on disk holds exactly `bytes`.
    pub fn is_current(&self, rel: &str, bytes: &[u8]) -> bool {
        holds(&self.dir.join(rel), bytes).unwrap_or(false)
    }

    /// The state folder, when this run has one.
    pub fn state_dir(&self) -> Option<&Path> {
        self.state.as_deref()
    }

    /// A state file's bytes, if it is a plain file (see [`Output::open_state`]).
    pub fn read_state(&self, name: &str) -> Option<Vec<u8>> {
        read_plain(&self.state.as_ref()?.join(name))
    }

    /// Whether a plain file feedgen did not write sits at the state file
    /// `name`: one that is not empty and does not start as feedgen's state
    /// files do (see [`is_state_head`]). A state folder
    /// named with `--state` may hold the user's own files: such a file is
    /// never written over nor removed. (A symlink or a FIFO at a state
    /// file's name is not a file of the user's: see [`open_plain`].)
    pub fn is_foreign_state(&self, name: &str) -> bool {
        let Some(state) = self.state.as_ref().filter(|_| !self.own_state) else {
            return false;
        };
        let path = state.join(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() > 0 => {
                let mut head = Vec::new();
                let read = open_plain(&path, File::options().read(true))
                    .and_then(|(file, _)| file.take(STATE_HEAD_LEN).read_to_end(&mut head));
                read.is_ok() && !is_state_head(&head)
            }
            _ => false,
        }
    }

    /// Refuse to write over a file feedgen did not write (see
    /// [`Output::is_foreign_state`]).
    fn refuse_foreign_state(&self, name: &str) -> Result<()> {
        if self.is_foreign_state(name) {
            let path = self.state.as_deref().unwrap_or(Path::new("")).join(name);
            bail!(
                "{} is not a file feedgen wrote; left as is (name a state folder of feedgen's own with --state)",
                path.display()
            );
        }
        Ok(())
    }

    /// Replace a state file (atomically, as feeds are).
    pub fn write_state(&self, name: &str, bytes: &[u8]) -> Result<()> {
        match &self.state {
            Some(state) => {
                self.refuse_foreign_state(name)?;
                self.replace(state, name, bytes, false).map(|_| ())
            }
            None => Ok(()),
        }
    }

    /// Write a state file that only saves work (the rebuild index) over
    /// the old one, in place: no new file, no comparison with the old
    /// bytes, no `fsync`. A new file every run costs a fresh inode and
    /// fresh pages, far more than an overwrite (bench/README.md). A kill
    /// or crash mid-write leaves bytes whose checksum fails, and the file
    /// is then ignored. Never through a symlink.
    pub fn write_cache_file(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.write_cache_file_with(name, |f| f.write_all(bytes).map(|()| bytes.len() as u64))
    }

    /// [`Output::write_cache_file`], with the bytes streamed by `write`,
    /// which returns how many it wrote.
    pub fn write_cache_file_with(&self, name: &str, write: impl FnOnce(&mut File) -> io::Result<u64>) -> Result<()> {
        let Some(state) = &self.state else { return Ok(()) };
        self.refuse_foreign_state(name)?;
        let path = state.join(name);
        open_plain(&path, File::options().write(true).create(true).truncate(false))
            .and_then(|(mut f, _)| {
                let len = write(&mut f)?;
                f.set_len(len)
            })
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// A state file to read, with its size: only a plain file, reached
    /// without a symlink (see `open_plain`).
    pub fn open_state(&self, name: &str) -> Option<(File, u64)> {
        let path = self.state.as_ref()?.join(name);
        let (file, meta) = open_plain(&path, File::options().read(true)).ok()?;
        Some((file, meta.len()))
    }

    /// Make a cache file [`Output::write_cache_file`] wrote unreadable, in
    /// place (its head zeroed; with `fsync`, on disk before any feed is
    /// replaced or removed): from here on, a killed run or a power loss
    /// leaves nothing that vouches for its feeds. On the output folder's
    /// file system, the sync before the feeds are put in place takes it to
    /// the disk (a `fdatasync` of its own waited on the disk in every
    /// rebuild: bench/README.md).
    pub fn invalidate_cache_file(&self, name: &str) -> Result<()> {
        let Some(state) = &self.state else { return Ok(()) };
        if self.is_foreign_state(name) {
            return Ok(());
        }
        let path = state.join(name);
        let mut f = match open_plain(&path, File::options().write(true)) {
            Ok((f, _)) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(_) => return self.remove_state(name),
        };
        f.write_all(&[0; 16])
            .and_then(|()| {
                use std::os::unix::fs::MetadataExt;
                if !self.fsync {
                    return Ok(());
                }
                if f.metadata()?.dev() != fs::metadata(&self.dir)?.dev() {
                    return f.sync_data();
                }
                *self.unsynced.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
                Ok(())
            })
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Take a zeroed cache file head still waiting for a sync to the disk
    /// (before a feed is removed, when no `publish` synced it).
    fn settle(&self) -> Result<()> {
        let waiting = self.unsynced.lock().unwrap_or_else(|e| e.into_inner()).take();
        match waiting {
            Some(f) => f.sync_data().context("cannot sync the rebuild index"),
            None => Ok(()),
        }
    }

    /// Remove a state file, unless a file feedgen did not write is there
    /// (see [`Output::is_foreign_state`]).
    pub fn remove_state(&self, name: &str) -> Result<()> {
        let Some(state) = &self.state else {
            return Ok(());
        };
        if self.is_foreign_state(name) {
            return Ok(());
        }
        let path = state.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// The manifest an earlier version left in the output folder, if any.
    pub fn legacy_manifest(&self) -> Option<Vec<String>> {
        let text = self.legacy_manifest.as_ref()?;
        Some(text.lines().map(str::to_string).collect())
    }

    /// Every file named one of `files` anywhere in the output folder
    /// (symlinks not followed, names starting with `.` skipped) that
    /// carries feedgen's mark, sorted: what a run without a manifest knows
    /// of the feeds earlier runs wrote, whatever their layout. A walk of
    /// the whole folder, only when the state was lost.
    pub fn marked_feed_files(&self, files: &[&str]) -> Vec<String> {
        let walk = walkdir::WalkDir::new(&self.dir).min_depth(1).follow_links(false);
        let entries = walk
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        let mut found: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_file() && files.iter().any(|f| e.file_name() == *f))
            .filter_map(|e| e.path().strip_prefix(&self.dir).ok()?.to_str().map(str::to_owned))
            .filter(|rel| self.is_marked(rel))
            .collect();
        found.sort();
        found
    }

    /// The names of the folders at the top of the output folder (symlinks
    /// and names starting with `.` left out).
    pub fn top_folders(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .collect()
    }

    /// Every file named one of `files`, at the top of the output folder or
    /// in a subfolder of one of `dirs`, that `keep` accepts and that
    /// carries feedgen's mark, sorted.
    pub fn marked_files(&self, dirs: &[&str], files: &[&str], keep: impl Fn(&str) -> bool) -> Vec<String> {
        // Names `keep` refuses (most: the feeds this run writes) cost no
        // allocation; one lookup rules out most of the others (no file).
        let mut found: Vec<String> = files
            .iter()
            .filter(|f| keep(f) && fs::symlink_metadata(self.dir.join(f)).is_ok() && self.is_marked(f))
            .map(|f| f.to_string())
            .collect();
        // The names to look up, then looked up on every core: most have no
        // file (a format this run does not write), found by a lookup below
        // the folder's own descriptor, not along the whole path again.
        let mut wanted: Vec<(usize, String)> = Vec::new();
        let mut folders = Vec::new();
        for dir in dirs {
            let Ok(entries) = fs::read_dir(self.dir.join(dir)) else {
                continue;
            };
            let flags = rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC;
            folders.push((
                dir.len(),
                rustix::fs::open(self.dir.join(dir), flags, rustix::fs::Mode::empty()).ok(),
            ));
            let mut rel = String::new();
            for entry in entries.flatten() {
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                for f in files {
                    rel.clear();
                    rel.extend([*dir, "/", &name, "/", f]);
                    if keep(&rel) {
                        wanted.push((folders.len() - 1, rel.clone()));
                    }
                }
            }
        }
        let absent = |folder: usize, rel: &str| {
            let (skip, fd) = &folders[folder];
            fd.as_ref().is_some_and(|fd| {
                rustix::fs::statat(fd, &rel[skip + 1..], rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
                    .is_err_and(|e| e == rustix::io::Errno::NOENT)
            })
        };
        found.par_extend(
            wanted
                .into_par_iter()
                .filter(|(folder, rel)| !absent(*folder, rel) && self.is_marked(rel))
                .map(|(_, rel)| rel),
        );
        found.sort();
        found
    }

    /// `rel` as a path, if it is a plain file reached without following a
    /// symlink (`Ok(None)`: nothing there; `Err`: why it is not plain).
    fn plain_file(&self, rel: &str) -> std::result::Result<Option<PathBuf>, &'static str> {
        plain_under(&self.dir, rel, "outside the output folder")
    }

    /// Delete a feed feedgen wrote earlier (a manifest entry), and its
    /// folders once empty: only a plain file reached without a symlink,
    /// inside the output folder, that carries feedgen's generator mark (or
    /// is empty).
    pub fn remove(&self, rel: &str) -> Result<Removal> {
        self.settle()?;
        let path = match self.plain_file(rel) {
            Err(why) => return Ok(Removal::Kept(why)),
            Ok(None) => return Ok(Removal::Absent),
            Ok(Some(path)) => path,
        };
        let _ = fs::remove_file(temp_path(&path));
        // Only manifest entries come here: an empty one is what a power loss
        // leaves of a feed written without `fsync`.
        let empty = fs::symlink_metadata(&path).is_ok_and(|m| m.len() == 0);
        if !empty && !self.has_mark(&path) {
            return Ok(Removal::Kept("not written by feedgen"));
        }
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Removal::Absent),
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.dir || !d.starts_with(&self.dir) || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        if self.fsync {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            touched.insert(dir.unwrap_or(&self.dir).to_path_buf());
        }
        Ok(Removal::Removed)
    }

    /// The output folder, for messages.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// `base/rel` as a path, if it is a plain file reached from `base` without
/// following a symlink (`Ok(None)`: nothing there; `Err`: why it is not
/// plain, `outside` when `rel` leaves `base`).
fn plain_under(base: &Path, rel: &str, outside: &'static str) -> std::result::Result<Option<PathBuf>, &'static str> {
    if !is_inside(rel) {
        return Err(outside);
    }
    let mut path = base.to_path_buf();
    let parts: Vec<_> = Path::new(rel).components().collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(_) => return Ok(None),
        };
        if meta.file_type().is_symlink() {
            return Err("reached through a symlink");
        }
        let last = i + 1 == parts.len();
        if last && !meta.is_file() {
            return Err("not a plain file");
        }
    }
    Ok(Some(path))
}

/// Lock `file` (at `path`) for this process, calling `on_wait` before
/// blocking if another run holds it.
fn take_lock(file: &File, path: &Path, on_wait: &mut impl FnMut()) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(fs::TryLockError::WouldBlock) => {
            on_wait();
            file.lock().with_context(|| format!("cannot lock {}", path.display()))
        }
        Err(fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Make everything written to the file system that holds `dir` durable.
fn syncfs(dir: &Path) -> io::Result<()> {
    Ok(rustix::fs::syncfs(&File::open(dir)?)?)
}

/// Open a plain file with `options`, with its metadata: never through a
/// symlink (state files are never written through one), and never waiting
/// on a FIFO, which is opened without blocking and then refused like
/// anything else that is not a plain file.
pub fn open_plain(path: &Path, options: &mut fs::OpenOptions) -> io::Result<(File, fs::Metadata)> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = options.custom_flags(flags.bits() as i32).open(path)?;
    let meta = file.metadata()?;
    match meta.is_file() {
        true => Ok((file, meta)),
        false => Err(io::Error::other("not a plain file")),
    }
}

/// The bytes of the plain file at `path` (see [`open_plain`]).
pub fn read_plain(path: &Path) -> Option<Vec<u8>> {
    let (mut file, meta) = open_plain(path, File::options().read(true)).ok()?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).ok()?);
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Whether the plain file at `path` (see [`open_plain`]) holds exactly
/// `bytes`; an error when there is none (`NotFound`: nothing at all).
fn holds(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let (file, meta) = open_plain(path, File::options().read(true))?;
    if meta.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut old = Vec::with_capacity(bytes.len());
    Ok(file.take(meta.len() + 1).read_to_end(&mut old).is_ok() && old == bytes)
}

/// The metadata of the plain file at `path` (see [`open_plain`]) if its
/// bytes match `signature`.
fn matches(path: &Path, signature: Signature) -> io::Result<Option<fs::Metadata>> {
    let (file, meta) = open_plain(path, File::options().read(true))?;
    if meta.len() != signature.size {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(meta.len() + 1).read_to_end(&mut bytes)?;
    let read = Signature::of(&bytes);
    Ok((read.size, read.hash) == (signature.size, signature.hash)).map(|same| same.then_some(meta))
}

/// The temporary file a write of `path` goes through: one fixed name per
/// file, as the lock lets only one run write at a time. A run killed
/// between writing and renaming leaves at most this one file, which the
/// next write of `path` replaces or removes (a per-process name would pile
/// up, one per killed run).
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("feed");
    path.with_file_name(format!(".{name}.tmp"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// Stage one file and put it in place, the file it replaced removed.
    fn write(out: &Output, rel: &str, bytes: &[u8]) -> Result<Written> {
        let written = out.stage(rel, bytes)?;
        out.publish()?;
        out.settle_removals();
        Ok(written)
    }

    const FEED_ONE: &[u8] = b"<rss><channel><generator>feedgen 0.1.0</generator></channel></rss>";
    const FEED_TWO: &[u8] = b"<feed><generator version=\"0.1.0\">feedgen</generator></feed>";

    #[test]
    fn a_time_is_settled_once_the_file_systems_clock_is_past_its_tick() {
        // Nanoseconds: a millisecond on.
        assert!(!settled_at((100, 5), (100, 5)));
        assert!(!settled_at((100, 5), (100, 999_999)));
        assert!(settled_at((100, 5), (100, 1_000_005)));
        assert!(settled_at((100, 999_500_000), (101, 500_000)));
        // Whole seconds (a file system that keeps seconds, or FAT's two):
        // three seconds on.
        assert!(!settled_at((100, 0), (102, 999_999_999)));
        assert!(settled_at((100, 0), (103, 0)));
        // Ahead of the clock: never.
        assert!(!settled_at((200, 7), (100, 0)));
    }

    #[test]
    fn inside_paths() {
        assert!(is_inside("category/emnews/rss.xml"));
        assert!(is_inside("category/上海·证券/atom.xml"));
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "a\\b", "a\0b", "./a"] {
            assert!(!is_inside(bad), "{bad:?}");
        }
    }

    #[test]
    fn temp_files_of_killed_runs_are_cleaned_up() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), true, || {}).expect("open");
        let leftover = tmp.path().join("out/category/a/.rss.xml.tmp");
        write(&out, "category/a/rss.xml", FEED_ONE).expect("w");
        for (bytes, written) in [(FEED_ONE, Written::Unchanged), (FEED_TWO, Written::Changed)] {
            fs::write(&leftover, b"half a fe").expect("plant");
            assert_eq!(write(&out, "category/a/rss.xml", bytes).expect("w"), written);
            assert!(!leftover.exists(), "left after {written:?}");
        }
        fs::write(&leftover, b"half a fe").expect("plant");
        assert_eq!(out.remove("category/a/rss.xml").expect("rm"), Removal::Removed);
        assert!(
            !tmp.path().join("out/category").exists(),
            "the folder goes with the feed"
        );
    }

    #[test]
    fn the_mark_is_found_anywhere_in_the_window_and_not_beyond() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::read_only(tmp.path(), &tmp.path().join("state"), false);
        assert!(GENERATOR_MARKS.iter().all(|m| m.len() <= MARK_LEN));
        let mark = b"<generator>feedgen 0.1.0</generator>";
        let block = MARK_BLOCK as usize;
        // Where the mark starts: first block, across the first block's
        // end, in the second and third reads, at the window's end, past it.
        for (at, found) in [
            (300, true),
            (block - 10, true),
            (block + 5000, true),
            (5 * block - 3, true),
            (MARK_WINDOW as usize - mark.len(), true),
            (MARK_WINDOW as usize - 3, false),
            (MARK_WINDOW as usize + 10, false),
        ] {
            let mut bytes = vec![b' '; at];
            bytes.extend_from_slice(mark);
            bytes.extend_from_slice(&[b' '; 100]);
            let path = tmp.path().join("feed.xml");
            fs::write(&path, &bytes).expect("write");
            assert_eq!(out.has_mark(&path), found, "mark at {at}");
        }
        fs::write(tmp.path().join("small.xml"), b"<rss/>").expect("write");
        assert!(!out.has_mark(&tmp.path().join("small.xml")));
        assert!(!out.has_mark(&tmp.path().join("missing.xml")));
    }

    #[test]
    fn with_fsync_staged_feeds_replace_the_old_ones_only_when_published() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), true, || {}).expect("open");
        write(&out, "category/a/rss.xml", FEED_ONE).expect("w");
        assert_eq!(out.stage("category/a/rss.xml", FEED_TWO).expect("w"), Written::Changed);
        assert_eq!(out.stage("category/b/rss.xml", FEED_TWO).expect("w"), Written::New);
        assert!(out.is_current("category/a/rss.xml", FEED_ONE), "old until published");
        assert!(!out.exists("category/b/rss.xml"));
        out.publish().expect("publish");
        assert!(out.is_current("category/a/rss.xml", FEED_TWO));
        assert!(out.is_current("category/b/rss.xml", FEED_TWO));
        out.sync_folders().expect("sync");
        assert!(!tmp.path().join("out/category/a/.rss.xml.tmp").exists());
    }

    /// A published feed replaces the old one, which is swapped out and
    /// removed (gone once the removals settle, before the folder is
    /// unlocked); a folder at a feed's name is never swapped: the publish
    /// fails, and the folder and what it holds stay as they were.
    #[test]
    fn an_old_feed_is_swapped_out_and_removed_and_a_folder_is_never_swapped() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), false, || {}).expect("open");
        write(&out, "category/a/rss.xml", FEED_ONE).expect("w");
        let old = tmp.path().join("out/category/a/rss.xml");
        let old_ino = fs::metadata(&old).expect("old").ino();
        out.stage("category/a/rss.xml", FEED_TWO).expect("stage");
        out.publish().expect("publish");
        assert!(out.is_current("category/a/rss.xml", FEED_TWO));
        assert_ne!(fs::metadata(&old).expect("new").ino(), old_ino);
        out.settle_removals();
        assert!(!tmp.path().join("out/category/a/.rss.xml.tmp").exists());

        let folder = tmp.path().join("out/category/b/rss.xml");
        fs::create_dir_all(&folder).expect("folder");
        fs::write(folder.join("keep.txt"), b"mine").expect("plant");
        assert!(out.stage("category/b/rss.xml", FEED_TWO).is_ok());
        assert!(out.publish().is_err());
        out.settle_removals();
        assert_eq!(fs::read(folder.join("keep.txt")).expect("kept"), b"mine");
        assert!(!tmp.path().join("out/category/b/.rss.xml.tmp").exists());
        drop(out);
        let names = |dir: &str| -> Vec<_> {
            let mut v: Vec<_> = fs::read_dir(tmp.path().join(dir))
                .expect("ls")
                .flatten()
                .map(|e| e.file_name())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names("out/category/a"), ["rss.xml"]);
        assert_eq!(names("out/category/b"), ["rss.xml"]);
    }

    /// A run killed while the old files it swapped out wait to be removed
    /// leaves them at temporary names, and its mark: the next run removes
    /// them (feedgen's, or empty), never a user's file, and only after a
    /// killed run (the mark).
    #[test]
    fn the_next_run_removes_what_a_killed_run_swapped_out() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (out_dir, state) = (tmp.path().join("out"), tmp.path().join("state"));
        let out = Output::open(&out_dir, &state, false, || {}).expect("open");
        write(&out, "category/a/rss.xml", FEED_ONE).expect("w");
        write(&out, "category/a/rss.xml", FEED_TWO).expect("w");
        assert!(
            !state.join(SWAPPING).exists(),
            "the mark goes once the removals are done"
        );
        drop(out);
        let plant = |rel: &str, bytes: &[u8]| fs::write(out_dir.join(rel), bytes).expect("plant");
        plant("category/a/.rss.xml.tmp", FEED_ONE);
        plant("category/a/.atom.xml.tmp", b"");
        plant("category/a/.notes.tmp", b"the user's");
        for marked in [false, true] {
            if marked {
                fs::write(state.join(SWAPPING), b"").expect("mark");
            }
            drop(Output::open(&out_dir, &state, false, || {}).expect("open"));
            let left = |rel: &str| out_dir.join(rel).exists();
            assert_eq!(left("category/a/.rss.xml.tmp"), !marked);
            assert_eq!(left("category/a/.atom.xml.tmp"), !marked);
            assert!(left("category/a/.notes.tmp") && left("category/a/rss.xml"));
            assert!(!state.join(SWAPPING).exists());
        }
    }

    /// A file of the user's at the mark's name, in a state folder the
    /// user named: never taken for the mark, written or removed; the run
    /// renames over old feeds instead of swapping them.
    #[test]
    fn a_users_file_at_the_marks_name_is_left_alone() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (out_dir, state) = (tmp.path().join("out"), tmp.path().join("state"));
        fs::create_dir_all(&state).expect("state");
        fs::write(state.join(SWAPPING), b"the user's notes").expect("plant");
        fs::create_dir_all(out_dir.join("category/a")).expect("out");
        fs::write(out_dir.join("category/a/.rss.xml.tmp"), FEED_ONE).expect("plant");
        let out = Output::open(&out_dir, &state, false, || {}).expect("open");
        assert!(
            out_dir.join("category/a/.rss.xml.tmp").exists(),
            "no sweep without feedgen's mark"
        );
        write(&out, "category/a/rss.xml", FEED_ONE).expect("w");
        write(&out, "category/a/rss.xml", FEED_TWO).expect("w");
        assert!(out.is_current("category/a/rss.xml", FEED_TWO));
        drop(out);
        assert_eq!(fs::read(state.join(SWAPPING)).expect("kept"), b"the user's notes");
    }

    /// A cache file's bytes: a state file's magic, then `len - 8` of `fill`.
    fn cache(fill: u8, len: usize) -> Vec<u8> {
        let mut bytes = b"FGINDEX6".to_vec();
        bytes.resize(len, fill);
        bytes
    }

    /// A state folder named with `--state` may hold the user's files: one
    /// at a state file's name is never written over, zeroed or removed.
    #[test]
    fn a_users_file_at_a_state_files_name_is_never_written_over_or_removed() {
        let tmp = tempfile::tempdir().expect("tmp");
        // The user's folder (feedgen's own would have its `.gitignore`).
        fs::create_dir_all(tmp.path().join("state")).expect("state");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), true, || {}).expect("open");
        for name in ["index", "manifest", "ping"] {
            let path = tmp.path().join("state").join(name);
            fs::write(&path, b"the user's own notes\n").expect("plant");
            assert!(out.is_foreign_state(name));
            assert!(out.write_state(name, b"# feedgen manifest of x\n").is_err());
            assert!(out.write_cache_file(name, &cache(1, 40)).is_err());
            out.invalidate_cache_file(name).expect("left as is");
            out.remove_state(name).expect("left as is");
            assert_eq!(fs::read(&path).expect("read"), b"the user's own notes\n", "{name}");
        }
        for (name, bytes) in [
            ("index", cache(1, 40)),
            ("folders", b"FGFOLDR2....".to_vec()),
            ("manifest", b"# feedgen manifest of /x\n".to_vec()),
            ("ping", b"https://example.com/rss.xml\n".to_vec()),
            ("ping.sending", Vec::new()),
            ("items.pack", [&[0; 16][..], b"tail"].concat()),
        ] {
            fs::write(tmp.path().join("state").join(name), &bytes).expect("plant");
            assert!(!out.is_foreign_state(name), "{name}");
            out.remove_state(name).expect("rm");
            assert!(!tmp.path().join("state").join(name).exists(), "{name}");
        }
    }

    #[test]
    fn cache_files_are_overwritten_in_place_invalidated_and_never_followed() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), true, || {}).expect("open");
        let path = tmp.path().join("state/index");
        out.write_cache_file("index", &cache(7, 100)).expect("write");
        let ino = fs::metadata(&path).expect("meta").ino();
        out.write_cache_file("index", &cache(8, 40)).expect("shorter");
        assert_eq!(fs::read(&path).expect("read"), cache(8, 40), "the old tail is cut");
        assert_eq!(fs::metadata(&path).expect("meta").ino(), ino, "the same file");
        out.invalidate_cache_file("index").expect("invalidate");
        let bytes = fs::read(&path).expect("read");
        assert_eq!((&bytes[..16], &bytes[16..]), (&[0; 16][..], &[8; 24][..]));
        fs::remove_file(&path).expect("rm");
        out.invalidate_cache_file("index").expect("nothing to invalidate");
        assert!(!path.exists());
        let elsewhere = tmp.path().join("elsewhere");
        fs::write(&elsewhere, b"theirs").expect("plant");
        std::os::unix::fs::symlink(&elsewhere, &path).expect("symlink");
        assert!(out.write_cache_file("index", b"ours").is_err());
        out.invalidate_cache_file("index")
            .expect("a symlink is removed, not followed");
        assert_eq!(fs::read(&elsewhere).expect("read"), b"theirs");
        assert!(fs::symlink_metadata(&path).is_err());
    }

    /// With `fsync`, a zeroed index head on the output folder's file system
    /// waits for the sync that comes before any feed is replaced, or is
    /// synced on its own before a feed is removed.
    #[test]
    fn an_invalidated_cache_file_reaches_the_disk_before_any_feed_changes() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), true, || {}).expect("open");
        let waiting = || out.unsynced.lock().expect("lock").is_some();
        write(&out, "category/a/rss.xml", FEED_ONE).expect("w");
        out.write_cache_file("index", &cache(7, 100)).expect("write");
        out.invalidate_cache_file("index").expect("invalidate");
        assert!(waiting());
        out.publish().expect("nothing staged, nothing synced");
        assert!(waiting());
        out.stage("category/a/rss.xml", FEED_TWO).expect("stage");
        out.publish().expect("publish");
        assert!(!waiting(), "synced with the staged feeds");
        out.invalidate_cache_file("index").expect("invalidate");
        assert_eq!(out.remove("category/a/rss.xml").expect("rm"), Removal::Removed);
        assert!(!waiting(), "synced before the removal");
        let unsynced = Output::open(&tmp.path().join("out2"), &tmp.path().join("state2"), false, || {}).expect("open");
        unsynced.write_cache_file("index", &cache(7, 100)).expect("write");
        unsynced.invalidate_cache_file("index").expect("invalidate");
        assert!(
            unsynced.unsynced.lock().expect("lock").is_none(),
            "no fsync, nothing waits"
        );
    }

    /// State files are read only when they are plain files: never through
    /// a symlink (for a FIFO, see the next test).
    #[test]
    fn state_files_are_read_only_from_plain_files() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), false, || {}).expect("open");
        out.write_state("manifest", b"ours").expect("write");
        assert_eq!(out.read_state("manifest").as_deref(), Some(&b"ours"[..]));
        let elsewhere = tmp.path().join("elsewhere");
        fs::write(&elsewhere, b"theirs").expect("plant");
        let path = tmp.path().join("state/index");
        std::os::unix::fs::symlink(&elsewhere, &path).expect("symlink");
        assert!(out.read_state("index").is_none(), "through a symlink");
        assert!(out.open_state("index").is_none());
        assert!(out.read_state("missing").is_none());
    }

    fn mkfifo(path: &Path) {
        let mode = rustix::fs::Mode::from_raw_mode(0o600);
        rustix::fs::mknodat(rustix::fs::CWD, path, rustix::fs::FileType::Fifo, mode, 0).expect("fifo");
    }

    /// A symlink planted at the temporary name a feed is written through
    /// is removed, not written through: its target stays as it was.
    #[test]
    fn a_write_never_goes_through_a_symlink_at_its_temporary_name() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), false, || {}).expect("open");
        let elsewhere = tmp.path().join("elsewhere");
        fs::write(&elsewhere, b"theirs").expect("plant");
        let feed = tmp.path().join("out/rss.xml");
        std::os::unix::fs::symlink(&elsewhere, temp_path(&feed)).expect("symlink");
        assert_eq!(write(&out, "rss.xml", FEED_ONE).expect("w"), Written::New);
        assert_eq!(fs::read(&elsewhere).expect("read"), b"theirs");
        assert!(fs::symlink_metadata(&feed).expect("feed").is_file());
        assert_eq!(fs::read(&feed).expect("read"), FEED_ONE);
        assert!(fs::symlink_metadata(temp_path(&feed)).is_err(), "no leftover");
        // The same for a state file.
        let state = tmp.path().join("state/manifest");
        std::os::unix::fs::symlink(&elsewhere, temp_path(&state)).expect("symlink");
        out.write_state("manifest", b"ours").expect("write");
        assert_eq!(fs::read(&elsewhere).expect("read"), b"theirs");
        assert_eq!(out.read_state("manifest").as_deref(), Some(&b"ours"[..]));
    }

    /// A FIFO at a state file's path is never waited on: opening it would
    /// wait for a writer (to read) or a reader (to write) forever. It reads
    /// as missing; invalidating it removes it, as it does a symlink; writing
    /// over it fails (a warning in a build). In a thread, so that waiting
    /// fails the test instead of hanging it.
    #[test]
    fn a_fifo_at_a_state_path_is_never_waited_on() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (out_dir, state) = (tmp.path().join("out"), tmp.path().join("state"));
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let out = Output::open(&out_dir, &state, false, || {}).expect("open");
            let index = state.join("index");
            mkfifo(&index);
            let unread = out.read_state("index").is_none() && out.open_state("index").is_none();
            let invalidated = out.invalidate_cache_file("index").is_ok() && fs::symlink_metadata(&index).is_err();
            mkfifo(&index);
            let refused = out.write_cache_file("index", b"index").is_err();
            // At a feed's path: not current, not feedgen's, written over
            // only when asked to.
            let feed = out_dir.join("rss.xml");
            mkfifo(&feed);
            let foreign = !out.is_current("rss.xml", b"") && out.is_foreign("rss.xml", false);
            let replaced = write(&out, "rss.xml", FEED_ONE).is_ok() && fs::read(&feed).is_ok_and(|b| b == FEED_ONE);
            // At a write's temporary path: removed, never written into.
            mkfifo(&temp_path(&feed));
            let staged = write(&out, "rss.xml", FEED_TWO).is_ok() && fs::read(&feed).is_ok_and(|b| b == FEED_TWO);
            done.send((unread, invalidated, refused, foreign && replaced && staged))
                .expect("send");
        });
        let (unread, invalidated, refused, feeds) = finished
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("a state write waited on a FIFO");
        assert!(unread, "a FIFO reads as missing");
        assert!(invalidated, "the FIFO is removed");
        assert!(refused, "nothing is written into a FIFO");
        assert!(feeds, "a FIFO at a feed's path or its temporary path");
    }

    #[test]
    fn writes_only_changes_and_removes_empty_folders() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), true, || {}).expect("open");
        assert_eq!(write(&out, "category/a/rss.xml", FEED_ONE).expect("w"), Written::New);
        assert_eq!(
            write(&out, "category/a/rss.xml", FEED_ONE).expect("w"),
            Written::Unchanged
        );
        assert_eq!(
            write(&out, "category/a/rss.xml", FEED_TWO).expect("w"),
            Written::Changed
        );
        assert!(out.is_current("category/a/rss.xml", FEED_TWO));
        assert!(write(&out, "../escape.xml", b"x").is_err());
        assert_eq!(out.remove("category/a/rss.xml").expect("rm"), Removal::Removed);
        assert!(!tmp.path().join("out/category").exists());
        let leftovers: Vec<_> = fs::read_dir(tmp.path().join("out"))
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn removes_only_marked_plain_files_reached_without_symlinks() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), false, || {}).expect("open");
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir_all(elsewhere.join("x")).expect("mkdir");
        fs::write(elsewhere.join("x/rss.xml"), FEED_ONE).expect("plant");
        std::os::unix::fs::symlink(&elsewhere, tmp.path().join("out/category")).expect("symlink");
        assert_eq!(
            out.remove("category/x/rss.xml").expect("rm"),
            Removal::Kept("reached through a symlink")
        );
        assert!(elsewhere.join("x/rss.xml").is_file());
        fs::write(tmp.path().join("out/rss.xml"), b"<rss>by hand</rss>").expect("plant");
        assert_eq!(
            out.remove("rss.xml").expect("rm"),
            Removal::Kept("not written by feedgen")
        );
        assert!(out.is_foreign("rss.xml", true));
        fs::write(tmp.path().join("out/rss.xml"), b"").expect("empty");
        assert!(out.is_foreign("rss.xml", false) && !out.is_foreign("rss.xml", true));
        write(&out, "atom.xml", FEED_TWO).expect("w");
        assert!(!out.is_foreign("atom.xml", false) && !out.is_foreign("tag/none/rss.xml", false));
        assert_eq!(
            out.remove("../elsewhere/x/rss.xml").expect("rm"),
            Removal::Kept("outside the output folder")
        );
        assert_eq!(out.remove("atom.xml").expect("rm"), Removal::Removed);
        assert_eq!(out.remove("atom.xml").expect("rm"), Removal::Absent);
    }
}
