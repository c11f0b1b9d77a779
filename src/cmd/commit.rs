//! The commit step: the rendered artifacts of a [`Plan`] put on disk (or,
//! checking, compared with it), files of feeds that are gone removed, and
//! the manifest brought up to date (through the [`State`]); it hands back
//! the fingerprints the next index records.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{Config, Layout, Mode};
use crate::diagnostics::{Diagnostic, Severity};
use crate::output::{Output, Removal, Signature, Written};
use crate::plan::{could_produce, Artifact, Plan, ARTIFACT_FILES};
use crate::state::State;

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
    /// Artifact path → fingerprint of its inputs, for the new index
    /// (`None`: the index read at the start is still right).
    pub fingerprints: Option<BTreeMap<String, u64>>,
}

/// The files earlier runs wrote, as far as feedgen could have written
/// them: from the manifest in the state folder; without one (a lost
/// state, or one from another output folder), from a manifest an earlier
/// version left in the output folder; else, every file at a feed path
/// that carries feedgen's generator mark. Entries that are feed paths of
/// a layout the manifest names but not of this one (`category_dir` or
/// `tag_dir` changed) are kept apart (`old`), to be retired; other entries
/// that are not feed paths of the layout too (`ignored`): a hand-edited
/// manifest never makes feedgen touch them.
pub struct Manifest {
    pub files: BTreeSet<String>,
    pub old: BTreeSet<String>,
    /// The layouts of `old`'s files.
    pub old_layouts: Vec<Layout>,
    pub ignored: Vec<String>,
}

impl Manifest {
    pub fn read(state: &State, output: &Output, layout: &Layout) -> Manifest {
        // Without a manifest, the marked files of any layout: those of a
        // layout this run does not have (`category_dir` changed while the
        // state was lost) are an old layout's, retired as with a manifest.
        let (listed, marked) = match state.manifest() {
            Some(lines) => (lines.to_vec(), false),
            None => match output.legacy_manifest() {
                Some(lines) => (lines, false),
                None => {
                    let mut files = output.marked_feed_files(ARTIFACT_FILES);
                    // A feed path of some layout: `DIR/NAME/FILE`.
                    files.retain(|rel| could_produce(layout, rel) || rel.matches('/').count() >= 2);
                    (files, true)
                }
            },
        };
        let mut old_layouts: Vec<Layout> = state
            .manifest_layouts()
            .iter()
            .map(|[category, tag]| Layout {
                category_dir: category.clone(),
                tag_dir: tag.clone(),
            })
            .filter(|old| old != layout)
            .collect();
        if marked {
            let dirs = listed.iter().filter(|rel| !could_produce(layout, rel));
            let dirs: BTreeSet<&str> = dirs.filter_map(|rel| rel.rsplitn(3, '/').nth(2)).collect();
            old_layouts.extend(dirs.into_iter().map(|dir| Layout {
                category_dir: dir.to_string(),
                tag_dir: dir.to_string(),
            }));
        }
        let mut manifest = Manifest {
            files: BTreeSet::new(),
            old: BTreeSet::new(),
            old_layouts: Vec::new(),
            ignored: Vec::new(),
        };
        for line in listed.into_iter().filter(|l| !l.is_empty()) {
            if could_produce(layout, &line) {
                manifest.files.insert(line);
            } else if let Some(old) = old_layouts.iter().find(|old| could_produce(old, &line)) {
                if !manifest.old_layouts.contains(old) {
                    manifest.old_layouts.push(old.clone());
                }
                manifest.old.insert(line);
            } else {
                manifest.ignored.push(line);
            }
        }
        manifest
    }
}

/// A commit in progress.
pub struct Commit<'a> {
    output: &'a Output,
    state: &'a State<'a>,
    mode: Mode,
    /// The files earlier runs wrote.
    manifest: BTreeSet<String>,
    /// The layout of this run, then those of old files still in `manifest`.
    layouts: Vec<Layout>,
    produced: BTreeSet<String>,
    /// Paths this run would write where a file feedgen did not write sits.
    foreign: BTreeSet<String>,
    retired: Vec<String>,
    /// Artifact path → fingerprint of its inputs, as last recorded.
    fingerprints: BTreeMap<String, u64>,
    rendering: bool,
    /// Whether feeds this run changes are queued for `feedgen ping`.
    pinging: bool,
    /// The signatures of the files this run wrote or found current.
    signatures: Mutex<BTreeMap<String, Signature>>,
    /// Artifacts written without a post that could not be read again: the
    /// index must not vouch for them, so the next run renders them anew.
    untrusted: BTreeSet<String>,
    pub done: Committed,
}

