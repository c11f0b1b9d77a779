//! The content layer's limits on what one file may make feedgen do: read
//! by the readers that enforce them and by the problems that name them.

/// Largest front matter read, in bytes. The YAML parser holds an event per
/// token before building values (~150 bytes of memory per input byte in the
/// worst case), so an 8 MiB block of `- - - …` would take over a gigabyte.
pub const MAX_YAML_BYTES: usize = 256 * 1024;

/// Deepest `[`/`{` nesting read. The parser's cost grows with the square of
/// flow depth (a file of 4 million `[` never finishes), and serde_norway
/// refuses more than 128 levels anyway.
pub const MAX_FLOW_DEPTH: usize = 128;

/// Most categories, and most tags, one post brings into feeds. Every feed
/// of a post lists all its terms, so output grows with the square of a
/// post's term count: 10,000 tags would write gigabytes.
pub const MAX_TERMS: usize = 100;
