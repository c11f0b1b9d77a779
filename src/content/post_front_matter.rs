//! A post's front matter as one typed value: every key feedgen reads,
//! each with Jekyll's leniency (a number is text, `categories` is a string
//! or a list) decided here, once, for selection and rendering alike.

use serde::{Deserialize, Deserializer};

use super::front_matter::{self, author, scalar, Mapping, Value};
use super::problem::DateProblem;
use crate::author::Author;

/// The keys of a post's front matter feedgen reads. Keys it does not know
/// (`layout`, plugin keys) are ignored, as Jekyll ignores them.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct PostFrontMatter {
    /// Text as written (a number or boolean as text); `None` when absent
    /// or not a scalar.
    #[serde(deserialize_with = "text")]
    pub title: Option<String>,
    pub date: DateField,
    /// `published: false`, or `published:` with no value (Jekyll hides both;
    /// the text `"false"` is not false).
    #[serde(rename = "published", deserialize_with = "hides")]
    pub unpublished: bool,
    #[serde(deserialize_with = "names")]
    pub categories: Names,
    #[serde(deserialize_with = "names")]
    pub category: Names,
    #[serde(deserialize_with = "names")]
    pub tags: Names,
    #[serde(deserialize_with = "names")]
    pub tag: Names,
    #[serde(deserialize_with = "text")]
    pub slug: Option<String>,
    #[serde(deserialize_with = "text")]
    pub permalink: Option<String>,
    /// `author: Name` or `author: {name, email, uri}`.
    #[serde(deserialize_with = "person")]
    pub author: Option<Author>,
    #[serde(deserialize_with = "text")]
    pub excerpt: Option<String>,
    #[serde(deserialize_with = "text")]
    pub guid: Option<String>,
    #[serde(deserialize_with = "text")]
    pub id: Option<String>,
    /// `image: URL` or Jekyll SEO's `image: {path: URL}`.
    #[serde(deserialize_with = "image")]
    pub image: Option<String>,
    #[serde(deserialize_with = "text")]
    pub source_url: Option<String>,
    #[serde(deserialize_with = "text")]
    pub source: Option<String>,
}

impl PostFrontMatter {
    /// The typed reading of a parsed front-matter mapping. Only text keys
    /// name fields (`1: x` is never a field, as it never was a lookup).
    pub fn from_mapping(mut map: Mapping) -> Result<PostFrontMatter, serde_norway::Error> {
        // Exactly `Value::String`: `is_string` would keep a tagged key too.
        map.retain(|key, _| matches!(key, Value::String(_)));
        front_matter::deserialize(Value::Mapping(map))
    }
}

/// The `date` key as written.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum DateField {
    #[default]
    Absent,
    /// `date: [2024-01-02]`: a list, not an empty date.
    List,
    Mapping,
    /// A scalar as text; `None` for `date:` with no value.
    Scalar(Option<String>),
}

impl DateField {
    /// The text to parse as a date (`""` for a value that is not text).
    pub fn written(&self) -> Option<&str> {
        match self {
            DateField::Absent => None,
            DateField::List | DateField::Mapping => Some(""),
            DateField::Scalar(text) => Some(text.as_deref().unwrap_or("")),
        }
    }

    /// What is wrong with the written date, when it did not parse
    /// (`None`: no date was written).
    pub fn problem(&self) -> Option<DateProblem> {
        match self {
            DateField::Absent => None,
            DateField::List => Some(DateProblem::List),
            DateField::Mapping => Some(DateProblem::Mapping),
            DateField::Scalar(text) => Some(match text.as_deref().unwrap_or("").trim() {
                "" => DateProblem::Empty,
                written => DateProblem::Unusable(written.to_string()),
            }),
        }
    }

    /// The value as scalar text, when it is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            DateField::Scalar(text) => text.as_deref(),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for DateField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Sequence(_) => DateField::List,
            Value::Mapping(_) => DateField::Mapping,
            other => DateField::Scalar(into_text(other)),
        })
    }
}

/// A `categories`/`category`/`tags`/`tag` value: Jekyll takes a string
/// (split on whitespace for the plural keys) or a list.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Names {
    #[default]
    Absent,
    /// `tag:` with no value (`tags` is used then).
    Null,
    /// A string, number or boolean, as text.
    Text(String),
    /// A list; its items are read by Jekyll's rules where used (an inner
    /// list is one more category in a URL, see `post::nested_categories`).
    List(Vec<Value>),
    /// A mapping: no names.
    Unreadable,
}

impl Names {
    /// Whether the key is written with a value (`tag` then replaces `tags`).
    pub fn is_given(&self) -> bool {
        !matches!(self, Names::Absent | Names::Null)
    }

    /// The names in order, each trimmed and once; the text form split on
    /// whitespace when `split`.
    pub fn push_into(&self, out: &mut Vec<crate::taxonomy::Term>, split: bool) {
        // A set, not a scan of `out`: 30,000 categories must stay linear.
        let mut seen: std::collections::HashSet<crate::taxonomy::Term> = out.iter().cloned().collect();
        let mut push = |name: &str| {
            let name = name.trim();
            if !name.is_empty() && seen.insert(name.into()) {
                out.push(name.into());
            }
        };
        match self {
            Names::List(items) => items.iter().filter_map(|i| scalar(Some(i))).for_each(|s| push(&s)),
            Names::Text(s) if split => s.split_whitespace().for_each(&mut push),
            Names::Text(s) => push(s),
            Names::Absent | Names::Null | Names::Unreadable => {}
        }
    }
}

