//! `feedgen ping` against a hub on 127.0.0.1: a receiver in the test that
//! checks every request against the publish rules hubs follow (WebSub /
//! PubSubHubbub 0.4: a `POST` with an `application/x-www-form-urlencoded`
//! body holding `hub.mode=publish` and one `hub.url` per feed), answers
//! with scripted statuses, and records what it got. The form body is read
//! with the `url` crate's parser, not feedgen's writer.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{feed_files, feeds, finish, output_tree, read_atom, read_rss, run, Site, HANG_GUARD};

/// One request as the hub saw it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    content_type: String,
    mode: Vec<String>,
    urls: Vec<String>,
    /// Other form keys (there must be none).
    other: Vec<String>,
}

/// A hub on 127.0.0.1 answering with `statuses` in turn (the last one
/// forever after).
struct Hub {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Hub {
    fn start(statuses: &[u16]) -> Hub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hub", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let statuses = statuses.to_vec();
        thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                seen.lock().expect("lock").push(request);
                let status = statuses[n.min(statuses.len() - 1)];
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Hub { url, requests }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let (mut length, mut content_type) = (0usize, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "content-type" => content_type = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (mut mode, mut urls, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "hub.mode" => mode.push(v.into_owned()),
            "hub.url" => urls.push(v.into_owned()),
            _ => other.push(k.into_owned()),
        }
    }
    Some(Request {
        method,
        path,
        content_type,
        mode,
        urls,
        other,
    })
}

/// Every request follows the publish rules.
#[track_caller]
fn assert_publish(requests: &[Request], batch: usize) {
    assert!(!requests.is_empty());
    for r in requests {
        assert_eq!(r.method, "POST", "{r:?}");
        assert_eq!(r.path, "/hub", "{r:?}");
        assert_eq!(r.content_type, "application/x-www-form-urlencoded", "{r:?}");
        assert_eq!(r.mode, vec!["publish"], "{r:?}");
        assert!(r.other.is_empty(), "{r:?}");
        assert!((1..=batch).contains(&r.urls.len()), "batch of {batch}: {r:?}");
    }
}

/// The self links every feed file under `out` declares.
fn self_links(out: &Path) -> BTreeSet<String> {
    feed_files(out).iter().map(|rel| self_link(&out.join(rel))).collect()
}

/// The self link of the RSS or Atom feed at `path`.
fn self_link(path: &Path) -> String {
    if path.ends_with("rss.xml") {
        let channel = read_rss(path);
        let ext = channel.atom_ext().expect("atom:link");
        ext.links()
            .iter()
            .find(|l| l.rel() == "self")
            .expect("self")
            .href()
            .to_string()
    } else {
        let feed = read_atom(path);
        feed.links()
            .iter()
            .find(|l| l.rel() == "self")
            .expect("self")
            .href()
            .to_string()
    }
}

fn site_with_hub(hub: &str) -> Site {
    let site = Site::new();
    site.config(&format!(
        "feedgen:\n  hub: {hub}\n  ping: {{batch: 2, timeout: 5s, retries: 1}}\n"
    ));
    for (i, category) in ["alpha", "上海·证券", "gamma"].iter().enumerate() {
        site.put(
            &format!("_posts/2022-03-01-p{i}.md"),
            format!("---\ntitle: p{i}\ndate: 2022-03-01 10:0{i}:00 +0800\ncategories: {category}\n---\n\nx\n"),
        );
    }
    site
}

/// `feedgen ping` on the site, with no proxy from the environment.
fn ping_command(site: &Site) -> Command {
    let mut cmd = site.command(&["ping", "--content", "content", "--output", "out"]);
    for proxy in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(proxy);
    }
    cmd
}

fn ping(site: &Site) -> crate::harness::Run {
    run(&mut ping_command(site))
}

