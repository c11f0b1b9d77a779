//! feedgen's integration tests: one binary, one harness. Every test runs
//! the real `feedgen` binary on a site in a temp dir and reads what it
//! wrote back with Rust readers only, so `cargo test` needs nothing but the
//! Rust toolchain; `bash conformance/run` adds other languages' parsers.
//!
//! - `atom_image`: Atom entries carry the item image as Media RSS, as RSS items do;
//! - `caps`: a feed's work and cache follow its `max_bytes`, a post too large
//!   for it is written short, a head too large for it is an error;
//! - `feeds`: the core feeds on the `tests/fixtures/core` sites, and
//!   byte-for-byte snapshots of the bundled sample (`tests/snapshots/`);
//! - `archive`: posts moved to `feedgen.archive` folders keep their ids and feeds;
//! - `bad_input`: one post per kind of broken input (`tests/fixtures/hostile`),
//!   built once and shared by its tests;
//! - `differential`: random edits, moves, settings, clock moves, partial builds,
//!   broken state and kills; every incremental build equals a clean build;
//! - `safety`: killed runs, concurrent runs, arbitrary text, symlinks and
//!   paths that try to leave the output folder;
//! - `dup_url`: posts Jekyll writes to one page give one item, the page's, with a warning;
//! - `discovery`: JSON Feed, display names, images, icons, claims, and
//!   `feeds.opml`, `feeds.json` and the `index.html` feed directory;
//! - `git`: in a git work tree, a fresh clone with its state restored reads
//!   only what git's index does not vouch for, and builds a clean build's bytes;
//! - `index`: rebuilds that reuse the rebuild index and the item cache equal clean builds;
//! - `jekyll`: links and published posts follow Jekyll 4.3.1's reading of each file;
//! - `jekyll3`: without a Gemfile, links name the files GitHub Pages' Jekyll 3.10
//!   wrote for `tests/fixtures/jekyll3` (recorded);
//! - `lifecycle_state`: a state older or newer than the output folder (a CI
//!   cache) still gives a clean build's bytes; orphan feeds are retired;
//! - `pages`: category and tag pages name the feeds and are their links; `names_from_tags`;
//! - `partial`: `--category`/`--tag` builds keep the state as bounded as full builds;
//!   two pages naming one feed; the window's boundary;
//! - `robustness`: bad input that must not lose posts, hang, blow up or
//!   forge lines on the terminal;
//! - `served`: `feeds_url`, refused site URLs, RSS authors and summaries.
//! - `settings`: a misspelled `feedgen:` key is an error, Jekyll's keys are free;
//! - `window`: time-window feeds, caps, content modes, poll hints;
//! - `ping`: `feedgen ping` against a WebSub receiver on 127.0.0.1;
//! - `structure`: the source itself: no module cycle, no over-long function;
//! - `verbosity`: what `--quiet`, the default and `--verbose` print;
//! - `writes`: the Jekyll data file, a shared state folder and an old
//!   layout's feeds: what feedgen writes or removes outside its feeds.

mod archive;
mod atom_image;
mod bad_input;
mod caps;
mod differential;
mod discovery;
mod dup_url;
mod feeds;
mod git;
mod harness;
mod index;
mod jekyll;
mod jekyll3;
mod lifecycle_state;
mod listing;
mod output;
mod pages;
mod partial;
mod ping;
mod robustness;
mod safety;
mod served;
mod settings;
mod structure;
mod verbosity;
mod window;
mod writes;
