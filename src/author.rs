//! A person named in front matter or the site configuration: read by
//! `content` and `config`, written by the renderers and the item cache. A
//! leaf, so each of them can name it without importing the others.

/// A person named in front matter or the site configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Author {
    pub name: String,
    pub email: Option<String>,
    pub uri: Option<String>,
}
