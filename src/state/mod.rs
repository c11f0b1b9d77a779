//! feedgen's state folder behind one seam: what the last build left to
//! save work in this one. It owns the rebuild [`index`], the folder
//! listing ([`folders`]), the rendered-item cache ([`items`]), the WebSub
//! [`pings`] list, what each feed's last render cut ([`cuts`]), the
//! manifest of the files feedgen wrote and their signatures (length and
//! hash, see [`Signature`]).
//! [`State::open`] reads it before a build and [`State::save`] writes it
//! after; in between, the build asks it narrow questions (a cached entry,
//! a feed's last fingerprint). What it stores are its own record types
//! ([`StoredPost`], [`StoredEntry`]), converted by the layers above, so it
//! imports nothing above the output folder's file primitives.
//! [`State::none`] is a build with no state at all: a clean build.

pub mod blobs;
mod codec;
pub mod cuts;
pub mod folders;
pub mod index;
pub mod items;
pub mod pings;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Result;

use crate::output::{Output, Signature};
use crate::word_hash::WordSet;
pub use index::FromStored;
use index::{Chunks, Index, Keep};
use items::ItemCache;

pub use cuts::StoredCut;
pub use folders::{Listing, Stamp, Walked};
pub use index::{StoredLinkDate, StoredMeta, StoredOutcome, StoredPost, StoredReading};
pub use items::{StoredAuthor, StoredEntry};

/// The manifest's file in the state folder.
const MANIFEST: &str = "manifest";
/// The manifest's first line, followed by the output folder it describes:
/// a state folder moved to another output folder has no manifest there.
const MANIFEST_HEAD: &str = "# feedgen manifest of ";
/// The feed layouts (category and tag folder, which hold no control
/// character, a tab between them) the manifest's files were written
/// under, one a line after a head naming the output folder: after
/// `category_dir` or `tag_dir` change, the old layout's files are still
/// known as feedgen's.
const LAYOUTS: &str = "layouts";
const LAYOUTS_HEAD: &str = "# feedgen layouts of ";

/// The signatures of the files feedgen wrote, in the state folder: one
/// line each, `<length> <xxh3 in hex> <stamp in hex> <path>`, after a head
/// naming the output folder, and [`sealed`]. A file is current only while
/// it matches its signature. A cache file (written in place, never
/// synced): a crash leaves the last one, whose stamps the feeds written
/// since do not match, or a broken seal, which vouches for nothing.
const WRITTEN: &str = "written";
const WRITTEN_HEAD: &str = "# feedgen files written (length, xxh3, stamp, path) in ";

/// The files feedgen wrote in the content folder (the `feedgen.jekyll_data`
/// file), one path a line, after a head naming the content folder: a file
/// the setting no longer names is removed if it is feedgen's.
const SITE_FILES: &str = "site-files";
const SITE_FILES_HEAD: &str = "# feedgen files written in the content folder ";

/// Every file feedgen keeps in the state folder, besides its `lock` and
/// the `.gitignore` of a folder it created.
const FILES: [&str; 12] = [
    index::FILE,
    folders::FILE,
    cuts::FILE,
    MANIFEST,
    LAYOUTS,
    WRITTEN,
    SITE_FILES,
    items::PACK,
    items::TABLE,
    pings::FILE,
    pings::SENDING,
    crate::output::SWAPPING,
];

/// Fingerprints of the settings each state file is valid for.
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    /// Everything that changes how a file reads: the index.
    pub read: u64,
    /// The walk's settings (and the user): the folder listing.
    pub listing: u64,
    /// What a rendered entry depends on besides its post: the item cache.
    pub entries: u64,
}

