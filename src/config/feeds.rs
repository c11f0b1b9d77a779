//! The `feedgen:` settings that shape each feed: which items it holds
//! (`limit`, `window`, `max_items`, `max_bytes`), how much of each post
//! (`content`), the poll hints it carries (`ttl`, `update_period`,
//! `update_frequency`) and how `feedgen ping` talks to the WebSub hub.
//! Every key may be given once for all feeds and again per feed kind under
//! `site:`, `category:` or `tag:`, which wins. Also the formats written
//! and the Folo claims, and how durations and sizes are written.

use std::fmt;
use std::time::Duration;

use crate::content::front_matter::{scalar, Value};

/// Feed formats feedgen writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Rss,
    Atom,
    /// JSON Feed 1.1 (`json` in `feedgen.formats`; off by default).
    JsonFeed,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Rss => "rss.xml",
            Format::Atom => "atom.xml",
            Format::JsonFeed => "feed.json",
        }
    }

    /// The media type readers and `<link rel="alternate">` tags use.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::JsonFeed => "application/feed+json",
        }
    }
}

/// One Folo feed claim (`<follow_challenge>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Claim {
    pub feed_id: String,
    pub user_id: String,
}

/// How much of each post a feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentMode {
    /// The summary and the whole post (RSS `content:encoded`, Atom `content`).
    Full,
    /// The summary only: a busy feed stays small.
    Summary,
}

/// The item rules of one feed kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedSettings {
    /// At least this many items, however old.
    pub limit: usize,
    /// Every post newer than the feed's newest post minus this many seconds.
    pub window: Option<i64>,
    /// At most this many items; unset: [`DEFAULT_MAX_ITEMS`], or `limit`
    /// when that is larger.
    pub max_items: Option<usize>,
    /// Each feed file at most this many bytes.
    pub max_bytes: u64,
    pub content: ContentMode,
}

/// Settings per feed kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PerKind {
    pub site: FeedSettings,
    pub category: FeedSettings,
    pub tag: FeedSettings,
}

/// RSS channel hints for pollers: `<ttl>` and the syndication module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PollHints {
    /// Minutes a reader may cache the feed.
    pub ttl: Option<u64>,
    /// `hourly`, `daily`, `weekly`, `monthly`, `yearly`.
    pub update_period: Option<String>,
    /// Updates per period.
    pub update_frequency: Option<u32>,
}

/// How `feedgen ping` posts to the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingSettings {
    /// Feed URLs per request (`hub.url` repeated).
    pub batch: usize,
    pub timeout: Duration,
    /// Extra attempts after a 5xx answer or a network error.
    pub retries: u32,
}

pub const DEFAULT_MAX_BYTES: u64 = 2 * 1024 * 1024;
/// No feed item is under ~250 bytes, so 2 MiB never holds this many: the
/// default only bounds the work a very long window could cause.
pub const DEFAULT_MAX_ITEMS: usize = 10_000;
/// Below this not even a feed's head and one item fit.
pub(super) const MIN_MAX_BYTES: u64 = 4096;
/// Longest window or ttl: 100 years, far from any overflow.
pub(super) const MAX_SECONDS: u64 = 100 * 366 * 86_400;

impl Default for PingSettings {
    fn default() -> Self {
        PingSettings {
            batch: 50,
            timeout: Duration::from_secs(10),
            retries: 2,
        }
    }
}

impl PerKind {
    /// The newest `limit` items in every feed, nothing else: feedgen's
    /// behaviour without the window settings.
    pub fn count(limit: usize) -> PerKind {
        let rules = FeedSettings::with_limit(limit);
        PerKind {
            site: rules.clone(),
            category: rules.clone(),
            tag: rules,
        }
    }
}

impl FeedSettings {
    /// The defaults, holding at least `limit` items.
    pub fn with_limit(limit: usize) -> FeedSettings {
        FeedSettings {
            limit,
            window: None,
            max_items: None,
            max_bytes: DEFAULT_MAX_BYTES,
            content: ContentMode::Full,
        }
    }
}

/// A whole, non-negative number (YAML `20` or `"20"`).
pub(super) fn count(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Why a duration setting cannot be used; each holds the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    Malformed(String),
    Zero(String),
    TooLong(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Malformed(text) => write!(f, "`{text}` is not a duration (write e.g. 90m, 2h or 1d)"),
            DurationError::Zero(text) => write!(f, "`{text}` must be longer than zero"),
            DurationError::TooLong(text) => write!(f, "`{text}` is longer than 100 years"),
        }
    }
}

