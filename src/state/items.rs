//! The rendered-item cache in feedgen's state: each post's rendered
//! entry ([`StoredEntry`]), keyed by the post's path and content hash and
//! stamped with a fingerprint of the settings it was rendered under. A windowed feed
//! re-rendered after every batch reads its older items from here instead
//! of reading, rendering and sanitizing them again.
//!
//! On disk: `items.pack`, a header naming the pack, then records appended
//! one after another, each self-checking (its key, the settings stamp and a
//! checksum); and `items.idx`, the table key → (offset, length) in that
//! pack, written once at the end of a run. A lookup is one positioned read
//! of one record: the pack is never read whole. A full build drops the keys
//! of posts that are in no feed, and rewrites the pack with only the live
//! records once the dead bytes outgrow the live ones, so a sliding window
//! keeps it bounded (at most about twice the live records, plus one run's
//! appends), while each byte appended is copied at most once on average.
//!
//! It only saves work: a torn, damaged or foreign record is a miss, and a
//! missing or damaged table, or one of another pack, is an empty cache (a
//! new pack is started). So nothing here is synced to disk: whatever a
//! crash or a power loss leaves costs at most rendering again.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use chrono::{DateTime, FixedOffset, TimeZone};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::codec::{Reader, Writer};
use crate::fingerprint::Fingerprint;
use crate::output::Output;
use crate::word_hash::{WordMap, WordSet};

/// The pack and its table, in feedgen's state (next to the rebuild index).
pub const PACK: &str = "items.pack";
pub const TABLE: &str = "items.idx";
/// The folder of one file per post that earlier versions kept.
const LEGACY_DIR: &str = "items";
/// How each of its files started (`FGITEM01`, `FGITEM02`).
const LEGACY_MAGIC: &[u8; 7] = b"FGITEM0";
const ENTRY_MAGIC: &[u8; 8] = b"FGITEM03";
const PACK_MAGIC: &[u8; 8] = b"FGPACK01";
/// Version 2: the table in postcard (serde-derived).
const TABLE_MAGIC: &[u8; 8] = b"FGPIDX02";
/// The pack's header: its magic and its id, which the table names.
const HEADER: u64 = 16;
/// Appended records wait in memory until there are this many bytes.
const PENDING: usize = 1 << 20;
/// Buffers of records handed to the writer thread and not yet written, at
/// most: bounds what the appends hold while the disk catches up.
const QUEUED: usize = 8;

/// A post rendered as an item, as the cache keeps it.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub title: String,
    pub link: String,
    pub id: String,
    pub id_is_link: bool,
    pub date: DateTime<FixedOffset>,
    pub author: StoredAuthor,
    pub summary: String,
    pub content: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub image: Option<String>,
}

/// The entry's author.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredAuthor {
    pub name: String,
    pub email: Option<String>,
    pub uri: Option<String>,
}

/// A post's cache key: its path and content hash.
pub fn key(path: &str, content_hash: u64) -> u64 {
    Fingerprint::new().add(path.as_bytes()).add_u64(content_hash).finish()
}

/// The key of the same post's entry without its full text, which feeds of
/// `content: summary` keep: they never write the text, and may hold
/// thousands of items a full-text feed's cap would not.
pub fn summary_key(key: u64) -> u64 {
    Fingerprint::new().add(b"summary").add_u64(key).finish()
}

/// Where a record lies in the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    offset: u64,
    len: u64,
}

/// The cache of one run.
pub struct ItemCache {
    /// `None` when checking (`--check` renders everything and writes
    /// nothing) or without a writable state folder.
    pack: Option<Pack>,
    /// Fingerprint of the settings entries depend on.
    settings: u64,
}

/// The open pack and the table of its live records.
struct Pack {
    dir: PathBuf,
    file: File,
    id: u64,
    table: Mutex<Table>,
    /// How far the writer thread got, while there is one.
    written: Arc<Written>,
}

/// Writes the pack's appended records, a megabyte at a time and in order,
/// on a thread of its own: a full build appends ~130 MB at 100k posts,
/// and written by the thread that renders, each megabyte kept the other
/// core idle at the end of a batch of feeds (bench/README.md).
struct Appender {
    queue: mpsc::SyncSender<(u64, Vec<u8>)>,
    thread: JoinHandle<()>,
}

/// What the writer thread has done: every byte of the pack below `upto`
/// is written; the write at `failed` failed, and none was tried after it.
#[derive(Default)]
struct Progress {
    upto: u64,
    failed: Option<u64>,
}

