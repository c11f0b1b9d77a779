//! The rebuild index kept in the state folder: what every post file gave
//! when last read (keyed by path, a hash of its stamp and content hash) and a
//! fingerprint of every feed's inputs. It only ever saves work: a missing,
//! stale or corrupt index is ignored, and output never depends on it.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::num::{NonZeroU32, NonZeroU64};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone};
use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3;

use super::codec::{Reader, Writer};
use crate::diagnostics::{Diagnostic, Severity};
use crate::word_hash::WordMap;

pub const FILE: &str = "index";

/// A category or tag name as the index keeps it.
pub type Name = std::sync::Arc<str>;
/// A post's list of names, shared by the posts of a chunk that carry it.
pub type Names = crate::shared_list::SharedList<Name>;

/// One post file as last read: its stamp (what tells, from a `stat`,
/// whether reading it again can give anything new), its content hash and
/// what reading it gave.
#[derive(Debug)]
pub struct StoredPost {
    /// Relative to the content root, `/`-separated.
    pub rel: std::sync::Arc<str>,
    /// A hash of its size, mtime, ctime and inode (version 10).
    pub stamp: u64,
    /// xxh3 of the file's bytes (0 when they were not read).
    pub hash: u64,
    /// Git's blob id of those bytes: not in the index's records but in
    /// their own file beside it (see [`super::blobs`]).
    pub blob: Option<[u8; 20]>,
    pub outcome: StoredOutcome,
    /// A boxed slice, 8 bytes less than a `Vec`: a stored post is no
    /// larger than the record it is converted from, so that a million of
    /// them are converted in place, not into a second vector.
    pub diagnostics: Box<[Diagnostic]>,
}

/// What reading a file gave.
#[derive(Debug)]
pub enum StoredOutcome {
    NotAPost,
    Rejected,
    Post(StoredMeta),
}

/// A post's metadata, as selection needs it.
#[derive(Debug, Clone)]
pub struct StoredMeta {
    pub date: DateTime<FixedOffset>,
    /// The instant Jekyll reads as the post's date (epoch seconds).
    pub jekyll_time: i64,
    pub categories: Names,
    pub tags: Names,
    pub unpublished: bool,
    pub plain_text: bool,
    /// How Jekyll reads the file for its URL, when not from the file name
    /// alone (version 7).
    pub jekyll: Option<Box<StoredReading>>,
    /// A hash of the file Jekyll writes for the post's URL (version 8):
    /// which posts may share a page, without building their URLs.
    pub page_file: Option<NonZeroU64>,
    /// The line of an unquoted offset-less `date` (version 9).
    pub unquoted_date: Option<NonZeroU32>,
}

/// What Jekyll builds a post's URL from, beside its date and categories:
/// which posts share a page is decided from it (version 7).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReading {
    pub slug: String,
    pub permalink: Option<String>,
    pub date: StoredLinkDate,
    /// `None`: the post's categories.
    pub categories: Option<Names>,
}

/// The date Jekyll builds a post's URL from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StoredLinkDate {
    AsFeed,
    Instant(DateTime<FixedOffset>),
    LocalMidnight(NaiveDate),
}

/// Version 6: records in chunks, each chunk with a table of the category,
/// tag and diagnostic strings its records refer to by number; numbers in as
/// few bytes as they need (half the size of version 3, no text to look up
/// when decoding); chunks coded on every core and streamed, a group at a
/// time, to and from the file. The running checksum starts after the head
/// (which holds the counts), so a run that leaves the first chunks as they
/// were writes only the head and what follows them (version 6). Version 7:
/// a post's Jekyll reading ([`StoredReading`]) after its names when it has
/// one (flag 8); a version-6 index is not read, so its posts are read again.
/// Version 8: a post's page file hash ([`StoredMeta::page_file`]), 8
/// bytes after its Jekyll time when it has one (flag 16); the settings it
/// is valid for include every one the URL is built from
/// (`model::page_settings`). A version-7 index is not read. Version 9:
/// the line of an unquoted offset-less date ([`StoredMeta::unquoted_date`])
/// after the page file hash (flag 32), where a post used to carry a note
/// of its own; a page file hash is never 0. Version 10: a record's size,
/// mtime, ctime and inode are one hash of them (8 bytes, 18 to 26 before;
/// `content::walk::stamp_key`).
const MAGIC: &[u8; 8] = b"FGINDX10";
/// The head: the magic, the settings, the number of records and of chunks.
const HEAD: usize = 32;

#[derive(Debug)]
pub struct Index<T = StoredPost> {
    pub records: Vec<T>,
    pub feeds: BTreeMap<String, u64>,
    /// The checksum it was read with (0 for one not read from a file).
    pub checksum: u64,
    /// Where its chunks end in the file it was read from.
    pub chunks: Chunks,
}