impl<'a> Commit<'a> {
    /// Start committing `plan`. When a build is about to write
    /// (`rendering`), a killed run from here on leaves some files new and
    /// some old: the index stops vouching for them, and the manifest
    /// already lists every file this run may create. `fingerprints` are
    /// the index's, `manifest` the files earlier runs wrote; `todo` the
    /// artifacts this run renders. Paths in `todo` where a file feedgen did
    /// not write sits are left alone, and never enter the manifest.
    pub fn begin(
        (output, state): (&'a Output, &'a State<'a>),
        config: &Config,
        mode: Mode,
        plan: &Plan,
        (manifest, fingerprints): (Manifest, BTreeMap<String, u64>),
        todo: &[&Artifact],
    ) -> Result<Commit<'a>> {
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
        if let Some(why) = &state.refused {
            let shown = config.state_dir.display().to_string();
            done.diagnostics
                .push(Diagnostic::new(&shown, None, Severity::Warning, why.clone()));
        }
        if let Some(why) = &output.stateless {
            let shown = config.state_dir.display().to_string();
            let mut message = why.clone();
            if config.site.hub.is_some() {
                message.push_str("; with `feedgen.hub` set, the feeds this build changes cannot be queued for `feedgen ping`: their pings are lost");
            }
            done.diagnostics
                .push(Diagnostic::new(&shown, None, Severity::Warning, message));
        }
        let Manifest {
            files: mut manifest,
            mut old,
            mut old_layouts,
            ignored,
        } = manifest;
        for entry in ignored {
            let message = format!(
                "the manifest lists `{entry}`, which is no feed path feedgen writes; ignored (nothing is removed)"
            );
            done.diagnostics.push(Diagnostic::new(
                &state.manifest_path().display().to_string(),
                None,
                Severity::Warning,
                message,
            ));
        }
        let foreign: BTreeSet<String> = match mode {
            // Each file's head is read: on every core.
            Mode::Build => todo
                .par_iter()
                .filter(|a| output.is_foreign(&a.path, manifest.contains(&a.path)))
                .map(|a| a.path.clone())
                .collect(),
            _ => BTreeSet::new(),
        };
        manifest.retain(|p| !foreign.contains(p));
        let paths = plan.paths();
        let mut retired = plan.retired(&manifest, &paths);
        retired.extend(plan.retired(&orphans(output, &config.layout, &paths, &manifest), &paths));
        let looks = mode == Mode::CheckFeeds || (mode == Mode::Build && state.diverged());
        if looks || (mode == Mode::Build && has_unknown_folder(output, (&paths, &manifest, &old))) {
            let known = |rel: &String| paths.contains(rel) || manifest.contains(rel) || old.contains(rel);
            let (files, layouts) = strays(output, &config.layout, known);
            old.extend(files);
            old_layouts.extend(layouts.into_iter().filter(|l| *l != config.layout));
            old_layouts.sort_by(|a, b| (&a.category_dir, &a.tag_dir).cmp(&(&b.category_dir, &b.tag_dir)));
            old_layouts.dedup();
        }
        let produced: BTreeSet<String> = paths.difference(&foreign).cloned().collect();
        // The files of an old layout are no feed of this one: retired by
        // every run, a `--category` run too, as the settings changed.
        retired.extend(old.iter().cloned());
        manifest.extend(old);
        let layouts: Vec<Layout> = std::iter::once(config.layout.clone()).chain(old_layouts).collect();
        if mode == Mode::Build && rendering {
            state.before_writes(&manifest.union(&produced).cloned().collect(), &layout_names(&layouts))?;
            output.sync_folders()?;
        }
        Ok(Commit {
            output,
            state,
            mode,
            manifest,
            layouts,
            produced,
            foreign,
            retired,
            fingerprints,
            rendering,
            pinging: mode == Mode::Build && config.site.hub.is_some(),
            signatures: Mutex::new(BTreeMap::new()),
            untrusted: BTreeSet::new(),
            done,
        })
    }

    /// Write one artifact's bytes (or, checking, compare them with the
    /// file on disk). Safe to call from many threads at once; the files
    /// are in place after [`Commit::publish`].
    pub fn store(&self, path: &str, bytes: &[u8]) -> Result<Stored> {
        Ok(match self.mode {
            Mode::Build if self.foreign.contains(path) => Stored::Foreign,
            Mode::Build => {
                let written = self.output.stage(path, bytes)?;
                let mut signatures = self.signatures.lock().unwrap_or_else(|e| e.into_inner());
                signatures.insert(path.to_string(), Signature::of(bytes));
                match written {
                    Written::Unchanged => Stored::Unchanged,
                    Written::New | Written::Changed => Stored::Written,
                }
            }
            _ if self.output.is_current(path, bytes) => Stored::Unchanged,
            _ => Stored::Stale,
        })
    }