#[derive(Default)]
struct Written {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Written {
    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until the pack is written up to `end`; `false` when a write
    /// before it failed.
    fn wait_for(&self, end: u64) -> bool {
        let mut progress = self.lock();
        while progress.upto < end && progress.failed.is_none() {
            progress = self.changed.wait(progress).unwrap_or_else(|e| e.into_inner());
        }
        progress.upto >= end
    }
}

struct Table {
    slots: WordMap<u64, Slot>,
    /// Where the next record goes: the pack's length.
    end: u64,
    /// Records appended but not yet written, which start at `end` minus
    /// their length: written a megabyte at a time, whole pages, since a
    /// write of a few kilobytes past the end had the kernel clear each new
    /// page first (measurable in a full build of a million: bench/README.md).
    pending: Vec<u8>,
    /// Whether the table on disk is out of date.
    dirty: bool,
    /// A write failed (a full disk): no more appends this run.
    failed: bool,
    /// The writer thread, once a megabyte of records is pending; the
    /// records below `end - pending.len()` may still be on their way.
    appender: Option<Appender>,
}

impl ItemCache {
    pub fn open(output: &Output, settings: u64, enabled: bool) -> ItemCache {
        // No state folder (a read-only content checkout): no cache.
        let pack = match output.state_dir() {
            Some(state) if enabled => Pack::open(state),
            _ => None,
        };
        ItemCache { pack, settings }
    }

    /// No cache: every lookup misses, nothing is kept.
    #[cfg(test)]
    pub fn none() -> ItemCache {
        ItemCache {
            pack: None,
            settings: 0,
        }
    }

    /// The entry cached for `key`, if it was rendered under these settings.
    pub fn get(&self, key: u64) -> Option<StoredEntry> {
        let pack = self.pack.as_ref()?;
        let table = pack.lock();
        let slot = *table.slots.get(&key)?;
        let len = usize::try_from(slot.len).ok()?;
        let written = table.end - table.pending.len() as u64;
        if slot.offset >= written {
            let at = usize::try_from(slot.offset - written).ok()?;
            return decode(table.pending.get(at..at.checked_add(len)?)?, key, self.settings);
        }
        let queued = table.appender.is_some();
        drop(table);
        if queued && !pack.written.wait_for(slot.offset + slot.len) {
            return None;
        }
        let mut bytes = vec![0; len];
        pack.file.read_exact_at(&mut bytes, slot.offset).ok()?;
        decode(&bytes, key, self.settings)
    }

    /// Remember an entry. A failed write costs only a later render.
    pub fn put(&self, key: u64, entry: &StoredEntry) {
        let Some(pack) = &self.pack else {
            return;
        };
        let bytes = encode(key, entry, self.settings);
        let mut table = pack.lock();
        if table.failed || (table.appender.is_some() && pack.written.lock().failed.is_some()) {
            return;
        }
        let slot = Slot {
            offset: table.end,
            len: bytes.len() as u64,
        };
        table.pending.extend_from_slice(&bytes);
        table.slots.insert(key, slot);
        table.end += slot.len;
        table.dirty = true;
        if table.pending.len() >= PENDING {
            pack.hand_off(&mut table);
        }
    }

    /// Forget every entry not in `live`, and compact the pack when its
    /// dead bytes outgrow the live ones; returns how many entries went.
    pub fn retain(&mut self, live: &WordSet<u64>) -> usize {
        let Some(pack) = &mut self.pack else {
            return 0;
        };
        pack.flush(&mut pack.lock());
        let table = pack.table.get_mut().unwrap_or_else(|e| e.into_inner());
        let before = table.slots.len();
        table.slots.retain(|key, _| live.contains(key));
        let removed = before - table.slots.len();
        table.dirty |= removed > 0;
        let live_bytes: u64 = table.slots.values().map(|s| s.len).sum();
        let dead_bytes = table.end.saturating_sub(HEADER + live_bytes);
        if dead_bytes > live_bytes {
            // A failed compaction leaves the old pack, still valid.
            let _ = pack.compact();
        }
        removed
    }