impl<T> Default for Index<T> {
    fn default() -> Self {
        Index {
            records: Vec::new(),
            feeds: BTreeMap::new(),
            checksum: 0,
            chunks: Chunks::default(),
        }
    }
}

/// A record as the layer above the state keeps it, made from the stored
/// one at the seam (see [`Index::read_as`]).
pub trait FromStored: Send + Sized {
    fn from_stored(post: StoredPost) -> Self;
    /// Its path, relative to the content root: the index's order.
    fn rel(&self) -> &str;
    /// Give it the git blob id of its bytes (see [`super::blobs`]).
    fn set_blob(&mut self, blob: Option<[u8; 20]>);
}

impl FromStored for StoredPost {
    fn from_stored(post: StoredPost) -> Self {
        post
    }

    fn rel(&self) -> &str {
        &self.rel
    }

    fn set_blob(&mut self, blob: Option<[u8; 20]>) {
        self.blob = blob;
    }
}

/// Where each chunk of an index read from a file ends, with the running
/// checksum there: what [`Index::write`] needs to leave the chunks before
/// a change where they are.
#[derive(Clone, Default)]
pub struct Chunks {
    ends: Vec<(u64, Xxh3)>,
    /// The file's size: a file of another size is not that index.
    size: u64,
}

impl std::fmt::Debug for Chunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chunks({})", self.ends.len())
    }
}

/// The chunks of the index on disk a write may leave in place: `kept`
/// leading records of the index being written are the leading records of
/// the one `chunks` were read with, unchanged and in the same places.
#[derive(Clone, Copy)]
pub struct Keep<'a> {
    pub chunks: &'a Chunks,
    pub kept: usize,
}

/// The checksum of an index: of its head and its body's running checksum.
fn checksum(head: &[u8], body: &Xxh3) -> u64 {
    let mut all = Xxh3::new();
    all.update(head);
    all.update(&body.digest().to_le_bytes());
    all.digest()
}

/// The strings of an index being encoded, each numbered once: by address
/// first (interned names are shared), then by text.
#[derive(Default)]
struct Strings<'a> {
    by_addr: WordMap<(usize, usize), u64>,
    by_text: HashMap<&'a str, u64>,
    list: Vec<&'a str>,
}

impl<'a> Strings<'a> {
    fn id(&mut self, s: &'a str) -> u64 {
        let addr = (s.as_ptr() as usize, s.len());
        if let Some(&id) = self.by_addr.get(&addr) {
            return id;
        }
        let next = self.list.len() as u64;
        let id = *self.by_text.entry(s).or_insert(next);
        if id == next {
            self.list.push(s);
        }
        self.by_addr.insert(addr, id);
        id
    }
}

/// Records per chunk: chunks are encoded and decoded on every core, each
/// with its own table of strings.
const CHUNK: usize = if cfg!(test) { 64 } else { 8192 };
/// Chunks coded at a time: the whole index is never in memory as bytes,
/// and a group's records and bytes (~1.3 and ~0.8 MB a chunk) are what
/// decoding holds beside the records decoded.
const GROUP: usize = 4;

/// Layout: the magic, the settings, the number of records and of chunks,
/// then each chunk and the feeds' block with their lengths before them,
/// then the checksum of everything before it.
impl Index {
    /// The index as bytes (as [`Index::write`] writes it).
    #[cfg(test)]
    pub fn encode(&self, settings: u64) -> Vec<u8> {
        let mut bytes = io::Cursor::new(Vec::new());
        let written = self.write(settings, &mut bytes, None);
        debug_assert!(written.is_ok(), "writing to memory never fails");
        bytes.into_inner()
    }

    /// An index from bytes (as [`Index::read`] reads it).
    #[cfg(test)]
    pub fn decode(bytes: &[u8], settings: u64) -> Option<Index> {
        Index::read(bytes, bytes.len() as u64, settings)
    }

