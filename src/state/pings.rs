//! The feeds waiting for a WebSub ping: the public URL of every feed file a
//! build changed, kept in feedgen's state until `feedgen ping` has told the
//! hub about it. Builds add to the list; a ping removes what the hub took.

use std::collections::BTreeSet;

use anyhow::Result;

use crate::output::Output;

/// File of the list, in feedgen's state (next to the rebuild index).
pub const FILE: &str = "ping";

/// The feed URLs not yet pinged, sorted.
pub fn pending(output: &Output) -> BTreeSet<String> {
    let bytes = output.read_state(FILE).unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Replace the list with `urls` (an empty list removes the file).
pub fn save(output: &Output, urls: &BTreeSet<String>) -> Result<()> {
    if urls.is_empty() {
        return output.remove_state(FILE);
    }
    let mut text = String::new();
    for url in urls {
        text.push_str(url);
        text.push('\n');
    }
    output.write_state(FILE, text.as_bytes())
}

/// Add the URLs of feeds a build changed.
pub fn add(output: &Output, changed: impl IntoIterator<Item = String>) -> Result<()> {
    let mut urls = pending(output);
    let before = urls.len();
    urls.extend(changed);
    if urls.len() == before {
        return Ok(());
    }
    save(output, &urls)
}
