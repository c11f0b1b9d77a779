//! Git's blob id of each post file of the rebuild index, as last read: the
//! key that survives a fresh clone (git's index names each unchanged file's
//! blob; every stamp is new). Kept in a file of its own beside the index,
//! tied to it by the index's checksum, so the index's own format stays as
//! it is: records in the index's order, 20 bytes each (zeros: none). Like
//! the index, it only ever saves work: one of another index, or damaged,
//! is ignored. A content folder outside git has none.

use std::io::Read;

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use super::codec::Reader;
use super::index::{FromStored, StoredPost};

pub const FILE: &str = "blobs";
const MAGIC: &[u8; 8] = b"FGBLOBS1";
const NONE: [u8; 20] = [0; 20];

/// The file for the records of the index with checksum `index`; `None`
/// when no record has a blob id.
pub fn encode(index: u64, records: &[StoredPost]) -> Option<Vec<u8>> {
    if records.iter().all(|r| r.blob.is_none()) {
        return None;
    }
    let mut bytes = Vec::with_capacity(8 + 8 + 8 + records.len() * 20 + 8);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&index.to_le_bytes());
    bytes.extend_from_slice(&(records.len() as u64).to_le_bytes());
    for r in records {
        bytes.extend_from_slice(&r.blob.unwrap_or(NONE));
    }
    let check = xxh3_64(&bytes);
    bytes.extend_from_slice(&check.to_le_bytes());
    Some(bytes)
}

/// Give `records` (of the index with checksum `index`) their blob ids
/// from `input` (a file of `size` bytes), read a block at a time: at a
/// million records the file is 20 MB, which need not be in memory beside
/// them. False, and no record has a blob id, unless the file is whole and
/// of that index.
pub fn apply<T: FromStored>(mut input: impl Read, size: u64, index: u64, records: &mut [T]) -> bool {
    let applied = read_into(&mut input, size, index, records).is_some();
    if !applied {
        records.iter_mut().for_each(|r| r.set_blob(None));
    }
    applied
}

fn read_into<T: FromStored>(input: &mut impl Read, size: u64, index: u64, records: &mut [T]) -> Option<()> {
    const HEAD: usize = 8 + 8 + 8;
    if size != (HEAD + records.len() * 20 + 8) as u64 {
        return None;
    }
    let mut hash = Xxh3::new();
    let mut head = [0; HEAD];
    input.read_exact(&mut head).ok()?;
    hash.update(&head);
    let mut r = Reader(&head);
    let (magic, of, count) = (r.take(8)?, r.u64()?, r.u64()?);
    if magic != MAGIC || of != index || count != records.len() as u64 {
        return None;
    }
    let mut block = vec![0; 20 * 4096];
    for chunk in records.chunks_mut(4096) {
        let bytes = &mut block[..chunk.len() * 20];
        input.read_exact(bytes).ok()?;
        hash.update(bytes);
        for (record, id) in chunk.iter_mut().zip(bytes.chunks_exact(20)) {
            record.set_blob(<[u8; 20]>::try_from(id).ok().filter(|id| *id != NONE));
        }
    }
    let mut check = [0; 8];
    input.read_exact(&mut check).ok()?;
    (hash.digest() == u64::from_le_bytes(check)).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StoredOutcome;

    fn post(rel: &str, blob: Option<[u8; 20]>) -> StoredPost {
        StoredPost {
            rel: rel.into(),
            stamp: 1,
            hash: 5,
            blob,
            outcome: StoredOutcome::NotAPost,
            diagnostics: Box::default(),
        }
    }

    /// Blob ids come back for the index they were saved with only, and a
    /// damaged file gives none.
    #[test]
    fn blob_ids_round_trip_for_their_index_only() {
        let saved = [post("a", Some([7; 20])), post("b", None)];
        assert!(encode(9, &[post("a", None)]).is_none());
        let bytes = encode(9, &saved).expect("one has an id");
        let apply = |bytes: &[u8], index, records: &mut [StoredPost]| apply(bytes, bytes.len() as u64, index, records);
        let mut records = [post("a", None), post("b", Some([1; 20]))];
        assert!(!apply(&bytes, 8, &mut records));
        assert!(!apply(&bytes, 9, &mut records[..1]));
        for at in [10, 30, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            assert!(!apply(&damaged, 9, &mut records), "byte {at}");
            assert_eq!((records[0].blob, records[1].blob), (None, None), "byte {at}");
        }
        assert!(!apply(&bytes[..bytes.len() - 1], 9, &mut records), "cut short");
        assert!(apply(&bytes, 9, &mut records));
        assert_eq!((records[0].blob, records[1].blob), (Some([7; 20]), None));
    }
}