#[test]
fn ping_publishes_every_changed_feed_in_batches_and_retries_5xx() {
    // The second request gets a 503 and is retried; the rest are accepted.
    let hub = Hub::start(&[204, 503, 204]);
    let site = site_with_hub(&hub.url);
    site.build(&[]).expect_code(0);
    let all = self_links(&site.out());
    assert_eq!(all.len(), 8, "site + 3 categories, RSS and Atom");

    let run = ping(&site).expect_code(0);
    let requests = hub.requests();
    assert_publish(&requests, 2);
    // 8 URLs in batches of 2, one batch sent twice.
    assert_eq!(requests.len(), 5, "{requests:?}");
    assert_eq!(requests[1].urls, requests[2].urls, "the 503'd batch is retried");
    let pinged: BTreeSet<String> = requests.iter().flat_map(|r| r.urls.clone()).collect();
    assert_eq!(pinged, all, "hub.url values are the feeds' own URLs");
    assert!(
        pinged.iter().any(|u| u.contains("%C2%B7")),
        "percent-encoded: {pinged:?}"
    );
    assert!(run.stderr.contains("8 feeds accepted, 0 failed"), "{}", run.stderr);

    // Nothing changed since: nothing to ping.
    let run = ping(&site).expect_code(0);
    assert_eq!(hub.requests().len(), 5);
    assert!(run.stderr.contains("no changed feeds"), "{}", run.stderr);

    // One post changes: only its category's feeds and the site's.
    site.edit("_posts/2022-03-01-p2.md", "title: p2", "title: p2 changed");
    site.build(&[]).expect_code(0);
    ping(&site).expect_code(0);
    let last: BTreeSet<String> = hub.requests()[5..].iter().flat_map(|r| r.urls.clone()).collect();
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|u| u.contains("/gamma/") || !u.contains("/category/"))
        .cloned()
        .collect();
    assert_eq!(last, expected);
}

#[test]
fn a_failed_ping_exits_3_keeps_the_list_and_never_touches_the_feeds() {
    let down = Hub::start(&[500]);
    let site = site_with_hub(&down.url);
    site.build(&[]).expect_code(0);
    let before = output_tree(&site.out());
    let all = self_links(&site.out());

    let run = ping(&site).expect_code(3);
    // Every batch tried twice (retries: 1), then given up.
    let requests = down.requests();
    assert_publish(&requests, 2);
    assert_eq!(requests.len(), 8, "{requests:?}");
    assert!(
        run.stderr.contains(&format!(
            "{}: error: publish of 2 feed URLs failed after 2 attempts: the hub answered HTTP 500",
            down.url
        )),
        "{}",
        run.stderr
    );
    assert_eq!(output_tree(&site.out()), before, "a failed ping changes nothing");

    // A 4xx is not retried; the list is still whole.
    let refusing = Hub::start(&[400]);
    site.config(&format!(
        "feedgen:\n  hub: {}\n  ping: {{batch: 100, retries: 3}}\n",
        refusing.url
    ));
    ping(&site).expect_code(3);
    assert_eq!(refusing.requests().len(), 1);
    assert_eq!(
        refusing.requests()[0].urls.iter().cloned().collect::<BTreeSet<_>>(),
        all
    );

    // A hub nobody listens on: exit 3 as well.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/hub", l.local_addr().expect("addr"))
    };
    site.config(&format!(
        "feedgen:\n  hub: {closed}\n  ping: {{retries: 0, timeout: 2s}}\n"
    ));
    ping(&site).expect_code(3);

    // The next working hub gets every feed the failed pings kept.
    let up = Hub::start(&[202]);
    site.config(&format!("feedgen:\n  hub: {}\n", up.url));
    ping(&site).expect_code(0);
    let pinged: BTreeSet<String> = up.requests().iter().flat_map(|r| r.urls.clone()).collect();
    assert_eq!(pinged, all);
    assert_publish(&up.requests(), 50);
}