/// The state of one run.
pub struct State<'o> {
    /// `None`: no state at all.
    output: Option<&'o Output>,
    /// A build reads and writes the index, the listing and the item cache;
    /// a check of the feeds on disk reads the manifest only.
    building: bool,
    keys: Keys,
    /// The manifest's lines after its head, if it describes this output folder.
    manifest: Option<Vec<String>>,
    /// The layouts (category and tag folder) the manifest names.
    layouts: Vec<[String; 2]>,
    /// Path → signature of the file as last written (empty: none vouched).
    written: BTreeMap<String, Signature>,
    /// Stamps [`State::vouches`] found for files it read and hashed.
    stamped: Mutex<Vec<(String, u64)>>,
    /// A file `written` lists was asked for and is not the one recorded
    /// (see [`State::diverged`]).
    diverged: std::sync::atomic::AtomicBool,
    /// Artifact path → fingerprint of its inputs, from the index read.
    fingerprints: BTreeMap<String, u64>,
    /// Feed path → what its render at that fingerprint cut, where it
    /// cut anything ([`cuts`]); `None`: no records of the index read.
    cuts: Option<BTreeMap<String, StoredCut>>,
    /// Where the chunks of the index read end in its file.
    chunks: Chunks,
    /// The checksum of the index read (0: none).
    checksum: u64,
    items: ItemCache,
    /// Why a build neither reads nor writes the state: the state folder
    /// holds a file feedgen did not write under one of its files' names.
    pub refused: Option<String>,
}

/// What the last run left of the content folder.
pub enum Recalled<W, T> {
    /// No folder changed since the walk of the index's run: that walk's
    /// listing (its folders and pages), and the index's posts.
    Listed { posts: Vec<T>, listing: Listing },
    /// A walk was needed (`walked`, what `walk` gave); the index's posts.
    Walked { posts: Vec<T>, walked: W },
}

/// What a build leaves for the next one, handed to [`State::save`].
pub struct Saved {
    /// The new index: every post file as read, sorted by path, the first
    /// `kept` of them the old index's, in place; and every artifact's
    /// fingerprint. `None`: the index read is still right.
    pub index: Option<(Vec<StoredPost>, usize, BTreeMap<String, u64>)>,
    /// The walk's listing, to vouch for next time (`None`: no listing).
    pub listing: Option<Listing>,
    /// The cache keys of the posts some feed carries (`None`: keep all).
    pub live: Option<WordSet<u64>>,
    /// What each feed rendered now cut (`None`: nothing), kept with the
    /// new index for the feeds it vouches for.
    pub cuts: BTreeMap<String, Option<StoredCut>>,
}

impl<'o> State<'o> {
    /// The state of `output`'s state folder: the manifest; when
    /// `building`, also the item cache (the index and the listing are read
    /// by [`State::recall`]).
    pub fn open(output: &'o Output, keys: Keys, building: bool) -> State<'o> {
        let foreign: Vec<&str> = FILES.into_iter().filter(|n| output.is_foreign_state(n)).collect();
        let refused = (!foreign.is_empty()).then(|| {
            format!(
                "holds {} that feedgen did not write; left as is, and built without the state (no rebuild index, manifest or ping list: name a state folder of feedgen's own with --state)",
                foreign.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )
        });
        let building = building && refused.is_none();
        let head = manifest_head(output);
        // A manifest counts only with its layouts: without them its files
        // of an old layout could not be told from damaged lines.
        let listed = read_lines(output, MANIFEST, &head).zip(read_layouts(output));
        let (manifest, layouts) = match listed {
            Some((manifest, layouts)) => (Some(manifest), layouts),
            None => (None, Vec::new()),
        };
        let written = match building {
            true => read_written(output).unwrap_or_default(),
            false => BTreeMap::new(),
        };
        State {
            output: Some(output),
            building,
            keys,
            manifest,
            layouts,
            written,
            stamped: Mutex::new(Vec::new()),
            diverged: std::sync::atomic::AtomicBool::new(false),
            fingerprints: BTreeMap::new(),
            cuts: None,
            chunks: Chunks::default(),
            checksum: 0,
            items: ItemCache::open(output, keys.entries, building),
            refused,
        }
    }

    /// No state at all: nothing is read or written, every post is read and
    /// every artifact rendered, as in a clean build.
    #[cfg(test)]
    pub fn none() -> State<'static> {
        let keys = Keys {
            read: 0,
            listing: 0,
            entries: 0,
        };
        State {
            output: None,
            building: false,
            keys,
            manifest: None,
            layouts: Vec::new(),
            written: BTreeMap::new(),
            stamped: Mutex::new(Vec::new()),
            diverged: std::sync::atomic::AtomicBool::new(false),
            fingerprints: BTreeMap::new(),
            cuts: None,
            chunks: Chunks::default(),
            checksum: 0,
            items: ItemCache::none(),
            refused: None,
        }
    }

