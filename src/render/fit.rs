//! Which of a feed's items fit in its `max_bytes`, newest first: entries
//! are asked for one at a time and the walk stops at the cap, so the work
//! and the memory a feed takes follow its cap, not its window.

use std::borrow::Cow;

use super::entry::Entry;

/// Items measured together before each is measured alone: fewer renders
/// of the (bare) head, while a chunk's entries stay few.
const CHUNK: usize = 64;

/// How one feed's items fit: those written (newest first), and the posts
/// (indices into the published posts) that needed a word.
#[derive(Debug, Default)]
pub struct Fit<'e> {
    /// The posts written, with the entry as written.
    pub items: Vec<(usize, Cow<'e, Entry>)>,
    /// Too large for the cap alone: written with summary and link only.
    pub shortened: Vec<usize>,
    /// Too large for the cap even so: left out.
    pub left_out: Vec<usize>,
    /// Posts asked for that could not be read again.
    pub unread: Vec<usize>,
}

/// How a feed measures its items. `extra` is the bytes `items` add to the
/// feed written without them: summed over items measured apart it is never
/// less than what they add together (the writers share nothing between
/// items but a namespace declaration, which each one alone counts again).
pub struct Measure<'m> {
    pub extra: &'m dyn Fn(&[&Entry]) -> usize,
    /// Bytes the item adds at least: every text of it the format writes,
    /// unescaped. Only what makes the walk cheaper hangs on it.
    pub least: &'m dyn Fn(&Entry) -> usize,
}

/// Fit `posts` (newest first, entries from `get`; `None`: unread) into
/// `room` bytes. An item too large for `room` on its own is tried in its
/// short form ([`Entry::summary_only`]), and left out if even that is;
/// the first other item that does not fit in what is left ends the feed.
pub fn fit<'e>(posts: &[usize], get: &dyn Fn(usize) -> Option<&'e Entry>, measure: &Measure, room: usize) -> Fit<'e> {
    let mut walk = Walk {
        fit: Fit::default(),
        cap: room,
        room,
        measure,
    };
    let mut chunk: Vec<(usize, &'e Entry)> = Vec::new();
    let mut least = 0usize;
    for &i in posts {
        let Some(e) = get(i) else {
            walk.fit.unread.push(i);
            continue;
        };
        least = least.saturating_add((measure.least)(e));
        chunk.push((i, e));
        if chunk.len() >= CHUNK || least > walk.room {
            let full = walk.place(&chunk, least);
            chunk.clear();
            least = 0;
            if full {
                return walk.fit;
            }
        }
    }
    walk.place(&chunk, least);
    walk.fit
}

/// The fit so far, and the room left.
struct Walk<'e, 'm> {
    fit: Fit<'e>,
    /// The room of an empty feed: what an item must fit alone.
    cap: usize,
    room: usize,
    measure: &'m Measure<'m>,
}

impl<'e> Walk<'e, '_> {
    /// Place a chunk of items (`least`: their [`Measure::least`]);
    /// `true` once the feed is full.
    fn place(&mut self, chunk: &[(usize, &'e Entry)], least: usize) -> bool {
        if chunk.is_empty() {
            return false;
        }
        if least <= self.room {
            let entries: Vec<&Entry> = chunk.iter().map(|(_, e)| *e).collect();
            let size = (self.measure.extra)(&entries);
            if size <= self.room {
                self.room -= size;
                self.fit.items.extend(chunk.iter().map(|&(i, e)| (i, Cow::Borrowed(e))));
                return false;
            }
        }
        for &(i, e) in chunk {
            let mut size = (self.measure.extra)(&[e]);
            let mut entry = Cow::Borrowed(e);
            if size > self.cap {
                let short = e.summary_only();
                size = (self.measure.extra)(&[&short]);
                if size > self.cap {
                    self.fit.left_out.push(i);
                    continue;
                }
                entry = Cow::Owned(short);
            }
            if size > self.room {
                return true;
            }
            if matches!(entry, Cow::Owned(_)) {
                self.fit.shortened.push(i);
            }
            self.room -= size;
            self.fit.items.push((i, entry));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::author::Author;

    fn entry(text: usize) -> Entry {
        Entry {
            title: "t".into(),
            link: "l".into(),
            id: "i".into(),
            id_is_link: true,
            date: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
            author: Author::default(),
            summary: "s".into(),
            content: "x".repeat(text),
            categories: Vec::new(),
            tags: Vec::new(),
            source: None,
            image: None,
            summary_only: false,
        }
    }

    /// Each item costs its text plus 10 bytes.
    fn extra(entries: &[&Entry]) -> usize {
        entries.iter().map(|e| e.content.len() + 10).sum()
    }

    fn fitted(sizes: &[usize], room: usize) -> (Vec<usize>, Vec<usize>, Vec<usize>, usize) {
        let entries: Vec<Entry> = sizes.iter().map(|&s| entry(s)).collect();
        let posts: Vec<usize> = (0..entries.len()).collect();
        let asked = std::cell::Cell::new(0);
        let get = |i: usize| {
            asked.set(asked.get() + 1);
            entries.get(i)
        };
        let least = |e: &Entry| e.content.len();
        let measure = Measure {
            extra: &extra,
            least: &least,
        };
        let fit = fit(&posts, &get, &measure, room);
        let written = fit.items.iter().map(|(i, _)| *i).collect();
        (written, fit.shortened, fit.left_out, asked.get())
    }

    #[test]
    fn a_post_too_large_alone_is_shortened_and_the_rest_still_fit() {
        let (written, shortened, left_out, _) = fitted(&[500, 20, 20, 20], 100);
        assert_eq!(written, vec![0, 1, 2, 3]);
        assert_eq!(shortened, vec![0]);
        assert!(left_out.is_empty());
    }

    #[test]
    fn the_first_item_that_does_not_fit_ends_the_feed() {
        let (written, shortened, _, _) = fitted(&[30, 30, 30, 5], 100);
        assert_eq!(written, vec![0, 1], "no hole: the 5-byte item after it is not taken");
        assert!(shortened.is_empty());
    }

    #[test]
    fn the_walk_stops_asking_for_entries_at_the_cap() {
        let sizes = vec![1000; 10_000];
        let (written, shortened, _, asked) = fitted(&sizes, 3500);
        assert_eq!(written, vec![0, 1, 2]);
        assert!(shortened.is_empty());
        assert!(asked <= 4, "{asked} entries read for 3 items");
    }
}
