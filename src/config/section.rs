//! feedgen's own section of the configuration (`feedgen:`) as typed tables
//! that serde fills. Every key has a field; a key that has none is an error
//! naming its dotted path and the nearest valid key. Values are converted as
//! they are read (durations, sizes, counts, formats); the checks that need
//! the flags or other settings come after, in `Config::parse`.
//!
//! Every field is read through a `deserialize_with` that takes any YAML
//! value, so that a null or a wrongly typed value gets feedgen's own message
//! rather than serde's.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_path_to_error::Segment;

use super::error::Invalid;
use super::feeds::{
    bytes, count, seconds, Claim, ContentMode, FeedSettings, Format, PerKind, PingSettings, PollHints, MAX_SECONDS,
    MIN_MAX_BYTES,
};
use crate::archive::Archive;
use crate::content::front_matter::{self, scalar, Value};
use crate::xml_chars::strip_invalid_xml;

/// Largest `feedgen.max_file_size` accepted: 1 GiB, so the byte count (and
/// the one byte read past it) can never overflow.
pub const MAX_MAX_FILE_SIZE: u64 = 1 << 30;

/// The `feedgen:` mapping.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    /// Unread when `--limit` is given, so checked in `Config::parse`.
    #[serde(deserialize_with = "any")]
    pub limit: Option<Value>,
    // The item rules for every kind, as in `KindTable` (no `flatten`:
    // serde cannot combine it with `deny_unknown_fields`).
    #[serde(deserialize_with = "window")]
    pub window: Option<Option<i64>>,
    #[serde(deserialize_with = "max_items")]
    pub max_items: Option<usize>,
    #[serde(deserialize_with = "max_bytes")]
    pub max_bytes: Option<u64>,
    #[serde(deserialize_with = "content")]
    pub content: Option<ContentMode>,
    #[serde(deserialize_with = "table")]
    pub site: Option<KindTable>,
    #[serde(deserialize_with = "table")]
    pub category: Option<KindTable>,
    #[serde(deserialize_with = "table")]
    pub tag: Option<KindTable>,
    #[serde(deserialize_with = "ttl")]
    pub ttl: Option<u64>,
    #[serde(deserialize_with = "raw_text")]
    pub update_period: Option<String>,
    #[serde(deserialize_with = "update_frequency")]
    pub update_frequency: Option<u32>,
    #[serde(deserialize_with = "formats")]
    pub formats: Option<Vec<Format>>,
    /// Read by `DisplayNames::from_config`, which knows its shape.
    #[serde(deserialize_with = "any")]
    pub names: Option<Value>,
    #[serde(deserialize_with = "names_from_tags")]
    pub names_from_tags: Option<bool>,
    #[serde(deserialize_with = "raw_text")]
    pub jekyll_data: Option<String>,
    #[serde(deserialize_with = "text")]
    pub icon: Option<String>,
    #[serde(deserialize_with = "text")]
    pub logo: Option<String>,
    #[serde(deserialize_with = "table")]
    pub claims: Option<Claims>,
    #[serde(deserialize_with = "text")]
    pub state_dir: Option<String>,
    #[serde(deserialize_with = "fsync")]
    pub fsync: Option<bool>,
    // The raw text: a control character in a folder name is refused, not cleaned.
    #[serde(deserialize_with = "raw_text")]
    pub category_dir: Option<String>,
    #[serde(deserialize_with = "raw_text")]
    pub tag_dir: Option<String>,
    #[serde(deserialize_with = "max_file_size")]
    pub max_file_size: Option<u64>,
    #[serde(deserialize_with = "text")]
    pub hub: Option<String>,
    #[serde(deserialize_with = "table")]
    pub ping: Option<PingTable>,
    #[serde(deserialize_with = "text")]
    pub feeds_url: Option<String>,
    /// `3` or `4`: which Jekyll's rules links follow (checked in `Config::parse`).
    #[serde(deserialize_with = "any")]
    pub jekyll: Option<Value>,
    /// Folders of posts moved out of `_posts/` (`[old_post]`).
    #[serde(deserialize_with = "archive")]
    pub archive: Option<Archive>,
}