    /// The output folder, when this run reads and writes the index.
    fn building(&self) -> Option<&'o Output> {
        self.output.filter(|_| self.building)
    }

    /// The posts of the last run's index, and its walk's listing while no
    /// folder changed (`stamp` gives a folder's stamp now); otherwise
    /// `walk` runs, beside reading the index. `first` runs before the
    /// index is read, on the same core. The posts are the caller's
    /// records, each made from the stored one as it is decoded.
    pub fn recall<W: Send, T: FromStored>(
        &mut self,
        stamp: impl Fn(&str) -> Option<Stamp>,
        walk: impl FnOnce() -> W + Send,
        first: impl FnOnce() + Send,
    ) -> Recalled<W, T> {
        let known = self.listing().filter(|known| known.unchanged(stamp));
        match known {
            Some(listing) => {
                first();
                let index = self.read_index();
                let same = index.checksum != 0 && index.checksum == listing.index;
                let posts = self.take(index);
                match same {
                    true => Recalled::Listed { posts, listing },
                    false => Recalled::Walked { posts, walked: walk() },
                }
            }
            // The walk and the index's decoding each take one core: side by side.
            None => {
                let read = || {
                    first();
                    self.read_index()
                };
                let (index, walked) = rayon::join(read, walk);
                let posts = self.take(index);
                Recalled::Walked { posts, walked }
            }
        }
    }

    /// Whether the content folder is another copy than the one the last
    /// run walked (`stamp` gives a folder's stamp now): its root is
    /// another inode, as in a fresh checkout with the state restored, so
    /// no file's stamp is the one the index kept.
    pub fn elsewhere(&self, stamp: impl Fn(&str) -> Option<Stamp>) -> bool {
        let root = |listing: Listing| listing.folders.into_iter().find(|(rel, _)| rel.is_empty());
        self.listing()
            .and_then(root)
            .is_some_and(|(_, was)| stamp("").map(|(.., ino)| ino) != Some(was.3))
    }

    /// The last walk's listing, when this run builds and it is of these
    /// settings.
    fn listing(&self) -> Option<Listing> {
        let bytes = self.building()?.read_state(folders::FILE)?;
        Listing::decode(&bytes, self.keys.listing)
    }

    /// The index, its records with their git blob ids where the blobs
    /// file is of this index.
    fn read_index<T: FromStored>(&self) -> Index<T> {
        let Some(output) = self.building() else {
            return Index::default();
        };
        let mut index = output
            .open_state(index::FILE)
            .and_then(|(file, size)| Index::read_as(std::io::BufReader::new(file), size, self.keys.read))
            .unwrap_or_default();
        if let Some((file, size)) = output.open_state(blobs::FILE) {
            blobs::apply(std::io::BufReader::new(file), size, index.checksum, &mut index.records);
        }
        index
    }

    /// Keep what the index says of the feeds, and what their renders cut
    /// ([`cuts`]): without the records of this very index, the index
    /// vouches for no feed (each is rendered again, and says it anew).
    /// Return its posts.
    fn take<T>(&mut self, index: Index<T>) -> Vec<T> {
        self.fingerprints = index.feeds;
        self.chunks = index.chunks;
        self.checksum = index.checksum;
        let bytes = self.building().and_then(|output| output.read_state(cuts::FILE));
        match bytes.and_then(|b| cuts::Cuts::decode(&b)) {
            Some(cuts) if cuts.index == self.checksum && self.checksum != 0 => self.cuts = Some(cuts.feeds),
            _ => self.fingerprints.clear(),
        }
        index.records
    }

    /// Artifact path → fingerprint of its inputs when last written.
    pub fn fingerprints(&self) -> &BTreeMap<String, u64> {
        &self.fingerprints
    }

    /// What the last render of the feed at `path` cut, for a feed this run
    /// does not render (its fingerprint the index's); `None`: nothing.
    pub fn cut(&self, path: &str) -> Option<&StoredCut> {
        self.cuts.as_ref()?.get(path)
    }

    /// [`State::fingerprints`], taken out of the state.
    pub fn take_fingerprints(&mut self) -> BTreeMap<String, u64> {
        std::mem::take(&mut self.fingerprints)
    }

    /// The files earlier runs wrote, as the manifest lists them (`None`:
    /// no manifest of this output folder).
    pub fn manifest(&self) -> Option<&[String]> {
        self.manifest.as_deref()
    }

    /// The layouts (category folder, tag folder) the manifest names.
    pub fn manifest_layouts(&self) -> &[[String; 2]] {
        &self.layouts
    }

    /// The manifest's path, for messages.
    pub fn manifest_path(&self) -> PathBuf {
        let dir = self.output.and_then(Output::state_dir);
        dir.unwrap_or(Path::new("")).join(MANIFEST)
    }

    /// Before a build changes any feed: from here on, a killed run leaves
    /// no index that vouches for the feeds, and a manifest that lists
    /// every file this run may create (`files`, under `layouts`).
    pub fn before_writes(&self, files: &BTreeSet<String>, layouts: &[[&str; 2]]) -> Result<()> {
        let Some(output) = self.building() else { return Ok(()) };
        output.invalidate_cache_file(index::FILE)?;
        // The layouts first: every file the manifest lists is under one.
        write_layouts(output, layouts)?;
        self.write_manifest(files, layouts)
    }

    /// Record the files feedgen wrote, then the layouts (category folder,
    /// tag folder) they were written under.
    pub fn write_manifest(&self, files: &BTreeSet<String>, layouts: &[[&str; 2]]) -> Result<()> {
        let Some(output) = self.building() else { return Ok(()) };
        write_manifest_file(output, files)?;
        write_layouts(output, layouts)
    }

    /// Record the signature of every file the manifest lists: this run's
    /// (`found`) for the files it rendered, with the stamp of the write
    /// once settled ([`Output::fresh_stamps`]); the earlier one, with the
    /// stamp this run found, for those it found current. A run that rendered
    /// nothing and found every stamp as recorded leaves the file as it is
    /// (8,000 entries to merge, format and compare were a visible share of
    /// a no-op rerun).
    pub fn write_signatures(&self, mut found: BTreeMap<String, Signature>, manifest: &BTreeSet<String>) -> Result<()> {
        let Some(output) = self.building() else { return Ok(()) };
        let stamped = std::mem::take(&mut *self.stamped.lock().unwrap_or_else(|e| e.into_inner()));
        if found.is_empty() && stamped.is_empty() && manifest.iter().eq(self.written.keys()) {
            return Ok(());
        }
        let mut stamped: HashMap<String, u64> = stamped.into_iter().collect();
        stamped.extend(output.fresh_stamps());
        // One pass over the manifest, in its order: each line formatted in
        // place, and compared with the file as it stands.
        let mut text = written_head(output);
        text.push('\n');
        let (mut same, mut lines) = (true, 0);
        for path in manifest {
            let signature = match (found.remove(path), self.written.get(path)) {
                // Written now, or found to hold these bytes already (its
                // stamp, if any, still stands for them).
                (Some(signature), old) => {
                    let kept = old.filter(|o| (o.size, o.hash) == (signature.size, signature.hash));
                    let stamp = stamped.get(path).copied().or(kept.map(|o| o.stamp));
                    Signature {
                        stamp: stamp.unwrap_or(signature.stamp),
                        ..signature
                    }
                }
                (None, Some(&signature)) => Signature {
                    stamp: stamped.get(path).copied().unwrap_or(signature.stamp),
                    ..signature
                },
                (None, None) => continue,
            };
            same &= self.written.get(path) == Some(&signature);
            lines += 1;
            let Signature { size, hash, stamp } = signature;
            let _ = writeln!(text, "{size} {hash:016x} {stamp:016x} {path}");
        }
        if same && lines == self.written.len() {
            return Ok(());
        }
        output.write_cache_file(WRITTEN, sealed(text).as_bytes())
    }

    /// Whether the file at `path` is the one the state says was written.
    pub fn vouches(&self, path: &str) -> bool {
        let (Some(output), Some(&signature)) = (self.building(), self.written.get(path)) else {
            return false;
        };
        let Some(stamp) = output.check(path, signature) else {
            self.diverged.store(true, std::sync::atomic::Ordering::Relaxed);
            return false;
        };
        if stamp != signature.stamp {
            let mut stamped = self.stamped.lock().unwrap_or_else(|e| e.into_inner());
            stamped.push((path.to_string(), stamp));
        }
        true
    }

    /// Whether [`State::vouches`] found a file the state recorded gone or
    /// holding other bytes: the output folder is not as the state left it
    /// (an older copy restored under a newer state, say), and may hold
    /// feeds of a layout the state no longer knows of.
    pub fn diverged(&self) -> bool {
        self.diverged.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The files feedgen wrote in `content` (paths relative to it), as the
    /// state recorded them.
    pub fn site_files(&self, content: &Path) -> BTreeSet<String> {
        let text = self.output.and_then(|o| o.read_state(SITE_FILES)).and_then(unsealed);
        let Some(text) = text else { return BTreeSet::new() };
        let mut lines = text.lines();
        match lines.next() == Some(site_files_head(content).as_str()) {
            true => lines.filter(|l| !l.is_empty()).map(str::to_string).collect(),
            false => BTreeSet::new(),
        }
    }

    /// Record the files feedgen wrote in `content`, before writing a new one
    /// and after removing an old one.
    pub fn record_site_files(&self, content: &Path, files: &BTreeSet<String>) -> Result<()> {
        let Some(output) = self.building() else { return Ok(()) };
        write_list(output, SITE_FILES, site_files_head(content), files)
    }

    /// The entry cached under `key`, if it was rendered under these settings.
    pub fn entry(&self, key: u64) -> Option<StoredEntry> {
        self.items.get(key)
    }

    /// Cache an entry. A failed write costs only a later render.
    pub fn keep_entry(&self, key: u64, entry: &StoredEntry) {
        self.items.put(key, entry);
    }

    /// Add the URLs of feeds a build changed to those waiting for a ping.
    pub fn add_pings(&self, changed: Vec<String>) -> Result<()> {
        match self.building() {
            Some(output) => pings::add(output, changed),
            None => Ok(()),
        }
    }

    /// Write what the next run starts from: the index (when it changed),
    /// then the folder listing, which vouches for the index's files, then
    /// the item cache's table. Best effort past the index: a listing not
    /// written (or not removed) costs a walk, or is refused by its checksum.
    pub fn save(mut self, saved: Saved) -> Result<()> {
        let Some(output) = self.building() else { return Ok(()) };
        let mut written = None;
        if let Some((posts, kept, feeds)) = saved.index {
            let index = Index {
                records: posts,
                feeds,
                checksum: 0,
                chunks: Chunks::default(),
            };
            let (settings, chunks) = (self.keys.read, &self.chunks);
            let mut checksum = 0;
            output.write_cache_file_with(index::FILE, |f| {
                let (len, check) = index.write(settings, f, Some(Keep { chunks, kept }))?;
                checksum = check;
                Ok(len)
            })?;
            written = Some(checksum);
            // Best effort: without it, a fresh clone reads every file.
            let saved_blobs = match blobs::encode(checksum, &index.records) {
                Some(bytes) => output.write_cache_file(blobs::FILE, &bytes),
                None => output.remove_state(blobs::FILE),
            };
            if saved_blobs.is_err() {
                let _ = output.remove_state(blobs::FILE);
            }
            // After the index, naming it: a run killed in between leaves
            // records that vouch for nothing. Best effort, as the listing.
            let next = cuts::merge(self.cuts.as_ref(), saved.cuts, &index.feeds);
            if checksum != self.checksum || self.cuts.as_ref() != Some(&next) {
                let file = cuts::Cuts {
                    index: checksum,
                    feeds: next,
                };
                if output.write_cache_file(cuts::FILE, &file.encode()).is_err() {
                    let _ = output.remove_state(cuts::FILE);
                }
            }
            // The run ends here, and the process with it: freeing a record
            // (five allocations) per post, one at a time, was a visible
            // share of a no-op rerun (bench/README.md). The system takes
            // the memory back.
            std::mem::forget(index);
        }
        // Vouched for only with every file found in the index.
        let index = written.or(Some(self.checksum)).filter(|&sum| sum != 0);
        let listed = match (saved.listing, index) {
            (Some(listing), Some(index)) => {
                let listing = Listing { index, ..listing };
                output.write_cache_file(folders::FILE, &listing.encode(self.keys.listing))
            }
            _ => output.remove_state(folders::FILE),
        };
        if listed.is_err() {
            let _ = output.remove_state(folders::FILE);
        }
        if let Some(live) = saved.live {
            self.items.retain(&live);
        }
        self.items.finish();
        Ok(())
    }
}

