//! The shape of the code itself, read from `src/**/*.rs`: modules depend
//! on each other one way only, and no function outside test code is longer
//! than 100 lines.
//!
//! How the source is read (no parser crate; a small lexer is enough for
//! both questions):
//!
//! - Every file is a node, named by its module path: `src/lib.rs` is
//!   `crate`, `src/config.rs` is `config`, `src/content/mod.rs` is
//!   `content`, `src/content/post.rs` is `content::post`. `src/main.rs` is
//!   the binary, a crate of its own, and is left out.
//! - The lexer drops comments, string, byte-string, raw-string and
//!   character literals (lifetimes are told apart from characters), so
//!   text that only looks like a path is never read as one.
//! - Test code is dropped before anything is read: every item marked
//!   `#[cfg(test)]` (a `mod tests { … }` block, a test-only `fn` or `use`),
//!   up to its `;` or its closing brace.
//! - A dependency is any path that names a module of the crate: `use`
//!   declarations (grouped ones too: `use crate::{a::b, c::{self, D}}`
//!   is an edge to `a::b` and to `c`), paths inside code
//!   (`crate::places::resolved(…)`), paths from `super::` and `self::`, and
//!   paths that start at a child module the file declares (`mod html;`
//!   then `html::sanitize(…)`: the parent depends on that child). A path
//!   is an edge to the longest prefix of it that is a file's module, so
//!   `crate::content::post::PostMeta` is an edge to `content::post`, and
//!   `crate::content::shown_path` one to `content`. Declaring `mod x;`
//!   alone is not an edge, and paths into other crates (`std::`, `rss::`
//!   in a file with no `mod rss;`) are not either.
//! - The graph has no cycle when Tarjan's algorithm finds no strongly
//!   connected component of more than one node. For each one it finds,
//!   the test prints one cycle through it (`a → b → c → a`) with the line
//!   of each edge.
//! - A function's length is counted from the line of its `fn` keyword to
//!   the line of its closing brace, both included; doc comments and
//!   attributes above it are not counted, and a nested function is
//!   counted on its own (and inside its parent). A function is named by
//!   its module, its `impl` type if any, and its name
//!   (`config::Config::load`, `content::post::scan`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::harness::repo;

/// The longest a function outside test code may be, in lines.
const MAX_FUNCTION_LINES: usize = 100;

// ---- Reading Rust source ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Path,
    Punct(char),
    /// A string, character or number literal (its text does not matter).
    Literal,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Rust source as tokens, without comments and with every literal one
/// [`Tok::Literal`].
fn lex(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Moves past chars[from..to], counting newlines.
    let advance = |from: usize, to: usize, line: &mut usize| {
        *line += chars[from..to.min(chars.len())].iter().filter(|&&c| c == '\n').count();
        to
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest.
            let (mut depth, mut j) = (0usize, i);
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            i = advance(i, j, &mut line);
        } else if c == '"' {
            let start_line = line;
            let j = string_end(&chars, i + 1);
            i = advance(i, j, &mut line);
            out.push(Token {
                tok: Tok::Literal,
                line: start_line,
            });
        } else if c == '\'' {
            // A character literal, or a lifetime (`'a`, `'static`).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push(Token {
                    tok: Tok::Literal,
                    line,
                });
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push(Token {
                    tok: Tok::Literal,
                    line,
                });
            } else {
                i += 1;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
            }
        } else if is_ident_start(c) {
            let mut j = i;
            while j < chars.len() && is_ident_char(chars[j]) {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            let after = chars.get(j).copied();
            if matches!(word.as_str(), "r" | "br" | "cr") && matches!(after, Some('"' | '#')) {
                // A raw string `r#"…"#`, or a raw identifier `r#type`.
                let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
                if chars.get(j + hashes) == Some(&'"') {
                    let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                    let mut k = j + hashes + 1;
                    while k < chars.len() && !chars[k..].starts_with(&close) {
                        k += 1;
                    }
                    let start_line = line;
                    i = advance(i, k + close.len(), &mut line);
                    out.push(Token {
                        tok: Tok::Literal,
                        line: start_line,
                    });
                } else {
                    let mut k = j + 1;
                    while k < chars.len() && is_ident_char(chars[k]) {
                        k += 1;
                    }
                    out.push(Token {
                        tok: Tok::Ident(chars[j + 1..k].iter().collect()),
                        line,
                    });
                    i = k;
                }
            } else if matches!(word.as_str(), "b" | "c") && after == Some('"') {
                let start_line = line;
                let k = string_end(&chars, j + 1);
                i = advance(i, k, &mut line);
                out.push(Token {
                    tok: Tok::Literal,
                    line: start_line,
                });
            } else if word == "b" && after == Some('\'') {
                let mut k = j + 1;
                if chars.get(k) == Some(&'\\') {
                    k += 1;
                }
                k += 1;
                while k < chars.len() && chars[k] != '\'' {
                    k += 1;
                }
                i = k + 1;
                out.push(Token {
                    tok: Tok::Literal,
                    line,
                });
            } else {
                out.push(Token {
                    tok: Tok::Ident(word),
                    line,
                });
                i = j;
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (is_ident_char(chars[i]) || chars[i] == '.' && chars.get(i + 1) != Some(&'.')) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Literal,
                line,
            });
        } else if c == ':' && next == Some(':') {
            out.push(Token { tok: Tok::Path, line });
            i += 2;
        } else {
            if c == '\n' {
                line += 1;
            } else if !c.is_whitespace() {
                out.push(Token {
                    tok: Tok::Punct(c),
                    line,
                });
            }
            i += 1;
        }
    }
    out
}

