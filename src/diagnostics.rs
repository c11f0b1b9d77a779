//! Problems found while reading posts, kept as values and printed together
//! at the end in path order (`path:line: severity: message`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; never changes the exit status.
    Note,
    /// Recovered; the post is published (`--strict` rejects it instead).
    Warning,
    /// The post is rejected; the rest is published.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// As shown to the user: the content folder joined with the post path.
    pub path: String,
    pub line: Option<usize>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn new(path: &str, line: Option<usize>, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            line,
            severity,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.line {
            Some(line) => write!(f, "{}:{}: {}: {}", self.path, line, severity, self.message),
            None => write!(f, "{}: {}: {}", self.path, severity, self.message),
        }
    }
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
}