    /// Write the table, if this run changed it. Nothing else reaches the
    /// pack's records, so an unwritten table loses this run's appends only.
    pub fn finish(self) {
        if let Some(pack) = self.pack {
            let _ = pack.write_table();
        }
    }
}

impl Pack {
    /// Open the pack in `state` with its table; a missing or damaged one,
    /// or a table of another pack, starts a new, empty pack; a file there
    /// that is neither (not feedgen's) is left as is, and the run has no
    /// cache. The entries of earlier versions' folder go (see
    /// [`remove_legacy`]).
    fn open(state: &Path) -> Option<Pack> {
        remove_legacy(&state.join(LEGACY_DIR));
        let path = state.join(PACK);
        if !is_ours(&path, PACK_MAGIC) || !is_ours(&state.join(TABLE), TABLE_MAGIC) {
            return None;
        }
        // Only a plain file is resumed, never one reached through a symlink.
        let file = crate::output::open_plain(&path, File::options().read(true).write(true))
            .ok()
            .map(|(file, _)| file);
        let mut old_id = 0;
        if let Some(file) = file {
            let len = file.metadata().ok()?.len();
            let mut header = [0; HEADER as usize];
            let id = file
                .read_exact_at(&mut header, 0)
                .ok()
                .filter(|()| header[..8] == PACK_MAGIC[..])
                .map(|()| u64::from_le_bytes(header_id(&header)));
            old_id = id.unwrap_or_default();
            let slots = id.and_then(|id| decode_table(&crate::output::read_plain(&state.join(TABLE))?, id, len));
            if let (Some(id), Some(slots)) = (id, slots) {
                return Some(Pack::new(state, file, id, slots, len));
            }
        }
        // A new pack is a new file, not a truncated one: ext4 flushes a
        // file truncated to nothing when it is closed.
        let _ = fs::remove_file(&path);
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .ok()?;
        let id = fresh_id(old_id);
        file.write_all_at(&pack_header(id), 0).ok()?;
        let mut pack = Pack::new(state, file, id, WordMap::default(), HEADER);
        pack.table.get_mut().unwrap_or_else(|e| e.into_inner()).dirty = true;
        Some(pack)
    }

