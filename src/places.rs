//! Where feedgen may write, checked before any work: the output folder (never
//! the file-system root, the home folder, the content folder or a folder
//! holding it), the state folder (never inside the output folder, where it
//! would be served), and the feed layout (category and tag folders that do
//! not overlap, and are not named like feedgen's own files), and the
//! `feedgen.jekyll_data` file (inside the content folder, outside the
//! output and state folders).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// Every file name a feed can have: a new format registers its file here,
/// so that removing old files (the plan's `could_produce`) and checking the
/// layout know it.
pub const ARTIFACT_FILES: &[&str] = &["rss.xml", "atom.xml", "feed.json"];

/// The discovery files, written at the root of the output folder (served at
/// `feedgen.feeds_url`) beside the site feeds.
pub const OPML_FILE: &str = "feeds.opml";
pub const FEEDS_JSON_FILE: &str = "feeds.json";
pub const DIRECTORY_FILE: &str = "index.html";
pub const DISCOVERY_FILES: [&str; 3] = [OPML_FILE, FEEDS_JSON_FILE, DIRECTORY_FILE];

/// `path` made absolute with symlinks resolved, also when it does not exist
/// yet: its nearest existing ancestor is canonicalized and the rest appended.
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return rest.iter().rev().fold(canonical, |p, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Refuse a folder feedgen would write into when it is the root, the home
/// folder, the content folder or holds it. `what` names the flag or setting.
fn check_writable(what: &str, dir: &Path, content: &Path, home: Option<&Path>) -> Result<()> {
    let why = if dir.parent().is_none() {
        "is the file-system root"
    } else if home.is_some_and(|h| h == dir) {
        "is your home folder"
    } else if content == dir {
        "is the content folder"
    } else if content.starts_with(dir) {
        "holds the content folder"
    } else {
        return Ok(());
    };
    bail!(
        "{what} ({}) {why}; feedgen needs a folder of its own there, e.g. `output/` beside the content",
        dir.display()
    )
}

/// Check the output and state folders. `output_flag`/`state_flag` name how
/// each was given, for the message.
pub fn check_folders(content: &Path, output: &Path, state: &Path, output_flag: &str, state_flag: &str) -> Result<()> {
    let content = resolved(content);
    let output = resolved(output);
    let state = resolved(state);
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| resolved(Path::new(&h)));
    check_writable(output_flag, &output, &content, home.as_deref())?;
    if state.starts_with(&output) {
        bail!(
            "{state_flag} ({}) is inside the output folder ({}); the state would be served with the feeds",
            state.display(),
            output.display()
        );
    }
    if state == content
        || content.starts_with(&state)
        || home.as_deref() == Some(state.as_path())
        || state.parent().is_none()
    {
        bail!(
            "{state_flag} ({}) must be a folder of feedgen's own, not the content folder or one above it",
            state.display()
        );
    }
    Ok(())
}

/// Check the `feedgen.jekyll_data` file `rel` (relative to the content
/// folder; the setting's own check made it a plain relative `.json` path):
/// after resolving symlinks, it lies inside the content folder and
/// outside the output and state folders, so it is never a feed, nor
/// written over one, nor anywhere a symlink leads.
pub fn check_site_file(content: &Path, output: &Path, state: &Path, rel: &str) -> Result<()> {
    let file = resolved(&content.join(rel));
    let why = if !file.starts_with(resolved(content)) {
        "leads outside the content folder (through a symlink)"
    } else if file.starts_with(resolved(output)) {
        "is inside the output folder, where feedgen's feeds are"
    } else if file.starts_with(resolved(state)) {
        "is inside the state folder"
    } else {
        return Ok(());
    };
    bail!(
        "`feedgen.jekyll_data: {rel}` ({}) {why}; name a file of the site such as `_data/feedgen.json`",
        file.display()
    )
}

/// Check that the category and tag folders neither overlap (category `x`
/// and tag `x` would share files) nor are named like feedgen's own files.
pub fn check_layout(category_dir: &str, tag_dir: &str) -> Result<()> {
    let (c, t) = (category_dir, tag_dir);
    let nested = |a: &str, b: &str| a == b || b.starts_with(&format!("{a}/"));
    if nested(c, t) || nested(t, c) {
        bail!(
            "`feedgen.category_dir: {c}` and `feedgen.tag_dir: {t}` overlap; category and tag feeds would share files (give them separate folders)"
        );
    }
    for (key, dir) in [("category_dir", c), ("tag_dir", t)] {
        if let Some(part) = dir.split('/').find(|part| {
            // No folder of the layout may be named like a file feedgen writes.
            ARTIFACT_FILES.contains(part) || DISCOVERY_FILES.contains(part) || part.starts_with(".feedgen")
        }) {
            bail!("`feedgen.{key}: {dir}` uses the name `{part}`, which feedgen gives its own files; choose another folder name");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert!(check_layout("category", "tag").is_ok());
        assert!(check_layout("feeds/c", "feeds/t").is_ok());
        assert!(check_layout("categoryx", "category").is_ok());
        for (c, t) in [
            ("x", "x"),
            ("x", "x/y"),
            ("a/b", "a"),
            ("rss.xml", "tag"),
            ("c", "t/.feedgen-index"),
            ("c", "atom.xml/t"),
            ("index.html", "tag"),
            ("c", "feeds.opml"),
        ] {
            assert!(check_layout(c, t).is_err(), "{c} {t}");
        }
    }

    #[test]
    fn writable_folders() {
        let content = Path::new("/srv/site/content");
        let home = Some(Path::new("/home/u"));
        for bad in ["/", "/srv", "/srv/site", "/srv/site/content", "/home/u"] {
            assert!(
                check_writable("--output", Path::new(bad), content, home).is_err(),
                "{bad}"
            );
        }
        for good in [
            "/srv/site/out",
            "/srv/site/content/_site/feeds",
            "/home/u/out",
            "/srv/sitex",
        ] {
            assert!(
                check_writable("--output", Path::new(good), content, home).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn site_files() {
        let tmp = tempfile::tempdir().expect("tmp");
        let content = tmp.path().join("site");
        std::fs::create_dir_all(content.join("_data")).expect("mkdir");
        let (out, state) = (content.join("_site/feeds"), content.join(".feedgen"));
        assert!(check_site_file(&content, &out, &state, "_data/feedgen.json").is_ok());
        for bad in [
            "_site/feeds/feed.json",
            "_site/feeds/category/x/feed.json",
            ".feedgen/x.json",
        ] {
            assert!(check_site_file(&content, &out, &state, bad).is_err(), "{bad}");
        }
        std::os::unix::fs::symlink(tmp.path(), content.join("up")).expect("symlink");
        assert!(check_site_file(&content, &out, &state, "up/x.json").is_err());
    }

    #[test]
    fn resolves_missing_paths() {
        let tmp = std::env::temp_dir().canonicalize().expect("tmp");
        assert_eq!(resolved(&tmp.join("no/such/dir")), tmp.join("no/such/dir"));
    }
}
