//! The commit step: the rendered artifacts of a [`Plan`] put on disk (or,
//! checking, compared with it), files of feeds that are gone removed, and
//! the manifest and rebuild index brought up to date.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::index::{self, Chunks, Index, Keep};
use super::{Output, Removal, Written};
use crate::config::{Config, Mode};
use crate::content::Record;
use crate::diagnostics::{Diagnostic, Severity};
use crate::plan::{Artifact, Plan};

/// What happened to one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Written,
    Unchanged,
    /// Checking: the file on disk differs from what a build would write.
    Stale,
    /// A file feedgen did not write sits at the artifact's path: left as is.
    Foreign,
}

/// What a commit did, for the report.
#[derive(Debug, Default)]
pub struct Committed {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub stale: Vec<String>,
    /// Files left as they are, manifest entries ignored, old state removed.
    pub diagnostics: Vec<Diagnostic>,
    /// The checksum of the index this run wrote (`None`: it kept the old one).
    pub index: Option<u64>,
}

/// What the commit needs from the index read at the start of the run.
pub struct Previous {
    /// Artifact path → fingerprint of its inputs.
    pub fingerprints: BTreeMap<String, u64>,
    /// Where its chunks end in its file.
    pub chunks: Chunks,
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
    /// Paths this run would write where a file feedgen did not write sits.
    foreign: BTreeSet<String>,
    retired: Vec<String>,
    /// Artifact path → fingerprint of its inputs, as last recorded.
    fingerprints: BTreeMap<String, u64>,
    rendering: bool,
    /// Artifacts written without a post that could not be read again: the
    /// index must not vouch for them, so the next run renders them anew.
    untrusted: BTreeSet<String>,
    /// Stamp of the settings the index is valid for.
    settings: u64,
    /// The chunks of the index read at the start.
    chunks: Chunks,
    pub done: Committed,
}

