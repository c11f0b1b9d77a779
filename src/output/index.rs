//! The rebuild index kept in the state folder: what every post file gave
//! when last read (keyed by path, size, mtime and content hash) and a
//! fingerprint of every feed's inputs. It only ever saves work: a missing,
//! stale or corrupt index is ignored, and output never depends on it.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, TimeZone};

use super::codec::{Reader, Writer, STR_BYTES};
use crate::content::post::{intern, Outcome, PostMeta, Term};
use crate::content::{content_hash, Record, Scanned};
use crate::diagnostics::{Diagnostic, Severity};

/// A list of category or tag names, each the one shared copy.
fn terms(r: &mut Reader) -> Option<Vec<Term>> {
    let n = r.len(STR_BYTES)?;
    (0..n).map(|_| r.text().map(intern)).collect()
}

/// File name inside the state folder.
pub const FILE: &str = "index";
const MAGIC: &[u8; 8] = b"FGINDEX3";

/// What the last run recorded.
#[derive(Debug, Default)]
pub struct Index {
    /// Sorted by path.
    pub records: Vec<Record>,
    /// Feed file (relative to the output folder) → fingerprint of its inputs.
    pub feeds: BTreeMap<String, u64>,
}

impl Index {
    /// Encode, stamped with `settings` (a fingerprint of everything that
    /// changes how a file reads: zone, content folder, limits, version).
    pub fn encode(&self, settings: u64) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(64 + self.records.len() * 128));
        w.0.extend_from_slice(MAGIC);
        w.u64(settings);
        w.u64(self.records.len() as u64);
        for r in &self.records {
            w.str(&r.rel);
            w.u64(r.size);
            w.u64(r.mtime_ns as u64);
            w.u64(r.ctime_ns as u64);
            w.u64(r.ino);
            w.u64(r.hash);
            match &r.scanned.outcome {
                Outcome::NotAPost => w.u8(0),
                Outcome::Rejected => w.u8(1),
                Outcome::Post(m) => {
                    w.u8(2);
                    w.u64(m.date.timestamp() as u64);
                    w.u64(i64::from(m.date.offset().local_minus_utc()) as u64);
                    w.u8(u8::from(m.unpublished) | (u8::from(m.plain_text) << 2));
                    w.u64(m.jekyll_time as u64);
                    w.list(&m.categories);
                    w.list(&m.tags);
                }
            }
            w.u64(r.scanned.diagnostics.len() as u64);
            for d in &r.scanned.diagnostics {
                w.str(&d.path);
                w.u64(d.line.map_or(0, |l| l as u64));
                w.u8(d.severity as u8);
                w.str(&d.message);
            }
        }
        w.u64(self.feeds.len() as u64);
        for (rel, fp) in &self.feeds {
            w.str(rel);
            w.u64(*fp);
        }
        let check = content_hash(&w.0);
        w.u64(check);
        w.0
    }

    /// Decode an index written with the same `settings`; anything else
    /// (another version, other settings, a torn or corrupt file) is `None`.
    pub fn decode(bytes: &[u8], settings: u64) -> Option<Index> {
        let (body, check) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        if content_hash(body) != u64::from_le_bytes(check.try_into().ok()?) {
            return None;
        }
        let mut r = Reader(body);
        if r.take(8)? != MAGIC || r.u64()? != settings {
            return None;
        }
        let count = r.len(RECORD_BYTES)?;
        let mut records = Vec::with_capacity(count);
        for _ in 0..count {
            let rel: std::sync::Arc<str> = r.text()?.into();
            let size = r.u64()?;
            let mtime_ns = r.u64()? as i64;
            let ctime_ns = r.u64()? as i64;
            let ino = r.u64()?;
            let hash = r.u64()?;
            let outcome = match r.u8()? {
                0 => Outcome::NotAPost,
                1 => Outcome::Rejected,
                2 => {
                    let secs = r.u64()? as i64;
                    let offset = FixedOffset::east_opt(i32::try_from(r.u64()? as i64).ok()?)?;
                    let date: DateTime<FixedOffset> = offset.timestamp_opt(secs, 0).single()?;
                    let flags = r.u8()?;
                    let jekyll_time = r.u64()? as i64;
                    Outcome::Post(PostMeta {
                        path: rel.clone(),
                        date,
                        jekyll_time,
                        categories: terms(&mut r)?,
                        tags: terms(&mut r)?,
                        unpublished: flags & 1 != 0,
                        plain_text: flags & 4 != 0,
                    })
                }
                _ => return None,
            };
            let n = r.len(DIAGNOSTIC_BYTES)?;
            let mut diagnostics = Vec::with_capacity(n);
            for _ in 0..n {
                let path = r.str()?;
                let line = usize::try_from(r.u64()?).ok().filter(|&l| l > 0);
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
                    message: r.str()?,
                });
            }
            records.push(Record {
                rel,
                size,
                mtime_ns,
                ctime_ns,
                ino,
                hash,
                scanned: Scanned { outcome, diagnostics },
                reused: false,
            });
        }
        let n = r.len(FEED_BYTES)?;
        let mut feeds = BTreeMap::new();
        for _ in 0..n {
            let rel = r.str()?;
            feeds.insert(rel, r.u64()?);
        }
        (r.0.is_empty() && records.is_sorted_by(|a, b| a.rel < b.rel)).then_some(Index { records, feeds })
    }
}

