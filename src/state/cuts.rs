//! What the last render of each feed file said about its caps, kept in the
//! state folder beside the rebuild index: how many items the file holds,
//! when that is fewer than its feed selected (`max_bytes`, or a post too
//! large for it), and the posts it wrote short or left out. A rerun renders
//! only the feeds whose inputs changed; with these records it says of every
//! feed what a clean build says: the cap note counts every file a cap cut,
//! and the warning about a post too large for a cap names every file.
//!
//! A record is what the render of a feed at the fingerprint the index holds
//! for it gave (a render depends on nothing else), so the file holds the
//! checksum of the index it goes with: replaced with the index, it keeps
//! the records of the feeds the new index vouches for, this run's for the
//! feeds it rendered. A file that is not the index's (lost, damaged, from
//! an older version, or a run killed between the two writes) vouches for
//! no record, and then the index vouches for no feed: every feed is
//! rendered again. Feeds with nothing to say have no record: the file
//! stays small, and a run that rendered nothing leaves it as it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;

pub const FILE: &str = "cuts";
/// Version 1: the body is [`Cuts`] in postcard (serde-derived).
const MAGIC: &[u8; 8] = b"FGCUTS01";

/// What one render of a feed file said about its caps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCut {
    /// Items written, short ones included.
    pub kept: u64,
    /// Posts (paths relative to the content folder) written with their
    /// summary and link only, too large for the cap on their own.
    pub shortened: Vec<String>,
    /// Posts too large for the cap even so: left out.
    pub left_out: Vec<String>,
}

/// The records of the feeds of one index.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cuts {
    /// The checksum of the index whose feeds these are.
    pub index: u64,
    /// Feed file path → its record.
    pub feeds: BTreeMap<String, StoredCut>,
}

impl Cuts {
    /// Layout: the magic, the records (postcard), and the checksum of
    /// everything before it.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(64 + 48 * self.feeds.len());
        bytes.extend_from_slice(MAGIC);
        // Serializing plain strings and numbers into memory cannot fail.
        bytes = postcard::to_extend(self, bytes).unwrap_or_default();
        let check = Fingerprint::new().add(&bytes).finish();
        bytes.extend_from_slice(&check.to_le_bytes());
        bytes
    }

    /// `None` for another version or any damage.
    pub fn decode(bytes: &[u8]) -> Option<Cuts> {
        let (body, check) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        if Fingerprint::new().add(body).finish() != u64::from_le_bytes(check.try_into().ok()?) {
            return None;
        }
        let rest = body.strip_prefix(MAGIC)?;
        match postcard::take_from_bytes(rest) {
            Ok((cuts, [])) => Some(cuts),
            _ => None,
        }
    }
}

/// The records for the next run, of the feeds the new index vouches for
/// (`feeds`): this run's where it rendered the feed (`rendered`; `None`:
/// nothing to say), else the last one (`last`; `None`: no records, and
/// then this run rendered every feed it vouches for). A feed retired, or
/// not vouched for (rendered without a post that vanished, left to a file
/// feedgen did not write), loses its record.
pub fn merge(
    last: Option<&BTreeMap<String, StoredCut>>,
    rendered: BTreeMap<String, Option<StoredCut>>,
    feeds: &BTreeMap<String, u64>,
) -> BTreeMap<String, StoredCut> {
    let mut next: BTreeMap<String, StoredCut> = last
        .into_iter()
        .flatten()
        .filter(|(path, _)| feeds.contains_key(*path) && !rendered.contains_key(*path))
        .map(|(path, cut)| (path.clone(), cut.clone()))
        .collect();
    let now = rendered.into_iter().filter_map(|(path, cut)| Some((path, cut?)));
    next.extend(now.filter(|(path, _)| feeds.contains_key(path)));
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(kept: u64, shortened: &[&str]) -> StoredCut {
        StoredCut {
            kept,
            shortened: shortened.iter().map(|s| s.to_string()).collect(),
            left_out: Vec::new(),
        }
    }

    #[test]
    fn round_trips_and_damage_means_none() {
        let cuts = Cuts {
            index: 42,
            feeds: BTreeMap::from([
                ("rss.xml".to_string(), cut(3, &["_posts/2022-01-01-big.md"])),
                ("category/a/atom.xml".to_string(), cut(1, &[])),
            ]),
        };
        let bytes = cuts.encode();
        assert!(bytes.starts_with(b"FGCUTS01"));
        assert_eq!(Cuts::decode(&bytes), Some(cuts));
        assert_eq!(Cuts::decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Cuts::decode(&[]), None);
        for at in [0, 9, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 4;
            assert_eq!(Cuts::decode(&flipped), None, "bit flipped at {at}");
        }
    }

    /// Rendered now: this run's record, or none when it had nothing to
    /// say; not rendered: the last one; not in the new index: none.
    #[test]
    fn the_next_records_are_this_runs_else_the_last_of_the_feeds_vouched_for() {
        let last = BTreeMap::from([
            ("kept.xml".to_string(), cut(1, &[])),
            ("replaced.xml".to_string(), cut(2, &[])),
            ("cleared.xml".to_string(), cut(3, &[])),
            ("retired.xml".to_string(), cut(4, &[])),
        ]);
        let rendered = BTreeMap::from([
            ("replaced.xml".to_string(), Some(cut(5, &["a.md"]))),
            ("cleared.xml".to_string(), None),
            ("new.xml".to_string(), Some(cut(6, &[]))),
            ("distrusted.xml".to_string(), Some(cut(7, &[]))),
        ]);
        let feeds: BTreeMap<String, u64> = ["kept.xml", "replaced.xml", "cleared.xml", "new.xml", "other.xml"]
            .into_iter()
            .map(|p| (p.to_string(), 0))
            .collect();
        let next = merge(Some(&last), rendered, &feeds);
        let expected = BTreeMap::from([
            ("kept.xml".to_string(), cut(1, &[])),
            ("new.xml".to_string(), cut(6, &[])),
            ("replaced.xml".to_string(), cut(5, &["a.md"])),
        ]);
        assert_eq!(next, expected);
    }
}