/// The index just past the closing `"` of a string whose text starts at `i`.
fn string_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t.map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn punct(t: Option<&Token>, c: char) -> bool {
    t.is_some_and(|t| t.tok == Tok::Punct(c))
}

/// The index just past the item starting at `i`: its `;` or its closing
/// brace, whichever ends it.
fn item_end(toks: &[Token], mut i: usize) -> usize {
    let mut nesting = 0usize;
    while i < toks.len() {
        match toks[i].tok {
            Tok::Punct('(' | '[') => nesting += 1,
            Tok::Punct(')' | ']') => nesting = nesting.saturating_sub(1),
            Tok::Punct(';') if nesting == 0 => return i + 1,
            Tok::Punct('{') if nesting == 0 => return matching_brace(toks, i) + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// The index of the `}` closing the `{` at `open`.
fn matching_brace(toks: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    toks.len() - 1
}

/// The tokens without any item marked `#[cfg(test)]` (with the attributes
/// that follow the mark).
fn without_tests(toks: Vec<Token>) -> Vec<Token> {
    let is_mark = |i: usize| {
        let words: Vec<Option<&Tok>> = (i..i + 7).map(|k| toks.get(k).map(|t| &t.tok)).collect();
        words
            == [
                Some(&Tok::Punct('#')),
                Some(&Tok::Punct('[')),
                Some(&Tok::Ident("cfg".into())),
                Some(&Tok::Punct('(')),
                Some(&Tok::Ident("test".into())),
                Some(&Tok::Punct(')')),
                Some(&Tok::Punct(']')),
            ]
    };
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if is_mark(i) {
            let mut j = i + 7;
            // Further attributes on the same item.
            while punct(toks.get(j), '#') && punct(toks.get(j + 1), '[') {
                while j < toks.len() && !punct(toks.get(j), ']') {
                    j += 1;
                }
                j += 1;
            }
            i = item_end(&toks, j);
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    out
}

// ---- The module graph ----

/// The module path of a file under `src/` (`content/post.rs` → `content::post`).
fn module_of(rel: &str) -> String {
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let rel = rel.strip_suffix("/mod").unwrap_or(rel);
    if rel == "lib" {
        "crate".into()
    } else {
        rel.replace('/', "::")
    }
}

/// Every `.rs` file under `src/` but `main.rs`, relative and `/`-separated, sorted.
fn source_files() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).expect("read src/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under src/");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = repo().join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.retain(|f| f != "main.rs");
    out.sort();
    out
}

/// One module path (segments from the crate root) a file names, with the line.
type Named = (Vec<String>, usize);

/// Every module path a file's code names (test code already removed).
/// `module` is the file's module path (`crate` for the root).
fn named_paths(module: &str, toks: &[Token]) -> Vec<Named> {
    let own: Vec<String> = if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(String::from).collect()
    };
    // Child modules the file declares: `mod x;`.
    let children: BTreeSet<String> = (0..toks.len())
        .filter(|&i| ident(toks.get(i)) == Some("mod") && punct(toks.get(i + 2), ';'))
        .filter_map(|i| ident(toks.get(i + 1)).map(String::from))
        .collect();
    let mut out = Vec::new();
    // Inline modules (`mod x { … }`) being read, with their closing brace.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        while inline.last().is_some_and(|&(_, close)| i > close) {
            inline.pop();
        }
        let here: Vec<String> = own
            .iter()
            .cloned()
            .chain(inline.iter().map(|(m, _)| m.clone()))
            .collect();
        let after_path = i > 0 && toks[i - 1].tok == Tok::Path;
        match ident(toks.get(i)) {
            Some("mod") if punct(toks.get(i + 2), '{') => {
                let name = ident(toks.get(i + 1)).unwrap_or_default().to_string();
                inline.push((name, matching_brace(toks, i + 2)));
                i += 3;
            }
            Some("use") => {
                let end = (i..toks.len()).find(|&k| punct(toks.get(k), ';')).unwrap_or(toks.len());
                let mut paths = Vec::new();
                use_tree(&toks[i + 1..end], &mut Vec::new(), &mut paths);
                for (path, line) in paths {
                    if let Some(path) = absolute(&path, &here, &children) {
                        out.push((path, line));
                    }
                }
                i = end + 1;
            }
            Some(first) if !after_path && toks.get(i + 1).is_some_and(|t| t.tok == Tok::Path) => {
                let mut path = vec![first.to_string()];
                let mut k = i + 1;
                while toks.get(k).is_some_and(|t| t.tok == Tok::Path) {
                    match ident(toks.get(k + 1)) {
                        Some(seg) => path.push(seg.to_string()),
                        None => break,
                    }
                    k += 2;
                }
                if let Some(path) = absolute(&path, &here, &children) {
                    out.push((path, toks[i].line));
                }
                i = k;
            }
            _ => i += 1,
        }
    }
    out
}