fn written_head(output: &Output) -> String {
    format!("{WRITTEN_HEAD}{}", crate::places::resolved(output.dir()).display())
}

/// The signatures in the state folder, if they describe this output
/// folder; a line that does not parse vouches for nothing.
fn read_written(output: &Output) -> Option<BTreeMap<String, Signature>> {
    let text = unsealed(output.read_state(WRITTEN)?)?;
    let mut lines = text.lines();
    if lines.next() != Some(written_head(output).as_str()) {
        return None;
    }
    let parse = |line: &str| {
        let (size, rest) = line.split_once(' ')?;
        let (hash, rest) = rest.split_once(' ')?;
        let (stamp, path) = rest.split_once(' ')?;
        let signature = Signature {
            size: size.parse().ok()?,
            hash: u64::from_str_radix(hash, 16).ok()?,
            stamp: u64::from_str_radix(stamp, 16).ok()?,
        };
        Some((path.to_string(), signature))
    };
    Some(lines.filter_map(parse).collect())
}

/// The lines after the head of the state file `name`, if its head is `head`.
fn read_lines(output: &Output, name: &str, head: &str) -> Option<Vec<String>> {
    let text = unsealed(output.read_state(name)?)?;
    let mut lines = text.lines();
    (lines.next() == Some(head)).then(|| lines.map(str::to_string).collect())
}

