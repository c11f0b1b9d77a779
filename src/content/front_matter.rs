//! Splitting a post file into its YAML front matter and body, parsing that
//! YAML with the one recovery the real data needs (unescaped quotes), and
//! reading values out of it. The only module that knows the YAML crate:
//! the site configuration is read through it too.

pub use serde_norway::{Mapping, Value};

pub use super::limits::{MAX_FLOW_DEPTH, MAX_YAML_BYTES};
use super::problem::FrontMatterProblem;
use crate::author::Author;
use crate::xml_chars::{first_invalid_xml_char, is_xml_char};

/// A YAML value read into the type `T` (serde's derived rules): the one
/// door from front matter and settings values to typed structs.
pub fn deserialize<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, serde_norway::Error> {
    serde_norway::from_value(value)
}

/// A YAML document read into a [`Value`], as `serde_norway::from_str` reads
/// it, except that an integer too large for 64 bits (`id:
/// 99999999999999999999`) is kept as its digits, as text: Ruby's YAML
/// (Jekyll) reads it, and serde_norway's own `Value` refuses the whole
/// document. Keys written twice are refused, as serde_norway does.
fn from_yaml(text: &str) -> Result<Value, serde_norway::Error> {
    use serde::Deserialize;
    Yaml::deserialize(serde_norway::Deserializer::from_str(text)).map(|y| y.0)
}

/// A [`Value`] read by [`from_yaml`]'s rules.
struct Yaml(Value);

impl<'de> serde::Deserialize<'de> for Yaml {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(YamlVisitor).map(Yaml)
    }
}

struct YamlVisitor;

