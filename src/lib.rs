//! feedgen: RSS 2.0 and Atom 1.0 feeds for a Jekyll-style post collection.
//!
//! The flow is load → model → select → render → write: [`content`] reads
//! posts, [`model`] chooses each feed's items, [`render`] turns them into
//! bytes, [`output`] puts the bytes on disk; [`build`] runs the whole.
//! Only [`cli`] is public: the binary is the product, and the integration
//! tests run it.

mod build;
pub mod cli;
mod config;
mod content;
mod diagnostics;
mod index;
mod markup;
mod model;
mod output;
mod permalink;
mod render;
mod report;
mod xml_chars;