/// The paths a `use` tree names (`a::{b, c::{self, D}}` → `a::b`, `a::c`,
/// `a::c::D`), each with its line.
fn use_tree(toks: &[Token], prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, usize)>) {
    // `self` stays a segment here; [`absolute`] drops it.
    let mut i = 0;
    let depth = prefix.len();
    while i < toks.len() {
        match &toks[i].tok {
            Tok::Ident(word) if word == "as" => i += 2,
            Tok::Ident(word) => {
                prefix.push(word.clone());
                i += 1;
                if !toks.get(i).is_some_and(|t| t.tok == Tok::Path) {
                    out.push((prefix.clone(), toks[i - 1].line));
                    prefix.truncate(depth);
                }
            }
            Tok::Path => i += 1,
            Tok::Punct('*') => {
                out.push((prefix.clone(), toks[i].line));
                prefix.truncate(depth);
                i += 1;
            }
            Tok::Punct('{') => {
                let close = matching_brace(toks, i);
                // Each comma-separated part at this level is a tree of its own.
                let mut start = i + 1;
                let mut nesting = 0usize;
                for k in i + 1..=close {
                    match toks[k].tok {
                        Tok::Punct('{') => nesting += 1,
                        Tok::Punct('}') if nesting > 0 => nesting -= 1,
                        Tok::Punct(',') | Tok::Punct('}') if nesting == 0 => {
                            let mut inner = prefix.clone();
                            use_tree(&toks[start..k], &mut inner, out);
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                prefix.truncate(depth);
                i = close + 1;
            }
            _ => i += 1,
        }
    }
}

/// A path as segments from the crate root, if it starts inside the crate.
fn absolute(path: &[String], here: &[String], children: &BTreeSet<String>) -> Option<Vec<String>> {
    let first = path.first()?.as_str();
    let mut base: Vec<String> = match first {
        "crate" => Vec::new(),
        "self" => here.to_vec(),
        "super" => here.to_vec(),
        _ if children.contains(first) => here.to_vec(),
        _ => return None,
    };
    let mut rest = match first {
        "crate" | "self" => &path[1..],
        _ => path,
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().filter(|s| *s != "self").cloned());
    Some(base)
}

/// The file module a path lands in: its longest prefix that is one.
fn resolve(path: &[String], modules: &BTreeSet<String>) -> String {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
        .unwrap_or_else(|| "crate".into())
}

/// Edges of the module graph, each with the place (file:line) it is seen first.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn module_graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().map(|(rel, _)| module_of(rel)).collect();
    let mut graph = Graph::new();
    for (rel, text) in files {
        let from = module_of(rel);
        let edges = graph.entry(from.clone()).or_default();
        for (path, line) in named_paths(&from, &without_tests(lex(text))) {
            let to = resolve(&path, &modules);
            if to != from {
                edges.entry(to).or_insert_with(|| format!("src/{rel}:{line}"));
            }
        }
    }
    graph
}

/// One cycle through each strongly connected component of more than one
/// node (Tarjan), as `a → b → a` with where each edge is.
fn cycles(graph: &Graph) -> Vec<String> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<&'g str>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let graph = self.graph;
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in graph.get(v).into_iter().flat_map(|e| e.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                self.components.push(component);
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    let mut out = Vec::new();
    for component in t.components.iter().filter(|c| c.len() > 1) {
        let inside: BTreeSet<&str> = component.iter().copied().collect();
        let start = *inside.iter().next().expect("a component has a node");
        // Breadth-first from `start` back to it, inside the component.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        'search: while let Some(v) = queue.pop_front() {
            for w in graph[v].keys().map(String::as_str).filter(|w| inside.contains(w)) {
                if w == start {
                    came_from.insert(start, v);
                    break 'search;
                }
                if !came_from.contains_key(w) {
                    came_from.insert(w, v);
                    queue.push_back(w);
                }
            }
        }
        let mut nodes = vec![start];
        let mut v = came_from[start];
        while v != start {
            nodes.push(v);
            v = came_from[v];
        }
        nodes.push(start);
        nodes.reverse();
        let steps: Vec<String> = nodes
            .windows(2)
            .map(|e| format!("  {} → {} ({})", e[0], e[1], graph[e[0]][e[1]]))
            .collect();
        out.push(format!("{}\n{}", nodes.join(" → "), steps.join("\n")));
    }
    out
}

// ---- Function lengths ----

/// Every function with a body, outside test code: its name
/// (`module::Type::name`) and its length in lines.
fn function_lengths(module: &str, toks: &[Token]) -> Vec<(String, usize)> {
    // `impl` blocks being read: the type's name and the block's closing brace.
    let mut impls: Vec<(String, usize)> = Vec::new();
    let mut out = Vec::new();
    for i in 0..toks.len() {
        while impls.last().is_some_and(|&(_, close)| i > close) {
            impls.pop();
        }
        match ident(toks.get(i)) {
            // An `impl` block starts an item; `-> impl Trait` is a type.
            Some("impl") if i == 0 || matches!(toks[i - 1].tok, Tok::Punct('}' | ';' | ']' | '{')) => {
                let open = (i..toks.len()).find(|&k| punct(toks.get(k), '{'));
                let Some(open) = open else { continue };
                let head = &toks[i + 1..open];
                // The type after `for`, if any: the last segment of its
                // path outside generics (`fmt::Display for Wrapper<T>` → `Wrapper`).
                let after_for = head
                    .iter()
                    .position(|t| ident(Some(t)) == Some("for"))
                    .map_or(0, |p| p + 1);
                let mut generics = 0usize;
                let mut name = String::new();
                for t in &head[after_for..] {
                    match &t.tok {
                        Tok::Ident(w) if w == "where" => break,
                        Tok::Ident(w) if generics == 0 => name.clone_from(w),
                        Tok::Punct('<') => generics += 1,
                        Tok::Punct('>') => generics = generics.saturating_sub(1),
                        _ => {}
                    }
                }
                impls.push((name, matching_brace(toks, open)));
            }
            Some("fn") => {
                let Some(name) = ident(toks.get(i + 1)) else { continue };
                let end = item_end(toks, i + 1);
                if !punct(toks.get(end - 1), '}') {
                    continue; // a declaration without a body
                }
                let lines = toks[end - 1].line - toks[i].line + 1;
                let mut full = vec![module.to_string()];
                full.extend(impls.last().map(|(t, _)| t.clone()));
                full.push(name.to_string());
                out.push((full.join("::"), lines));
            }
            _ => {}
        }
    }
    out
}

fn read_sources() -> Vec<(String, String)> {
    source_files()
        .into_iter()
        .map(|rel| {
            let text = fs::read_to_string(repo().join("src").join(&rel)).expect("read a source file");
            (rel, text)
        })
        .collect()
}

// ---- The checks ----

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = module_graph(&read_sources());
    // The reader sees the crate's real edges (else an empty graph would pass).
    for (from, to) in [
        ("cmd::build", "render"),
        ("content::post", "permalink"),
        ("render", "render::html"),
    ] {
        assert!(
            graph.get(from).is_some_and(|e| e.contains_key(to)),
            "the module graph misses {from} → {to}: {graph:#?}"
        );
    }
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "the module graph has cycles (a module imports one that imports it back):\n{}",
        found.join("\n\n")
    );
}

