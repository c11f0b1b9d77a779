//! The commit step: the rendered artifacts of a [`Plan`] put on disk (or,
//! checking, compared with it), files of feeds that are gone removed, and
//! the manifest and rebuild index brought up to date.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::index::{self, Index};
use super::{Output, Written};
use crate::config::Mode;
use crate::content::Record;
use crate::plan::Plan;

/// What happened to one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Written,
    Unchanged,
    /// Checking: the file on disk differs from what a build would write.
    Stale,
}

/// What a commit did, for the report.
#[derive(Debug, Default)]
pub struct Committed {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub stale: Vec<String>,
}

/// What the commit needs from the index read at the start of the run.
pub struct Previous {
    /// Artifact path → fingerprint of its inputs.
    pub fingerprints: BTreeMap<String, u64>,
    /// The settings stamp a new index is written with.
    pub settings: u64,
}

/// A commit in progress.
pub struct Commit<'o> {
    output: &'o Output,
    mode: Mode,
    /// The files earlier runs wrote.
    manifest: BTreeSet<String>,
    produced: BTreeSet<String>,
    retired: Vec<String>,
    /// Artifact path → fingerprint of its inputs, as last recorded.
    fingerprints: BTreeMap<String, u64>,
    rendering: bool,
    /// Artifacts written without a post that could not be read again: the
    /// index must not vouch for them, so the next run renders them anew.
    untrusted: BTreeSet<String>,
    /// Stamp of the settings the index is valid for.
    settings: u64,
    pub done: Committed,
}

impl<'o> Commit<'o> {
    /// Start committing `plan`. When a build is about to write
    /// (`rendering`), a killed run from here on leaves some files new and
    /// some old: the index stops vouching for them, and the manifest
    /// already lists every file this run may create. `previous` is the
    /// index read at the start, valid for `settings`.
    pub fn begin(
        output: &'o Output,
        mode: Mode,
        plan: &Plan,
        previous: Previous,
        rendering: bool,
    ) -> Result<Commit<'o>> {
        let Previous { fingerprints, settings } = previous;
        let manifest = output.manifest();
        let produced = plan.paths();
        let retired = plan.retired(&manifest);
        if mode == Mode::Build && rendering {
            output.remove(index::FILE)?;
            output.write_manifest(&manifest.union(&produced).cloned().collect())?;
        }
        Ok(Commit {
            output,
            mode,
            manifest,
            produced,
            retired,
            fingerprints,
            rendering,
            untrusted: BTreeSet::new(),
            settings,
            done: Committed::default(),
        })
    }

    /// Write one artifact's bytes (or, checking, compare them with the
    /// file on disk). Safe to call from many threads at once.
    pub fn store(&self, path: &str, bytes: &[u8]) -> Result<Stored> {
        Ok(match self.mode {
            Mode::Build => match self.output.write(path, bytes)? {
                Written::Unchanged => Stored::Unchanged,
                Written::New | Written::Changed => Stored::Written,
            },
            _ if self.output.is_current(path, bytes) => Stored::Unchanged,
            _ => Stored::Stale,
        })
    }

    /// Count what [`Commit::store`] did with `path`.
    pub fn count(&mut self, path: &str, stored: Stored) {
        match stored {
            Stored::Written => self.done.written += 1,
            Stored::Unchanged => self.done.unchanged += 1,
            Stored::Stale => self.done.stale.push(path.to_string()),
        }
    }

    /// `path` was rendered without a post that should be in it: record no
    /// fingerprint for it.
    pub fn distrust(&mut self, path: &str) {
        self.untrusted.insert(path.to_string());
    }

    /// Remove retired files, then record the manifest and the rebuild
    /// index (`records`: every post file as read). The index is left alone
    /// when `files_reused` (every file was taken from it unchanged) and
    /// nothing was written or removed: it is already right.
    pub fn finish(mut self, plan: &Plan, records: Vec<Record>, files_reused: bool) -> Result<Committed> {
        match self.mode {
            Mode::Build => {
                for path in &self.retired {
                    self.done.removed += usize::from(self.output.remove(path)?);
                    self.manifest.remove(path);
                    self.fingerprints.remove(path);
                }
                self.manifest.extend(self.produced);
                self.output.write_manifest(&self.manifest)?;
                let mut feeds = self.fingerprints;
                feeds.extend(plan.artifacts.iter().map(|a| (a.path.clone(), a.fingerprint)));
                feeds.retain(|path, _| !self.untrusted.contains(path));
                if !(files_reused && !self.rendering && self.retired.is_empty() && self.untrusted.is_empty()) {
                    let index = Index { records, feeds };
                    self.output.write(index::FILE, &index.encode(self.settings))?;
                }
            }
            _ => {
                let output = self.output;
                let stale = self.retired.iter().filter(|f| output.exists(f)).cloned();
                self.done.stale.extend(stale);
            }
        }
        Ok(self.done)
    }
}