impl<'de> serde::de::Visitor<'de> for YamlVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_i128<E>(self, n: i128) -> Result<Value, E> {
        Ok(Value::String(n.to_string()))
    }
    fn visit_u128<E>(self, n: u128) -> Result<Value, E> {
        Ok(Value::String(n.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(YamlVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Yaml(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Sequence(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut mapping = Mapping::new();
        while let Some(Yaml(key)) = map.next_key()? {
            if mapping.contains_key(&key) {
                // serde_norway's words.
                let which = match &key {
                    Value::Null => "with null key".to_string(),
                    Value::Bool(b) => format!("with key `{b}`"),
                    Value::Number(n) => format!("with key {n}"),
                    Value::String(s) => format!("with key {s:?}"),
                    _ => "in YAML map".to_string(),
                };
                return Err(serde::de::Error::custom(format!("duplicate entry {which}")));
            }
            let Yaml(value) = map.next_value()?;
            mapping.insert(key, value);
        }
        Ok(Value::Mapping(mapping))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use serde::de::VariantAccess;
        let (tag, contents) = data.variant::<String>()?;
        if tag.is_empty() {
            return Err(serde::de::Error::custom("empty YAML tag is not allowed"));
        }
        let Yaml(value) = contents.newtype_variant()?;
        let tag = serde_norway::value::Tag::new(tag);
        Ok(Value::Tagged(Box::new(serde_norway::value::TaggedValue { tag, value })))
    }
}

/// A file cut at its front-matter fences. Line numbers are 1-based.
#[derive(Debug, PartialEq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// Line of the first YAML line (the one after the opening `---`).
    pub yaml_line: usize,
    pub body: &'a str,
    /// Lines came before the opening `---`: Jekyll, which wants it on the
    /// first line, reads no front matter in this file.
    pub hidden_from_jekyll: bool,
}

#[derive(Debug, PartialEq)]
pub enum SplitError {
    /// The file does not start with a `---` line: not a post.
    NoFrontMatter,
    /// An opening fence with no closing one; carries the opening line.
    Unclosed { line: usize },
}

fn is_fence(line: &str) -> bool {
    line.trim_end() == "---"
}

/// Cut `text` into front matter and body. A UTF-8 BOM and blank lines
/// before the opening fence are tolerated (they occur in real data).
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut pos = 0;
    let mut line_no = 1;
    // Skip blank lines before the opening fence.
    loop {
        let rest = &text[pos..];
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = &rest[..end];
        if line.trim().is_empty() && end > 0 && end < rest.len() {
            pos += end;
            line_no += 1;
            continue;
        }
        if !is_fence(line) {
            return Err(SplitError::NoFrontMatter);
        }
        pos += end;
        break;
    }
    let open_line = line_no;
    let yaml_start = pos;
    let mut cursor = pos;
    while cursor < text.len() {
        let rest = &text[cursor..];
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = &rest[..end];
        if is_fence(line) || line.trim_end() == "..." {
            return Ok(Split {
                yaml: &text[yaml_start..cursor],
                yaml_line: open_line + 1,
                body: &text[cursor + end..],
                hidden_from_jekyll: open_line > 1,
            });
        }
        cursor += end;
    }
    Err(SplitError::Unclosed { line: open_line })
}

/// What parsing the YAML block gave.
#[derive(Debug)]
pub struct Parsed {
    pub map: Mapping,
    /// 1-based lines (within the YAML block) whose double-quoted value was
    /// re-quoted to make the block parse.
    pub requoted: Vec<usize>,
    /// 1-based lines (within the block) of top-level keys written again
    /// later: the last one wins, as in Jekyll.
    pub overridden: Vec<usize>,
}

/// Why the YAML block could not be used; `line` is within the block.
#[derive(Debug, PartialEq)]
pub struct YamlError {
    pub line: Option<usize>,
    pub problem: FrontMatterProblem,
}

/// Parse the YAML block into a mapping. When it does not parse, lines of
/// the form `key: "…"` whose value holds unescaped `"` or `\` (written by
/// scripts that do not escape) are re-quoted verbatim and parsing is tried
/// once more.
pub fn parse(yaml: &str) -> Result<Parsed, YamlError> {
    // YAML refuses control characters; they are reported (and left out of
    // the feeds) by the caller, so read the block without them.
    let cleaned: String;
    let yaml = if first_invalid_xml_char(yaml).is_none() {
        yaml
    } else {
        cleaned = yaml.chars().filter(|c| is_xml_char(*c)).collect();
        &cleaned
    };
    check_bounds(yaml)?;
    match parse_mapping(yaml) {
        Ok(map) => Ok(Parsed {
            map,
            requoted: Vec::new(),
            overridden: Vec::new(),
        }),
        Err(first) => {
            // Jekyll's YAML reader keeps the last of a key written twice;
            // ours refuses the block, so earlier copies are blanked out.
            let (yaml, overridden) = without_overridden_keys(yaml);
            if !overridden.is_empty() {
                if let Ok(map) = parse_mapping(&yaml) {
                    return Ok(Parsed {
                        map,
                        requoted: Vec::new(),
                        overridden,
                    });
                }
            }
            let (fixed, requoted) = requote_broken_lines(&yaml);
            if requoted.is_empty() {
                return Err(first);
            }
            // Still broken: report what is left, at its own line, rather
            // than the quotes that were just recovered.
            parse_mapping(&fixed).map(|map| Parsed {
                map,
                requoted,
                overridden,
            })
        }
    }
}

/// The block with every top-level `key:` that is written again later
/// blanked out (with its indented continuation lines), and the 1-based
/// lines blanked. Line numbers stay as they were.
fn without_overridden_keys(yaml: &str) -> (std::borrow::Cow<'_, str>, Vec<usize>) {
    let top_key = |line: &str| -> Option<String> {
        if line.starts_with([' ', '\t', '#', '-']) {
            return None;
        }
        let (key, _) = line.split_once(':')?;
        let key = key.trim_end();
        (!key.is_empty() && !key.contains(['{', '[', '"', '\''])).then(|| key.to_string())
    };
    let lines: Vec<&str> = yaml.split_inclusive('\n').collect();
    let keys: Vec<Option<String>> = lines.iter().map(|l| top_key(l)).collect();
    let mut last: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        if let Some(k) = key {
            last.insert(k, i);
        }
    }
    let overridden: Vec<usize> = keys
        .iter()
        .enumerate()
        .filter(|(i, k)| k.as_deref().is_some_and(|k| last.get(k) != Some(i)))
        .map(|(i, _)| i)
        .collect();
    if overridden.is_empty() {
        return (std::borrow::Cow::Borrowed(yaml), Vec::new());
    }
    let mut out = String::with_capacity(yaml.len());
    let mut blanking = false;
    for (i, line) in lines.iter().enumerate() {
        if keys[i].is_some() || !line.starts_with([' ', '\t']) {
            blanking = overridden.contains(&i);
        }
        if blanking {
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    (std::borrow::Cow::Owned(out), overridden.iter().map(|i| i + 1).collect())
}

/// Refuse blocks the YAML parser would take too long or too much memory
/// to read, before it sees them.
fn check_bounds(yaml: &str) -> Result<(), YamlError> {
    if yaml.len() > MAX_YAML_BYTES {
        return Err(YamlError {
            line: Some(1),
            problem: FrontMatterProblem::TooBig { bytes: yaml.len() },
        });
    }
    if let Some(line) = too_deep_line(yaml, MAX_FLOW_DEPTH) {
        return Err(YamlError {
            line: Some(line),
            problem: FrontMatterProblem::TooDeep,
        });
    }
    Ok(())
}

/// The 1-based line where `[`/`{` nesting first exceeds `max`. Brackets in
/// quoted scalars and comments on the same line are not counted; the count
/// errs high only for over `max` unbalanced brackets inside plain text.
fn too_deep_line(yaml: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, line) in yaml.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (Some('"'), '\\') => {
                    chars.next();
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') if matches!(prev, ' ' | '\t' | '[' | '{' | ',' | ':') => quote = Some(c),
                (None, '#') if matches!(prev, ' ' | '\t') => break,
                (None, '[' | '{') => {
                    depth += 1;
                    if depth > max {
                        return Some(i + 1);
                    }
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev = c;
        }
    }
    None
}

#[cfg(test)]
thread_local! {
    /// Blocks handed to the YAML parser on this thread, for tests that
    /// check a block is refused before the parser sees it.
    static YAML_PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn parse_mapping(yaml: &str) -> Result<Mapping, YamlError> {
    if yaml.trim().is_empty() {
        return Ok(Mapping::new());
    }
    if let Some(map) = parse_flat(yaml) {
        return Ok(map);
    }
    #[cfg(test)]
    YAML_PARSES.with(|n| n.set(n.get() + 1));
    match from_yaml(yaml) {
        Ok(Value::Mapping(map)) => Ok(map),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(other) => Err(YamlError {
            line: Some(1),
            problem: FrontMatterProblem::NotAMapping {
                kind: value_kind(&other),
            },
        }),
        Err(err) => Err(YamlError {
            line: err.location().map(|l| l.line()),
            problem: FrontMatterProblem::Invalid {
                message: yaml_message(&err),
            },
        }),
    }
}

/// The front matter nearly every post has: one `key: value` line each,
/// values plain text or double-quoted without escapes. Parsed directly, as
/// serde_norway would parse it (YAML parsing was a large share of a
/// build's CPU time: bench/README.md); anything that could read differently
/// (numbers, booleans, nulls, quotes with escapes, comments, lists,
/// indentation, duplicates) returns `None` and goes to serde_norway.
fn parse_flat(yaml: &str) -> Option<Mapping> {
    let mut map = Mapping::new();
    for line in yaml.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let (key, rest) = line.split_once(':')?;
        let key_ok = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !is_special_word(key);
        if !key_ok || !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        let value = match rest.trim_matches(' ') {
            "" => Value::Null,
            quoted if quoted.starts_with('"') => {
                let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
                if inner.contains(['"', '\\']) {
                    return None;
                }
                Value::String(inner.to_string())
            }
            list if list.starts_with('[') => Value::Sequence(flow_list(list)?),
            plain => Value::String(plain_text(plain)?.to_string()),
        };
        if map.insert(Value::String(key.to_string()), value).is_some() {
            return None;
        }
    }
    Some(map)
}

/// A one-line flow sequence of plain text, `[a, b]` (Jekyll's docs write
/// `tags` so), or `None`: an empty item, a trailing comma, anything
/// nested or quoted, and any item [`plain_text`] refuses go to serde_norway.
fn flow_list(list: &str) -> Option<Vec<Value>> {
    let inner = list.strip_prefix('[')?.strip_suffix(']')?;
    if inner.trim_matches(' ').is_empty() {
        return Some(Vec::new());
    }
    inner
        .split(',')
        .map(|item| {
            let item = item.trim_matches(' ');
            let flow_safe = !item.contains(['[', ']', '{', '}', ':']);
            flow_safe
                .then(|| plain_text(item))
                .flatten()
                .map(|t| Value::String(t.to_string()))
        })
        .collect()
}

/// A plain scalar that can only be read as text, or `None`.
fn plain_text(value: &str) -> Option<&str> {
    let first = value.chars().next()?;
    let indicator = "-?:,[]{}#&*!|>'\"%@`".contains(first);
    // `.inf`, `+.nan`, `+12`: leave anything starting like a number to serde_norway.
    let number_like = "+.".contains(first)
        || (first.is_ascii_digit() && value.chars().all(|c| c.is_ascii_hexdigit() || "+-._xXoO".contains(c)));
    let breaks = value.contains(": ") || value.contains(" #") || value.ends_with(':') || value.contains('\t');
    (!indicator && !number_like && !breaks && !is_special_word(value)).then_some(value)
}

/// Words YAML reads as null or booleans.
fn is_special_word(word: &str) -> bool {
    matches!(
        word,
        "~" | "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
    )
}

/// The YAML crate appends " at line N column M"; we print the line ourselves.
fn yaml_message(err: &serde_norway::Error) -> String {
    let text = err.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "list",
        Value::Mapping(_) => "mapping",
        Value::Tagged(_) => "tagged value",
    }
}

/// Re-quote `key: "value"` lines whose value is not a valid YAML
/// double-quoted scalar, keeping the text between the first and last quote
/// verbatim as a single-quoted scalar.
fn requote_broken_lines(yaml: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(yaml.len() + 16);
    let mut requoted = Vec::new();
    for (i, line) in yaml.split_inclusive('\n').enumerate() {
        match requote_line(line) {
            Some(fixed) => {
                out.push_str(&fixed);
                requoted.push(i + 1);
            }
            None => out.push_str(line),
        }
    }
    (out, requoted)
}

fn requote_line(line: &str) -> Option<String> {
    let content = line.trim_end_matches(['\n', '\r']);
    let ending = &line[content.len()..];
    let colon = content.find(':')?;
    let key = &content[..colon];
    if key.is_empty()
        || !key
            .trim_start()
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let value = content[colon + 1..].trim();
    if value.len() < 2 || !value.starts_with('"') || !value.ends_with('"') {
        return None;
    }
    let inner = &value[1..value.len() - 1];
    if is_valid_double_quoted(inner) {
        return None;
    }
    Some(format!("{key}: '{}'{ending}", inner.replace('\'', "''")))
}

/// Whether `inner` is a well-formed body of a YAML double-quoted scalar:
/// no bare `"`, and every `\` starts a known escape.
fn is_valid_double_quoted(inner: &str) -> bool {
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return false,
            '\\' => match chars.next() {
                Some(
                    '0' | 'a' | 'b' | 't' | '\t' | 'n' | 'v' | 'f' | 'r' | 'e' | ' ' | '"' | '/' | '\\' | 'N' | '_'
                    | 'L' | 'P',
                ) => {}
                Some('x') => {
                    if !take_hex(&mut chars, 2) {
                        return false;
                    }
                }
                Some('u') => {
                    if !take_hex(&mut chars, 4) {
                        return false;
                    }
                }
                Some('U') => {
                    if !take_hex(&mut chars, 8) {
                        return false;
                    }
                }
                _ => return false,
            },
            _ => {}
        }
    }
    true
}

fn take_hex(chars: &mut std::str::Chars<'_>, n: usize) -> bool {
    (0..n).all(|_| chars.next().is_some_and(|c| c.is_ascii_hexdigit()))
}

/// Why a whole YAML document could not be read as a mapping.
#[derive(Debug)]
pub enum DocumentError {
    /// Not YAML; the parser's message, with its line and column.
    Invalid(String),
    /// YAML, but a list or a scalar.
    NotAMapping,
}

/// A whole YAML document that must be a mapping (the site configuration);
/// empty or `null` is an empty mapping.
pub fn parse_document(text: &str) -> Result<Mapping, DocumentError> {
    if text.trim().is_empty() {
        return Ok(Mapping::new());
    }
    // The same bounds as front matter: the parser must never see more.
    if text.len() > MAX_YAML_BYTES {
        let message = format!("{} bytes, over feedgen's {MAX_YAML_BYTES}-byte limit", text.len());
        return Err(DocumentError::Invalid(message));
    }
    if let Some(line) = too_deep_line(text, MAX_FLOW_DEPTH) {
        let message = format!("line {line}: nests `[`/`{{` more than {MAX_FLOW_DEPTH} levels deep");
        return Err(DocumentError::Invalid(message));
    }
    match from_yaml(text).map_err(|e| DocumentError::Invalid(e.to_string()))? {
        Value::Mapping(map) => Ok(map),
        Value::Null => Ok(Mapping::new()),
        _ => Err(DocumentError::NotAMapping),
    }
}

/// A typed value read from a parsed document (the `feedgen:` settings); the
/// error carries the key path to the value serde refused.
pub fn deserialize_with_path<T: serde::de::DeserializeOwned>(
    value: Value,
) -> Result<T, serde_path_to_error::Error<serde_norway::Error>> {
    serde_path_to_error::deserialize(value)
}

/// A scalar value as text (`title: 2021` is the title "2021").
pub fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(Some(&t.value)),
        _ => None,
    }
}

