//! The `feedgen:` settings that shape each feed: which items it holds
//! (`limit`, `window`, `max_items`, `max_bytes`), how much of each post
//! (`content`), the poll hints it carries (`ttl`, `update_period`,
//! `update_frequency`) and how `feedgen ping` talks to the WebSub hub.
//! Every key may be given once for all feeds and again per feed kind under
//! `site:`, `category:` or `tag:`, which wins.

use std::time::Duration;

use crate::content::front_matter::{scalar, Mapping, Value};

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
    pub update_frequency: Option<u64>,
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
const MIN_MAX_BYTES: u64 = 4096;
/// Longest window or ttl: 100 years, far from any overflow.
const MAX_SECONDS: u64 = 100 * 366 * 86_400;

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
        let rules = FeedSettings {
            limit,
            window: None,
            max_items: None,
            max_bytes: DEFAULT_MAX_BYTES,
            content: ContentMode::Full,
        };
        PerKind {
            site: rules.clone(),
            category: rules.clone(),
            tag: rules,
        }
    }

    /// Read the item rules from `feedgen:`; `limit` (from `--limit` or
    /// `feedgen.limit`) is the minimum for every kind unless a kind says
    /// otherwise. Errors name the key.
    pub fn read(ours: &Mapping, limit: usize, limit_from_flag: bool) -> Result<PerKind, String> {
        let base = FeedSettings {
            limit,
            window: None,
            max_items: None,
            max_bytes: DEFAULT_MAX_BYTES,
            content: ContentMode::Full,
        };
        let base = apply(base, ours, "feedgen", false)?;
        let kind = |name: &str| -> Result<FeedSettings, String> {
            match ours.get(name) {
                None => Ok(base.clone()),
                Some(Value::Mapping(m)) => apply(base.clone(), m, &format!("feedgen.{name}"), limit_from_flag),
                Some(_) => Err(format!(
                    "`feedgen.{name}` must be a mapping of feed settings (window, limit, max_items, max_bytes, content)"
                )),
            }
        };
        Ok(PerKind {
            site: kind("site")?,
            category: kind("category")?,
            tag: kind("tag")?,
        })
    }
}

/// `base` with the keys of `map` applied; `prefix` names the section in
/// errors. `keep_limit`: `--limit` was given and wins over per-kind limits.
fn apply(mut s: FeedSettings, map: &Mapping, prefix: &str, keep_limit: bool) -> Result<FeedSettings, String> {
    let key = |k: &str| format!("`{prefix}.{k}`");
    if prefix != "feedgen" && !keep_limit {
        if let Some(v) = map.get("limit") {
            s.limit = count(v)
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{} must be a whole number of items, at least 1", key("limit")))?;
        }
    }
    if let Some(v) = map.get("window") {
        s.window = match scalar(Some(v)).as_deref().map(str::trim) {
            Some("none" | "off") => None,
            _ => Some(seconds(v).map_err(|why| format!("{} {why}", key("window")))? as i64),
        };
    }
    if let Some(v) = map.get("max_items") {
        s.max_items = Some(
            count(v)
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{} must be a whole number of items, at least 1", key("max_items")))?,
        );
    }
    if let Some(v) = map.get("max_bytes") {
        s.max_bytes = bytes(v).map_err(|why| format!("{} {why}", key("max_bytes")))?;
        if s.max_bytes < MIN_MAX_BYTES {
            return Err(format!(
                "{} must be at least {MIN_MAX_BYTES} bytes (a feed's head and one item)",
                key("max_bytes")
            ));
        }
    }
    if let Some(v) = map.get("content") {
        s.content = match scalar(Some(v)).as_deref().map(str::trim) {
            Some("full") => ContentMode::Full,
            Some("summary") => ContentMode::Summary,
            _ => return Err(format!("{} must be `full` or `summary`", key("content"))),
        };
    }
    Ok(s)
}

impl PollHints {
    pub fn read(ours: &Mapping) -> Result<PollHints, String> {
        let ttl = match ours.get("ttl") {
            None => None,
            // RSS counts ttl in minutes: a bare number is minutes.
            Some(v) => Some(match count(v) {
                Some(n) if n > 0 && (n as u64) <= MAX_SECONDS / 60 => n as u64,
                Some(_) => return Err("`feedgen.ttl` must be at least 1 minute".into()),
                None => {
                    let secs = seconds(v).map_err(|why| format!("`feedgen.ttl` {why}"))?;
                    if secs % 60 != 0 {
                        return Err("`feedgen.ttl` must be whole minutes (RSS counts ttl in minutes)".into());
                    }
                    secs / 60
                }
            }),
        };
        let update_period = match scalar(ours.get("update_period")).map(|p| p.trim().to_string()) {
            None => None,
            Some(p) if ["hourly", "daily", "weekly", "monthly", "yearly"].contains(&p.as_str()) => Some(p),
            Some(p) => {
                return Err(format!(
                    "`feedgen.update_period: {p}` must be hourly, daily, weekly, monthly or yearly"
                ))
            }
        };
        let update_frequency =
            match ours.get("update_frequency") {
                None => None,
                Some(v) => Some(count(v).filter(|&n| (1..=1_000_000).contains(&n)).ok_or(
                    "`feedgen.update_frequency` must be a whole number of updates per period, from 1 to 1000000",
                )? as u64),
            };
        if update_frequency.is_some() && update_period.is_none() {
            return Err("`feedgen.update_frequency` needs `feedgen.update_period` (e.g. hourly)".into());
        }
        Ok(PollHints {
            ttl,
            update_period,
            update_frequency,
        })
    }
}