    /// Write the index to `out` a group of chunks at a time, each group
    /// encoded on every core; returns the bytes written and the checksum.
    /// With `keep`, `out` holds the index those chunks were read from, and
    /// the chunks whose records are all kept stay as they are: only the
    /// head and what follows them is written (100 new posts at 100k: one
    /// chunk of 13, not all). `out` is written from its start.
    pub fn write(&self, settings: u64, out: &mut (impl Write + Seek), keep: Option<Keep>) -> io::Result<(u64, u64)> {
        let chunks = self.records.len().div_ceil(CHUNK);
        let mut head = Vec::with_capacity(HEAD);
        head.extend_from_slice(MAGIC);
        for n in [settings, self.records.len() as u64, chunks as u64] {
            head.extend_from_slice(&n.to_le_bytes());
        }
        let keep = match keep {
            Some(k) if out.seek(SeekFrom::End(0))? == k.chunks.size => Some(k),
            _ => None,
        };
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&head)?;
        let mut out = Checked::new(out);
        out.len = HEAD as u64;
        // Whole chunks of kept records, which the old index has too.
        let kept = keep.map_or(0, |k| (k.kept / CHUNK).min(k.chunks.ends.len()).min(chunks));
        if let Some((end, hash)) = kept.checked_sub(1).and_then(|last| keep?.chunks.ends.get(last)) {
            out.inner.seek(SeekFrom::Start(*end))?;
            out.len = *end;
            out.hash = hash.clone();
        }
        for group in self.records[kept * CHUNK..].chunks(CHUNK * GROUP) {
            let encoded: Vec<Vec<u8>> = group.par_chunks(CHUNK).map(encode_chunk).collect();
            for chunk in encoded {
                out.put(&(chunk.len() as u64).to_le_bytes())?;
                out.put(&chunk)?;
            }
        }
        let mut w = Writer(Vec::with_capacity(self.feeds.len() * 60));
        w.var(self.feeds.len() as u64);
        for (rel, fp) in &self.feeds {
            w.var_str(rel);
            w.u64(*fp);
        }
        out.put(&(w.0.len() as u64).to_le_bytes())?;
        out.put(&w.0)?;
        let check = checksum(&head, &out.hash);
        out.put(&check.to_le_bytes())?;
        Ok((out.len, check))
    }

    /// Read an index of `size` bytes from `input`, a group of chunks at a
    /// time, each group decoded on every core. `None` for another version,
    /// other `settings`, or any damage (the checksum is checked at the end;
    /// no count or length is believed beyond the bytes the file has).
    #[cfg(test)]
    pub fn read(input: impl Read, size: u64, settings: u64) -> Option<Index> {
        Index::read_as(input, size, settings)
    }
}

impl<T: FromStored> Index<T> {
    /// [`Index::read`], each record made a `T` as its chunk is decoded, on
    /// the core that decoded it: the records are never all in memory
    /// twice (100k `StoredPost`s converted after the read took 25 ms, most
    /// of it the kernel clearing the pages of the second array).
    pub fn read_as(input: impl Read, size: u64, settings: u64) -> Option<Index<T>> {
        let mut input = Checked::new(input);
        let head = input.take(HEAD as u64, size)?;
        // The running checksum is of the body.
        input.hash = Xxh3::new();
        let mut r = Reader(&head);
        if r.take(8)? != MAGIC || r.u64()? != settings {
            return None;
        }
        let count = usize::try_from(r.u64()?).ok()?;
        let chunks = usize::try_from(r.u64()?).ok()?;
        let fits = |n: usize, bytes: usize| n.checked_mul(bytes).is_some_and(|b| b as u64 <= size);
        if !fits(count, RECORD_BYTES) || !fits(chunks, 8) {
            return None;
        }
        let mut records = Vec::with_capacity(count);
        let mut ends = Vec::with_capacity(chunks);
        let mut left = chunks;
        // Each group's chunks are decoded into the same buffers: the pages
        // of a new buffer per chunk cost a fault each (a megabyte and a
        // half of records a chunk).
        let mut decoded: Vec<Vec<T>> = Vec::new();
        while left > 0 {
            let mut group = Vec::with_capacity(GROUP.min(left));
            for _ in 0..GROUP.min(left) {
                let len = input.u64(size)?;
                group.push(input.take(len, size)?);
                ends.push((input.len, input.hash.clone()));
            }
            left -= group.len();
            decoded.resize_with(decoded.len().max(group.len()), Vec::new);
            let whole =
                (group.par_iter().zip(&mut decoded)).all(|(bytes, chunk)| decode_chunk::<T>(bytes, chunk).is_some());
            for chunk in decoded.iter_mut().take(group.len()) {
                if !whole || records.len() + chunk.len() > count {
                    return None;
                }
                records.append(chunk);
            }
        }
        let len = input.u64(size)?;
        let block = input.take(len, size)?;
        let mut r = Reader(&block);
        let n = r.var_len(FEED_BYTES)?;
        let mut feeds = BTreeMap::new();
        for _ in 0..n {
            let rel = r.var_text()?.to_string();
            feeds.insert(rel, r.u64()?);
        }
        let digest = checksum(&head, &input.hash);
        let check = input.u64(size)?;
        let whole = r.0.is_empty() && check == digest && input.at_end();
        (whole && records.len() == count && records.is_sorted_by(|a, b| a.rel() < b.rel())).then_some(Index {
            records,
            feeds,
            checksum: check,
            chunks: Chunks { ends, size },
        })
    }
}