    fn new(state: &Path, file: File, id: u64, slots: WordMap<u64, Slot>, end: u64) -> Pack {
        Pack {
            dir: state.to_path_buf(),
            file,
            id,
            table: Mutex::new(Table {
                slots,
                end,
                pending: Vec::new(),
                dirty: false,
                failed: false,
                appender: None,
            }),
            written: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hand the pending records to the writer thread (started now if
    /// there is none); written here if no thread can be.
    fn hand_off(&self, table: &mut Table) {
        if table.pending.is_empty() {
            return;
        }
        let at = table.end - table.pending.len() as u64;
        if table.appender.is_none() {
            table.appender = self.appender(at);
        }
        let Some(appender) = &table.appender else {
            return Pack::write_pending(&self.file, table);
        };
        let bytes = std::mem::replace(&mut table.pending, Vec::with_capacity(PENDING + PENDING / 8));
        if let Err(mpsc::SendError((_, bytes))) = appender.queue.send((at, bytes)) {
            // The thread is gone (it panicked): back to writing here.
            table.pending = bytes;
            self.flush(table);
        }
    }

    /// A writer thread for records from `at` on, which writes each buffer
    /// it is handed and, after a failed write, none.
    fn appender(&self, at: u64) -> Option<Appender> {
        let file = self.file.try_clone().ok()?;
        let written = Arc::clone(&self.written);
        *written.lock() = Progress { upto: at, failed: None };
        let (queue, buffers) = mpsc::sync_channel::<(u64, Vec<u8>)>(QUEUED);
        let thread = std::thread::Builder::new()
            .name("feedgen-items".into())
            .spawn(move || {
                for (at, bytes) in buffers {
                    let ok = written.lock().failed.is_none() && file.write_all_at(&bytes, at).is_ok();
                    let mut progress = written.lock();
                    match ok {
                        true => progress.upto = at + bytes.len() as u64,
                        false => progress.failed = progress.failed.or(Some(at)),
                    }
                    written.changed.notify_all();
                }
            })
            .ok()?;
        Some(Appender { queue, thread })
    }

    /// Wait for the writer thread to write what it was handed and end;
    /// a failed write forgets the records from it on.
    fn join(written: &Written, table: &mut Table) {
        let Some(Appender { queue, thread }) = table.appender.take() else {
            return;
        };
        drop(queue);
        let ended = thread.join().is_ok();
        let mut progress = written.lock();
        if !ended && progress.failed.is_none() {
            progress.failed = Some(progress.upto);
        }
        if let Some(at) = progress.failed {
            Pack::forget_from(table, at);
        }
    }

    /// Every record is written (or forgotten): what waits in memory, after
    /// what the writer thread was handed. `table` is this pack's, locked.
    fn flush(&self, table: &mut Table) {
        Pack::join(&self.written, table);
        Pack::write_pending(&self.file, table);
    }

    /// Write the pending records. A failed write (a full disk) forgets
    /// them and stops appending: each costs only a later render.
    fn write_pending(file: &File, table: &mut Table) {
        if table.pending.is_empty() {
            return;
        }
        let at = table.end - table.pending.len() as u64;
        if file.write_all_at(&table.pending, at).is_err() {
            Pack::forget_from(table, at);
        }
        table.pending.clear();
    }

    /// A write at `at` failed: the records from there on are not in the
    /// pack, and nothing more is appended this run.
    fn forget_from(table: &mut Table, at: u64) {
        table.slots.retain(|_, slot| slot.offset < at);
        table.end = table.end.min(at);
        table.pending.clear();
        table.failed = true;
    }

    /// Rewrite the pack with its live, sound records only (to a temporary
    /// file, then renamed over it), under a new id.
    fn compact(&mut self) -> std::io::Result<()> {
        let tmp = self.dir.join(format!(".{PACK}.tmp"));
        let result = self.copy_live(&tmp);
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn copy_live(&mut self, tmp: &Path) -> std::io::Result<()> {
        let table = self.table.get_mut().unwrap_or_else(|e| e.into_inner());
        let mut live: Vec<(u64, Slot)> = table.slots.iter().map(|(&k, &s)| (k, s)).collect();
        live.sort_unstable_by_key(|(_, s)| s.offset);
        // Never through a symlink a killed run's leftover might be.
        let _ = fs::remove_file(tmp);
        let file = File::options().read(true).write(true).create_new(true).open(tmp)?;
        let id = fresh_id(self.id);
        let mut out = BufWriter::with_capacity(1 << 20, &file);
        out.write_all(&pack_header(id))?;
        let mut slots = WordMap::with_capacity_and_hasher(live.len(), Default::default());
        let mut end = HEADER;
        let mut bytes = Vec::new();
        for (key, slot) in live {
            let Ok(len) = usize::try_from(slot.len) else {
                continue;
            };
            bytes.resize(len, 0);
            if self.file.read_exact_at(&mut bytes, slot.offset).is_err() || !is_sound(&bytes, key) {
                continue;
            }
            out.write_all(&bytes)?;
            slots.insert(
                key,
                Slot {
                    offset: end,
                    len: slot.len,
                },
            );
            end += slot.len;
        }
        out.flush()?;
        drop(out);
        fs::rename(tmp, self.dir.join(PACK))?;
        self.file = file;
        self.id = id;
        *table = Table {
            slots,
            end,
            pending: Vec::new(),
            dirty: true,
            failed: table.failed,
            appender: None,
        };
        Ok(())
    }

    /// Replace the table (a temporary file, then a rename) if it changed,
    /// after the records it lists.
    fn write_table(&self) -> std::io::Result<()> {
        let mut table = self.lock();
        self.flush(&mut table);
        if !table.dirty {
            return Ok(());
        }
        let bytes = encode_table(&table.slots, self.id);
        let path = self.dir.join(TABLE);
        let tmp = self.dir.join(format!(".{TABLE}.tmp"));
        let _ = fs::remove_file(&tmp);
        let result = File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&bytes))
            .and_then(|()| fs::rename(&tmp, &path));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// Whether the file at `path` is absent, empty or starts with `magic`:
/// feedgen's to replace or remove. A state folder named with `--state` may
/// hold the user's own files. (A symlink or a FIFO there is replaced,
/// never followed, as at every state file's name.)
fn is_ours(path: &Path, magic: &[u8; 8]) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return true;
    };
    let mut head = [0; 8];
    !meta.is_file()
        || meta.len() == 0
        || crate::output::open_plain(path, File::options().read(true))
            .is_ok_and(|(file, _)| file.read_exact_at(&mut head, 0).is_ok() && head == *magic)
}

/// Remove the entries the per-post cache of earlier versions left in
/// `dir` (a real folder only, never through a symlink), file by file: only
/// plain files named as it named them (16 hex digits, or those and `.tmp`)
/// that start with its magic; then the folder, if that left it empty.
fn remove_legacy(dir: &Path) {
    if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let named = name.to_str().is_some_and(|n| {
            let key = n.strip_suffix(".tmp").unwrap_or(n);
            key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit())
        });
        let path = entry.path();
        let marked = || {
            let mut head = [0; 7];
            crate::output::open_plain(&path, File::options().read(true))
                .is_ok_and(|(file, _)| file.read_exact_at(&mut head, 0).is_ok() && head == *LEGACY_MAGIC)
        };
        if named && marked() {
            let _ = fs::remove_file(&path);
        }
    }
    let _ = fs::remove_dir(dir);
}

fn header_id(header: &[u8; HEADER as usize]) -> [u8; 8] {
    let mut id = [0; 8];
    id.copy_from_slice(&header[8..]);
    id
}

fn pack_header(id: u64) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(HEADER as usize));
    w.0.extend_from_slice(PACK_MAGIC);
    w.u64(id);
    w.0
}