#[test]
fn the_dependency_reader_sees_every_kind_of_path() {
    let src = r##"
        mod child;
        use std::fmt;
        use crate::{a::b::{self, C}, d};
        use super::sibling::Thing;
        // use crate::commented::out;
        fn f() -> &'static str {
            let _ = crate::e::f(1);
            let _ = child::g();
            let _ = 'x';
            "crate::in_a_string::x";
            r#"crate::raw::x"#
        }
        #[cfg(test)]
        mod tests {
            use crate::only_in_tests;
        }
        #[cfg(test)]
        fn helper(x: [u8; 4]) { crate::test_helper::x(); }
        mod inline {
            use super::super::up::X;
        }
    "##;
    let files = [
        ("p/m.rs", src),
        ("a/b.rs", ""),
        ("d.rs", ""),
        ("p/sibling.rs", ""),
        ("e.rs", ""),
        ("p/m/child.rs", ""),
        ("p/up.rs", ""),
        ("commented.rs", ""),
        ("in_a_string.rs", ""),
        ("raw.rs", ""),
        ("only_in_tests.rs", ""),
        ("test_helper.rs", ""),
    ];
    let files: Vec<(String, String)> = files.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
    let graph = module_graph(&files);
    let seen: Vec<&str> = graph["p::m"].keys().map(String::as_str).collect();
    assert_eq!(seen, ["a::b", "d", "e", "p::m::child", "p::sibling", "p::up"]);
    assert_eq!(graph["p::m"]["e"], "src/p/m.rs:8");
    let cyclic = [
        ("x.rs", "use crate::y::Y;"),
        ("y.rs", "use crate::z;"),
        ("z.rs", "fn f() { super::x::g() }"),
    ];
    let cyclic: Vec<(String, String)> = cyclic.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
    let found = cycles(&module_graph(&cyclic));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("x → y → z → x\n"), "{}", found[0]);
}

