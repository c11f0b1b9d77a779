//! What can be wrong with the configuration, as values: the texts the user
//! reads live in the `Display` impls here. Every error about the file's
//! contents starts with the file's path (`content/_config.yml: …`).

use std::fmt;
use std::path::PathBuf;

/// A setting whose value feedgen cannot use: the dotted key, the value when
/// the message shows it, and why (`` `feedgen.window` `0m` must be longer
/// than zero ``, `` `feedgen.hub: ftp://x` must be an http or https URL ``).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub value: Option<String>,
    pub why: String,
}

impl Invalid {
    pub fn new(key: impl Into<String>, why: impl fmt::Display) -> Invalid {
        Invalid {
            key: key.into(),
            value: None,
            why: why.to_string(),
        }
    }

    pub fn with_value(key: impl Into<String>, value: impl Into<String>, why: impl fmt::Display) -> Invalid {
        Invalid {
            key: key.into(),
            value: Some(value.into()),
            why: why.to_string(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            None => write!(f, "`{}` {}", self.key, self.why),
            Some(value) => write!(f, "`{}: {value}` {}", self.key, self.why),
        }
    }
}

/// Why `SOURCE_DATE_EPOCH` is not a time.
#[derive(Debug)]
pub enum EpochError {
    NotANumber(std::num::ParseIntError),
    OutOfRange,
}

impl fmt::Display for EpochError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EpochError::NotANumber(e) => e.fmt(f),
            EpochError::OutOfRange => f.write_str("out of range"),
        }
    }
}

impl std::error::Error for EpochError {}

/// Why no configuration could be made. `file` is the configuration file
/// read, if any; the errors about its contents are printed after it.
#[derive(Debug)]
pub enum ConfigError {
    NoContentDir(PathBuf),
    Unreadable {
        file: PathBuf,
        source: std::io::Error,
    },
    NotAFile(PathBuf),
    TooLarge {
        file: PathBuf,
        limit: u64,
    },
    NotUtf8 {
        file: PathBuf,
        offset: usize,
    },
    NotYaml {
        file: PathBuf,
        why: String,
    },
    NotAMapping(PathBuf),
    /// A key under `feedgen:` that no setting has: its dotted path, the
    /// nearest valid key if one is close, and all the valid keys there.
    UnknownSetting {
        file: Option<PathBuf>,
        key: String,
        suggestion: Option<&'static str>,
        valid: &'static [&'static str],
    },
    Setting {
        file: Option<PathBuf>,
        problem: Invalid,
    },
    UnknownTimezone {
        file: Option<PathBuf>,
        name: String,
    },
    NoUrl {
        file: Option<PathBuf>,
    },
    UrlSyntax {
        file: Option<PathBuf>,
        url: String,
        source: url::ParseError,
    },
    /// `feedgen.names` refused by `DisplayNames`, or the category and tag
    /// folders refused by the output layout: their own message.
    Refused {
        file: Option<PathBuf>,
        why: String,
    },
    LimitFlag,
    NowFlag(String),
    Epoch {
        text: String,
        source: EpochError,
    },
    /// The content, output and state folders do not fit together.
    Folders(anyhow::Error),
}

/// `file: ` before a message about the file's contents, or nothing.
struct At<'a>(&'a Option<PathBuf>);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(file) => write!(f, "{}: ", file.display()),
            None => Ok(()),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ConfigError::*;
        match self {
            NoContentDir(dir) => write!(f, "content folder {} does not exist or is not a folder", dir.display()),
            Unreadable { file, .. } => write!(f, "cannot read {}", file.display()),
            NotAFile(file) => write!(f, "{} is not a regular file", file.display()),
            TooLarge { file, limit } => write!(
                f,
                "{} is over feedgen's {limit}-byte limit for a configuration file",
                file.display()
            ),
            NotUtf8 { file, offset } => write!(
                f,
                "{} is not valid UTF-8 (first bad byte at offset {offset})",
                file.display()
            ),
            NotYaml { file, why } => write!(f, "{} is not valid YAML: {why}", file.display()),
            NotAMapping(file) => write!(f, "{} is not a YAML mapping", file.display()),
            UnknownSetting {
                file,
                key,
                suggestion,
                valid,
            } => match suggestion {
                Some(near) => write!(f, "{}{key}: unknown setting; did you mean {near}?", At(file)),
                None => write!(
                    f,
                    "{}{key}: unknown setting; valid keys: {}",
                    At(file),
                    valid.join(", ")
                ),
            },
            Setting { file, problem } => write!(f, "{}{problem}", At(file)),
            UnknownTimezone { file, name } => write!(
                f,
                "{}unknown timezone `{name}` (use an IANA name such as Asia/Shanghai, or an offset such as +08:00)",
                At(file)
            ),
            NoUrl { file } => write!(
                f,
                "{}the site has no `url`; feeds need absolute links (set `url: https://your.site` in _config.yml)",
                At(file)
            ),
            UrlSyntax { file, url, .. } => write!(f, "{}`url: {url}` is not an absolute URL", At(file)),
            Refused { file, why } => write!(f, "{}{why}", At(file)),
            LimitFlag => f.write_str("--limit must be at least 1"),
            NowFlag(text) => write!(f, "--now `{text}` is not a date"),
            Epoch { text, .. } => write!(f, "SOURCE_DATE_EPOCH `{text}` is not a number of seconds"),
            Folders(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Unreadable { source, .. } => Some(source),
            ConfigError::UrlSyntax { source, .. } => Some(source),
            ConfigError::Epoch { source, .. } => Some(source),
            // The folder check's own context chain, after its message.
            ConfigError::Folders(e) => e.source(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_settings_suggest_or_list() {
        let near = ConfigError::UnknownSetting {
            file: Some(PathBuf::from("_config.yml")),
            key: "feedgen.site.max_byte".into(),
            suggestion: Some("max_bytes"),
            valid: &["limit", "max_bytes"],
        };
        assert_eq!(
            near.to_string(),
            "_config.yml: feedgen.site.max_byte: unknown setting; did you mean max_bytes?"
        );
        let far = ConfigError::UnknownSetting {
            file: Some(PathBuf::from("feedgen.yaml")),
            key: "feedgen.ping.colour".into(),
            suggestion: None,
            valid: &["batch", "timeout", "retries"],
        };
        assert_eq!(
            far.to_string(),
            "feedgen.yaml: feedgen.ping.colour: unknown setting; valid keys: batch, timeout, retries"
        );
    }

    #[test]
    fn invalid_values_show_key_and_value() {
        let plain = Invalid::new("feedgen.ttl", "must be at least 1 minute");
        assert_eq!(plain.to_string(), "`feedgen.ttl` must be at least 1 minute");
        let shown = Invalid::with_value("feedgen.hub", "ftp://x", "must be an http or https URL");
        assert_eq!(shown.to_string(), "`feedgen.hub: ftp://x` must be an http or https URL");
    }
}