/// An id for a new pack, other than `old`'s: a table written for one pack
/// never vouches for the records of the next. Only the state sees it.
fn fresh_id(old: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let id = Fingerprint::new()
        .add(&now.to_le_bytes())
        .add_u64(u64::from(std::process::id()))
        .add_u64(old)
        .finish();
    if id == old {
        id.wrapping_add(1)
    } else {
        id
    }
}

/// The table as stored: the pack it describes and its slots, sorted by
/// key (postcard; keys are hashes, fixed-width, the rest variable-length).
#[derive(Serialize, Deserialize)]
struct TableFile {
    #[serde(with = "postcard::fixint::le")]
    pack: u64,
    slots: Vec<TableSlot>,
}

#[derive(Serialize, Deserialize)]
struct TableSlot {
    #[serde(with = "postcard::fixint::le")]
    key: u64,
    offset: u64,
    len: u64,
}

/// The table: magic, then [`TableFile`], then the checksum of both.
fn encode_table(slots: &WordMap<u64, Slot>, id: u64) -> Vec<u8> {
    let mut sorted: Vec<TableSlot> = slots
        .iter()
        .map(|(&key, s)| TableSlot {
            key,
            offset: s.offset,
            len: s.len,
        })
        .collect();
    sorted.sort_unstable_by_key(|s| s.key);
    let table = TableFile {
        pack: id,
        slots: sorted,
    };
    let mut bytes = Vec::with_capacity(32 + 16 * table.slots.len());
    bytes.extend_from_slice(TABLE_MAGIC);
    // Serializing numbers into memory cannot fail; an empty table would
    // only be refused (no magic).
    bytes = postcard::to_extend(&table, bytes).unwrap_or_default();
    let sum = xxh3_64(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

/// The slots of a table written for the pack `id`, `pack_len` bytes long;
/// a slot past the pack's end (a truncated pack) is left out.
fn decode_table(bytes: &[u8], id: u64, pack_len: u64) -> Option<WordMap<u64, Slot>> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if xxh3_64(body).to_le_bytes() != sum {
        return None;
    }
    let (magic, rest) = body.split_at_checked(8)?;
    let table: TableFile = match postcard::take_from_bytes(rest) {
        Ok((table, [])) if magic == TABLE_MAGIC => table,
        _ => return None,
    };
    if table.pack != id {
        return None;
    }
    let mut slots = WordMap::with_capacity_and_hasher(table.slots.len(), Default::default());
    for TableSlot { key, offset, len } in table.slots {
        if offset >= HEADER && offset.checked_add(len).is_some_and(|e| e <= pack_len) {
            slots.insert(key, Slot { offset, len });
        }
    }
    Some(slots)
}

/// Whether a record's checksum holds and it is `key`'s.
fn is_sound(bytes: &[u8], key: u64) -> bool {
    let Some((body, sum)) = bytes.len().checked_sub(8).and_then(|n| bytes.split_at_checked(n)) else {
        return false;
    };
    xxh3_64(body).to_le_bytes() == sum && body.get(8..16) == Some(&key.to_le_bytes()[..])
}

fn encode(key: u64, e: &StoredEntry, settings: u64) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256 + e.content.len() + e.summary.len()));
    w.0.extend_from_slice(ENTRY_MAGIC);
    w.u64(key);
    w.u64(settings);
    for s in [&e.title, &e.link, &e.id, &e.summary, &e.content, &e.author.name] {
        w.str(s);
    }
    for s in [&e.author.email, &e.author.uri, &e.source, &e.image] {
        w.opt(s.as_deref());
    }
    w.0.push(u8::from(e.id_is_link));
    w.u64(e.date.timestamp() as u64);
    w.u64(i64::from(e.date.offset().local_minus_utc()) as u64);
    for list in [&e.categories, &e.tags] {
        w.list(list);
    }
    let sum = xxh3_64(&w.0);
    w.u64(sum);
    w.0
}

