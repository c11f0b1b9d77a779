//! Which files and folders Jekyll reads, and as what: its visibility rules,
//! apart from the mechanics of walking (see `walk`).

use std::os::unix::ffi::OsStrExt;

use crate::archive::Archive;

/// What a file found by the walk is to Jekyll.
#[derive(Debug, PartialEq)]
pub(super) enum FileKind {
    /// Skipped by Jekyll's entry filter.
    Skipped,
    /// Outside `_posts/` and `_drafts/`: a page (or a static file), listed
    /// for its front matter only.
    Page,
    Post,
}

/// Where a file lies, as reading it goes: the same for every file of a
/// folder, so a walk works it out once a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Place {
    /// Under a `_posts/` or `_drafts/` folder.
    pub in_posts_dir: bool,
    /// The bytes of its archive folder's path (0: in none).
    pub archive_len: usize,
}

impl Place {
    /// The place of the file at `rel` (relative, `/`-separated).
    pub(super) fn of(rel: &str, archive: &Archive) -> Place {
        Place {
            in_posts_dir: is_in_posts_dir(rel),
            archive_len: archive.folder_len(rel).unwrap_or(0),
        }
    }

    /// Its files are read as posts.
    fn holds_posts(self) -> bool {
        self.in_posts_dir || self.archive_len > 0
    }
}

/// What the file `name` (with a post's extension) at `place` is to
/// Jekyll, and to feedgen: a file in an `archive` folder is a page to
/// Jekyll but read as the post it was (see [`Archive`]).
pub(super) fn file_kind(name: &str, place: Place) -> FileKind {
    if skipped_by_jekyll(name) {
        FileKind::Skipped
    } else if place.holds_posts() {
        FileKind::Post
    } else {
        FileKind::Page
    }
}

/// Whether `rel` is read as a post: under `_posts/` (or `_drafts/`), or
/// in an archive folder.
pub(super) fn is_post_path(rel: &str, archive: &Archive) -> bool {
    Place::of(rel, archive).holds_posts()
}

/// Whether Jekyll reads the folder `name`: not `_`-folders other than
/// `_posts` (and `_drafts` when `drafts`), not `.`, `#` or `~` folders.
pub(super) fn enters_folder(name: &str, drafts: bool) -> bool {
    if name.starts_with('_') {
        name == "_posts" || (drafts && name == "_drafts")
    } else {
        !skipped_by_jekyll(name)
    }
}

/// Whether `rel` lies under a `_posts/` (or `_drafts/`) folder.
fn is_in_posts_dir(rel: &str) -> bool {
    let name_at = rel.rfind('/').map_or(0, |slash| slash + 1);
    rel[..name_at].split('/').any(|d| d == "_posts" || d == "_drafts")
}

/// Names Jekyll's entry filter skips: starting with `.`, `_`, `#` or `~`,
/// or ending in `~`.
fn skipped_by_jekyll(name: &str) -> bool {
    name.starts_with(['.', '_', '#', '~']) || name.ends_with('~')
}

/// Whether a file name has a post's extension (`.md`, `.markdown`, `.html`).
pub(super) fn is_post_name(name: &std::ffi::OsStr) -> bool {
    let name = name.as_bytes();
    // As `Path::extension`: a name that is only `.ext` has none.
    name.iter().rposition(|&b| b == b'.').is_some_and(|dot| {
        dot > 0
            && ["md", "markdown", "html"]
                .iter()
                .any(|known| name[dot + 1..].eq_ignore_ascii_case(known.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(rel: &str, archive: &Archive) -> FileKind {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        file_kind(name, Place::of(rel, archive))
    }

    #[test]
    fn jekyll_reads_posts_under_posts_and_pages_elsewhere() {
        let none = Archive::default();
        assert_eq!(kind("news/_posts/2021-12-08-a.md", &none), FileKind::Post);
        assert_eq!(kind("_drafts/a.md", &none), FileKind::Post);
        assert_eq!(kind("category/emnews.html", &none), FileKind::Page);
        assert_eq!(kind("_posts/.hidden.md", &none), FileKind::Skipped);
        assert_eq!(kind("_posts/backup.md~", &none), FileKind::Skipped);
        assert_eq!(kind("_posts/#draft.md", &none), FileKind::Skipped);
        assert_eq!(kind("old_post/2021-12-08-a.md", &none), FileKind::Page);
        let archive = Archive::new(&["old_post".to_string()]).expect("valid");
        assert_eq!(kind("old_post/2021-12-08-a.md", &archive), FileKind::Post);
        assert_eq!(kind("old_post/sub/index.md", &archive), FileKind::Post);
        assert_eq!(kind("old_post/.a.md", &archive), FileKind::Skipped);
        assert_eq!(kind("old_posts/2021-12-08-a.md", &archive), FileKind::Page);
    }

    #[test]
    fn only_posts_drafts_on_request_and_plain_folders_are_entered() {
        assert!(enters_folder("_posts", false));
        assert!(!enters_folder("_drafts", false));
        assert!(enters_folder("_drafts", true));
        for skipped in ["_site", "_includes", ".git", "#tmp", "~old", "old~"] {
            assert!(!enters_folder(skipped, true), "{skipped}");
        }
        assert!(enters_folder("news", false));
    }

    #[test]
    fn post_names_are_known_by_their_extension() {
        for name in ["a.md", "2021-12-08-x.MarkDown", "b.HTML", "a.b.md", "..md"] {
            assert!(is_post_name(std::ffi::OsStr::new(name)), "{name}");
        }
        for name in [".md", "a.md~", "a.txt", "md", "a.mdx", "a.", "a.html.bak"] {
            assert!(!is_post_name(std::ffi::OsStr::new(name)), "{name}");
        }
        for name in ["a.md", ".md", "..md", "a.", "md"] {
            let by_path = std::path::Path::new(name).extension().is_some_and(|e| e == "md");
            assert_eq!(
                is_post_name(std::ffi::OsStr::new(name)),
                by_path,
                "{name} as Path::extension"
            );
        }
    }
}