#[test]
fn no_function_outside_tests_is_longer_than_100_lines() {
    let mut long = BTreeMap::new();
    let mut seen = 0;
    for (rel, text) in read_sources() {
        for (name, lines) in function_lengths(&module_of(&rel), &without_tests(lex(&text))) {
            seen += 1;
            if lines > MAX_FUNCTION_LINES {
                long.insert(name, lines);
            }
        }
    }
    assert!(seen > 100, "only {seen} functions found in src/");
    let long: Vec<String> = long
        .iter()
        .map(|(name, lines)| format!("{name} ({lines} lines)"))
        .collect();
    assert!(long.is_empty(), "longer than {MAX_FUNCTION_LINES} lines: {long:?}");
}

#[test]
fn the_length_reader_names_functions_by_type_and_counts_their_lines() {
    let src = "impl<T: Clone> fmt::Display for Wrapper<T> {\n    fn fmt(&self) {\n        x();\n    }\n}\nfn free(a: [u8; 2]) -> u8 {\n    let s = \"}\";\n    0\n}\ntrait T {\n    fn declared(&self);\n}\n#[cfg(test)]\nmod tests {\n    fn hidden() {}\n}\n";
    let found = function_lengths("m", &without_tests(lex(src)));
    assert_eq!(found, [("m::Wrapper::fmt".to_string(), 3), ("m::free".to_string(), 4)]);
}