fn decode(bytes: &[u8], key: u64, settings: u64) -> Option<StoredEntry> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if xxh3_64(body).to_le_bytes() != sum {
        return None;
    }
    let mut r = Reader(body);
    if r.take(8)? != ENTRY_MAGIC || r.u64()? != key || r.u64()? != settings {
        return None;
    }
    let title = r.str()?;
    let link = r.str()?;
    let id = r.str()?;
    let summary = r.str()?;
    let content = r.str()?;
    let name = r.str()?;
    let email = r.opt()?;
    let uri = r.opt()?;
    let source = r.opt()?;
    let image = r.opt()?;
    let id_is_link = r.take(1)?[0] != 0;
    let secs = r.u64()? as i64;
    let offset = i32::try_from(r.u64()? as i64).ok()?;
    let date = FixedOffset::east_opt(offset)?.timestamp_opt(secs, 0).single()?;
    let categories = r.list()?;
    let tags = r.list()?;
    r.0.is_empty().then_some(StoredEntry {
        title,
        link,
        id,
        id_is_link,
        date,
        author: StoredAuthor { name, email, uri },
        summary,
        content,
        categories,
        tags,
        source,
        image,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> StoredEntry {
        let date = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2021, 12, 8, 10, 46, 18).single())
            .expect("date");
        StoredEntry {
            title: format!("标题 \"{n}\""),
            link: format!("https://a.example/{n}.html"),
            id: "tag:a.example,2021:x".into(),
            id_is_link: false,
            date,
            author: StoredAuthor {
                name: "ZNing".into(),
                email: None,
                uri: Some("https://z.example/".into()),
            },
            summary: "s".into(),
            content: format!("<p>{}</p>", "正文".repeat(50 + n)),
            categories: vec!["emnews".into(), "上海·证券".into()],
            tags: vec![],
            source: Some("https://src.example/1".into()),
            image: Some("https://a.example/i/1.png".into()),
        }
    }

    fn same(a: Option<StoredEntry>, b: &StoredEntry) -> bool {
        format!("{a:?}") == format!("{:?}", Some(b))
    }

    /// The cache of a new run on the state folder in `dir`.
    fn open(dir: &Path, settings: u64) -> ItemCache {
        let output = Output::open(&dir.join("out"), &dir.join("state"), false, || {}).expect("open");
        ItemCache::open(&output, settings, true)
    }

    /// A run that stores entries `0..n` under keys `100..100 + n`.
    fn fill(dir: &Path, n: usize) {
        let cache = open(dir, 7);
        for i in 0..n {
            cache.put(100 + i as u64, &entry(i));
        }
        cache.finish();
    }

    fn hits(dir: &Path, n: usize) -> Vec<bool> {
        let cache = open(dir, 7);
        (0..n).map(|i| same(cache.get(100 + i as u64), &entry(i))).collect()
    }

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let bytes = encode(3, &entry(1), 7);
        assert!(same(decode(&bytes, 3, 7), &entry(1)));
        assert!(decode(&bytes, 3, 8).is_none(), "other settings");
        assert!(decode(&bytes, 4, 7).is_none(), "another post's record");
        for cut in [0, 1, 9, bytes.len() - 1] {
            assert!(decode(&bytes[..cut], 3, 7).is_none(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[30] ^= 1;
        assert!(decode(&flipped, 3, 7).is_none());
    }

    #[test]
    fn entries_outlive_the_run_in_one_pack_and_other_settings_miss() {
        let tmp = tempfile::tempdir().expect("tmp");
        fill(tmp.path(), 3);
        let state = tmp.path().join("state");
        let names: Vec<_> = fs::read_dir(&state)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(state.join(PACK).is_file() && state.join(TABLE).is_file(), "{names:?}");
        assert_eq!(hits(tmp.path(), 3), [true; 3]);
        assert!(open(tmp.path(), 8).get(100).is_none(), "other settings");
        // A run that ends without `finish` (killed) loses only its appends.
        let cache = open(tmp.path(), 7);
        cache.put(200, &entry(9));
        drop(cache);
        assert!(open(tmp.path(), 7).get(200).is_none());
        assert_eq!(hits(tmp.path(), 3), [true; 3]);
    }

    /// Appends wait in memory a megabyte at a time: a record is found
    /// while it waits, once written, and in the next run.
    #[test]
    fn waiting_and_written_appends_are_found() {
        let tmp = tempfile::tempdir().expect("tmp");
        let cache = open(tmp.path(), 7);
        let stored = entry(1000);
        // More than two megabytes: two writes, and some still waiting.
        let n = 2 * PENDING / encode(0, &stored, 7).len() + 20;
        for key in 0..n as u64 {
            cache.put(key, &stored);
            assert!(same(cache.get(key), &stored), "{key} just stored");
        }
        let waiting = cache.pack.as_ref().map_or(0, |p| p.lock().pending.len());
        assert!(waiting > 0 && waiting < PENDING, "{waiting}");
        assert!((0..n as u64).all(|key| same(cache.get(key), &stored)));
        cache.finish();
        let next = open(tmp.path(), 7);
        assert!((0..n as u64).all(|key| same(next.get(key), &stored)));
    }

    /// A write that fails (a full disk; here a pack opened read-only), on
    /// the writer thread or not, forgets the records from it on, stops
    /// the appends, and never makes a lookup wait or return wrong bytes.
    #[test]
    fn a_failed_write_forgets_its_records_and_stops_appending() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join(PACK);
        fs::write(&path, pack_header(5)).expect("pack");
        let file = File::open(&path).expect("read-only");
        let cache = ItemCache {
            pack: Some(Pack::new(tmp.path(), file, 5, WordMap::default(), HEADER)),
            settings: 7,
        };
        let stored = entry(1000);
        let n = 3 * PENDING / encode(0, &stored, 7).len();
        for key in 0..n as u64 {
            cache.put(key, &stored);
        }
        let pack = cache.pack.as_ref().expect("pack");
        // The first megabyte went to the thread, whose write failed.
        assert!(!pack.written.wait_for(u64::MAX));
        // Those still in memory are found there; those handed over, not.
        assert!(cache.get(0).is_none());
        assert!((0..n as u64).all(|key| cache.get(key).is_none_or(|e| same(Some(e), &stored))));
        let mut table = pack.lock();
        pack.flush(&mut table);
        assert!(
            table.failed && table.slots.is_empty() && table.pending.is_empty(),
            "{}",
            table.slots.len()
        );
        assert_eq!(table.end, HEADER);
        drop(table);
        assert!((0..n as u64).all(|key| cache.get(key).is_none()));
        cache.put(u64::MAX, &stored);
        assert!(cache.get(u64::MAX).is_none(), "no append after a failed write");
    }

    #[test]
    fn a_damaged_pack_or_table_is_a_miss() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (pack, table) = (
            tmp.path().join("state").join(PACK),
            tmp.path().join("state").join(TABLE),
        );
        // A flipped byte in the middle record misses that record only.
        fill(tmp.path(), 3);
        let mut bytes = fs::read(&pack).expect("pack");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        fs::write(&pack, &bytes).expect("damage");
        assert_eq!(hits(tmp.path(), 3), [true, false, true]);
        // A truncated pack misses the records it lost.
        fill(tmp.path(), 3);
        let len = fs::metadata(&pack).expect("pack").len();
        File::options()
            .write(true)
            .open(&pack)
            .and_then(|f| f.set_len(len - 10))
            .expect("truncate");
        assert_eq!(hits(tmp.path(), 3), [true, true, false]);
        // A garbled, foreign or missing table is an empty cache, in a new pack.
        for damage in ["garble", "foreign", "delete"] {
            fill(tmp.path(), 3);
            match damage {
                "garble" => {
                    let mut bytes = fs::read(&table).expect("table");
                    bytes[20] ^= 1;
                    fs::write(&table, bytes).expect("garble");
                }
                "foreign" => fs::write(&table, encode_table(&WordMap::default(), 1)).expect("foreign"),
                _ => fs::remove_file(&table).expect("delete"),
            }
            assert_eq!(hits(tmp.path(), 3), [false; 3], "{damage}");
            assert_eq!(fs::metadata(&pack).expect("pack").len(), HEADER, "{damage}");
        }
        // A garbled pack header too.
        fill(tmp.path(), 3);
        let mut bytes = fs::read(&pack).expect("pack");
        bytes[3] ^= 1;
        fs::write(&pack, &bytes).expect("damage");
        assert_eq!(hits(tmp.path(), 3), [false; 3]);
    }

    /// A table that claims more slots than its bytes hold, with a valid
    /// checksum (as a crafted file has), is refused without allocating.
    #[test]
    fn a_crafted_slot_count_allocates_nothing() {
        let mut bytes = TABLE_MAGIC.to_vec();
        bytes.extend_from_slice(&9u64.to_le_bytes());
        // 2^60 slots, as a postcard length, then one slot.
        bytes.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
        bytes.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 16, 1]);
        let sum = xxh3_64(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        assert!(decode_table(&bytes, 9, 1 << 20).is_none());
        let one = encode_table(&[(1, Slot { offset: 16, len: 1 })].into_iter().collect(), 9);
        assert_eq!(decode_table(&one, 9, 1 << 20).map(|s| s.len()), Some(1));
    }

    #[test]
    fn retain_drops_dead_entries_and_compaction_shrinks_the_pack() {
        let tmp = tempfile::tempdir().expect("tmp");
        let pack = tmp.path().join("state").join(PACK);
        fill(tmp.path(), 4);
        let full = fs::metadata(&pack).expect("pack").len();
        // Three of four live: dead bytes are fewer than live ones, the pack stays.
        let mut cache = open(tmp.path(), 7);
        assert_eq!(cache.retain(&[100, 101, 102].into_iter().collect()), 1);
        cache.finish();
        assert_eq!(fs::metadata(&pack).expect("pack").len(), full);
        assert_eq!(hits(tmp.path(), 4), [true, true, true, false]);
        // One of four live: the pack is rewritten with it alone.
        let mut cache = open(tmp.path(), 7);
        assert_eq!(cache.retain(&[102].into_iter().collect()), 2);
        // Entries stored after the compaction, in the same run, stay too.
        cache.put(200, &entry(9));
        cache.finish();
        let compacted = fs::metadata(&pack).expect("pack").len();
        let record = |i, k| encode(k, &entry(i), 7).len() as u64;
        assert_eq!(compacted, HEADER + record(2, 102) + record(9, 200));
        assert_eq!(hits(tmp.path(), 4), [false, false, true, false]);
        assert!(same(open(tmp.path(), 7).get(200), &entry(9)));
        let names: Vec<_> = fs::read_dir(tmp.path().join("state"))
            .expect("ls")
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.contains("tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn the_old_folder_goes_and_no_symlink_is_followed() {
        let tmp = tempfile::tempdir().expect("tmp");
        let state = tmp.path().join("state");
        fs::create_dir_all(state.join(LEGACY_DIR)).expect("mkdir");
        fs::write(state.join(LEGACY_DIR).join("00000000000000ff"), b"FGITEM02").expect("plant");
        fill(tmp.path(), 1);
        assert!(!state.join(LEGACY_DIR).exists());
        // Only its own files: named and marked as it wrote them.
        fs::create_dir_all(state.join(LEGACY_DIR).join("sub")).expect("mkdir");
        for (name, bytes) in [
            ("00000000000000ff", &b"FGITEM01 old"[..]),
            ("00000000000000fe.tmp", b"FGITEM02"),
            ("00000000000000fd", b"mine"),
            ("notes.txt", b"FGITEM02"),
        ] {
            fs::write(state.join(LEGACY_DIR).join(name), bytes).expect("plant");
        }
        fill(tmp.path(), 1);
        let mut left: Vec<_> = fs::read_dir(state.join(LEGACY_DIR))
            .expect("ls")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .collect();
        left.sort();
        assert_eq!(left, ["00000000000000fd", "notes.txt", "sub"]);
        fs::remove_dir_all(state.join(LEGACY_DIR)).expect("rm");
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir_all(&elsewhere).expect("mkdir");
        fs::write(elsewhere.join("keep"), b"x").expect("plant");
        std::os::unix::fs::symlink(&elsewhere, state.join(LEGACY_DIR)).expect("symlink");
        fill(tmp.path(), 1);
        assert!(elsewhere.join("keep").is_file());
        // A pack that is a symlink is replaced, its target left as it is.
        fs::remove_file(state.join(PACK)).expect("rm");
        std::os::unix::fs::symlink(elsewhere.join("keep"), state.join(PACK)).expect("symlink");
        fill(tmp.path(), 1);
        assert_eq!(fs::read(elsewhere.join("keep")).expect("read"), b"x");
        assert!(fs::symlink_metadata(state.join(PACK)).expect("pack").is_file());
        assert_eq!(hits(tmp.path(), 1), [true]);
    }

    #[test]
    fn checking_uses_no_cache() {
        let tmp = tempfile::tempdir().expect("tmp");
        fill(tmp.path(), 1);
        let output = Output::read_only(&tmp.path().join("out"), &tmp.path().join("state"), false);
        let cache = ItemCache::open(&output, 7, false);
        assert!(cache.get(100).is_none());
        cache.put(101, &entry(1));
        cache.finish();
        assert_eq!(hits(tmp.path(), 2), [true, false]);
    }
}
