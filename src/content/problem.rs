//! Every problem reading the content folder can report, and its words:
//! the texts live here, the control flow that finds them elsewhere.

use std::fmt;

use chrono::NaiveDate;

use crate::diagnostics::{Diagnostic, Severity};

/// One problem with a post file, a folder or the walk.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    // The walk.
    /// A folder could not be listed.
    CannotList {
        error: String,
    },
    SymlinkedFolder,
    SymlinkOutside,
    FileNameNotUtf8,
    // Reading a file.
    CannotRead {
        error: String,
    },
    FileTooBig {
        size: u64,
        max: u64,
    },
    NotUtf8 {
        offset: usize,
    },
    // The file name.
    FileNameNotDated,
    FileNameDateInvalid,
    // Front matter.
    DraftWithoutFrontMatter,
    /// Jekyll publishes the whole file under a title and date from its name.
    WholeFile {
        unclosed: bool,
        title: String,
        day: NaiveDate,
    },
    FrontMatter(FrontMatterProblem),
    ByteOrderMark,
    /// A blank line before `---`; `day` is the file-name date, if any.
    HiddenFromJekyll {
        title: String,
        day: Option<NaiveDate>,
    },
    CrLf,
    NotXmlChar(char),
    Requoted,
    Overridden,
    EmptyTitle,
    /// The date did not parse; the file name's day is used.
    DateFromFileName {
        problem: DateProblem,
        day: NaiveDate,
        stops_jekyll: bool,
    },
    DateNowhere {
        problem: DateProblem,
    },
    NoDateAnywhere,
    // The body and terms.
    EmptySourceLink,
    TextTooLong {
        bytes: usize,
        kept: usize,
    },
    NestsTooDeep,
    TooManyTerms {
        count: usize,
        what: &'static str,
    },
    // Rendering.
    /// Too large for these feed files' `max_bytes` on its own: written
    /// there with its summary and link only.
    ShortenedForCap {
        files: Vec<String>,
    },
    /// Too large for these feed files' `max_bytes` even so: left out.
    LeftOutForCap {
        files: Vec<String>,
    },
}

/// Why the YAML block of a post cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum FrontMatterProblem {
    TooBig {
        bytes: usize,
    },
    TooDeep,
    /// A YAML list or scalar (`kind`), not a mapping.
    NotAMapping {
        kind: &'static str,
    },
    /// The parser's message, without its position.
    Invalid {
        message: String,
    },
}

/// What is wrong with a written date that did not parse.
#[derive(Debug, Clone, PartialEq)]
pub enum DateProblem {
    List,
    Mapping,
    Empty,
    Unusable(String),
}

impl Problem {
    pub fn severity(&self) -> Severity {
        use Problem::*;
        match self {
            SymlinkedFolder => Severity::Note,
            CannotList { .. }
            | CannotRead { .. }
            | FileTooBig { .. }
            | NotUtf8 { .. }
            | FileNameDateInvalid
            | FrontMatter(_)
            | DateNowhere { .. }
            | NoDateAnywhere => Severity::Error,
            // Jekyll's own build stops at this file: the post is published
            // (dated from its name), and the run says the site is broken.
            DateFromFileName { stops_jekyll: true, .. } => Severity::Error,
            SymlinkOutside
            | FileNameNotDated
            | FileNameNotUtf8
            | DraftWithoutFrontMatter
            | WholeFile { .. }
            | ByteOrderMark
            | HiddenFromJekyll { .. }
            | CrLf
            | NotXmlChar(_)
            | Requoted
            | Overridden
            | EmptyTitle
            | DateFromFileName { .. }
            | EmptySourceLink
            | TextTooLong { .. }
            | NestsTooDeep
            | TooManyTerms { .. }
            | ShortenedForCap { .. }
            | LeftOutForCap { .. } => Severity::Warning,
        }
    }