#[test]
fn ping_without_a_hub_is_a_configuration_error() {
    let site = Site::new();
    site.config("");
    site.put(
        "_posts/2022-03-01-a.md",
        "---\ntitle: a\ndate: 2022-03-01 10:00:00 +0800\n---\n\nx\n",
    );
    site.build(&[]).expect_code(0);
    let run = ping(&site).expect_code(2);
    assert!(run.stderr.contains("`feedgen.hub` is not set"), "{}", run.stderr);
}

/// A server on 127.0.0.1 that answers every request with a `302` to
/// `location`, and counts the requests it got.
fn redirecting_hub(location: &str) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hub", listener.local_addr().expect("addr"));
    let count = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&count);
    let location = location.to_string();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if read_request(&mut stream).is_none() {
                continue;
            }
            *seen.lock().expect("lock") += 1;
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, count)
}

#[test]
fn a_redirect_is_never_followed_and_keeps_the_list() {
    // The hub sends the publish elsewhere; that other server would accept.
    let elsewhere = Hub::start(&[200]);
    let (hub, redirected) = redirecting_hub(&elsewhere.url);
    let site = site_with_hub(&hub);
    site.build(&[]).expect_code(0);
    let all = self_links(&site.out());

    let run = ping(&site).expect_code(3);
    assert!(
        run.stderr.contains(&format!(
            "{hub}: error: publish of 2 feed URLs failed after 1 attempts: the hub answered 302 (a redirect, not followed)"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("0 feeds accepted, 8 failed"), "{}", run.stderr);
    assert_eq!(
        *redirected.lock().expect("lock"),
        4,
        "every batch sent once, never retried"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect's target got {:?}",
        elsewhere.requests()
    );

    // Every URL is still waiting: the next hub that accepts gets them all.
    let up = Hub::start(&[204]);
    site.config(&format!("feedgen:\n  hub: {}\n", up.url));
    ping(&site).expect_code(0);
    let pinged: BTreeSet<String> = up.requests().iter().flat_map(|r| r.urls.clone()).collect();
    assert_eq!(pinged, all);
}

/// A server on 127.0.0.1 that accepts connections and never answers; it
/// counts them and keeps them open.
fn silent_hub() -> (String, Arc<Mutex<Vec<std::net::TcpStream>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hub", listener.local_addr().expect("addr"));
    let held = Arc::new(Mutex::new(Vec::new()));
    let streams = Arc::clone(&held);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            streams.lock().expect("lock").push(stream);
        }
    });
    (url, held)
}

#[test]
fn a_hub_that_never_answers_ends_the_run_after_three_requests_and_keeps_every_url() {
    let (hub, connections) = silent_hub();
    let site = site_with_hub(&hub);
    // 8 feed URLs, one a batch: 8 batches of up to 2 attempts of 1 s each.
    site.config(&format!(
        "feedgen:\n  hub: {hub}\n  ping: {{batch: 1, timeout: 1s, retries: 1}}\n"
    ));
    site.build(&[]).expect_code(0);
    let all = self_links(&site.out());

    let run = ping(&site).expect_code(3);
    // Two attempts of the first batch, one of the second, then the stop.
    assert_eq!(connections.lock().expect("lock").len(), 3);
    // README's bound: 3 × timeout + the pauses (0.4 s here), with room for
    // a loaded machine; without the stop this run takes 8 × 2.4 s.
    assert!(run.elapsed < Duration::from_secs(12), "{:?}", run.elapsed);
    assert!(
        run.stderr.contains(&format!(
            "{hub}: error: no answer to 3 requests in a row; stopped, 6 feed URLs not tried are kept for the next `feedgen ping`"
        )),
        "{}",
        run.stderr
    );

    let up = Hub::start(&[204]);
    site.config(&format!("feedgen:\n  hub: {}\n", up.url));
    ping(&site).expect_code(0);
    let pinged: BTreeSet<String> = up.requests().iter().flat_map(|r| r.urls.clone()).collect();
    assert_eq!(pinged, all, "every URL was kept");
}