/// A stream of index bytes with their running checksum and length.
struct Checked<T> {
    inner: T,
    hash: Xxh3,
    len: u64,
}

impl<T> Checked<T> {
    fn new(inner: T) -> Self {
        Checked {
            inner,
            hash: Xxh3::new(),
            len: 0,
        }
    }
}

impl<W: Write> Checked<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hash.update(bytes);
        self.len += bytes.len() as u64;
        self.inner.write_all(bytes)
    }
}

impl<R: Read> Checked<R> {
    /// The next `len` bytes, if the stream (of `size` bytes) has them.
    fn take(&mut self, len: u64, size: u64) -> Option<Vec<u8>> {
        if len > size.saturating_sub(self.len) {
            return None;
        }
        let mut bytes = Vec::with_capacity(len as usize);
        (&mut self.inner).take(len).read_to_end(&mut bytes).ok()?;
        if bytes.len() as u64 != len {
            return None;
        }
        self.hash.update(&bytes);
        self.len += len;
        Some(bytes)
    }

    fn u64(&mut self, size: u64) -> Option<u64> {
        let bytes = self.take(8, size)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    /// Whether nothing follows.
    fn at_end(&mut self) -> bool {
        matches!(self.inner.read(&mut [0]), Ok(0))
    }
}

/// A chunk of records: its strings' table, then the records.
fn encode_chunk(records: &[StoredPost]) -> Vec<u8> {
    let mut strings = Strings::default();
    let mut w = Writer(Vec::with_capacity(records.len() * 100));
    w.var(records.len() as u64);
    for r in records {
        w.var_str(&r.rel);
        w.u64(r.stamp);
        w.u64(r.hash);
        match &r.outcome {
            StoredOutcome::NotAPost => w.u8(0),
            StoredOutcome::Rejected => w.u8(1),
            StoredOutcome::Post(m) => {
                w.u8(2);
                w.var_i64(m.date.timestamp());
                w.var_i64(i64::from(m.date.offset().local_minus_utc()));
                let flags = u8::from(m.unpublished)
                    | (u8::from(m.plain_text) << 2)
                    | (u8::from(m.jekyll.is_some()) << 3)
                    | (u8::from(m.page_file.is_some()) << 4)
                    | (u8::from(m.unquoted_date.is_some()) << 5);
                w.u8(flags);
                w.var_i64(m.jekyll_time);
                if let Some(page_file) = m.page_file {
                    w.u64(page_file.get());
                }
                if let Some(line) = m.unquoted_date {
                    w.var(u64::from(line.get()));
                }
                for terms in [&m.categories, &m.tags] {
                    w.var(terms.len() as u64);
                    terms.iter().for_each(|t| w.var(strings.id(t)));
                }
                if let Some(reading) = &m.jekyll {
                    encode_reading(&mut w, reading, &mut strings);
                }
            }
        }
        w.var(r.diagnostics.len() as u64);
        for d in &r.diagnostics {
            w.var(strings.id(&d.path));
            w.var(d.line.map_or(0, |l| l as u64));
            w.u8(d.severity as u8);
            w.var(strings.id(&d.message));
        }
    }
    let table_bytes: usize = strings.list.iter().map(|s| s.len() + 10).sum();
    let mut out = Writer(Vec::with_capacity(10 + table_bytes + w.0.len()));
    out.var(strings.list.len() as u64);
    strings.list.iter().for_each(|s| out.var_str(s));
    out.0.extend_from_slice(&w.0);
    out.0
}

/// A chunk's records, each converted as it is decoded (one pass over a
/// million records less than decoding them all first).
fn decode_chunk<T: FromStored>(bytes: &[u8], records: &mut Vec<T>) -> Option<()> {
    let mut r = Reader(bytes);
    let n = r.var_len(1)?;
    let strings: Vec<Name> = (0..n).map(|_| r.var_text().map(Name::from)).collect::<Option<_>>()?;
    let string = |r: &mut Reader| strings.get(usize::try_from(r.var()?).ok()?);
    // Each distinct list of names once a chunk, shared by its posts.
    let mut lists: WordMap<Vec<u64>, Names> = WordMap::default();
    let mut ids = Vec::new();
    let mut terms = |r: &mut Reader| -> Option<Names> {
        let n = r.var_len(1)?;
        ids.clear();
        for _ in 0..n {
            let id = r.var()?;
            strings.get(usize::try_from(id).ok()?)?;
            ids.push(id);
        }
        if let Some(list) = lists.get(&ids) {
            return Some(list.clone());
        }
        let list: Names = ids.iter().map(|&id| strings[id as usize].clone()).collect();
        lists.insert(ids.clone(), list.clone());
        Some(list)
    };
    let count = r.var_len(RECORD_BYTES)?;
    records.clear();
    records.reserve(count);
    for _ in 0..count {
        let rel: std::sync::Arc<str> = r.var_text()?.into();
        let stamp = r.u64()?;
        let hash = r.u64()?;
        let outcome = match r.u8()? {
            0 => StoredOutcome::NotAPost,
            1 => StoredOutcome::Rejected,
            2 => StoredOutcome::Post(decode_meta(&mut r, &mut terms)?),
            _ => return None,
        };
        let n = r.var_len(DIAGNOSTIC_BYTES)?;
        let mut diagnostics = Vec::with_capacity(n);
        for _ in 0..n {
            let path = string(&mut r)?.clone();
            let line = usize::try_from(r.var()?).ok().filter(|&l| l > 0);
            let severity = match r.u8()? {
                0 => Severity::Note,
                1 => Severity::Warning,
                2 => Severity::Error,
                _ => return None,
            };
            diagnostics.push(Diagnostic {
                path,
                line,
                severity,
                message: string(&mut r)?.clone(),
            });
        }
        records.push(T::from_stored(StoredPost {
            rel,
            stamp,
            hash,
            blob: None,
            outcome,
            diagnostics: diagnostics.into_boxed_slice(),
        }));
    }
    r.0.is_empty().then_some(())
}

/// A post's metadata (outcome 2): its date, flags, Jekyll time, page file
/// hash, unquoted-date line, names and Jekyll reading, in that order.
fn decode_meta(r: &mut Reader, terms: &mut impl FnMut(&mut Reader) -> Option<Names>) -> Option<StoredMeta> {
    let secs = r.var_i64()?;
    let offset = FixedOffset::east_opt(i32::try_from(r.var_i64()?).ok()?)?;
    let date: DateTime<FixedOffset> = offset.timestamp_opt(secs, 0).single()?;
    let flags = r.u8()?;
    let jekyll_time = r.var_i64()?;
    let page_file = match flags & 16 {
        0 => None,
        _ => Some(NonZeroU64::new(r.u64()?)?),
    };
    let unquoted_date = match flags & 32 {
        0 => None,
        _ => Some(NonZeroU32::new(u32::try_from(r.var()?).ok()?)?),
    };
    let categories = terms(r)?;
    let tags = terms(r)?;
    let jekyll = match flags & 8 {
        0 => None,
        _ => Some(Box::new(decode_reading(r, terms)?)),
    };
    Some(StoredMeta {
        date,
        jekyll_time,
        categories,
        tags,
        unpublished: flags & 1 != 0,
        plain_text: flags & 4 != 0,
        jekyll,
        page_file,
        unquoted_date,
    })
}

/// A post's Jekyll reading (version 7): its slug, then a byte of flags
/// (1: a permalink follows, 2: categories follow, 4 or 8: the date is an
/// instant or a day), then those in that order.
fn encode_reading<'a>(w: &mut Writer, reading: &'a StoredReading, strings: &mut Strings<'a>) {
    w.var_str(&reading.slug);
    let date = match reading.date {
        StoredLinkDate::AsFeed => 0,
        StoredLinkDate::Instant(_) => 4,
        StoredLinkDate::LocalMidnight(_) => 8,
    };
    w.u8(u8::from(reading.permalink.is_some()) | (u8::from(reading.categories.is_some()) << 1) | date);
    if let Some(permalink) = &reading.permalink {
        w.var_str(permalink);
    }
    if let Some(categories) = &reading.categories {
        w.var(categories.len() as u64);
        categories.iter().for_each(|t| w.var(strings.id(t)));
    }
    match reading.date {
        StoredLinkDate::AsFeed => {}
        StoredLinkDate::Instant(d) => {
            w.var_i64(d.timestamp());
            w.var_i64(i64::from(d.offset().local_minus_utc()));
        }
        StoredLinkDate::LocalMidnight(day) => w.var_i64(i64::from(day.num_days_from_ce())),
    }
}

