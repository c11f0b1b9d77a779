//! feedgen's integration tests: one binary, one harness. Every test runs
//! the real `feedgen` binary on a site in a temp dir and reads what it
//! wrote back with Rust readers only, so `cargo test` needs nothing but the
//! Rust toolchain; `bash conformance/run` adds other languages' parsers.
//!
//! - `feeds`: the core feeds on the `tests/fixtures/core` sites, and
//!   byte-for-byte snapshots of the bundled sample (`tests/snapshots/`);
//! - `bad_input`: one post per kind of broken input (`tests/fixtures/hostile`),
//!   built once and shared by its tests;
//! - `safety`: killed runs, concurrent runs, arbitrary text, symlinks and
//!   paths that try to leave the output folder;
//! - `index`: rebuilds that reuse the rebuild index equal clean builds.

mod bad_input;
mod feeds;
mod harness;
mod index;
mod output;
mod safety;