/// `site:`, `category:` or `tag:`: the item rules of one kind of feed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KindTable {
    /// Unread when `--limit` is given, so checked in [`Section::per_kind`].
    #[serde(deserialize_with = "any")]
    pub limit: Option<Value>,
    #[serde(deserialize_with = "window")]
    pub window: Option<Option<i64>>,
    #[serde(deserialize_with = "max_items")]
    pub max_items: Option<usize>,
    #[serde(deserialize_with = "max_bytes")]
    pub max_bytes: Option<u64>,
    #[serde(deserialize_with = "content")]
    pub content: Option<ContentMode>,
}

/// `ping:`: how `feedgen ping` posts to the hub.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PingTable {
    #[serde(deserialize_with = "batch")]
    pub batch: Option<usize>,
    #[serde(deserialize_with = "timeout")]
    pub timeout: Option<Duration>,
    #[serde(deserialize_with = "retries")]
    pub retries: Option<u32>,
}

/// `claims:`: Folo claim ids by feed folder; the folders are the user's,
/// the keys of each claim are feedgen's.
#[derive(Debug, Default)]
pub struct Claims(pub BTreeMap<String, Claim>);

/// One claim's `{feed_id, user_id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ClaimIds {
    #[serde(deserialize_with = "claim_id")]
    feed_id: Option<String>,
    #[serde(deserialize_with = "claim_id")]
    user_id: Option<String>,
}

impl Section {
    /// Read `feedgen:` from its mapping. An unknown key anywhere in it is
    /// [`Refusal::Unknown`]; a value feedgen cannot use names its key.
    pub fn read(value: Value) -> Result<Section, Refusal> {
        front_matter::deserialize_with_path(value).map_err(|err| refusal(err.path(), err.inner()))
    }

    /// The item rules of every kind: the common keys over the defaults,
    /// each kind's table over those. `limit` (from `--limit` or
    /// `feedgen.limit`) is every kind's minimum unless a kind says
    /// otherwise; `limit_from_flag`: `--limit` wins over the kinds too.
    pub fn per_kind(&self, limit: usize, limit_from_flag: bool) -> Result<PerKind, Invalid> {
        let common = KindTable {
            limit: None,
            window: self.window,
            max_items: self.max_items,
            max_bytes: self.max_bytes,
            content: self.content,
        };
        let base = common.apply(FeedSettings::with_limit(limit), "feedgen", true)?;
        let kind = |table: &Option<KindTable>, name: &str| match table {
            Some(table) => table.apply(base.clone(), &format!("feedgen.{name}"), limit_from_flag),
            None => Ok(base.clone()),
        };
        Ok(PerKind {
            site: kind(&self.site, "site")?,
            category: kind(&self.category, "category")?,
            tag: kind(&self.tag, "tag")?,
        })
    }

    pub fn poll_hints(&self) -> Result<PollHints, Invalid> {
        let update_period = match self.update_period.as_deref().map(str::trim) {
            None => None,
            Some(p) if ["hourly", "daily", "weekly", "monthly", "yearly"].contains(&p) => Some(p.to_string()),
            Some(p) => {
                return Err(Invalid::with_value(
                    "feedgen.update_period",
                    p,
                    "must be hourly, daily, weekly, monthly or yearly",
                ))
            }
        };
        if self.update_frequency.is_some() && update_period.is_none() {
            return Err(Invalid::new(
                "feedgen.update_frequency",
                "needs `feedgen.update_period` (e.g. hourly)",
            ));
        }
        Ok(PollHints {
            ttl: self.ttl,
            update_period,
            update_frequency: self.update_frequency,
        })
    }

    pub fn ping_settings(&self) -> PingSettings {
        let mut s = PingSettings::default();
        if let Some(ping) = &self.ping {
            s.batch = ping.batch.unwrap_or(s.batch);
            s.timeout = ping.timeout.unwrap_or(s.timeout);
            s.retries = ping.retries.unwrap_or(s.retries);
        }
        s
    }
}

