//! The rendered-item cache in feedgen's state: each post's rendered
//! [`Entry`], one small file per post, keyed by the post's path and content
//! hash and stamped with a fingerprint of the settings it was rendered
//! under. A windowed feed re-rendered after every batch reads its older
//! items from here instead of reading, rendering and sanitizing them again.
//! It only saves work: a missing, damaged or foreign file is a miss, and a
//! full build removes the files of posts that are in no feed any more.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use chrono::{FixedOffset, TimeZone};
use xxhash_rust::xxh3::xxh3_64;

use super::codec::{Reader, Writer};
use super::Output;
use crate::content::front_matter::Author;
use crate::plan::Fingerprint;
use crate::render::Entry;

/// Folder of the cache, in feedgen's state (next to the rebuild index).
pub const DIR: &str = "items";
const MAGIC: &[u8; 8] = b"FGITEM02";

/// A post's cache key: its path and content hash.
pub fn key(path: &str, content_hash: u64) -> u64 {
    Fingerprint::new().add(path.as_bytes()).add_u64(content_hash).finish()
}

/// The cache of one run.
pub struct ItemCache {
    dir: PathBuf,
    /// Fingerprint of the settings entries depend on.
    settings: u64,
    /// Off when checking (`--check` renders everything and writes nothing).
    enabled: bool,
}

impl ItemCache {
    pub fn open(output: &Output, settings: u64, enabled: bool) -> ItemCache {
        // No state folder (a read-only content checkout): no cache.
        let (dir, enabled) = match output.state_dir() {
            Some(state) => (state.join(DIR), enabled),
            None => (PathBuf::new(), false),
        };
        if enabled {
            let _ = fs::create_dir_all(&dir);
        }
        ItemCache { dir, settings, enabled }
    }

    fn file(&self, key: u64) -> PathBuf {
        self.dir.join(format!("{key:016x}"))
    }

    /// The entry cached for `key`, if it was rendered under these settings.
    pub fn get(&self, key: u64) -> Option<Entry> {
        if !self.enabled {
            return None;
        }
        let bytes = fs::read(self.file(key)).ok()?;
        decode(&bytes, self.settings)
    }

    /// Remember an entry. A failed write costs only a later render.
    pub fn put(&self, key: u64, entry: &Entry) {
        if !self.enabled {
            return;
        }
        let path = self.file(key);
        let tmp = path.with_extension("tmp");
        if fs::write(&tmp, encode(entry, self.settings)).is_err() || fs::rename(&tmp, &path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    /// Remove every cached entry not in `live` (and leftovers of killed
    /// runs); returns how many files went.
    pub fn retain(&self, live: &HashSet<u64>) -> usize {
        if !self.enabled {
            return 0;
        }
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in dir.flatten() {
            let name = entry.file_name();
            let keep = name
                .to_str()
                .filter(|n| n.len() == 16)
                .and_then(|n| u64::from_str_radix(n, 16).ok())
                .is_some_and(|k| live.contains(&k));
            if !keep && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

fn encode(e: &Entry, settings: u64) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256 + e.content.len() + e.summary.len()));
    w.0.extend_from_slice(MAGIC);
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

fn decode(bytes: &[u8], settings: u64) -> Option<Entry> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if xxh3_64(body).to_le_bytes() != sum {
        return None;
    }
    let mut r = Reader(body);
    if r.take(8)? != MAGIC || r.u64()? != settings {
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
    r.0.is_empty().then_some(Entry {
        title,
        link,
        id,
        id_is_link,
        date,
        author: Author { name, email, uri },
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

    #[test]
    fn entries_round_trip_and_damage_is_a_miss() {
        let date = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2021, 12, 8, 10, 46, 18).single())
            .expect("date");
        let entry = Entry {
            title: "标题 \"x\"".into(),
            link: "https://a.example/x.html".into(),
            id: "tag:a.example,2021:x".into(),
            id_is_link: false,
            date,
            author: Author {
                name: "ZNing".into(),
                email: None,
                uri: Some("https://z.example/".into()),
            },
            summary: "s".into(),
            content: "<p>c</p>".into(),
            categories: vec!["emnews".into(), "上海·证券".into()],
            tags: vec![],
            source: Some("https://src.example/1".into()),
            image: Some("https://a.example/i/1.png".into()),
        };
        let bytes = encode(&entry, 7);
        let back = decode(&bytes, 7).expect("decodes");
        assert_eq!(format!("{back:?}"), format!("{entry:?}"));
        assert!(decode(&bytes, 8).is_none(), "other settings");
        for cut in [0, 1, 9, bytes.len() - 1] {
            assert!(decode(&bytes[..cut], 7).is_none(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[30] ^= 1;
        assert!(decode(&flipped, 7).is_none());
    }
}