/// `author: Name` or `author: {name, email, uri}` (Jekyll and jekyll-feed).
pub fn author(value: Option<&Value>) -> Option<Author> {
    let string = |map: &Mapping, key: &str| scalar(map.get(key));
    match value? {
        Value::String(name) if !name.trim().is_empty() => Some(Author {
            name: name.trim().to_string(),
            ..Author::default()
        }),
        Value::Mapping(map) => {
            let name = string(map, "name").filter(|n| !n.trim().is_empty())?;
            Some(Author {
                name: name.trim().to_string(),
                email: string(map, "email"),
                uri: string(map, "uri")
                    .or_else(|| string(map, "url"))
                    .filter(|u| is_web_or_mail(u)),
            })
        }
        _ => None,
    }
}

/// Only `http:`, `https:` and `mailto:` URIs may name a person: an Atom
/// reader shows `<uri>` as a link, and `javascript:` must never be one.
fn is_web_or_mail(uri: &str) -> bool {
    let uri = uri.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"].iter().any(|s| uri.starts_with(s))
}

/// The 1-based line (within the block) where top-level `key:` stands.
pub fn key_line(yaml: &str, key: &str) -> Option<usize> {
    yaml.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_over_64_bits_are_text_and_the_rest_reads_as_serde_norway_reads_it() {
        for yaml in [
            "a: 1\nb: [x, -2, 3.5, ~, true, '']\nc: {d: !tag e, f: !!str 5}\n",
            "a: 1\na: 2\n",
            "1: x\n1: y\n",
            "? [a]\n: 1\n? [a]\n: 2\n",
            "~: 1\n~: 2\n",
            "- 1\n- [2, {x: 3}]\n",
            "a: ! x\n",
            "a: [1\n",
        ] {
            let ours = from_yaml(yaml).map_err(|e| e.to_string());
            let theirs = serde_norway::from_str::<Value>(yaml).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{yaml:?}");
        }
        let big = from_yaml("id: 99999999999999999999\nn: [-99999999999999999999]\n").expect("read");
        assert_eq!(big["id"], Value::String("99999999999999999999".into()));
        assert_eq!(big["n"][0], Value::String("-99999999999999999999".into()));
    }

    /// The direct parse agrees with the YAML crate wherever it answers.
    fn same_as_serde(yaml: &str) -> bool {
        let serde = serde_norway::from_str::<Value>(yaml)
            .ok()
            .and_then(|v| v.as_mapping().cloned());
        match parse_flat(yaml) {
            Some(map) => {
                assert_eq!(Some(&map), serde.as_ref(), "{yaml:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn the_bundled_posts_read_the_same_either_way() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/_posts");
        let mut taken = 0;
        for entry in std::fs::read_dir(dir).expect("content/_posts") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("post");
            let s = split(&text).expect("front matter");
            taken += usize::from(same_as_serde(s.yaml));
        }
        assert!(taken >= 25, "the direct parse took only {taken} of the bundled posts");
    }

    #[test]
    fn flat_front_matter_reads_as_serde_norway_reads_it() {
        let taken = [
            "layout: post\ntitle: \"北向资金：净流入12亿元\"\ndate: 2021-12-08 10:46:18 +0800\ncategories: emnews\ntags: 东财滚动新闻\n",
            "title: \"\"\ndate: 2021-12-08 10:46:18\ncategories: 21shijijingjibaodao 21caijingAPP\r\ntags: 上海证券报·中国证券网新闻\r\n",
            "title: He said \"hi\" [twice] {ok}\nauthor:\nsource_url: http://a.example/x?b=1&c=2\n\n",
            "date: 2022-03-01T09:30:00+08:00\ntitle: 注意：下跌\npermalink: /:year/:title/\n",
            "title: 12:30\nslug: a2021\nid: 20211208 早盘\n",
            "tags: [河南消费客户端新闻, 银行]\ncategories: [a,b ,  c d]\n",
            "tags: []\ncategories: [ ]\n",
            "tags: [one]\n",
        ];
        for yaml in taken {
            assert!(same_as_serde(yaml), "not taken: {yaml:?}");
        }
        let passed_on = [
            "date: 2021-12-08\n",
            "date:  +0800\n",
            "title: 2021\n",
            "title: 1e3\n",
            "title: .inf\n",
            "title: +.inf\n",
            "title: +12\n",
            "title: 0x1F\n",
            "published: false\n",
            "title: ~\n",
            "title: \"a \\\"b\\\" \\u4e2d\"\n",
            "title: 'single'\n",
            "title: a # comment\n",
            "tags:\n  - a\n  - b\n",
            "title: a\ntitle: b\n",
            "true: x\n",
            "title: x:\n",
            "title: a: b\n",
            "# comment\ntitle: a\n",
            "title: -5\n",
            "title: \"x\n",
            "'key': v\n",
            "tags: [a, ]\n",
            "tags: [a,, b]\n",
            "tags: [a, [b]]\n",
            "tags: [a, {b: c}]\n",
            "tags: [a, b: c]\n",
            "tags: [a, 'b']\n",
            "tags: [a, \"b\"]\n",
            "tags: [a, 2021]\n",
            "tags: [a, true]\n",
            "tags: [a, ~]\n",
            "tags: [a, -b]\n",
            "tags: [a, b # c]\n",
            "tags: [a, b] # c\n",
            "tags: [a, b]x\n",
            "tags: [a, b\n",
            "tags: [a\tb]\n",
        ];
        for yaml in passed_on {
            assert!(!same_as_serde(yaml), "taken but should go to serde_norway: {yaml:?}");
        }
    }

    proptest::proptest! {
        /// Wherever the direct parse takes a line of a key and a list
        /// built of YAML's awkward characters, it reads what serde_norway
        /// reads; and it takes the plain lists real front matter has.
        #[test]
        fn a_flow_list_reads_as_serde_norway_reads_it(
            line in "tags: ?\\[( |[a-c1:,#'\"\\[\\]{}~.&*!|>%@`?\\-]|新闻){0,12}\\]( #)?\n",
            plain in proptest::collection::vec("[a-z新闻·]{1,4}( [a-z]{1,3})?", 0..5),
        ) {
            same_as_serde(&line);
            let list = format!("tags: [{}]\n", plain.join(", "));
            proptest::prop_assert!(same_as_serde(&list), "{:?}", list);
        }
    }

    #[test]
    fn splits_plain_front_matter() {
        let s = split("---\ntitle: a\n---\nbody\n").expect("split");
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.yaml_line, 2);
        assert_eq!(s.body, "body\n");
    }

    #[test]
    fn tolerates_blank_lines_bom_and_crlf() {
        let s = split("\u{feff}\n\r\n---\r\ntitle: a\r\n---\r\nbody").expect("split");
        assert_eq!(s.yaml, "title: a\r\n");
        assert_eq!(s.yaml_line, 4);
        assert_eq!(s.body, "body");
    }

    #[test]
    fn empty_front_matter_and_no_body() {
        let s = split("---\n---").expect("split");
        assert_eq!(s.yaml, "");
        assert_eq!(s.body, "");
        assert!(!s.hidden_from_jekyll);
        assert!(split("\n---\na: b\n---\n").expect("split").hidden_from_jekyll);
        assert!(!split("\u{feff}---\na: b\n---\n").expect("split").hidden_from_jekyll);
    }

    #[test]
    fn a_key_written_twice_keeps_the_last_value() {
        let p = parse("title: First\ntags:\n  - a\ntitle: Second\ntags: b\n").expect("parse");
        assert_eq!(p.map.get("title").and_then(Value::as_str), Some("Second"));
        assert_eq!(p.map.get("tags").and_then(Value::as_str), Some("b"));
        assert_eq!(p.overridden, vec![1, 2]);
    }

    #[test]
    fn rejects_files_without_or_with_unclosed_front_matter() {
        assert_eq!(split("# hello\n"), Err(SplitError::NoFrontMatter));
        assert_eq!(split(""), Err(SplitError::NoFrontMatter));
        assert_eq!(split("\n\n"), Err(SplitError::NoFrontMatter));
        assert_eq!(split("\n---\ntitle: x\nbody\n"), Err(SplitError::Unclosed { line: 2 }));
    }

    #[test]
    fn parses_mapping_and_rejects_other_shapes() {
        let p = parse("title: \"a\"\ndate: 2021-12-08\n").expect("parse");
        assert_eq!(p.map.len(), 2);
        assert!(p.requoted.is_empty());
        let err = parse("- a\n- b\n").expect_err("list");
        assert!(err.problem.to_string().contains("not a mapping"), "{:?}", err.problem);
        assert!(parse("").expect("empty").map.is_empty());
    }

    #[test]
    fn recovers_unescaped_quotes_and_backslashes() {
        let p = parse("layout: post\ntitle: \"他说\"涨了\" C:\\x \"\ndate: 2021-12-08\n").expect("recovered");
        assert_eq!(p.requoted, vec![2]);
        assert_eq!(p.map.get("title").and_then(Value::as_str), Some("他说\"涨了\" C:\\x "));
    }

    #[test]
    fn valid_escapes_are_left_alone() {
        let p = parse("title: \"a \\\"b\\\" \\u4e2d\"\n").expect("parse");
        assert!(p.requoted.is_empty());
        assert_eq!(p.map.get("title").and_then(Value::as_str), Some("a \"b\" 中"));
    }

    #[test]
    fn unrecoverable_yaml_reports_its_line() {
        let err = parse("title: a\ncategories: [x\n").expect_err("broken");
        assert!(err.line.is_some());
        assert!(err.problem.to_string().starts_with("front matter is not valid YAML"));
        // Recoverable quotes on line 1 do not hide the broken mapping of line 3
        // (reported where the parser notices it: the end of the block).
        let err = parse("title: \"a \"b\" c\"\ndate: 2021-12-08\ntags: {x: y\n").expect_err("broken");
        assert_eq!(err.line, Some(4), "{:?}", err.problem);
    }

    #[test]
    fn deep_or_huge_blocks_are_refused_before_parsing() {
        let parses = || YAML_PARSES.with(std::cell::Cell::get);
        let before = parses();
        let deep = format!("title: a\nx: {}\n", "[".repeat(4_000_000));
        let err = parse(&deep).expect_err("too large");
        assert!(
            err.problem.to_string().contains("byte limit for front matter"),
            "{:?}",
            err.problem
        );
        let deep = format!("title: a\nx: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse(&deep).expect_err("too deep");
        assert_eq!(err.line, Some(2));
        assert!(
            err.problem.to_string().contains("more than 128 levels"),
            "{:?}",
            err.problem
        );
        // Refused before the parser, whose time grows with the square of depth, saw either.
        assert_eq!(parses(), before, "the YAML parser was handed a refused block");
        // Brackets in quoted text and comments do not count; real nesting within the limit parses.
        let quoted = format!(
            "title: \"{}\"\nnote: '{}' # {}\nx: {}{}\n",
            "[".repeat(200),
            "{".repeat(200),
            "[".repeat(200),
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(too_deep_line(&quoted, MAX_FLOW_DEPTH).is_none());
        let ok = parse("title: \"[[[x\"\ntags: [a, [b, {c: d}]]\n").expect("parse");
        assert_eq!(ok.map.get("title").and_then(Value::as_str), Some("[[[x"));
    }

    #[test]
    fn finds_key_lines() {
        assert_eq!(key_line("layout: post\ntitle : x\n", "title"), Some(2));
        assert_eq!(key_line("titles: x\n", "title"), None);
    }
}
