// Read every feed.json under FEEDS with feedsmith and check JSON Feed 1.1's
// required fields; read every rss.xml with feedsmith too and compare it with
// its JSON Feed twin (same item links, same images as media:content).
//
// Usage: node check_jsonfeed.mjs FEEDS NODE_MODULES
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { pathToFileURL } from "node:url";

const [feedsDir, modules] = process.argv.slice(2);
const { parseJsonFeed, parseRssFeed } = await import(
    pathToFileURL(join(modules, "feedsmith", "dist", "index.mjs")).href
);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const problems = [];
const walk = (dir) =>
    readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? walk(path) : [path];
    });

let jsonFeeds = 0;
let images = 0;
for (const path of walk(feedsDir).filter((p) => p.endsWith("/feed.json")).sort()) {
    jsonFeeds++;
    const rel = relative(feedsDir, path);
    const raw = JSON.parse(readFileSync(path, "utf8"));
    if (raw.version !== "https://jsonfeed.org/version/1.1") problems.push(`${rel}: version is ${raw.version}`);
    let feed;
    try {
        feed = parseJsonFeed(raw);
    } catch (e) {
        problems.push(`${rel}: feedsmith refuses it: ${e.message}`);
        continue;
    }
    if (!feed.title) problems.push(`${rel}: no title`);
    if (!feed.feed_url?.startsWith("http")) problems.push(`${rel}: feed_url ${feed.feed_url}`);
    if (!Array.isArray(feed.items) || feed.items.length !== raw.items.length) {
        problems.push(`${rel}: feedsmith sees ${feed.items?.length} items, the file has ${raw.items.length}`);
        continue;
    }
    for (const item of feed.items) {
        if (typeof item.id !== "string" || !item.id) problems.push(`${rel}: an item without id`);
        if (typeof item.content_html !== "string" && typeof item.content_text !== "string")
            problems.push(`${rel}: ${item.id} has neither content_html nor content_text`);
        if (!RFC3339.test(item.date_published ?? "")) problems.push(`${rel}: ${item.id} date ${item.date_published}`);
        if (item.image) images++;
    }
    // The RSS twin, read by the same library: same links, same images.
    const rssPath = join(dirname(path), "rss.xml");
    if (!existsSync(rssPath)) continue;
    const rss = parseRssFeed(readFileSync(rssPath, "utf8"));
    const rssItems = rss.items ?? [];
    const jsonLinks = feed.items.map((i) => i.url).join("\n");
    const rssLinks = rssItems.map((i) => i.link).join("\n");
    if (jsonLinks !== rssLinks) problems.push(`${rel}: items differ from rss.xml's`);
    rssItems.forEach((item, n) => {
        const want = feed.items[n]?.image;
        const content = item.media?.contents?.[0]?.url;
        const thumb = item.media?.thumbnails?.[0]?.url;
        if (want !== content || want !== thumb)
            problems.push(`${rel}: item ${n} image ${want}, rss.xml media:content ${content}, media:thumbnail ${thumb}`);
    });
    if (feed.icon && rss.image?.url !== feed.icon) problems.push(`${rel}: rss.xml <image> ${rss.image?.url}, icon ${feed.icon}`);
}
if (jsonFeeds === 0) problems.push(`no feed.json under ${feedsDir}`);
if (images === 0) problems.push("no JSON Feed item has an image: the check saw none of them");
for (const p of problems) console.error(`jsonfeed: ${p}`);
console.error(`jsonfeed: ${jsonFeeds} JSON Feeds read by feedsmith, ${images} item images, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