fn decode_reading(r: &mut Reader, terms: &mut impl FnMut(&mut Reader) -> Option<Names>) -> Option<StoredReading> {
    let slug = r.var_text()?.to_string();
    let flags = r.u8()?;
    let permalink = match flags & 1 {
        0 => None,
        _ => Some(r.var_text()?.to_string()),
    };
    let categories = match flags & 2 {
        0 => None,
        _ => Some(terms(r)?),
    };
    let date = match flags & 12 {
        0 => StoredLinkDate::AsFeed,
        4 => {
            let secs = r.var_i64()?;
            let offset = FixedOffset::east_opt(i32::try_from(r.var_i64()?).ok()?)?;
            StoredLinkDate::Instant(offset.timestamp_opt(secs, 0).single()?)
        }
        8 => StoredLinkDate::LocalMidnight(NaiveDate::from_num_days_from_ce_opt(i32::try_from(r.var_i64()?).ok()?)?),
        _ => return None,
    };
    (flags & !15 == 0).then_some(StoredReading {
        slug,
        permalink,
        date,
        categories,
    })
}

/// The fewest bytes a record, a diagnostic and a feed take.
const RECORD_BYTES: usize = 1 + 8 + 8 + 1 + 1;
const DIAGNOSTIC_BYTES: usize = 1 + 1 + 1 + 1;
const FEED_BYTES: usize = 1 + 8;