impl<'o> Commit<'o> {
    /// Start committing `plan`. When a build is about to write
    /// (`rendering`), a killed run from here on leaves some files new and
    /// some old: the index stops vouching for them, and the manifest
    /// already lists every file this run may create. `previous` is the
    /// index read at the start, valid for `settings`; `todo` the
    /// artifacts this run renders. Paths in `todo` where a file feedgen did
    /// not write sits are left alone, and never enter the manifest.
    pub fn begin(
        output: &'o Output,
        config: &Config,
        mode: Mode,
        plan: &Plan,
        previous: Previous,
        todo: &[&Artifact],
    ) -> Result<Commit<'o>> {
        let Previous {
            fingerprints,
            chunks,
            settings,
        } = previous;
        let rendering = !todo.is_empty();
        let mut done = Committed::default();
        for path in &output.removed_legacy {
            let message = "feedgen's state from an earlier version, served with the feeds; removed (the state now lives in the state folder)";
            done.diagnostics.push(Diagnostic::new(
                &path.display().to_string(),
                None,
                Severity::Note,
                message,
            ));
        }
        if let Some(why) = &output.stateless {
            let shown = config.state_dir.display().to_string();
            done.diagnostics
                .push(Diagnostic::new(&shown, None, Severity::Warning, why.clone()));
        }
        let (mut manifest, ignored) = output.manifest(&config.layout);
        for entry in ignored {
            let message = format!(
                "the manifest lists `{entry}`, which is no feed path feedgen writes; ignored (nothing is removed)"
            );
            done.diagnostics.push(Diagnostic::new(
                &output.manifest_path().display().to_string(),
                None,
                Severity::Warning,
                message,
            ));
        }
        let foreign: BTreeSet<String> = match mode {
            Mode::Build => todo
                .iter()
                .filter(|a| output.is_foreign(&a.path, manifest.contains(&a.path)))
                .map(|a| a.path.clone())
                .collect(),
            _ => BTreeSet::new(),
        };
        manifest.retain(|p| !foreign.contains(p));
        let produced: BTreeSet<String> = plan.paths().difference(&foreign).cloned().collect();
        let retired = plan.retired(&manifest);
        if mode == Mode::Build && rendering {
            output.invalidate_cache_file(index::FILE)?;
            output.write_manifest(&manifest.union(&produced).cloned().collect())?;
            output.sync_folders()?;
        }
        Ok(Commit {
            output,
            mode,
            manifest,
            produced,
            foreign,
            retired,
            fingerprints,
            rendering,
            untrusted: BTreeSet::new(),
            settings,
            chunks,
            done,
        })
    }

    /// Write one artifact's bytes (or, checking, compare them with the
    /// file on disk). Safe to call from many threads at once; the files
    /// are in place after [`Commit::publish`].
    pub fn store(&self, path: &str, bytes: &[u8]) -> Result<Stored> {
        Ok(match self.mode {
            Mode::Build if self.foreign.contains(path) => Stored::Foreign,
            Mode::Build => match self.output.stage(path, bytes)? {
                Written::Unchanged => Stored::Unchanged,
                Written::New | Written::Changed => Stored::Written,
            },
            _ if self.output.is_current(path, bytes) => Stored::Unchanged,
            _ => Stored::Stale,
        })
    }

    /// Put the files [`Commit::store`] wrote since the last call in place
    /// (with `fsync`, after one sync of them all).
    pub fn publish(&self) -> Result<()> {
        self.output.publish()
    }

    /// Count what [`Commit::store`] did with `path`.
    pub fn count(&mut self, path: &str, stored: Stored) {
        match stored {
            Stored::Written => self.done.written += 1,
            Stored::Unchanged => self.done.unchanged += 1,
            Stored::Stale => self.done.stale.push(path.to_string()),
            Stored::Foreign => {
                let shown = self.output.dir().join(path).display().to_string();
                let message = "not written by feedgen; left as is (delete it to let feedgen write this feed)";
                self.done
                    .diagnostics
                    .push(Diagnostic::new(&shown, None, Severity::Error, message));
            }
        }
    }

    /// `path` was rendered without a post that should be in it: record no
    /// fingerprint for it.
    pub fn distrust(&mut self, path: &str) {
        self.untrusted.insert(path.to_string());
    }

    /// Remove retired files, then record the manifest and the rebuild
    /// index (`records`: every post file as read, the first `kept` of them
    /// the old index's, in place). The index is left alone when
    /// `files_reused` (every file was taken from it unchanged) and nothing
    /// was written or removed: it is already right.
    pub fn finish(
        mut self,
        plan: &Plan,
        (records, kept): (Vec<Record>, usize),
        files_reused: bool,
    ) -> Result<Committed> {
        match self.mode {
            Mode::Build => {
                self.output.publish()?;
                for path in &self.retired {
                    match self.output.remove(path)? {
                        Removal::Removed => self.done.removed += 1,
                        Removal::Absent => {}
                        Removal::Kept(why) => {
                            let shown = self.output.dir().join(path).display().to_string();
                            let message = format!("no longer a feed, but {why}; left as is");
                            self.done
                                .diagnostics
                                .push(Diagnostic::new(&shown, None, Severity::Warning, message));
                        }
                    }
                    self.manifest.remove(path);
                    self.fingerprints.remove(path);
                }
                self.manifest.extend(self.produced);
                // Feeds and removals reach the disk before the manifest and
                // index that vouch for them.
                self.output.sync_folders()?;
                self.output.write_manifest(&self.manifest)?;
                // The manifest's entry too; the index after it is only a
                // cache (a sync after it flushed its 22 MB on every run).
                self.output.sync_folders()?;
                let mut feeds = self.fingerprints;
                // The index never vouches for a path left to a foreign file:
                // the next run looks again (and says so again).
                let foreign = &self.foreign;
                feeds.extend(plan.artifacts.iter().map(|a| (a.path.clone(), a.fingerprint)));
                feeds.retain(|path, _| !self.untrusted.contains(path) && !foreign.contains(path));
                let index = Index {
                    records,
                    feeds,
                    checksum: 0,
                    chunks: Chunks::default(),
                };
                if !(files_reused && !self.rendering && self.retired.is_empty() && self.untrusted.is_empty()) {
                    let settings = self.settings;
                    let mut checksum = 0;
                    self.output.write_cache_file_with(index::FILE, |f| {
                        let keep = Keep {
                            chunks: &self.chunks,
                            kept,
                        };
                        let (len, check) = index.write(settings, f, Some(keep))?;
                        checksum = check;
                        Ok(len)
                    })?;
                    self.done.index = Some(checksum);
                }
                // The run ends here, and the process with it: freeing a
                // record (five allocations) per post, one at a time, was a
                // sixth of a no-op rerun. The system takes the memory back.
                std::mem::forget(index);
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