/// The fewest bytes each kind of encoded element takes, for [`Reader::len`].
/// Path, size, mtime, ctime, inode, hash, outcome, diagnostic count.
const RECORD_BYTES: usize = STR_BYTES + 8 * 5 + 1 + 8;
/// Path, line, severity, message.
const DIAGNOSTIC_BYTES: usize = STR_BYTES + 8 + 1 + STR_BYTES;
/// Path, fingerprint.
const FEED_BYTES: usize = STR_BYTES + 8;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Index {
        let date = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2021, 12, 8, 10, 46, 18).single())
            .expect("date");
        let meta = PostMeta {
            path: "_posts/a.md".into(),
            date,
            jekyll_time: date.timestamp() + 8 * 3600,
            categories: vec!["emnews".into(), "上海·证券".into()],
            tags: vec!["东财滚动新闻".into()],
            unpublished: false,
            plain_text: true,
        };
        let warn = Diagnostic::new("content/_posts/a.md", Some(3), Severity::Warning, "title recovered");
        let mut feeds = BTreeMap::new();
        feeds.insert("category/emnews/rss.xml".to_string(), 42);
        Index {
            records: vec![
                Record {
                    rel: "_posts/a.md".into(),
                    size: 10,
                    mtime_ns: 1_700_000_000_123_456_789,
                    ctime_ns: 1_700_000_000_223_456_789,
                    ino: 77,
                    hash: 7,
                    reused: false,
                    scanned: Scanned {
                        outcome: Outcome::Post(meta),
                        diagnostics: vec![warn],
                    },
                },
                Record {
                    rel: "_posts/b.md".into(),
                    size: 3,
                    mtime_ns: -5,
                    ctime_ns: 9,
                    ino: 0,
                    hash: 0,
                    reused: false,
                    scanned: Scanned {
                        outcome: Outcome::Rejected,
                        diagnostics: Vec::new(),
                    },
                },
            ],
            feeds,
        }
    }

    #[test]
    fn round_trips() {
        let index = sample();
        let bytes = index.encode(99);
        let back = Index::decode(&bytes, 99).expect("decodes");
        assert_eq!(back.encode(99), bytes);
        assert_eq!(back.feeds, index.feeds);
        match &back.records[0].scanned.outcome {
            Outcome::Post(m) => {
                assert_eq!(m.date.to_rfc3339(), "2021-12-08T10:46:18+08:00");
                assert_eq!(m.categories[1].as_ref(), "上海·证券");
                assert!(!m.unpublished && m.plain_text);
            }
            other => panic!("{other:?}"),
        }
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