/// Why a size setting cannot be used; each holds the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeError {
    Malformed(String),
    Zero(String),
    TooLarge(String),
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::Malformed(text) => {
                write!(f, "`{text}` is not a size (write bytes, or e.g. 512KiB or 2MiB)")
            }
            SizeError::Zero(text) => write!(f, "`{text}` must be larger than zero"),
            SizeError::TooLarge(text) => write!(f, "`{text}` is larger than 1 TiB"),
        }
    }
}

/// A duration: `90m`, `2h`, `1d`, `1h30m`, `45s`, `1w`, or a bare number
/// of seconds. Never zero, never beyond 100 years.
pub fn seconds(v: &Value) -> Result<u64, DurationError> {
    let text = scalar(Some(v)).unwrap_or_default();
    let t = text.trim();
    if t.is_empty() {
        return Err(DurationError::Malformed(text));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut unit_seen = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(DurationError::Malformed(text)),
        };
        // Only digits are collected: a number that does not parse is too big.
        let Ok(n) = digits.parse::<u64>() else {
            return Err(DurationError::TooLong(text));
        };
        let Some(sum) = n.checked_mul(unit).and_then(|s| total.checked_add(s)) else {
            return Err(DurationError::TooLong(text));
        };
        total = sum;
        digits.clear();
        unit_seen = true;
    }
    if !digits.is_empty() {
        if unit_seen {
            return Err(DurationError::Malformed(text));
        }
        let Ok(n) = digits.parse() else {
            return Err(DurationError::TooLong(text));
        };
        total = n;
    }
    if total == 0 {
        return Err(DurationError::Zero(text));
    }
    if total > MAX_SECONDS {
        return Err(DurationError::TooLong(text));
    }
    Ok(total)
}

/// A size: a number of bytes, or `512KiB`, `2MiB`, `1GiB` (also `KB`, `MB`,
/// `GB` as powers of 1000). Never zero, at most 1 TiB.
pub fn bytes(v: &Value) -> Result<u64, SizeError> {
    let text = scalar(Some(v)).unwrap_or_default();
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit_bytes: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(SizeError::Malformed(text)),
    };
    let n = match number.parse::<u64>() {
        Ok(n) => n,
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => return Err(SizeError::TooLarge(text)),
        Err(_) => return Err(SizeError::Malformed(text)),
    };
    let Some(total) = n.checked_mul(unit_bytes).filter(|&b| b <= 1 << 40) else {
        return Err(SizeError::TooLarge(text));
    };
    if total == 0 {
        return Err(SizeError::Zero(text));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn durations() {
        assert_eq!(seconds(&s("90m")), Ok(5400));
        assert_eq!(seconds(&s("2h")), Ok(7200));
        assert_eq!(seconds(&s("1d")), Ok(86_400));
        assert_eq!(seconds(&s("1h30m")), Ok(5400));
        assert_eq!(seconds(&Value::Number(600.into())), Ok(600));
        for bad in [
            "0m",
            "0",
            "",
            "2x",
            "h",
            "2h3",
            "-5m",
            "99999999999999999999d",
            "200000w",
        ] {
            assert!(seconds(&s(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            seconds(&s("2 hours")).map_err(|e| e.to_string()),
            Err("`2 hours` is not a duration (write e.g. 90m, 2h or 1d)".to_string())
        );
    }

    #[test]
    fn a_number_too_big_for_64_bits_is_too_long_or_too_large_not_malformed() {
        let digits = "99999999999999999999";
        let too_long = DurationError::TooLong(format!("{digits}d"));
        assert_eq!(seconds(&s(&format!("{digits}d"))), Err(too_long));
        let too_large = SizeError::TooLarge(format!("{digits}GiB"));
        assert_eq!(bytes(&s(&format!("{digits}GiB"))), Err(too_large));
        assert_eq!(bytes(&s(digits)), Err(SizeError::TooLarge(digits.into())));
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(&s("2MiB")), Ok(2 * 1024 * 1024));
        assert_eq!(bytes(&s("512KiB")), Ok(512 * 1024));
        assert_eq!(bytes(&s("1 MB")), Ok(1_000_000));
        assert_eq!(bytes(&Value::Number(65536.into())), Ok(65536));
        for bad in ["0", "2XB", "MiB", "-1", "99999999999GiB", "1.5MiB"] {
            assert!(bytes(&s(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            bytes(&s("0")).map_err(|e| e.to_string()),
            Err("`0` must be larger than zero".to_string())
        );
    }
}
