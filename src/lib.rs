//! feedgen: RSS 2.0 and Atom 1.0 feeds for a Jekyll-style post collection.
//!
//! The flow is load → model → select → plan → render → write: [`content`]
//! reads posts ([`collection`] is what a run read), [`model`] chooses each
//! feed's items, [`plan`] lists the files (artifacts) to produce,
//! [`render`] turns each into bytes, and [`output`] commits them to disk;
//! [`state`] is what one build leaves to save work in the next; [`cmd`]
//! runs the steps per command.
//! Only [`cli`] is public: the binary is the product, and the integration
//! tests run it.

mod archive;
mod author;
pub mod cli;
mod cmd;
mod collection;
mod config;
mod content;
mod diagnostics;
mod fingerprint;
#[doc(hidden)]
pub mod fuzz;
mod jekyll;
mod markup;
mod model;
mod names;
mod output;
mod permalink;
mod places;
mod plan;
mod render;
mod report;
mod shared_list;
mod state;
mod taxonomy;
mod word_hash;
mod xml_chars;