/// A hub that holds its first request until `release` is called (or 30 s
/// pass), then accepts everything.
fn slow_hub() -> (Hub, std::sync::mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hub", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let (release, released) = std::sync::mpsc::channel::<()>();
    thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let Some(request) = read_request(&mut stream) else {
                continue;
            };
            seen.lock().expect("lock").push(request);
            if n == 0 {
                let _ = released.recv_timeout(Duration::from_secs(30));
            }
            let _ = write!(
                stream,
                "HTTP/1.1 204 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (Hub { url, requests }, release)
}

#[test]
fn a_build_runs_while_a_ping_waits_for_the_hub_and_its_urls_stay_in_the_list() {
    let (hub, release) = slow_hub();
    let site = site_with_hub(&hub.url);
    site.config(&format!(
        "feedgen:\n  hub: {}\n  ping: {{batch: 2, timeout: 60s, retries: 0}}\n",
        hub.url
    ));
    site.build(&[]).expect_code(0);
    let all = self_links(&site.out());

    let started = Instant::now();
    let mut pinging = ping_command(&site)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start feedgen ping");
    // Wait (bounded) until the ping is blocked on the hub.
    while hub.requests().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the ping never reached the hub"
        );
        thread::sleep(Duration::from_millis(10));
    }

    // A build meanwhile: it changes the site's and gamma's feeds again.
    site.edit("_posts/2022-03-01-p2.md", "title: p2", "title: p2 changed");
    site.build(&[]).expect_code(0);
    assert!(
        pinging.try_wait().expect("wait").is_none(),
        "the build waited for the ping to finish"
    );
    assert_eq!(hub.requests().len(), 1, "the hub still holds the first request");

    release.send(()).expect("release the hub");
    let run = finish(pinging, started).expect_code(0);
    assert!(run.stderr.contains("8 feeds accepted, 0 failed"), "{}", run.stderr);
    let first: BTreeSet<String> = hub.requests().iter().flat_map(|r| r.urls.clone()).collect();
    assert_eq!(first, all);

    // What the build added during the ping is still waiting, although the
    // hub accepted the same URLs for the earlier change.
    let next = Hub::start(&[204]);
    site.config(&format!("feedgen:\n  hub: {}\n", next.url));
    ping(&site).expect_code(0);
    let pinged: BTreeSet<String> = next.requests().iter().flat_map(|r| r.urls.clone()).collect();
    let changed: BTreeSet<String> = all
        .iter()
        .filter(|u| u.contains("/gamma/") || !u.contains("/category/"))
        .cloned()
        .collect();
    assert_eq!(changed.len(), 4);
    assert_eq!(pinged, changed);

    // A ping killed while the hub holds its request loses nothing: the
    // next ping takes what it had taken. (Every feed changes in this
    // build: each advertises the hub, and the hub is another one now.)
    site.build(&[]).expect_code(0);
    let (stuck, _release) = slow_hub();
    site.config(&format!("feedgen:\n  hub: {}\n  ping: {{timeout: 60s}}\n", stuck.url));
    let started = Instant::now();
    let mut pinging = ping_command(&site)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start feedgen ping");
    while stuck.requests().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the ping never reached the hub"
        );
        thread::sleep(Duration::from_millis(10));
    }
    pinging.kill().expect("kill feedgen ping");
    pinging.wait().expect("wait for feedgen ping");
    let last = Hub::start(&[204]);
    site.config(&format!("feedgen:\n  hub: {}\n", last.url));
    ping(&site).expect_code(0);
    let pinged: BTreeSet<String> = last.requests().iter().flat_map(|r| r.urls.clone()).collect();
    assert_eq!(pinged, all);
}

// ---- The ping list is written ahead of the feeds (issue 23, item 3) ----