impl KindTable {
    /// `base` with this table's keys applied; `prefix` names the table in
    /// errors. `keep_limit`: the table's `limit` is not read.
    fn apply(&self, mut s: FeedSettings, prefix: &str, keep_limit: bool) -> Result<FeedSettings, Invalid> {
        if let (Some(v), false) = (&self.limit, keep_limit) {
            s.limit = count(v)
                .filter(|&n| n > 0)
                .ok_or_else(|| Invalid::new(format!("{prefix}.limit"), WHOLE_ITEMS))?;
        }
        if let Some(window) = self.window {
            s.window = window;
        }
        if self.max_items.is_some() {
            s.max_items = self.max_items;
        }
        s.max_bytes = self.max_bytes.unwrap_or(s.max_bytes);
        s.content = self.content.unwrap_or(s.content);
        Ok(s)
    }
}

const WHOLE_ITEMS: &str = "must be a whole number of items, at least 1";

/// Why the `feedgen:` section was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A key no setting has, by its dotted path (`feedgen.site.max_byte`).
    Unknown {
        key: String,
        suggestion: Option<&'static str>,
        valid: &'static [&'static str],
    },
    Invalid(Invalid),
}

/// Tell an unknown key from a refused value by the key serde stopped at.
fn refusal(path: &serde_path_to_error::Path, why: &dyn fmt::Display) -> Refusal {
    let segments: Vec<Option<String>> = path
        .iter()
        .map(|segment| match segment {
            Segment::Map { key } => Some(key.clone()),
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect();
    let dotted = std::iter::once("feedgen")
        .chain(segments.iter().map(|s| s.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(".");
    // Where serde stopped at a key of a table of ours that is not one of
    // its fields, the key is unknown; a key that is not text (`1:`) is
    // unknown too, shown as `?`.
    if let Some((last, parent)) = segments.split_last() {
        if let Some(valid) = valid_keys(parent) {
            let suggestion = match last {
                Some(key) if valid.contains(&key.as_str()) => return Refusal::Invalid(Invalid::new(dotted, why)),
                Some(key) => nearest(key, valid),
                None => None,
            };
            return Refusal::Unknown {
                key: dotted,
                suggestion,
                valid,
            };
        }
    }
    Refusal::Invalid(Invalid::new(dotted, why))
}

/// The keys of the table at `parent` (a path inside `feedgen:`), or `None`
/// where the keys are the user's (claim folders, display names).
fn valid_keys(parent: &[Option<String>]) -> Option<&'static [&'static str]> {
    let names: Vec<Option<&str>> = parent.iter().map(Option::as_deref).collect();
    match names.as_slice() {
        [] => Some(field_names::<Section>()),
        [Some("site" | "category" | "tag")] => Some(field_names::<KindTable>()),
        [Some("ping")] => Some(field_names::<PingTable>()),
        [Some("claims"), _] => Some(field_names::<ClaimIds>()),
        _ => None,
    }
}

/// The valid key nearest to a misspelled `key`, if one is close: at most
/// one edit in three characters (`max_byte` → `max_bytes`, `windw` →
/// `window`), the first declared on a tie.
pub fn nearest(key: &str, valid: &[&'static str]) -> Option<&'static str> {
    let allowed = key.chars().count().div_ceil(3);
    valid
        .iter()
        .map(|candidate| (strsim::osa_distance(key, candidate), *candidate))
        .filter(|&(distance, _)| distance <= allowed.max(1))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// The field names serde derived for `T`, asked of `T` itself, so that
/// the list in an error can never differ from the keys accepted.
fn field_names<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    // The probe always ends in an error; only the fields it saw matter.
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// A table that is read from a mapping and is an error as anything else,
/// with the message [`FromMap::SHAPE`].
trait FromMap<'de>: Sized {
    const SHAPE: &'static str;
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

impl<'de> FromMap<'de> for KindTable {
    const SHAPE: &'static str = "must be a mapping of feed settings (window, limit, max_items, max_bytes, content)";
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        KindTable::deserialize(MapAccessDeserializer::new(map))
    }
}

impl<'de> FromMap<'de> for PingTable {
    const SHAPE: &'static str = "must be a mapping (batch, timeout, retries)";
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        PingTable::deserialize(MapAccessDeserializer::new(map))
    }
}

impl<'de> FromMap<'de> for Claims {
    const SHAPE: &'static str =
        "must map feed folders (`category/emnews`, `/` for the site feed) to `{feed_id, user_id}`";
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<Value>()? {
            let folder = scalar(Some(&key)).unwrap_or_default();
            let claim = map.next_value_seed(OnlyMap::<Claim>(PhantomData))?;
            out.insert(folder.trim().trim_matches('/').to_string(), claim);
        }
        Ok(Claims(out))
    }
}

impl<'de> FromMap<'de> for Claim {
    const SHAPE: &'static str = "needs both `feed_id` and `user_id`";
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        match ClaimIds::deserialize(MapAccessDeserializer::new(map))? {
            ClaimIds {
                feed_id: Some(feed_id),
                user_id: Some(user_id),
            } => Ok(Claim { feed_id, user_id }),
            _ => Err(de::Error::custom(Self::SHAPE)),
        }
    }
}

/// Visits a [`FromMap`] table: a mapping, or the error its shape says.
struct OnlyMap<T>(PhantomData<T>);

impl<'de, T: FromMap<'de>> de::DeserializeSeed<'de> for OnlyMap<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: FromMap<'de>> Visitor<'de> for OnlyMap<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::SHAPE)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Err(E::custom(T::SHAPE))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Err(E::custom(T::SHAPE))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Err(E::custom(T::SHAPE))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Err(E::custom(T::SHAPE))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<T, E> {
        Err(E::custom(T::SHAPE))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Err(E::custom(T::SHAPE))
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Err(E::custom(T::SHAPE))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(de::Error::custom(T::SHAPE))
    }
    // A tagged value (`!tag {…}`) is not a plain mapping.
    fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(de::Error::custom(T::SHAPE))
    }
}

