//! feedgen: RSS 2.0 and Atom 1.0 feeds for a Jekyll-style post collection.
//!
//! The flow is load → model → select → render → write: [`content`] reads
//! posts, [`model`] chooses each feed's items, [`render`] turns them into
//! bytes, [`output`] puts the bytes on disk; [`build`] runs the whole.

pub mod build;
pub mod cli;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod index;
pub mod markup;
pub mod model;
pub mod output;
pub mod permalink;
pub mod render;
pub mod xml_chars;