fn names<'de, D: Deserializer<'de>>(d: D) -> Result<Names, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(match value {
        Value::Sequence(items) => Names::List(items),
        v if v.is_null() => Names::Null,
        v => into_text(v).map_or(Names::Unreadable, Names::Text),
    })
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(into_text(Value::deserialize(d)?))
}

/// A scalar as text, as [`scalar`] reads it, without copying the text.
fn into_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Tagged(tagged) => into_text(tagged.value),
        other => scalar(Some(&other)),
    }
}

fn hides<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(matches!(Value::deserialize(d)?, Value::Null | Value::Bool(false)))
}

fn person<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Author>, D::Error> {
    Ok(author(Some(&Value::deserialize(d)?)))
}

fn image<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(scalar(Some(&value)).or_else(|| scalar(value.as_mapping()?.get("path"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Term;

    fn read(yaml: &str) -> PostFrontMatter {
        let map = front_matter::parse(yaml).expect("yaml").map;
        PostFrontMatter::from_mapping(map).expect("typed")
    }

    fn pushed(names: &Names, split: bool) -> Vec<String> {
        let mut out: Vec<Term> = Vec::new();
        names.push_into(&mut out, split);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn missing_keys_take_their_defaults() {
        assert_eq!(read(""), PostFrontMatter::default());
        let fm = read("layout: post\nunknown_plugin_key: [1, 2]\n");
        assert_eq!(fm, PostFrontMatter::default());
        assert_eq!(fm.date, DateField::Absent);
        assert!(!fm.unpublished);
    }

    #[test]
    fn categories_are_a_string_or_a_list() {
        // The real site's shape: one plain string, split on spaces by Jekyll.
        let fm = read("categories: 21shijijingjibaodao 21caijingAPP\ntags: 东财滚动新闻\n");
        assert_eq!(pushed(&fm.categories, true), ["21shijijingjibaodao", "21caijingAPP"]);
        assert_eq!(pushed(&fm.tags, true), ["东财滚动新闻"]);
        let fm = read("categories: [a, 2021, a, ' b ', [x], {k: v}, ~]\ncategory: two words\n");
        assert_eq!(pushed(&fm.categories, true), ["a", "2021", "b"]);
        // The singular key is one name, not split.
        assert_eq!(pushed(&fm.category, false), ["two words"]);
        let fm = read("tags:\n  - 上海证券报·中国证券网新闻\n  - true\n");
        assert_eq!(pushed(&fm.tags, true), ["上海证券报·中国证券网新闻", "true"]);
    }

    #[test]
    fn odd_values_of_the_real_data_read_as_jekyll_reads_them() {
        // `title: ""`, `date:  +0800` (the `-2022…` file of finews-sample).
        let fm = read("title: \"\"\ndate:  +0800\ncategories: emnews\n");
        assert_eq!(fm.title.as_deref(), Some(""));
        assert_eq!(fm.date, DateField::Scalar(Some("+0800".into())));
        // A title YAML reads as a number is still its text.
        assert_eq!(read("title: 2021\n").title.as_deref(), Some("2021"));
        // An empty `date:` is written but empty; a list is not a date.
        assert_eq!(read("date:\n").date.written(), Some(""));
        assert_eq!(read("date: [2024-01-02]\n").date, DateField::List);
        assert_eq!(read("date: {a: b}\n").date, DateField::Mapping);
        // `tag:` with no value does not replace `tags`; a mapping has no names.
        assert!(!read("tag:\n").tag.is_given());
        assert_eq!(read("tag: {a: b}\n").tag, Names::Unreadable);
        assert!(read("tag: {a: b}\n").tag.is_given());
    }

    #[test]
    fn published_false_or_empty_hides_the_post() {
        assert!(read("published: false\n").unpublished);
        assert!(read("published:\n").unpublished);
        assert!(!read("published: \"false\"\n").unpublished);
        assert!(!read("published: true\n").unpublished);
    }

    #[test]
    fn rendering_keys_are_read_leniently() {
        let fm = read("author: {name: ' Z ', uri: 'javascript:x'}\nimage: {path: /a.png}\nid: 12\nsource: ' http://s.example/ '\n");
        assert_eq!(fm.author.map(|a| (a.name, a.uri)), Some(("Z".to_string(), None)));
        assert_eq!(fm.image.as_deref(), Some("/a.png"));
        assert_eq!(fm.id.as_deref(), Some("12"));
        assert_eq!(fm.source.as_deref(), Some(" http://s.example/ "));
        assert_eq!(
            read("image: http://i.example/x.png\n").image.as_deref(),
            Some("http://i.example/x.png")
        );
    }

    #[test]
    fn keys_that_are_not_text_name_no_field() {
        // A key that is not text would stop serde's reading of field
        // names; a lookup by name never saw it.
        let fm = read("0: a title\ntrue: x\ntitle: t\n");
        assert_eq!(fm.title.as_deref(), Some("t"));
        assert_eq!(read("0: a title\n"), PostFrontMatter::default());
        assert_eq!(read("!x title: tagged\n"), PostFrontMatter::default());
    }
}