fn table<'de, D: Deserializer<'de>, T: FromMap<'de>>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(OnlyMap::<T>(PhantomData)).map(Some)
}

/// Read any value and convert it with `convert`, whose error becomes
/// serde's (and so carries the key's path).
fn with<'de, D, T, E>(d: D, convert: impl FnOnce(&Value) -> Result<T, E>) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    E: fmt::Display,
{
    let value = Value::deserialize(d)?;
    convert(&value).map(Some).map_err(de::Error::custom)
}

fn any<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    with(d, |v| Ok::<_, String>(v.clone()))
}

/// A scalar as text, as front matter reads it (a list or null is unset).
fn raw_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Value::deserialize(d).map(|v| scalar(Some(&v)))
}

/// [`raw_text`] without the characters XML forbids: most string settings
/// reach every feed (one BEL in `hub` would make them all malformed).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(raw_text(d)?.map(|s| strip_invalid_xml(&s)))
}

fn window<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    with(d, |v| match scalar(Some(v)).as_deref().map(str::trim) {
        Some("none" | "off") => Ok(None),
        _ => seconds(v).map(|s| Some(s as i64)),
    })
}

fn max_items<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    with(d, |v| count(v).filter(|&n| n > 0).ok_or(WHOLE_ITEMS))
}

fn max_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    with(d, |v| match bytes(v) {
        Ok(n) if n < MIN_MAX_BYTES => Err(format!(
            "must be at least {MIN_MAX_BYTES} bytes (a feed's head and one item)"
        )),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    })
}

fn content<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ContentMode>, D::Error> {
    with(d, |v| match scalar(Some(v)).as_deref().map(str::trim) {
        Some("full") => Ok(ContentMode::Full),
        Some("summary") => Ok(ContentMode::Summary),
        _ => Err("must be `full` or `summary`"),
    })
}

/// RSS counts ttl in minutes: a bare number is minutes, `15m` or `3600s`
/// too if whole.
fn ttl<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    with(d, |v| match count(v) {
        Some(0) => Err("must be at least 1 minute".to_string()),
        Some(n) if (n as u64) <= MAX_TTL_MINUTES => Ok(n as u64),
        Some(_) => Err(ttl_too_long()),
        // Digits too many for a count are minutes too, and too many.
        None if scalar(Some(v)).is_some_and(|t| all_digits(t.trim())) => Err(ttl_too_long()),
        None => match seconds(v) {
            Ok(secs) if secs % 60 == 0 => Ok(secs / 60),
            Ok(_) => Err("must be whole minutes (RSS counts ttl in minutes)".to_string()),
            Err(e) => Err(e.to_string()),
        },
    })
}

