//! The listing kept in the state folder beside the rebuild index: every
//! folder the last walk listed, with its stamp, the page files it found,
//! and the checksum of the index that holds its post files. While no
//! folder's stamp changed, no file was added to, removed from or renamed
//! in any of them, so the next run takes the index's list of files instead
//! of walking the content folder again (as git's untracked cache does):
//! at a million posts in one folder, a walk is a large part of a rerun
//! (bench/README.md). Edits to a file do not change its folder; every file
//! is still `stat`ed.
//!
//! A folder whose mtime or ctime is within [`RECENT_NS`] of the walk is
//! never vouched for: a file added right after the walk could leave both
//! the same timestamps (file times come from a clock that ticks every few
//! milliseconds; an older ctime cannot repeat, as any change to the folder
//! sets it to the time of that change, and a tool that sets the mtime back
//! still moves the ctime). Nor is a walk that printed anything, or met a
//! symlinked post or page (its target can change with no listed folder
//! changing). Like the index, the listing only ever saves work. On a
//! network file system, stamps are as good as its attribute caching.

use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;

/// A folder's size, mtime, ctime (ns) and inode, taken before it was listed.
pub type Stamp = (u64, i64, i64, u64);

/// What a walk of the content folder found, as the listing needs it.
#[derive(Debug, Default)]
pub struct Walked<'a> {
    /// Every folder listed, with its stamp (sorted).
    pub folders: &'a [(String, Stamp)],
    /// Page files (sorted).
    pub pages: &'a [String],
    /// When the walk started (ns since the epoch); `None` for a listing
    /// taken from the last run.
    pub started_ns: Option<i64>,
    /// The walk reported nothing (no skipped file, no symlink met).
    pub quiet: bool,
}

pub const FILE: &str = "folders";
/// Version 2: the body is the listing in postcard (serde-derived).
const MAGIC: &[u8; 8] = b"FGFOLDR2";

/// Folders changed this close before a walk (2 s: file systems with
/// coarse timestamps, and clocks a little apart) are listed again next time.
pub const RECENT_NS: i64 = 2_000_000_000;

/// A walk's folders and pages, and the index its files are in.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// The checksum of the index whose records are the walk's post files.
    pub index: u64,
    pub folders: Vec<(String, Stamp)>,
    pub pages: Vec<String>,
}

impl Listing {
    /// The listing of `found`, if it can be vouched for: the walk reported
    /// nothing, every post file it found is in the index (`index`, its
    /// checksum), and no folder changed recently. A listing taken from the
    /// last run stands as it was.
    pub fn of(found: &Walked, all_indexed: bool, index: u64) -> Option<Listing> {
        let settled = match found.started_ns {
            None => true,
            Some(started) => found
                .folders
                .iter()
                .all(|(_, (_, mtime, ctime, _))| (*mtime).max(*ctime) < started.saturating_sub(RECENT_NS)),
        };
        (found.quiet && all_indexed && settled && !found.folders.is_empty()).then(|| Listing {
            index,
            folders: found.folders.to_vec(),
            pages: found.pages.to_vec(),
        })
    }

    /// Whether every folder still has its stamp.
    pub fn unchanged(&self, stamp: impl Fn(&str) -> Option<Stamp>) -> bool {
        self.folders.iter().all(|(rel, was)| stamp(rel) == Some(*was))
    }

    /// Layout: the magic, the settings, the listing (postcard), and the
    /// checksum of everything before it.
    pub fn encode(&self, settings: u64) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(64 + 40 * self.folders.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&settings.to_le_bytes());
        // Serializing plain strings and numbers into memory cannot fail.
        bytes = postcard::to_extend(self, bytes).unwrap_or_default();
        let check = Fingerprint::new().add(&bytes).finish();
        bytes.extend_from_slice(&check.to_le_bytes());
        bytes
    }

    /// `None` for another version, other `settings` or any damage.
    pub fn decode(bytes: &[u8], settings: u64) -> Option<Listing> {
        let (body, check) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        if Fingerprint::new().add(body).finish() != u64::from_le_bytes(check.try_into().ok()?) {
            return None;
        }
        let (magic, rest) = body.split_at_checked(8)?;
        let (stamp, rest) = rest.split_at_checked(8)?;
        if magic != MAGIC || stamp != settings.to_le_bytes() {
            return None;
        }
        match postcard::take_from_bytes(rest) {
            Ok((listing, [])) => Some(listing),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A walk's folders (the root's stamps at `mtime`) and pages.
    fn folders(mtime: i64) -> (Vec<(String, Stamp)>, Vec<String>) {
        let folders = vec![
            (String::new(), (4096, mtime, mtime, 2)),
            ("_posts".into(), (8192, 7, 8, 3)),
        ];
        (folders, vec!["category/emnews.md".into()])
    }

    fn walked<'a>((folders, pages): &'a (Vec<(String, Stamp)>, Vec<String>), quiet: bool) -> Walked<'a> {
        Walked {
            folders,
            pages,
            started_ns: Some(10_000_000_000),
            quiet,
        }
    }

    #[test]
    fn round_trips_and_damage_or_other_settings_mean_none() {
        let listing = Listing::of(&walked(&folders(5), true), true, 42).expect("vouched for");
        let bytes = listing.encode(7);
        assert_eq!(Listing::decode(&bytes, 7), Some(listing));
        assert_eq!(Listing::decode(&bytes, 8), None);
        assert_eq!(Listing::decode(&bytes[..bytes.len() - 1], 7), None);
        let mut flipped = bytes.clone();
        flipped[30] ^= 1;
        assert_eq!(Listing::decode(&flipped, 7), None);
    }

    /// A folder changed within 2 s of the walk, a walk with something to
    /// report, or files missing from the index: nothing is vouched for.
    #[test]
    fn only_a_settled_clean_complete_walk_is_vouched_for() {
        assert!(Listing::of(&walked(&folders(7_999_999_999), true), true, 1).is_some());
        assert!(Listing::of(&walked(&folders(8_000_000_000), true), true, 1).is_none());
        assert!(Listing::of(&walked(&folders(5), true), false, 1).is_none());
        assert!(Listing::of(&walked(&folders(5), false), true, 1).is_none(), "noisy");
        let listing = Listing::of(&walked(&folders(5), true), true, 1).expect("vouched for");
        assert!(listing.unchanged(|rel| folders(5).0.iter().find(|f| f.0 == rel).map(|f| f.1)));
        assert!(!listing.unchanged(|rel| (rel == "_posts").then_some((8192, 7, 9, 3))));
    }
}