    /// Put the files [`Commit::store`] wrote since the last call in place
    /// (with `fsync`, after one sync of them all). `changed` are the public
    /// URLs of the feeds among them that change: with a hub, they join the
    /// ping list first (with `fsync`, on disk), so a run killed or failing
    /// at any moment never loses a feed to ping (at worst, one that did
    /// not change yet is pinged).
    pub fn publish(&self, changed: Vec<String>) -> Result<()> {
        if self.pinging && !changed.is_empty() {
            self.state.add_pings(changed)?;
            self.output.sync_folders()?;
        }
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

    /// Remove retired files, then record the manifest, and hand back the
    /// fingerprints for the rebuild index. None are handed back (the index
    /// stays) when `files_reused` (every file was taken from the index
    /// unchanged) and nothing was written or removed: it is already right.
    pub fn finish(mut self, plan: &Plan, files_reused: bool) -> Result<Committed> {
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
                // Every old layout's file was retired (or left, and forgotten).
                self.state
                    .write_manifest(&self.manifest, &layout_names(&self.layouts[..1]))?;
                let found = std::mem::take(self.signatures.get_mut().unwrap_or_else(|e| e.into_inner()));
                self.state.write_signatures(found, &self.manifest)?;
                // The manifest's entry too; the index after it is only a
                // cache (a sync after it flushed the whole index on every
                // run).
                self.output.sync_folders()?;
                let mut feeds = self.fingerprints;
                // The index never vouches for a path left to a foreign file:
                // the next run looks again (and says so again).
                let foreign = &self.foreign;
                feeds.extend(plan.artifacts.iter().map(|a| (a.path.clone(), a.fingerprint)));
                feeds.retain(|path, _| !self.untrusted.contains(path) && !foreign.contains(path));
                let unchanged = files_reused && !self.rendering && self.retired.is_empty() && self.untrusted.is_empty();
                self.done.fingerprints = (!unchanged).then_some(feeds);
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

/// Whether the output folder holds a folder at its top that no path of
/// `files` (this run's, the manifest's, an old layout's) starts with. With
/// that, or files the state lists gone or other bytes (the folder is not
/// as the state left it) feeds of a layout the state forgot may be back
/// (an old cache restored after the state was lost and the layout
/// changed): they are looked for everywhere, as without a manifest.
/// `--check` always looks.
fn has_unknown_folder(output: &Output, files: (&BTreeSet<String>, &BTreeSet<String>, &BTreeSet<String>)) -> bool {
    let (paths, manifest, old) = files;
    let tops: HashSet<&str> = paths
        .iter()
        .chain(manifest)
        .chain(old)
        .filter_map(|p| p.split('/').next())
        .collect();
    output.top_folders().iter().any(|name| !tops.contains(name.as_str()))
}

/// The files with feedgen's mark at a feed path of any layout, anywhere in
/// the output folder, that `known` does not know of, and the layouts they
/// are under: as [`Manifest::read`] finds them without a manifest.
fn strays(output: &Output, layout: &Layout, known: impl Fn(&String) -> bool) -> (BTreeSet<String>, Vec<Layout>) {
    let mut files = output.marked_feed_files(ARTIFACT_FILES);
    files.retain(|rel| !known(rel) && (could_produce(layout, rel) || rel.matches('/').count() >= 2));
    let dirs = files.iter().filter(|rel| !could_produce(layout, rel));
    let dirs: BTreeSet<&str> = dirs.filter_map(|rel| rel.rsplitn(3, '/').nth(2)).collect();
    let layouts = dirs
        .into_iter()
        .map(|dir| Layout {
            category_dir: dir.to_string(),
            tag_dir: dir.to_string(),
        })
        .collect();
    (files.into_iter().collect(), layouts)
}

/// Layouts as the manifest records them: category folder, tag folder.
fn layout_names(layouts: &[Layout]) -> Vec<[&str; 2]> {
    layouts
        .iter()
        .map(|l| [l.category_dir.as_str(), l.tag_dir.as_str()])
        .collect()
}

/// Files with feedgen's mark at feed paths of the layout that neither this
/// run produces nor the manifest lists: left by a run the state does not
/// know of (a state older than the output folder). Looking costs a listing
/// of the category and tag folders and an `lstat` per name no feed has.
fn orphans(
    output: &Output,
    layout: &Layout,
    produced: &BTreeSet<String>,
    manifest: &BTreeSet<String>,
) -> BTreeSet<String> {
    let dirs = [layout.category_dir.as_str(), layout.tag_dir.as_str()];
    // Hashed: two lookups per name found in the category and tag folders.
    let known: HashSet<&str> = produced.iter().chain(manifest).map(String::as_str).collect();
    let unknown = |rel: &str| !known.contains(rel) && could_produce(layout, rel);
    output
        .marked_files(&dirs, ARTIFACT_FILES, unknown)
        .into_iter()
        .collect()
}