/// The URLs waiting in the state's ping list.
fn ping_list(site: &Site) -> BTreeSet<String> {
    fs::read_to_string(site.state().join("ping"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The URLs of the feeds whose bytes in `now` differ from `before`
/// (new ones included).
fn changed_feeds(out: &Path, before: &BTreeMap<String, Vec<u8>>, now: &BTreeMap<String, Vec<u8>>) -> BTreeSet<String> {
    now.iter()
        .filter(|(rel, bytes)| before.get(*rel) != Some(*bytes))
        .map(|(rel, _)| self_link(&out.join(rel)))
        .collect()
}

/// A hub address nothing listens on: these tests never ping.
const NO_HUB: &str = "http://127.0.0.1:9/hub";

#[test]
fn a_build_that_fails_after_publishing_some_feeds_keeps_them_in_the_ping_list() {
    for fsync in [true, false] {
        a_build_fails_after_publishing_some_feeds(fsync);
    }
}

fn a_build_fails_after_publishing_some_feeds(fsync: bool) {
    let site = site_with_hub(NO_HUB);
    site.config(&format!("feedgen:\n  hub: {NO_HUB}\n  fsync: {fsync}\n"));
    site.build(&[]).expect_code(0);
    fs::remove_file(site.state().join("ping")).expect("the first build queued every feed");
    let before = feeds(&site.out());

    // Two posts change: the site's, alpha's and gamma's feeds with them.
    // gamma's Atom feed cannot be written (a folder sits at its temporary
    // name), so the build fails after the other feeds are in place.
    site.edit("_posts/2022-03-01-p0.md", "title: p0", "title: p0 changed");
    site.edit("_posts/2022-03-01-p2.md", "title: p2", "title: p2 changed");
    let blocker = site.out().join("category/gamma/.atom.xml.tmp");
    fs::create_dir_all(blocker.join("x")).expect("blocking folder");
    let run = site.build(&[]);
    assert!(run.code.is_some_and(|c| c != 0), "the build fails: {}", run.stderr);
    let now = feeds(&site.out());
    let changed = changed_feeds(&site.out(), &before, &now);
    assert_eq!(changed.len(), 5, "site, alpha, gamma's RSS: {changed:?}");
    let queued = ping_list(&site);
    assert!(
        changed.is_subset(&queued),
        "feeds changed but not queued for a ping: {:?}",
        changed.difference(&queued).collect::<Vec<_>>()
    );

    // Once it can be written, the next build queues gamma's Atom feed too.
    fs::remove_dir_all(&blocker).expect("unblock");
    site.build(&[]).expect_code(0);
    let changed = changed_feeds(&site.out(), &before, &feeds(&site.out()));
    assert_eq!(changed.len(), 6);
    assert_eq!(ping_list(&site), changed, "every changed feed, and no other");
}

/// `posts` posts in `categories` categories; `edition` in every title, so
/// two editions differ in every feed.
fn generate(site: &Site, (posts, categories): (usize, usize), edition: &str, fsync: bool) {
    site.config(&format!("feedgen:\n  hub: {NO_HUB}\n  limit: 5\n  fsync: {fsync}\n"));
    let body = "The market moved and traders reacted to the news of the day.\n\n".repeat(20);
    for i in 0..posts {
        site.put(
            &format!("_posts/2024-03-{:02}-post{i:05}.md", 1 + i % 28),
            format!(
                "---\ntitle: \"Post {i}, {edition} edition\"\ndate: 2024-03-{:02} {:02}:{:02}:00 +0800\ncategories: cat{:03}\n---\n{body}",
                1 + i % 28,
                i % 24,
                i % 60,
                i % categories
            ),
        );
    }
}

/// Start a build and SIGKILL it once `replaced` of the feeds in `before`
/// have new bytes (or once it ends). Returns how many had new bytes then.
fn build_and_kill_after(site: &Site, before: &BTreeMap<String, Vec<u8>>, replaced: usize) -> usize {
    let mut child = site
        .command(&["--content", "content", "--output", "out", "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start feedgen");
    let started = Instant::now();
    let new = || {
        before
            .iter()
            .filter(|(rel, bytes)| fs::read(site.out().join(rel)).is_ok_and(|b| b != **bytes))
            .count()
    };
    while child.try_wait().expect("poll feedgen").is_none() && new() < replaced {
        assert!(started.elapsed() < HANG_GUARD, "feedgen hangs");
        thread::sleep(Duration::from_millis(1));
    }
    // `Child::kill` sends SIGKILL on Unix: no handler, no clean-up.
    let _ = child.kill();
    child.wait().expect("reap feedgen");
    new()
}

#[test]
fn a_build_killed_at_any_moment_never_loses_a_changed_feed_to_ping() {
    let site = Site::new();
    generate(&site, (600, 200), "first", true);
    site.build(&[]).expect_code(0);
    let total = feeds(&site.out()).len();
    assert!(total > 400, "{total} feeds: more than one batch of 256");

    let mut mixed = 0;
    for (n, replaced) in [1, total / 4, total / 2, total * 3 / 4, total - 1]
        .into_iter()
        .enumerate()
    {
        let before = feeds(&site.out());
        let _ = fs::remove_file(site.state().join("ping"));
        // With and without `fsync` (which changes when files are renamed).
        generate(&site, (600, 200), &format!("edition {n}"), n % 2 == 0);
        let new = build_and_kill_after(&site, &before, replaced);
        mixed += usize::from(new > 0 && new < total);
        // The next build completes what the killed one left.
        site.build(&[]).expect_code(0);
        let changed = changed_feeds(&site.out(), &before, &feeds(&site.out()));
        assert_eq!(changed.len(), total, "every feed changes with the edition");
        let queued = ping_list(&site);
        let lost: Vec<&String> = changed.difference(&queued).collect();
        assert!(
            lost.is_empty(),
            "killed after {new} of {total} feeds changed: {} changed feeds never queued, e.g. {:?}",
            lost.len(),
            lost.first()
        );
    }
    assert!(mixed >= 2, "only {mixed} of 5 kills left a mix of old and new feeds");
}

#[test]
fn a_state_folder_that_cannot_be_written_says_the_pings_are_lost() {
    // Root ignores permission bits: a state folder under a plain file
    // cannot be created by anyone (as in a read-only checkout).
    let site = site_with_hub(NO_HUB);
    crate::harness::put(site.root(), "not-a-folder", "");
    let lost = "; with `feedgen.hub` set, the feeds this build changes cannot be queued for `feedgen ping`: their pings are lost";
    for (hub, says_lost) in [(format!("hub: {NO_HUB}\n  "), true), (String::new(), false)] {
        site.config(&format!("feedgen:\n  {hub}state_dir: ../not-a-folder/state\n"));
        let run = site.build(&[]).expect_code(0);
        let warning = run
            .diagnostics()
            .into_iter()
            .find(|l| l.contains(": warning: cannot write the state folder ("))
            .unwrap_or_else(|| panic!("no warning: {}", run.stderr))
            .to_string();
        assert_eq!(warning.ends_with(lost), says_lost, "{warning}");
    }
    site.config(&format!(
        "feedgen:\n  hub: {NO_HUB}\n  state_dir: ../not-a-folder/state\n"
    ));
    let run = ping(&site).expect_code(2);
    assert!(
        run.stderr.contains("the list of feeds to ping lives there"),
        "{}",
        run.stderr
    );
}

#[test]
fn ping_takes_the_list_from_the_state_folder_a_build_named_with_state() {
    let hub = Hub::start(&[204]);
    let site = site_with_hub(&hub.url);
    site.build(&["--state", "cache/feedgen"]).expect_code(0);
    let all = self_links(&site.out());
    let run = run(ping_command(&site).args(["--state", "cache/feedgen"])).expect_code(0);
    assert!(run.stderr.contains("8 feeds accepted, 0 failed"), "{}", run.stderr);
    let pinged: BTreeSet<String> = hub.requests().iter().flat_map(|r| r.urls.clone()).collect();
    assert_eq!(pinged, all);
    assert!(
        !site.path("cache/feedgen/ping").exists(),
        "the accepted URLs left the list"
    );
}
