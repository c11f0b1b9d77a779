//! The feeds waiting for a WebSub ping: the public URL of every feed file a
//! build changed, kept in feedgen's state until `feedgen ping` has told the
//! hub about it. Builds add to the list ahead of the change, before the
//! feeds are put in place (see `Commit::publish`), so a killed or failing
//! build never loses a feed to ping; a ping takes it (under the lock),
//! sends without the lock, then settles (under the lock again): what the
//! hub did not accept goes back, next to what builds added meanwhile.

use std::collections::BTreeSet;

use anyhow::Result;

use crate::output::Output;

/// File of the list, in feedgen's state (next to the rebuild index).
pub const FILE: &str = "ping";
/// The URLs a `feedgen ping` took and is sending. A ping killed while
/// sending leaves it, and the next ping takes it again: nothing is lost.
pub const SENDING: &str = "ping.sending";

/// The feed URLs not yet pinged, sorted.
pub fn pending(output: &Output) -> BTreeSet<String> {
    read(output, FILE)
}

fn read(output: &Output, name: &str) -> BTreeSet<String> {
    // A file of the user's at the list's name is never sent to the hub.
    if output.is_foreign_state(name) {
        return BTreeSet::new();
    }
    let bytes = output.read_state(name).unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn write(output: &Output, name: &str, urls: &BTreeSet<String>) -> Result<()> {
    if urls.is_empty() {
        return output.remove_state(name);
    }
    let mut text = String::new();
    for url in urls {
        text.push_str(url);
        text.push('\n');
    }
    output.write_state(name, text.as_bytes())
}

/// Replace the list with `urls` (an empty list removes the file).
fn save(output: &Output, urls: &BTreeSet<String>) -> Result<()> {
    write(output, FILE, urls)
}

/// Add the URLs of feeds a build is about to change (atomically; with
/// `fsync`, the file's bytes on disk before its rename).
pub fn add(output: &Output, changed: impl IntoIterator<Item = String>) -> Result<()> {
    let mut urls = pending(output);
    let before = urls.len();
    urls.extend(changed);
    if urls.len() == before {
        return Ok(());
    }
    save(output, &urls)
}

/// Take the list for sending (with the lock held): the list and whatever
/// an earlier ping left unsettled move to [`SENDING`], and the list starts
/// empty, so that a URL a build adds while the ping sends is kept apart
/// from the same URL the ping is sending. Returns the URLs taken.
pub fn take(output: &Output) -> Result<BTreeSet<String>> {
    let mut taken = read(output, SENDING);
    let waiting = pending(output);
    if waiting.is_empty() {
        return Ok(taken);
    }
    taken.extend(waiting);
    // Written before the list is emptied: a kill between the two leaves
    // the URLs in both, never in neither.
    write(output, SENDING, &taken)?;
    save(output, &BTreeSet::new())?;
    Ok(taken)
}

/// Settle a ping (with the lock held again): the URLs it `took` that the
/// hub did not accept go back to the list, next to those builds added
/// since. [`SENDING`] is removed only if it is still this ping's: when
/// another ping took the list since, it is that ping's to settle.
pub fn settle(output: &Output, took: &BTreeSet<String>, accepted: &BTreeSet<String>) -> Result<()> {
    let mut urls = pending(output);
    urls.extend(took.difference(accepted).cloned());
    save(output, &urls)?;
    if read(output, SENDING) == *took {
        output.remove_state(SENDING)?;
    }
    Ok(())
}