const MAX_TTL_MINUTES: u64 = MAX_SECONDS / 60;

fn ttl_too_long() -> String {
    format!("must be at most {MAX_TTL_MINUTES} minutes (100 years)")
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn update_frequency<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    with(d, |v| {
        count(v)
            .filter(|&n| (1..=1_000_000).contains(&n))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or("must be a whole number of updates per period, from 1 to 1000000")
    })
}

fn formats<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Format>>, D::Error> {
    with(d, |v| {
        let mut out = Vec::new();
        for item in v.as_sequence().ok_or("must be a list")? {
            out.push(match item.as_str() {
                Some("rss") => Format::Rss,
                Some("atom") => Format::Atom,
                Some("json") => Format::JsonFeed,
                _ => return Err("may hold `rss`, `atom` and `json`"),
            });
        }
        out.sort();
        out.dedup();
        if out.is_empty() {
            return Err("is empty");
        }
        Ok(out)
    })
}

fn names_from_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    with(d, |v| match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        _ => Err("must be true or false"),
    })
}

/// A list of folders, each checked by [`Archive::new`].
fn archive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Archive>, D::Error> {
    with(d, |v| {
        let folders = match v {
            Value::Null => return Ok(Archive::default()),
            Value::Sequence(items) => items,
            _ => return Err("must be a list of folders, e.g. `[old_post]`".to_string()),
        };
        let mut names = Vec::with_capacity(folders.len());
        for item in folders {
            match scalar(Some(item)) {
                Some(name) => names.push(name),
                None => return Err("must be a list of folder names, e.g. `[old_post]`".to_string()),
            }
        }
        Archive::new(&names)
    })
}

fn fsync<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    with(d, |v| v.as_bool().ok_or("must be true or false"))
}

fn max_file_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    with(d, |v| {
        v.as_u64()
            .filter(|n| (1..=MAX_MAX_FILE_SIZE).contains(n))
            .ok_or_else(|| format!("must be a number of bytes from 1 to {MAX_MAX_FILE_SIZE}"))
    })
}

fn batch<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    with(d, |v| {
        count(v)
            .filter(|&n| (1..=10_000).contains(&n))
            .ok_or("must be a whole number of feed URLs per request, from 1 to 10000")
    })
}

fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    with(d, |v| seconds(v).map(|secs| Duration::from_secs(secs.min(3600))))
}

fn retries<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    with(d, |v| {
        count(v)
            .filter(|&n| n <= 10)
            .map(|n| n as u32)
            .ok_or("must be a whole number from 0 to 10")
    })
}