#[cfg(test)]
mod tests {
    use super::*;
    use xxhash_rust::xxh3::xxh3_64 as content_hash;

    fn sample() -> Index {
        let date = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2021, 12, 8, 10, 46, 18).single())
            .expect("date");
        let meta = StoredMeta {
            date,
            jekyll_time: date.timestamp() + 8 * 3600,
            categories: vec!["emnews".into(), "上海·证券".into()].into(),
            tags: vec!["东财滚动新闻".into()].into(),
            unpublished: false,
            plain_text: true,
            jekyll: None,
            page_file: NonZeroU64::new(0x8000_0000_0000_0001),
            unquoted_date: NonZeroU32::new(3),
        };
        // A post Jekyll reads its own way: every field of the reading kept.
        let day = chrono::NaiveDate::from_ymd_opt(2021, 12, 7).expect("day");
        let read_its_way = |date, categories: Option<Names>| StoredMeta {
            jekyll: Some(Box::new(StoredReading {
                slug: "其它 slug".into(),
                permalink: Some("/:title/".into()),
                date,
                categories,
            })),
            ..meta.clone()
        };
        let own = [
            read_its_way(StoredLinkDate::Instant(date), Some(vec!["emnews".into()].into())),
            read_its_way(StoredLinkDate::LocalMidnight(day), None),
        ];
        let warn = Diagnostic::new("content/_posts/a.md", Some(3), Severity::Warning, "title recovered");
        let mut feeds = BTreeMap::new();
        feeds.insert("category/emnews/rss.xml".to_string(), 42);
        Index {
            records: vec![
                StoredPost {
                    rel: "_posts/a.md".into(),
                    stamp: 10,
                    hash: 7,
                    blob: None,
                    outcome: StoredOutcome::Post(meta),
                    diagnostics: Box::new([warn]),
                },
                StoredPost {
                    rel: "_posts/b.md".into(),
                    stamp: 3,
                    hash: 0,
                    blob: None,
                    outcome: StoredOutcome::Rejected,
                    diagnostics: Box::default(),
                },
                StoredPost {
                    rel: "_posts/c.md".into(),
                    stamp: 4,
                    hash: 4,
                    blob: None,
                    outcome: StoredOutcome::Post(own[0].clone()),
                    diagnostics: Box::default(),
                },
                StoredPost {
                    rel: "_posts/d.md".into(),
                    stamp: 4,
                    hash: 4,
                    blob: None,
                    outcome: StoredOutcome::Post(own[1].clone()),
                    diagnostics: Box::default(),
                },
            ],
            feeds,
            checksum: 0,
            chunks: Chunks::default(),
        }
    }

    /// `record` under another path, what it gave cloned as is.
    fn renamed(record: &StoredPost, rel: &str) -> StoredPost {
        StoredPost {
            rel: rel.into(),
            outcome: match &record.outcome {
                StoredOutcome::Post(m) => StoredOutcome::Post(m.clone()),
                _ => StoredOutcome::Rejected,
            },
            diagnostics: record.diagnostics.clone(),
            ..*record
        }
    }

    #[test]
    fn round_trips() {
        let index = sample();
        let bytes = index.encode(99);
        let back = Index::decode(&bytes, 99).expect("decodes");
        assert_eq!(back.encode(99), bytes);
        assert_eq!(back.feeds, index.feeds);
        match &back.records[0].outcome {
            StoredOutcome::Post(m) => {
                assert_eq!(m.date.to_rfc3339(), "2021-12-08T10:46:18+08:00");
                assert_eq!(m.categories[1].as_ref(), "上海·证券");
                assert!(!m.unpublished && m.plain_text);
                assert_eq!(m.jekyll, None);
            }
            other => panic!("{other:?}"),
        }
        // Version 7 keeps a post's own Jekyll reading, every field of it.
        for i in [2, 3] {
            match (&back.records[i].outcome, &index.records[i].outcome) {
                (StoredOutcome::Post(back), StoredOutcome::Post(m)) => {
                    assert!(m.jekyll.is_some());
                    assert_eq!(back.jekyll, m.jekyll);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// An index of version 6 (no Jekyll reading), 7 (no page file hash),
    /// 8 or 9 (stamps as four numbers) is not read: its posts are read
    /// again, never taken without what tells which of them share a page,
    /// nor with a stamp read as another's.
    #[test]
    fn an_index_of_an_earlier_version_is_not_read() {
        let bytes = sample().encode(99);
        assert_eq!(&bytes[..8], b"FGINDX10");
        for old in [b"FGINDEX6", b"FGINDEX7", b"FGINDEX8", b"FGINDEX9"] {
            let mut bytes = bytes.clone();
            bytes[..8].copy_from_slice(old);
            assert!(Index::decode(&bytes, 99).is_none());
        }
    }

    /// A post's page file hash comes back as written, all 64 bits; a post
    /// without one (never stored so, but readable) comes back without.
    #[test]
    fn page_file_hashes_round_trip() {
        // One field of each post, read back from `index` as written.
        fn read_back<T>(index: &Index, field: impl Fn(&StoredMeta) -> T) -> Vec<T> {
            let back = Index::decode(&index.encode(99), 99).expect("decodes");
            (back.records.iter())
                .filter_map(|r| match &r.outcome {
                    StoredOutcome::Post(m) => Some(field(m)),
                    _ => None,
                })
                .collect()
        }
        let mut index = sample();
        if let StoredOutcome::Post(m) = &mut index.records[2].outcome {
            m.page_file = None;
        }
        let first = Some(0x8000_0000_0000_0001);
        assert_eq!(
            read_back(&index, |m| m.page_file.map(NonZeroU64::get)),
            [first, None, first]
        );
        // The line of an unquoted date comes back too, and its absence.
        if let StoredOutcome::Post(m) = &mut index.records[2].outcome {
            m.unquoted_date = None;
        }
        let lines = read_back(&index, |m| m.unquoted_date.map(NonZeroU32::get));
        assert_eq!(lines, [Some(3), None, Some(3)]);
    }

    /// An index that keeps its first records writes only the head and what
    /// follows their whole chunks, and the file is byte for byte the one a
    /// full write gives; a file of another size is written whole.
    #[test]
    fn a_write_leaves_the_chunks_of_kept_records_in_place() {
        let base = sample();
        let post = base.records.into_iter().next().expect("a post");
        let records = |names: &[String]| -> Vec<StoredPost> { names.iter().map(|rel| renamed(&post, rel)).collect() };
        let index = |names: &[String], feeds: &BTreeMap<String, u64>| Index {
            records: records(names),
            feeds: feeds.clone(),
            ..Index::default()
        };
        let mut names: Vec<String> = (0..200).map(|i| format!("_posts/{i:04}.md")).collect();
        let mut feeds = base.feeds;
        let mut file = io::Cursor::new(Vec::new());
        fn write(file: &mut io::Cursor<Vec<u8>>, index: &Index, keep: Option<Keep>) -> Vec<u8> {
            let (len, _) = index.write(5, file, keep).expect("write");
            file.get_mut().truncate(len as usize);
            file.get_ref().clone()
        }
        write(&mut file, &index(&names, &feeds), None);
        // (records kept, chunks of 64 left in place): four new posts at the
        // end; a changed feed; one post gone from the third chunk; none kept.
        for (kept, unwritten) in [(200, 3), (204, 3), (150, 2), (0, 0)] {
            let read = Index::decode(file.get_ref(), 5).expect("decodes");
            if kept == 200 {
                names.extend((200..204).map(|i| format!("_posts/{i:04}.md")));
            }
            if kept == 204 {
                feeds.insert("category/x/rss.xml".into(), 7);
            }
            if kept == 150 {
                names.remove(150);
            }
            let new = index(&names, &feeds);
            let before = file.get_ref().clone();
            let keep = Keep {
                chunks: &read.chunks,
                kept,
            };
            let bytes = write(&mut file, &new, Some(keep));
            assert!(bytes == new.encode(5), "kept {kept}: not the bytes of a full write");
            let back = Index::decode(&bytes, 5).expect("decodes");
            assert_eq!(back.records.len(), names.len());
            assert_eq!(back.feeds, feeds);
            // The chunks left in place, found by a write that would put
            // other bytes there.
            let end = match unwritten {
                0 => HEAD,
                n => read.chunks.ends[n - 1].0 as usize,
            };
            let mut marked = before;
            marked[HEAD..].fill(0xAA);
            let probed = write(&mut io::Cursor::new(marked), &new, Some(keep));
            assert!(
                probed[HEAD..end].iter().all(|&b| b == 0xAA),
                "kept {kept}: chunks rewritten"
            );
            assert!(
                !probed[end..end + 8].contains(&0xAA),
                "kept {kept}: the next chunk not written"
            );
        }
        // A file of another size than the one read is written whole.
        let read = Index::decode(file.get_ref(), 5).expect("decodes");
        let mut other = io::Cursor::new(vec![0xAA; file.get_ref().len() + 1]);
        let keep = Keep {
            chunks: &read.chunks,
            kept: names.len(),
        };
        let new = index(&names, &feeds);
        assert!(write(&mut other, &new, Some(keep)) == new.encode(5), "another file");
    }

    /// Names and messages many records share are written once a chunk;
    /// each record refers to them by number. 100 records make two chunks
    /// here, and decode back in order.
    #[test]
    fn shared_strings_are_written_once() {
        let mut index = sample();
        let first = index.records.swap_remove(0);
        index.records = (0..100)
            .map(|i| renamed(&first, &format!("_posts/{i:03}.md")))
            .collect();
        let bytes = index.encode(1);
        let count = |needle: &str| bytes.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count();
        let chunks = 100usize.div_ceil(CHUNK);
        assert_eq!(chunks, 2);
        assert_eq!(count("上海·证券"), chunks);
        assert_eq!(count("title recovered"), chunks);
        assert_eq!(count("_posts/042.md"), 1);
        let back = Index::decode(&bytes, 1).expect("decodes");
        let rels: Vec<&str> = back.records.iter().map(|r| &*r.rel).collect();
        let written: Vec<&str> = index.records.iter().map(|r| &*r.rel).collect();
        assert_eq!(rels, written);
        assert_eq!(back.encode(1), bytes);
        assert_eq!(&*back.records[99].diagnostics[0].message, "title recovered");
        // Posts of a chunk share one copy of each list of names.
        let lists: Vec<&Names> = back.records[..2]
            .iter()
            .map(|r| match &r.outcome {
                StoredOutcome::Post(m) => &m.categories,
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(lists[0].ptr_eq(lists[1]));
    }

    #[test]
    fn other_settings_or_damage_mean_no_index() {
        let bytes = sample().encode(99);
        assert!(Index::decode(&bytes, 98).is_none());
        assert!(Index::decode(&bytes[..bytes.len() - 1], 99).is_none());
        assert!(Index::decode(b"", 99).is_none());
        let mut flipped = bytes.clone();
        flipped[20] ^= 1;
        assert!(Index::decode(&flipped, 99).is_none());
    }

    /// Read from a stream that gives a few bytes at a time, the index is
    /// the same; a stream shorter or longer than its size, or with bytes
    /// after the checksum, gives none.
    #[test]
    fn streamed_reads_see_the_same_index_and_no_more() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let bytes = sample().encode(5);
        let size = bytes.len() as u64;
        let back = Index::read(Trickle(&bytes), size, 5).expect("reads");
        assert_eq!(back.encode(5), bytes);
        assert!(Index::read(Trickle(&bytes[..bytes.len() - 3]), size, 5).is_none());
        assert!(Index::read(Trickle(&bytes), size - 1, 5).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Index::read(Trickle(&longer), size, 5).is_none());
        assert!(Index::read(Trickle(&longer), size + 1, 5).is_none());
    }

    /// A record count the bytes cannot hold, with a valid checksum (as a
    /// crafted file has), is refused before anything is allocated for it.
    #[test]
    fn a_crafted_count_allocates_nothing() {
        let mut bytes = sample().encode(99);
        bytes.truncate(bytes.len() - 8);
        let left = bytes.len() - 24;
        bytes[16..24].copy_from_slice(&(left as u64 / RECORD_BYTES as u64 + 1).to_le_bytes());
        let check = content_hash(&bytes);
        bytes.extend_from_slice(&check.to_le_bytes());
        assert!(Index::decode(&bytes, 99).is_none());
        let mut r = Reader(&[0xff; 64]);
        assert_eq!(r.len(1), None, "u64::MAX entries");
        let mut r = Reader(&[3, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        assert_eq!(r.len(1), Some(3));
        let mut r = Reader(&[3, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        assert_eq!(r.len(2), None, "three 2-byte things need 6 bytes");
    }
}