/// How a text state file that lists files ends: the xxh3 of every line
/// before it. A file whose bytes were damaged (a flipped bit can make one
/// path another) reads as none: the run then finds feedgen's files by
/// their mark, never by a damaged list.
const SEAL: &str = "# feedgen xxh3 ";

fn sealed(mut text: String) -> String {
    let sum = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
    let _ = writeln!(text, "{SEAL}{sum:016x}");
    text
}

/// The text of a [`sealed`] file before its seal, if the seal holds.
fn unsealed(bytes: Vec<u8>) -> Option<String> {
    let mut text = String::from_utf8(bytes).ok()?;
    let end = text.strip_suffix('\n')?.rfind('\n')? + 1;
    let sum = text[end..].trim_end().strip_prefix(SEAL)?;
    let sum = u64::from_str_radix(sum, 16).ok()?;
    (xxhash_rust::xxh3::xxh3_64(&text.as_bytes()[..end]) == sum).then(|| {
        text.truncate(end);
        text
    })
}

/// The layouts recorded beside the manifest.
fn read_layouts(output: &Output) -> Option<Vec<[String; 2]>> {
    let head = format!("{LAYOUTS_HEAD}{}", crate::places::resolved(output.dir()).display());
    let lines = read_lines(output, LAYOUTS, &head)?;
    let layouts = lines
        .iter()
        .filter_map(|l| l.split_once('\t'))
        .map(|(category, tag)| [category.to_string(), tag.to_string()])
        .collect();
    Some(layouts)
}

