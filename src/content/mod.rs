//! Reading the content folder: finding post files (the only place that
//! touches it), and reading each into per-post metadata with diagnostics.

pub mod date;
pub mod front_matter;
pub mod post;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diagnostics::{Diagnostic, Severity};
use post::{Outcome, Post, PostMeta, ReadRules};

/// A post file found by the walk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PostFile {
    /// Relative to the content root, `/`-separated.
    pub rel: String,
    pub in_posts_dir: bool,
}

/// What walking the content folder gave.
#[derive(Debug, Default)]
pub struct Found {
    /// Sorted by relative path.
    pub files: Vec<PostFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Walk `root` in sorted order. Skips `_`-folders other than `_posts` (and
/// `_drafts` when `drafts`), `.`-folders, and the output folder if it lies
/// inside; follows no symlink out of `root`.
pub fn find_posts(root: &Path, drafts: bool, output_dir: &Path) -> Found {
    let mut found = Found::default();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let canonical_output = output_dir.canonicalize().ok();
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 || !entry.file_type().is_dir() {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            let wanted = if name.starts_with('.') {
                false
            } else if name.starts_with('_') {
                name == "_posts" || (drafts && name == "_drafts")
            } else {
                true
            };
            wanted
                && canonical_output
                    .as_deref()
                    .is_none_or(|out| entry.path().canonicalize().ok().as_deref() != Some(out))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err.path().map_or_else(|| root.to_path_buf(), Path::to_path_buf);
                let message = if err.loop_ancestor().is_some() {
                    "symlink loop; not followed".to_string()
                } else {
                    format!(
                        "cannot read: {}",
                        err.io_error().map_or_else(|| err.to_string(), ToString::to_string)
                    )
                };
                found.diagnostics.push(Diagnostic::new(
                    &path.display().to_string(),
                    None,
                    Severity::Warning,
                    message,
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if !matches!(ext.to_ascii_lowercase().as_str(), "md" | "markdown" | "html") {
            continue;
        }
        let shown = path.display().to_string();
        if entry.path_is_symlink() {
            let inside = path.canonicalize().is_ok_and(|real| real.starts_with(&canonical_root));
            if !inside {
                found.diagnostics.push(Diagnostic::new(
                    &shown,
                    None,
                    Severity::Warning,
                    "symlink points outside the content folder; not followed",
                ));
                continue;
            }
        }
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let Some(rel) = rel.to_str() else {
            found.diagnostics.push(Diagnostic::new(
                &shown,
                None,
                Severity::Warning,
                "file name is not UTF-8; skipped",
            ));
            continue;
        };
        let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
        let in_posts_dir = rel.split('/').any(|d| d == "_posts" || d == "_drafts");
        found.files.push(PostFile { rel, in_posts_dir });
    }
    found.files.sort();
    found
}

/// The outcome of reading one file, with its diagnostics.
#[derive(Debug)]
pub struct Scanned {
    pub outcome: Outcome,
    pub diagnostics: Vec<Diagnostic>,
}

/// How one file's path is shown in diagnostics.
pub fn shown_path(root: &Path, rel: &str) -> String {
    root.join(rel).display().to_string()
}

/// Read and check one post file.
pub fn scan_file(root: &Path, file: &PostFile, rules: ReadRules, max_size: u64) -> Scanned {
    let shown = shown_path(root, &file.rel);
    let mut diagnostics = Vec::new();
    let outcome = match read_text(&root.join(&file.rel), max_size) {
        Ok(text) => post::scan(
            &text,
            &file.rel,
            &shown,
            ReadRules {
                in_posts_dir: file.in_posts_dir,
                ..rules
            },
            &mut diagnostics,
        ),
        Err(ReadError::NotUtf8 { offset, line }) => {
            diagnostics.push(Diagnostic::new(
                &shown,
                Some(line),
                Severity::Error,
                format!("not valid UTF-8 (first bad byte at offset {offset}); convert the file to UTF-8"),
            ));
            Outcome::Rejected
        }
        Err(ReadError::TooLarge { size }) => {
            diagnostics.push(Diagnostic::new(
                &shown,
                None,
                Severity::Error,
                format!("file is {size} bytes, over the {max_size}-byte limit (`feedgen.max_file_size`)"),
            ));
            Outcome::Rejected
        }
        Err(ReadError::Io(err)) => {
            diagnostics.push(Diagnostic::new(
                &shown,
                None,
                Severity::Error,
                format!("cannot read: {err}"),
            ));
            Outcome::Rejected
        }
    };
    Scanned { outcome, diagnostics }
}

/// Read every file in parallel; results keep the order of `files`.
pub fn scan_all(root: &Path, files: &[PostFile], rules: ReadRules, max_size: u64) -> Vec<Scanned> {
    files.par_iter().map(|f| scan_file(root, f, rules, max_size)).collect()
}

/// Read a published post again for rendering.
pub fn load_post(root: &Path, meta: &PostMeta, max_size: u64) -> Option<Post> {
    let text = read_text(&root.join(&*meta.path), max_size).ok()?;
    post::load(&text, &meta.path)
}

enum ReadError {
    NotUtf8 { offset: usize, line: usize },
    TooLarge { size: u64 },
    Io(std::io::Error),
}

fn read_text(path: &PathBuf, max_size: u64) -> Result<String, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let size = file.metadata().map_err(ReadError::Io)?.len();
    if size > max_size {
        return Err(ReadError::TooLarge { size });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    // Read at most one byte past the limit, in case the file grows meanwhile.
    file.take(max_size + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max_size {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        ReadError::NotUtf8 { offset, line }
    })
}