impl PingSettings {
    pub fn read(ours: &Mapping) -> Result<PingSettings, String> {
        let mut s = PingSettings::default();
        let Some(v) = ours.get("ping") else {
            return Ok(s);
        };
        let Value::Mapping(map) = v else {
            return Err("`feedgen.ping` must be a mapping (batch, timeout, retries)".into());
        };
        if let Some(v) = map.get("batch") {
            s.batch = count(v)
                .filter(|&n| (1..=10_000).contains(&n))
                .ok_or("`feedgen.ping.batch` must be a whole number of feed URLs per request, from 1 to 10000")?;
        }
        if let Some(v) = map.get("timeout") {
            let secs = seconds(v).map_err(|why| format!("`feedgen.ping.timeout` {why}"))?;
            s.timeout = Duration::from_secs(secs.min(3600));
        }
        if let Some(v) = map.get("retries") {
            s.retries = count(v)
                .filter(|&n| n <= 10)
                .ok_or("`feedgen.ping.retries` must be a whole number from 0 to 10")? as u32;
        }
        Ok(s)
    }
}

/// A whole, non-negative number (YAML `20` or `"20"`).
fn count(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A duration: `90m`, `2h`, `1d`, `1h30m`, `45s`, `1w`, or a bare number
/// of seconds. Never zero, never beyond 100 years.
pub fn seconds(v: &Value) -> Result<u64, String> {
    let text = scalar(Some(v)).unwrap_or_default();
    let bad = || format!("`{text}` is not a duration (write e.g. 90m, 2h or 1d)");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
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
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("`{text}` is longer than 100 years"))?;
        digits.clear();
        unit_seen = true;
    }
    if !digits.is_empty() {
        if unit_seen {
            return Err(bad());
        }
        total = digits
            .parse()
            .map_err(|_| format!("`{text}` is longer than 100 years"))?;
    }
    if total == 0 {
        return Err(format!("`{text}` must be longer than zero"));
    }
    if total > MAX_SECONDS {
        return Err(format!("`{text}` is longer than 100 years"));
    }
    Ok(total)
}

/// A size: a number of bytes, or `512KiB`, `2MiB`, `1GiB` (also `KB`, `MB`,
/// `GB` as powers of 1000). Never zero, at most 1 TiB.
pub fn bytes(v: &Value) -> Result<u64, String> {
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
        _ => return Err(format!("`{text}` is not a size (write bytes, or e.g. 512KiB or 2MiB)")),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (write bytes, or e.g. 512KiB or 2MiB)"))?;
    let total = n
        .checked_mul(unit_bytes)
        .filter(|&b| b <= 1 << 40)
        .ok_or_else(|| format!("`{text}` is larger than 1 TiB"))?;
    if total == 0 {
        return Err(format!("`{text}` must be larger than zero"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::front_matter::parse_document;

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
    }

    #[test]
    fn kinds_override_the_common_settings() {
        let map =
            parse_document("window: 2h\nmax_bytes: 1MiB\nsite: {content: summary, limit: 50}\ntag: {window: none}")
                .expect("yaml");
        let k = PerKind::read(&map, 20, false).expect("valid");
        assert_eq!(k.site.content, ContentMode::Summary);
        assert_eq!(k.site.limit, 50);
        assert_eq!(k.site.window, Some(7200));
        assert_eq!(k.category.content, ContentMode::Full);
        assert_eq!(k.category.limit, 20);
        assert_eq!(k.category.max_bytes, 1 << 20);
        assert_eq!(k.tag.window, None);
        let flagged = PerKind::read(&map, 5, true).expect("valid");
        assert_eq!(flagged.site.limit, 5, "--limit wins");
    }

    #[test]
    fn bad_settings_name_their_key() {
        for (yaml, key) in [
            ("window: 0m", "`feedgen.window`"),
            ("site: {max_bytes: 100}", "`feedgen.site.max_bytes`"),
            ("category: {content: some}", "`feedgen.category.content`"),
            ("tag: {max_items: 0}", "`feedgen.tag.max_items`"),
            ("site: 3", "`feedgen.site`"),
        ] {
            let map = parse_document(yaml).expect("yaml");
            let err = PerKind::read(&map, 20, false).expect_err(yaml);
            assert!(err.contains(key), "{yaml}: {err}");
        }
    }
}