fn write_manifest_file(output: &Output, files: &BTreeSet<String>) -> Result<()> {
    write_list(output, MANIFEST, manifest_head(output), files)
}

/// A list of paths, one a line under `head`, sealed (see [`SEAL`]).
fn write_list(output: &Output, name: &str, mut text: String, files: &BTreeSet<String>) -> Result<()> {
    text.push('\n');
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    output.write_state(name, sealed(text).as_bytes())
}

fn write_layouts(output: &Output, layouts: &[[&str; 2]]) -> Result<()> {
    let mut text = format!("{LAYOUTS_HEAD}{}\n", crate::places::resolved(output.dir()).display());
    for [category, tag] in layouts {
        text.push_str(&format!("{category}\t{tag}\n"));
    }
    output.write_state(LAYOUTS, sealed(text).as_bytes())
}

fn site_files_head(content: &Path) -> String {
    format!("{SITE_FILES_HEAD}{}", crate::places::resolved(content).display())
}

fn manifest_head(output: &Output) -> String {
    format!("{MANIFEST_HEAD}{}", crate::places::resolved(output.dir()).display())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: Keys = Keys {
        read: 1,
        listing: 2,
        entries: 3,
    };

    fn signature(size: u64, stamp: u64) -> Signature {
        Signature {
            size,
            hash: size * 7,
            stamp,
        }
    }

    fn set(paths: &[&str]) -> BTreeSet<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    /// A state knows its content folder moved (a fresh checkout) by the
    /// root folder's inode in the last walk's listing; with no listing,
    /// or one of other settings, it cannot tell and says no.
    #[test]
    fn a_state_knows_its_folder_is_another_copy_by_the_root_inode() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), false, || {}).expect("open");
        let root_ino = |ino: u64| move |rel: &str| rel.is_empty().then_some((4096, 5, 6, ino));
        assert!(!State::open(&out, KEYS, true).elsewhere(root_ino(9)), "no listing");
        let listing = Listing {
            index: 1,
            folders: vec![
                (String::new(), (4096, 1, 2, 7)),
                ("_posts".to_string(), (4096, 1, 2, 8)),
            ],
            pages: Vec::new(),
        };
        out.write_cache_file(folders::FILE, &listing.encode(KEYS.listing))
            .expect("write");
        let state = State::open(&out, KEYS, true);
        assert!(!state.elsewhere(root_ino(7)), "the same root, other times");
        assert!(state.elsewhere(root_ino(9)), "another root");
        assert!(state.elsewhere(|_| None), "no root now");
        assert!(!State::open(&out, KEYS, false).elsewhere(root_ino(9)), "not building");
        let other = Keys { listing: 5, ..KEYS };
        assert!(!State::open(&out, other, true).elsewhere(root_ino(9)), "other settings");
    }

    /// The `written` file through three runs: one that writes, one that
    /// changes nothing (the file stays as it is, not even rewritten), and
    /// one that renders one file, finds a new stamp for another, and
    /// drops a third from the manifest.
    #[test]
    fn written_signatures_merge_this_runs_with_the_earlier_ones() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = Output::open(&tmp.path().join("out"), &tmp.path().join("state"), false, || {}).expect("open");
        let first: BTreeMap<String, Signature> = [("a.xml", 10), ("b.xml", 20), ("c.xml", 30)]
            .map(|(p, n)| (p.to_string(), signature(n, n)))
            .into();
        let manifest = set(&["a.xml", "b.xml", "c.xml"]);
        State::open(&out, KEYS, true)
            .write_signatures(first.clone(), &manifest)
            .expect("first");
        assert_eq!(State::open(&out, KEYS, true).written, first);

        // A run that changed nothing leaves the file alone, its time too.
        let path = tmp.path().join("state").join(WRITTEN);
        let stamp = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified()).expect("time");
        let (text, time) = (std::fs::read(&path).expect("read"), stamp(&path));
        std::thread::sleep(std::time::Duration::from_millis(20));
        State::open(&out, KEYS, true)
            .write_signatures(BTreeMap::new(), &manifest)
            .expect("no-op");
        assert_eq!(
            (std::fs::read(&path).expect("read"), stamp(&path)),
            (text.clone(), time)
        );

        // A damaged file (one digit of a length changed) vouches for nothing.
        let damaged = String::from_utf8(text.clone())
            .expect("text")
            .replacen("\n20 ", "\n21 ", 1);
        assert_ne!(damaged.as_bytes(), text);
        std::fs::write(&path, &damaged).expect("write");
        assert_eq!(State::open(&out, KEYS, true).written, BTreeMap::new());
        std::fs::write(&path, &text).expect("write");

        let third = State::open(&out, KEYS, true);
        third.stamped.lock().expect("lock").push(("b.xml".to_string(), 99));
        let found = BTreeMap::from([("a.xml".to_string(), signature(11, 0))]);
        third.write_signatures(found, &set(&["a.xml", "b.xml"])).expect("third");
        let expected = BTreeMap::from([
            ("a.xml".to_string(), signature(11, 0)),
            ("b.xml".to_string(), signature(20, 99)),
        ]);
        assert_eq!(State::open(&out, KEYS, true).written, expected);

        // Found again with the same bytes (rendered, not rewritten): the
        // stamp that vouched for them stands; with other bytes, it goes.
        let found = BTreeMap::from([
            ("a.xml".to_string(), signature(12, 0)),
            ("b.xml".to_string(), signature(20, 0)),
        ]);
        State::open(&out, KEYS, true)
            .write_signatures(found, &set(&["a.xml", "b.xml"]))
            .expect("fourth");
        let expected = BTreeMap::from([
            ("a.xml".to_string(), signature(12, 0)),
            ("b.xml".to_string(), signature(20, 99)),
        ]);
        assert_eq!(State::open(&out, KEYS, true).written, expected);
    }
}
