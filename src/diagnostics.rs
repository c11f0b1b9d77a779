//! Problems found while reading posts, kept as values and printed together
//! at the end in path order (`path:line: severity: message`).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; never changes the exit status.
    Note,
    /// Recovered; the post is published (`--strict` rejects it instead).
    Warning,
    /// Something the site publishes is missing from or wrong in the
    /// feeds (a rejected post), or the file stops Jekyll's own build (the
    /// post is published as recovered, but the site will not build); the
    /// rest is published.
    Error,
}

/// Path and message are shared strings: the rebuild index holds each text
/// once per chunk, and a thousand posts with the same note share it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// As shown to the user: the content folder joined with the post path.
    pub path: Arc<str>,
    pub line: Option<usize>,
    pub severity: Severity,
    pub message: Arc<str>,
}

impl Diagnostic {
    pub fn new(path: &str, line: Option<usize>, severity: Severity, message: impl AsRef<str>) -> Self {
        Diagnostic {
            path: path.into(),
            line,
            severity,
            message: message.as_ref().into(),
        }
    }

    /// The same diagnostic, its message followed by `more`.
    pub fn appended(mut self, more: &str) -> Self {
        self.message = format!("{}{more}", self.message).into();
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let (path, message) = (escape_controls(&self.path), escape_controls(&self.message));
        match self.line {
            Some(line) => write!(f, "{path}:{line}: {severity}: {message}"),
            None => write!(f, "{path}: {severity}: {message}"),
        }
    }
}

/// Text as it may reach a terminal or a line-based reader: control
/// characters (a newline in a file name would forge a diagnostic line or a
/// TSV row, an escape sequence would drive the terminal) and Unicode line
/// separators and bidi overrides written as `\n`, `\t`, `\r`, `\u{1b}`.
/// Everything feedgen prints about a name passes here.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| {
        c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.contains(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if escaped(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_path_line_severity_message() {
        let d = Diagnostic::new("content/_posts/a.md", Some(3), Severity::Warning, "title recovered");
        assert_eq!(d.to_string(), "content/_posts/a.md:3: warning: title recovered");
        let d = Diagnostic::new("content/_posts/a.md", None, Severity::Error, "not UTF-8");
        assert_eq!(d.to_string(), "content/_posts/a.md: error: not UTF-8");
    }

    #[test]
    fn control_characters_cannot_forge_lines() {
        let d = Diagnostic::new(
            "content/_posts/a\nb.md:1: error: forged\t\u{1b}[31m",
            None,
            Severity::Note,
            "m\r",
        );
        assert_eq!(
            d.to_string(),
            "content/_posts/a\\nb.md:1: error: forged\\t\\u{1b}[31m: note: m\\r"
        );
        assert_eq!(escape_controls("上海·证券"), "上海·证券");
    }
}