    /// This problem as a diagnostic at `path` (as shown) and `line`.
    pub fn at(&self, path: &str, line: Option<usize>) -> Diagnostic {
        Diagnostic::new(path, line, self.severity(), self.to_string())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::markup::{MAX_HTML_DEPTH, MAX_ITEM_CONTENT_BYTES};
        use Problem::*;
        match self {
            CannotList { error } => write!(f, "cannot read: {error}; any posts in it are not published"),
            SymlinkedFolder => f.write_str("symlinked folder; not followed"),
            SymlinkOutside => f.write_str("symlink points outside the content folder (or nowhere); not followed"),
            FileNameNotUtf8 => f.write_str("file name is not UTF-8; skipped"),
            CannotRead { error } => write!(f, "cannot read: {error}"),
            FileTooBig { size, max } => write!(f, "file is {size} bytes, over the {max}-byte limit (`feedgen.max_file_size`)"),
            NotUtf8 { offset } => write!(f, "not valid UTF-8 (first bad byte at offset {offset}); convert the file to UTF-8"),
            FileNameNotDated => f.write_str("the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published"),
            FileNameDateInvalid => f.write_str("the date in the file name is not a real date: Jekyll stops building the whole site at this file (\"Invalid date\"); not published; rename the file"),
            DraftWithoutFrontMatter => f.write_str("no front matter (a post starts with a `---` line); not published"),
            WholeFile { unclosed: true, title, day } => write!(f, "front matter is never closed (no second `---` line): Jekyll reads no front matter and publishes the whole file as the text of a post titled `{title}`, dated {} from the file name; published the same way; close the front matter with a `---` line", day.format("%Y-%m-%d")),
            WholeFile { unclosed: false, title, day } => write!(f, "no front matter: Jekyll publishes the file as a post titled `{title}`, dated {} from the file name; published the same way", day.format("%Y-%m-%d")),
            FrontMatter(problem) => {
                write!(f, "{problem}")?;
                // Front matter Ruby's YAML reader refuses too (feedgen's
                // size and depth limits are feedgen's own).
                if matches!(problem, FrontMatterProblem::Invalid { .. } | FrontMatterProblem::NotAMapping { .. }) {
                    f.write_str("; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to")?;
                }
                Ok(())
            }
            ByteOrderMark => f.write_str("file starts with a byte-order mark; ignored"),
            HiddenFromJekyll { title, day } => {
                let day = day.map_or_else(String::new, |d| format!(", dated {}", d.format("%Y-%m-%d")));
                write!(f, "blank line before the opening `---`: Jekyll reads no front matter in this file, so the site's page for this post is broken (it shows the front matter as text, titled `{title}`{day}, without categories); the feed keeps the front matter and links to that page; fix the file by deleting the blank line(s) before `---`")
            }
            CrLf => f.write_str("Windows line endings (CRLF); read as LF"),
            NotXmlChar(c) => write!(f, "character U+{:04X} is not allowed in XML; it is left out of the feeds", u32::from(*c)),
            Requoted => f.write_str("value has unescaped `\"` or `\\` inside double quotes; kept the text between the first and last quote. Jekyll cannot read this front matter: it publishes the post at a URL made from the build date, which changes with every build; the feed links to the page this front matter describes, which Jekyll builds once the quotes are escaped (`\\\"`) or the value is single-quoted"),
            Overridden => f.write_str("this key is written again below; the last value wins, as in Jekyll"),
            EmptyTitle => f.write_str("empty title; using the first sentence of the text"),
            DateFromFileName { problem, day, stops_jekyll } => {
                write!(f, "{problem}; using {} from the file name", day.format("%Y-%m-%d"))?;
                if *stops_jekyll {
                    f.write_str("; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line")?;
                }
                Ok(())
            }
            DateNowhere { problem } => write!(f, "{problem} and the file name has no YYYY-MM-DD- prefix"),
            NoDateAnywhere => f.write_str("no date in the front matter and no YYYY-MM-DD- prefix in the file name"),
            EmptySourceLink => f.write_str("empty source link `<>`; the post has no source link"),
            TextTooLong { bytes, kept } => write!(f, "the text is {bytes} bytes, over feedgen's {MAX_ITEM_CONTENT_BYTES}-byte limit for one feed item; the feeds carry its first {kept} bytes"),
            NestsTooDeep => write!(f, "the text nests more than {MAX_HTML_DEPTH} levels deep; published as plain text"),
            TooManyTerms { count, what } => write!(f, "the post has {count} {what}; only the first {} are used (feedgen's limit per post)", super::limits::MAX_TERMS),
            ShortenedForCap { files } => write!(f, "larger on its own than the `max_bytes` of {}: written there with its title, summary and link only (no full text, categories, tags, image or source)", some_files(files)),
            LeftOutForCap { files } => write!(f, "larger than the `max_bytes` of {} even with its summary and link only (its link or id is that long): left out of them", some_files(files)),
        }
    }
}

/// The first few of `files`, and how many more.
fn some_files(files: &[String]) -> String {
    const SHOWN: usize = 3;
    let first = files
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    match files.len().saturating_sub(SHOWN) {
        0 => first,
        more => format!("{first} and {more} more feed files"),
    }
}

impl fmt::Display for FrontMatterProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::limits::{MAX_FLOW_DEPTH, MAX_YAML_BYTES};
        match self {
            FrontMatterProblem::TooBig { bytes } => write!(
                f,
                "front matter is {bytes} bytes, over feedgen's {MAX_YAML_BYTES}-byte limit for front matter"
            ),
            FrontMatterProblem::TooDeep => {
                write!(f, "front matter nests `[`/`{{` more than {MAX_FLOW_DEPTH} levels deep")
            }
            FrontMatterProblem::NotAMapping { kind } => {
                write!(f, "front matter is a YAML {kind}, not a mapping of keys to values")
            }
            FrontMatterProblem::Invalid { message } => write!(f, "front matter is not valid YAML: {message}"),
        }
    }
}

impl fmt::Display for DateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateProblem::List => f.write_str("the date is a YAML list, not a date (write it without `[` `]`)"),
            DateProblem::Mapping => f.write_str("the date is a YAML mapping, not a date"),
            DateProblem::Empty => f.write_str("the date is empty"),
            DateProblem::Unusable(written) => write!(f, "date `{written}` is not a usable date"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_yaml_says_jekyll_cannot_read_it_but_feedgen_limits_do_not() {
        let invalid = Problem::FrontMatter(FrontMatterProblem::Invalid { message: "x".into() });
        assert!(invalid.to_string().contains("Jekyll cannot read it either"));
        let big = Problem::FrontMatter(FrontMatterProblem::TooBig { bytes: 1 });
        assert!(!big.to_string().contains("Jekyll"));
        assert_eq!(big.severity(), Severity::Error);
    }

    #[test]
    fn a_date_problem_reads_as_one_sentence() {
        let day = NaiveDate::from_ymd_opt(2022, 5, 26).expect("day");
        let p = Problem::DateFromFileName {
            problem: DateProblem::Unusable("+0800".into()),
            day,
            stops_jekyll: false,
        };
        assert_eq!(
            p.to_string(),
            "date `+0800` is not a usable date; using 2022-05-26 from the file name"
        );
        assert_eq!(p.severity(), Severity::Warning);
    }
}
