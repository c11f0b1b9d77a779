//! `feedgen.archive`: folders that hold posts moved out of `_posts/` (the
//! real site moves posts older than three days to `old_post/`). Jekyll
//! publishes those files as pages; feedgen reads each one as the post it
//! was at `_posts/<path below the folder>`, so it keeps its date,
//! categories and item id, and links it to the page Jekyll writes.
//! Pure: the folder names and paths in, answers out.

/// The archive folders, checked: relative, plain, published by Jekyll,
/// none inside another. Sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    folders: Vec<String>,
}

impl Archive {
    /// Check the folders of the setting. `Err` holds why one is refused.
    pub fn new(folders: &[String]) -> Result<Archive, String> {
        let mut checked = Vec::with_capacity(folders.len());
        for folder in folders {
            checked.push(checked_folder(folder)?);
        }
        checked.sort();
        checked.dedup();
        for pair in checked.windows(2) {
            if below(&pair[1], &pair[0]).is_some() {
                return Err(format!(
                    "holds `{}` inside `{}`: each file must be in one archive folder",
                    pair[1], pair[0]
                ));
            }
        }
        Ok(Archive { folders: checked })
    }

    pub fn folders(&self) -> &[String] {
        &self.folders
    }

    /// The bytes of `rel`'s archive folder, if `rel` (relative to the
    /// content root, `/`-separated) lies in one and is archived there. A
    /// `_posts/` or `_drafts/` folder below it holds posts of its own
    /// (Jekyll reads them as posts wherever they are), not archived ones.
    pub fn folder_len(&self, rel: &str) -> Option<usize> {
        self.folders.iter().find(|f| below(rel, f).is_some()).map(String::len)
    }

    /// Where the archived file `rel` is read as a post: `_posts/<path
    /// below its archive folder>`. `None` when `rel` is not archived.
    pub fn reading_path(&self, rel: &str) -> Option<String> {
        self.folders
            .iter()
            .find_map(|f| below(rel, f))
            .map(|rest| format!("_posts/{rest}"))
    }
}

/// `rel` below `folder`, if it lies there and in no `_posts/` or
/// `_drafts/` folder below it.
fn below<'a>(rel: &'a str, folder: &str) -> Option<&'a str> {
    let rest = rel.strip_prefix(folder)?.strip_prefix('/')?;
    let folders = rest.rsplit_once('/').map_or("", |(dirs, _)| dirs);
    let posts_inside = folders.split('/').any(|d| d == "_posts" || d == "_drafts");
    (!rest.is_empty() && !posts_inside).then_some(rest)
}

/// One folder of the setting, without a trailing `/`, or why it is refused.
fn checked_folder(folder: &str) -> Result<String, String> {
    let trimmed = folder.trim();
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let plain = !trimmed.is_empty()
        && !trimmed.starts_with('/')
        && trimmed.split('/').all(|part| !matches!(part, "" | "." | ".."));
    if !plain {
        return Err(format!(
            "`{folder}` must be a folder relative to the content folder, with no empty, `.` or `..` part (e.g. `old_post`)"
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(format!("`{}` holds a control character", folder.escape_debug()));
    }
    if let Some(part) = trimmed
        .split('/')
        .find(|part| part.starts_with(['_', '.', '#', '~']) || part.ends_with('~'))
    {
        return Err(format!(
            "`{folder}`: Jekyll does not publish a folder named `{part}` (its posts would have no page to link to); `_posts` is read as posts already"
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(folders: &[&str]) -> Result<Archive, String> {
        Archive::new(&folders.iter().map(|f| f.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn archived_files_read_as_the_posts_they_were() {
        let a = archive(&["old_post", "news/old/"]).expect("valid");
        assert_eq!(a.folders(), ["news/old", "old_post"]);
        assert_eq!(
            a.reading_path("old_post/2022-05-10-moved.md").as_deref(),
            Some("_posts/2022-05-10-moved.md")
        );
        assert_eq!(
            a.reading_path("news/old/sub/2022-05-10-x.md").as_deref(),
            Some("_posts/sub/2022-05-10-x.md")
        );
        assert_eq!(a.folder_len("old_post/a.md"), Some(8));
        for elsewhere in [
            "old_post/_posts/2022-05-10-x.md",
            "old_post/a/_drafts/x.md",
            "old_posts/a.md",
            "old_post",
            "_posts/a.md",
            "x/old_post/a.md",
            "news/a.md",
        ] {
            assert_eq!(a.reading_path(elsewhere), None, "{elsewhere}");
            assert_eq!(a.folder_len(elsewhere), None, "{elsewhere}");
        }
        assert_eq!(archive(&[]).expect("empty").reading_path("old_post/a.md"), None);
    }

    #[test]
    fn folders_jekyll_does_not_publish_or_outside_the_site_are_refused() {
        for bad in [
            "",
            "/",
            "/old_post",
            "../old",
            "a/../b",
            "a//b",
            "./a",
            "_posts",
            "_old",
            ".old",
            "a/_b",
            "old~",
        ] {
            assert!(archive(&[bad]).is_err(), "{bad:?}");
        }
        let nested = archive(&["old", "old/2022"]).expect_err("nested");
        assert!(nested.contains("`old/2022` inside `old`"), "{nested}");
        assert!(archive(&["old", "older"]).is_ok(), "a shared prefix is no nesting");
    }
}