fn claim_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(raw_text(d)?.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::front_matter::parse_document;

    fn read(yaml: &str) -> Result<Section, Refusal> {
        Section::read(Value::Mapping(parse_document(yaml).expect("yaml")))
    }

    fn unknown(yaml: &str) -> (String, Option<&'static str>) {
        match read(yaml) {
            Err(Refusal::Unknown { key, suggestion, .. }) => (key, suggestion),
            other => panic!("{yaml}: {other:?}"),
        }
    }

    #[test]
    fn suggestions_are_the_nearest_close_key() {
        let keys = field_names::<Section>();
        assert_eq!(nearest("windw", keys), Some("window"));
        assert_eq!(nearest("max_byte", keys), Some("max_bytes"));
        assert_eq!(nearest("tll", keys), Some("ttl"));
        assert_eq!(nearest("Limit", keys), Some("limit"));
        assert_eq!(nearest("formt", keys), Some("formats"));
        assert_eq!(nearest("colour", keys), None);
        assert_eq!(nearest("x", &["batch", "timeout", "retries"]), None);
        assert_eq!(nearest("timout", &["batch", "timeout", "retries"]), Some("timeout"));
        assert_eq!(nearest("retires", &["batch", "timeout", "retries"]), Some("retries"));
        assert_eq!(
            nearest("retry", &["batch", "timeout", "retries"]),
            None,
            "three edits in five"
        );
    }

    #[test]
    fn field_names_are_the_keys_serde_accepts() {
        assert_eq!(field_names::<PingTable>(), ["batch", "timeout", "retries"]);
        assert_eq!(
            field_names::<KindTable>(),
            ["limit", "window", "max_items", "max_bytes", "content"]
        );
        assert!(field_names::<Section>().contains(&"feeds_url"));
    }

    #[test]
    fn unknown_keys_are_named_by_their_path_at_every_depth() {
        assert_eq!(unknown("windw: 2h"), ("feedgen.windw".into(), Some("window")));
        assert_eq!(
            unknown("site: {max_byte: 1MiB}"),
            ("feedgen.site.max_byte".into(), Some("max_bytes"))
        );
        assert_eq!(
            unknown("ping: {retires: 3}"),
            ("feedgen.ping.retires".into(), Some("retries"))
        );
        assert_eq!(unknown("tag: {ttl: 5}"), ("feedgen.tag.ttl".into(), None));
        assert_eq!(unknown("1: 2"), ("feedgen.?".into(), None), "a key that is not text");
        assert_eq!(
            unknown("<<: {limit: 3}"),
            ("feedgen.<<".into(), None),
            "merge keys are not applied"
        );
        assert_eq!(
            unknown("claims: {category/a: {feed_id: 1, userid: 2}}"),
            ("feedgen.claims.category/a.userid".into(), Some("user_id"))
        );
    }

    #[test]
    fn user_named_keys_are_not_settings() {
        let section = read("claims: {category/a: {feed_id: 1, user_id: 2}}\nnames: {category: {a: B}}").expect("valid");
        assert_eq!(section.claims.map(|c| c.0.len()), Some(1));
        assert!(section.names.is_some());
    }

    #[test]
    fn kinds_override_the_common_settings() {
        let section = read("window: 2h\nmax_bytes: 1MiB\nsite: {content: summary, limit: 50}\ntag: {window: none}")
            .expect("valid");
        let k = section.per_kind(20, false).expect("valid");
        assert_eq!(k.site.content, ContentMode::Summary);
        assert_eq!(k.site.limit, 50);
        assert_eq!(k.site.window, Some(7200));
        assert_eq!(k.category.content, ContentMode::Full);
        assert_eq!(k.category.limit, 20);
        assert_eq!(k.category.max_bytes, 1 << 20);
        assert_eq!(k.tag.window, None);
        let flagged = section.per_kind(5, true).expect("valid");
        assert_eq!(flagged.site.limit, 5, "--limit wins");
    }

    #[test]
    fn bad_settings_name_their_key() {
        for (yaml, message) in [
            ("window: 0m", "`feedgen.window` `0m` must be longer than zero"),
            (
                "site: {max_bytes: 100}",
                "`feedgen.site.max_bytes` must be at least 4096 bytes (a feed's head and one item)",
            ),
            (
                "category: {content: some}",
                "`feedgen.category.content` must be `full` or `summary`",
            ),
            (
                "tag: {max_items: 0}",
                "`feedgen.tag.max_items` must be a whole number of items, at least 1",
            ),
            (
                "site: 3",
                "`feedgen.site` must be a mapping of feed settings (window, limit, max_items, max_bytes, content)",
            ),
            ("ping: ~", "`feedgen.ping` must be a mapping (batch, timeout, retries)"),
            (
                "claims: {category/a: x}",
                "`feedgen.claims.category/a` needs both `feed_id` and `user_id`",
            ),
            ("fsync: ~", "`feedgen.fsync` must be true or false"),
        ] {
            match read(yaml) {
                Err(Refusal::Invalid(invalid)) => assert_eq!(invalid.to_string(), message, "{yaml}"),
                other => panic!("{yaml}: {other:?}"),
            }
        }
        let section = read("tag: {limit: 0}").expect("read");
        let err = section.per_kind(20, false).expect_err("limit 0");
        assert_eq!(
            err.to_string(),
            "`feedgen.tag.limit` must be a whole number of items, at least 1"
        );
        assert!(
            section.per_kind(20, true).is_ok(),
            "--limit: the kind's limit is not read"
        );
    }
}
