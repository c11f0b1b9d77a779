//! The output folder, and the only code that writes to it: atomic
//! replacement of changed files, the manifest of files feedgen wrote, the
//! removal of files that no longer belong, the lock between runs, the
//! rebuild [`index`], and the [`commit`] step that puts a plan on disk.

pub mod commit;
pub mod index;
pub mod items;
pub mod pings;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Lists every file feedgen wrote, one relative path a line.
pub const MANIFEST: &str = ".feedgen-manifest";
const LOCK: &str = ".feedgen.lock";

/// What happened to one feed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    New,
    Changed,
    Unchanged,
}

/// The output folder, locked for this run.
pub struct Output {
    dir: PathBuf,
    /// Held for the whole run; `None` when reading only.
    _lock: Option<File>,
}

/// Whether `rel` is a plain relative path that stays inside its folder.
pub fn is_inside(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains(['\\', '\0'])
        && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)))
}

impl Output {
    /// Create (if needed) and lock the output folder. A second run waits
    /// for the first to finish.
    pub fn open(dir: &Path, on_wait: impl FnOnce()) -> Result<Output> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create output folder {}", dir.display()))?;
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open lock file {}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                on_wait();
                lock.lock()
                    .with_context(|| format!("cannot lock {}", lock_path.display()))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
        Ok(Output {
            dir: dir.to_path_buf(),
            _lock: Some(lock),
        })
    }

    /// The output folder for reading only (`--check`): nothing is created
    /// or locked.
    pub fn read_only(dir: &Path) -> Output {
        Output {
            dir: dir.to_path_buf(),
            _lock: None,
        }
    }

    /// A file's bytes, if it exists and can be read.
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        is_inside(rel).then(|| fs::read(self.dir.join(rel)).ok()).flatten()
    }

    /// Whether `rel` exists as a file.
    pub fn exists(&self, rel: &str) -> bool {
        is_inside(rel) && self.dir.join(rel).is_file()
    }

    /// Replace `rel` with `bytes` unless it already holds exactly them. The
    /// new bytes go to a temporary file in the same folder, then a rename
    /// puts them in place: a reader or a crash sees the old or the new file.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<Written> {
        write_in(&self.dir, rel, bytes)
    }

    /// Whether `rel` on disk holds exactly `bytes`.
    pub fn is_current(&self, rel: &str, bytes: &[u8]) -> bool {
        fs::read(self.dir.join(rel)).is_ok_and(|old| old == bytes)
    }

    /// The files an earlier run recorded as its own.
    pub fn manifest(&self) -> BTreeSet<String> {
        match fs::read_to_string(self.dir.join(MANIFEST)) {
            Ok(text) => text.lines().filter(|l| is_inside(l)).map(str::to_string).collect(),
            Err(_) => BTreeSet::new(),
        }
    }

    pub fn write_manifest(&self, files: &BTreeSet<String>) -> Result<()> {
        let mut text = String::new();
        for f in files {
            text.push_str(f);
            text.push('\n');
        }
        self.write(MANIFEST, text.as_bytes()).map(|_| ())
    }

    /// Delete a file feedgen wrote earlier, and its folders once empty.
    pub fn remove(&self, rel: &str) -> Result<bool> {
        if !is_inside(rel) {
            return Ok(false);
        }
        let path = self.dir.join(rel);
        let _ = fs::remove_file(temp_path(&path));
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.dir || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(true)
    }
}

/// The temporary file a write of `path` goes through: one fixed name per
/// file, as the lock lets only one run write at a time. A run killed
/// between writing and renaming leaves at most this one file, which the
/// next write of `path` replaces or removes (a per-process name would pile
/// up, one per killed run).
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("feed");
    path.with_file_name(format!(".{name}.tmp"))
}

/// Write the one file feedgen writes outside its output folder, because
/// the user named it (`feedgen.jekyll_data`, inside the content folder),
/// the same way as a feed: atomically, and only when its bytes change (so
/// Jekyll's incremental build does not see a change that is none).
pub fn write_site_file(site_dir: &Path, rel: &str, bytes: &[u8]) -> Result<Written> {
    write_in(site_dir, rel, bytes)
}

/// Replace `dir/rel` with `bytes` unless it already holds exactly them. The
/// new bytes go to a temporary file in the same folder, then a rename
/// puts them in place: a reader or a crash sees the old or the new file.
fn write_in(dir: &Path, rel: &str, bytes: &[u8]) -> Result<Written> {
    if !is_inside(rel) {
        bail!("refusing to write {rel}: outside the output folder");
    }
    let path = dir.join(rel);
    let existed = match fs::metadata(&path) {
        Ok(meta) if meta.len() == bytes.len() as u64 => {
            if fs::read(&path).is_ok_and(|old| old == bytes) {
                // Left by a run killed before its rename, if any.
                let _ = fs::remove_file(temp_path(&path));
                return Ok(Written::Unchanged);
            }
            true
        }
        Ok(_) => true,
        Err(_) => false,
    };
    let parent = path.parent().unwrap_or(dir);
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = temp_path(&path);
    let result = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
        .and_then(|()| fs::rename(&tmp, &path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(if existed { Written::Changed } else { Written::New })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_paths() {
        assert!(is_inside("category/emnews/rss.xml"));
        assert!(is_inside("category/上海·证券/atom.xml"));
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "a\\b", "a\0b", "./a"] {
            assert!(!is_inside(bad), "{bad:?}");
        }
    }

    #[test]
    fn temp_files_of_killed_runs_are_cleaned_up() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(tmp.path(), || {}).expect("open");
        let leftover = tmp.path().join("category/a/.rss.xml.tmp");
        out.write("category/a/rss.xml", b"one").expect("w");
        for (bytes, written) in [(&b"one"[..], Written::Unchanged), (b"two", Written::Changed)] {
            fs::write(&leftover, b"half a fe").expect("plant");
            assert_eq!(out.write("category/a/rss.xml", bytes).expect("w"), written);
            assert!(!leftover.exists(), "left after {written:?}");
        }
        fs::write(&leftover, b"half a fe").expect("plant");
        assert!(out.remove("category/a/rss.xml").expect("rm"));
        assert!(!tmp.path().join("category").exists(), "the folder goes with the feed");
    }

    #[test]
    fn writes_only_changes_and_removes_empty_folders() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = Output::open(tmp.path(), || {}).expect("open");
        assert_eq!(out.write("category/a/rss.xml", b"one").expect("w"), Written::New);
        assert_eq!(out.write("category/a/rss.xml", b"one").expect("w"), Written::Unchanged);
        assert_eq!(out.write("category/a/rss.xml", b"two").expect("w"), Written::Changed);
        assert!(out.is_current("category/a/rss.xml", b"two"));
        assert!(out.write("../escape.xml", b"x").is_err());
        assert!(out.remove("category/a/rss.xml").expect("rm"));
        assert!(!tmp.path().join("category").exists());
        let leftovers: Vec<_> = fs::read_dir(tmp.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from(LOCK)]);
    }
}
