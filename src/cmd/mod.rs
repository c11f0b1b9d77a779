//! The commands, each a short sequence of the steps the other modules own.

pub mod build;
pub mod check;
mod commit;
pub mod list;
pub mod ping;
mod render_and_commit;
