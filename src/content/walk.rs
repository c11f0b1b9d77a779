//! Walking the content folder: the mechanics (the output folder, symlinks,
//! folder stamps, paths below the root). Which files and folders Jekyll
//! reads, and as what, is `visibility`'s.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use walkdir::{DirEntry, DirEntryExt, WalkDir};

use super::problem::Problem;
use super::visibility::{self, is_post_name, FileKind};
use super::{stamp_of, Found};

/// Walk `root` in sorted order. Skips `_`-folders other than `_posts` (and
/// `_drafts` when `drafts`), `.`-folders, and the output folder if it lies
/// inside. Symlinked folders are not entered (no loops, no escapes);
/// symlinked files are read only when they point inside `root`.
pub fn find_posts(root: &Path, drafts: bool, output_dir: &Path) -> Found {
    let mut found = Found {
        started_ns: Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(i64::MIN, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MIN)),
        ),
        ..Found::default()
    };
    let walk = Walk::new(root, output_dir);
    // No sorted walk: comparing paths per directory entry is slow on huge
    // folders; the list is sorted once at the end instead.
    let walker = WalkDir::new(root)
        .into_iter()
        .filter_entry(|entry| walk.enters(entry, drafts));
    for entry in walker {
        match entry {
            Ok(entry) => walk.visit(&entry, &mut found),
            Err(err) => {
                let path = err.path().map_or_else(|| root.to_path_buf(), Path::to_path_buf);
                // Posts in a folder that cannot be read (no permission, a
                // path over the system's 4,096-byte limit) would be lost
                // without a trace: an error, so the exit status says so.
                let error = err.io_error().map_or_else(|| err.to_string(), ToString::to_string);
                let shown = path.display().to_string();
                found.diagnostics.push(Problem::CannotList { error }.at(&shown, None));
            }
        }
    }
    found.files.sort();
    found.pages.sort();
    found.folders.sort();
    found
}

/// What one walk of a content folder keeps from entry to entry.
struct Walk<'a> {
    root: &'a Path,
    canonical_root: PathBuf,
    /// The output folder's device and inode.
    output_id: Option<(u64, u64)>,
}

impl Walk<'_> {
    fn new<'a>(root: &'a Path, output_dir: &Path) -> Walk<'a> {
        Walk {
            root,
            canonical_root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            // The output folder is known by its device and inode, not its
            // canonical path: canonicalising every folder made a walk 1,500
            // folders deep quadratic (45 s).
            output_id: std::fs::metadata(output_dir).ok().map(|m| (m.dev(), m.ino())),
        }
    }

    /// Whether the walk goes into `entry` (files are judged in [`Walk::visit`]).
    fn enters(&self, entry: &DirEntry, drafts: bool) -> bool {
        if entry.depth() == 0 || !entry.file_type().is_dir() {
            return true;
        }
        visibility::enters_folder(&entry.file_name().to_string_lossy(), drafts) && !self.is_output(entry)
    }

    fn is_output(&self, entry: &DirEntry) -> bool {
        self.output_id
            .is_some_and(|(dev, ino)| entry.ino() == ino && entry.metadata().is_ok_and(|m| m.dev() == dev))
    }

    /// The path below the root, by bytes: `Path::strip_prefix` parses
    /// every component again, per post.
    fn rel<'p>(&self, path: &'p Path) -> Option<&'p [u8]> {
        let rel = path.as_os_str().as_bytes().get(self.root.as_os_str().len()..)?;
        Some(rel.strip_prefix(b"/").unwrap_or(rel))
    }

    fn visit(&self, entry: &DirEntry, found: &mut Found) {
        if entry.path_is_symlink() {
            if !self.follows(entry, found) {
                return;
            }
        } else if entry.file_type().is_dir() {
            self.stamp_folder(entry, found);
            return;
        } else if !entry.file_type().is_file() {
            return;
        }
        if is_post_name(entry.file_name()) {
            self.add_file(entry, found);
        }
    }

    /// Whether a symlink is read: only one to a file inside the root.
    fn follows(&self, entry: &DirEntry, found: &mut Found) -> bool {
        let path = entry.path();
        let shown = || path.display().to_string();
        // What a symlinked post or page reaches can change with no folder
        // the walk lists changing: never vouched for.
        if is_post_name(entry.file_name()) {
            found.started_ns = Some(i64::MIN);
        }
        match path.canonicalize() {
            Ok(real) if real.starts_with(&self.canonical_root) && real.is_file() => true,
            Ok(real) if real.is_dir() => {
                found.diagnostics.push(Problem::SymlinkedFolder.at(&shown(), None));
                false
            }
            _ => {
                // Only a would-be post is worth a word; pages get none.
                let under_posts = path
                    .strip_prefix(self.root)
                    .unwrap_or(path)
                    .components()
                    .any(|c| c.as_os_str() == "_posts" || c.as_os_str() == "_drafts");
                if is_post_name(entry.file_name()) && under_posts {
                    found.diagnostics.push(Problem::SymlinkOutside.at(&shown(), None));
                }
                false
            }
        }
    }

    /// Stamped before its entries are read: walkdir (unsorted, not
    /// contents-first) opens a folder when it yields it and reads the
    /// entries only when asked for the next one, so a change while it is
    /// listed shows as a new stamp next time. Sorting or contents-first
    /// would break this.
    fn stamp_folder(&self, entry: &DirEntry, found: &mut Found) {
        let rel = self.rel(entry.path()).unwrap_or_default();
        match (entry.metadata(), std::str::from_utf8(rel)) {
            (Ok(meta), Ok(rel)) => found.folders.push((rel.to_string(), stamp_of(&meta))),
            // Never vouched for: the next run walks again.
            _ => found.started_ns = Some(i64::MIN),
        }
    }

    /// A file with a post's extension: a post or a page, as Jekyll reads it.
    fn add_file(&self, entry: &DirEntry, found: &mut Found) {
        let Some(rel) = self.rel(entry.path()) else {
            return;
        };
        let Ok(rel) = std::str::from_utf8(rel) else {
            let shown = entry.path().display().to_string();
            found.diagnostics.push(Problem::FileNameNotUtf8.at(&shown, None));
            return;
        };
        // `/`-separated on every system feedgen runs on.
        match visibility::file_kind(rel) {
            FileKind::Skipped => {}
            FileKind::Page => found.pages.push(rel.to_string()),
            FileKind::Post => found.files.push(rel),
        }
    }
}
