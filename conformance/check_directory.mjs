// The feed directory in headless Chromium. Usage:
//   node check_directory.mjs SITE NODE_MODULES WORK
// SITE is an output folder (index.html, feeds.json, the feeds); it is
// served on 127.0.0.1 by a small static server here.
import { createServer } from "node:http";
import { readFileSync, statSync, mkdtempSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";

const [site, modules, work] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(join(modules, "playwright-core", "index.mjs")).href);
const problems = [];
const fail = (m) => problems.push(m);

// A static server for SITE only: percent-decoded paths, nothing outside it.
const server = createServer((req, res) => {
    let path;
    try {
        path = normalize(join(site, decodeURIComponent(new URL(req.url, "http://x").pathname)));
    } catch {
        res.writeHead(400).end();
        return;
    }
    if (!(path + sep).startsWith(normalize(site) + sep) && path !== normalize(site)) {
        res.writeHead(403).end();
        return;
    }
    try {
        if (statSync(path).isDirectory()) path = join(path, "index.html");
        const type = path.endsWith(".html") ? "text/html; charset=utf-8" : path.endsWith(".json") ? "application/json" : "application/xml";
        res.writeHead(200, { "content-type": type }).end(readFileSync(path));
    } catch {
        res.writeHead(404).end();
    }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const index = JSON.parse(readFileSync(join(site, "feeds.json"), "utf8"));
const feeds = index.feeds;
const formats = Object.keys(feeds[0].urls).length;

const launch = (javaScriptEnabled) =>
    chromium.launchPersistentContext(mkdtempSync(join(work, "chromium-profile-")), {
        executablePath: "/usr/bin/chromium",
        headless: true,
        javaScriptEnabled,
        viewport: { width: 1100, height: 900 },
        args: [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    });

try {
    // With JavaScript: links, filter, screenshot.
    const context = await launch(true);
    const page = await context.newPage();
    const outside = [];
    page.on("request", (r) => {
        if (!r.url().startsWith(origin)) outside.push(r.url());
    });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const response = await page.goto(`${origin}/index.html`);
    if (response.status() !== 200) fail(`index.html answered ${response.status()}`);
    const rows = page.locator("tbody tr");
    if ((await rows.count()) !== feeds.length) fail(`${await rows.count()} rows for ${feeds.length} feeds`);
    const links = await page.$$eval("tbody a[type]", (as) => as.map((a) => a.href));
    if (links.length !== feeds.length * formats) fail(`${links.length} subscribe links, want ${feeds.length * formats}`);
    let resolved = 0;
    for (const href of links) {
        const r = await page.request.get(href);
        if (r.status() === 200) resolved++;
        else fail(`${href} answered ${r.status()}`);
    }
    await page.screenshot({ path: join(work, "directory.png"), fullPage: true });
    const filter = page.locator("#q");
    if (!(await filter.isVisible())) fail("the filter box is not shown with JavaScript");
    // Type a display name: only its row stays.
    const named = feeds.find((f) => f.kind === "category" && f.display_name !== f.name) ?? feeds[1];
    await filter.fill(named.display_name, { timeout: 5000 });
    const visible = await page.locator("tbody tr:visible").count();
    const want = feeds.filter((f) =>
        (f.kind === "site" ? f.title : f.display_name + (f.display_name !== f.name ? " " + f.name : ""))
            .toLowerCase()
            .includes(named.display_name.toLowerCase()),
    ).length;
    if (visible !== want || visible < 1) fail(`filter "${named.display_name}": ${visible} rows visible, want ${want}`);
    const shown = await page.locator("#shown").textContent();
    if (Number(shown) !== visible) fail(`the count says ${shown}, ${visible} rows are visible`);
    await page.screenshot({ path: join(work, "directory-filtered.png") });
    const groups = await page.locator("section:visible").count();
    const wantGroups = new Set(feeds.filter((f) => f.display_name === named.display_name || f.title.endsWith(named.display_name)).map((f) => f.kind)).size;
    if (groups > visible || groups < 1) fail(`filter: ${groups} groups shown for ${visible} rows (want about ${wantGroups})`);
    await filter.fill("no feed is called this");
    if ((await page.locator("tbody tr:visible").count()) !== 0) fail("a filter matching nothing leaves rows");
    await filter.fill("");
    if ((await page.locator("tbody tr:visible").count()) !== feeds.length) fail("clearing the filter does not bring every row back");
    if (outside.length) fail(`the page asked for outside resources: ${outside.join(" ")}`);
    if (errors.length) fail(`script errors: ${errors.join("; ")}`);
    console.error(`directory: ${feeds.length} feeds, ${resolved}/${links.length} subscribe links answer 200, filter "${named.display_name}" leaves ${visible}`);
    await context.close();

    // Without JavaScript: every feed is listed and visible, the box is hidden.
    const plain = await launch(false);
    const page2 = await plain.newPage();
    await page2.goto(`${origin}/index.html`);
    const plainRows = await page2.locator("tbody tr:visible").count();
    if (plainRows !== feeds.length) fail(`without JavaScript ${plainRows} rows are visible, want ${feeds.length}`);
    if (await page2.locator("#q").isVisible()) fail("without JavaScript a filter box that cannot work is shown");
    const text = await page2.locator("body").innerText();
    for (const f of feeds) {
        const name = f.kind === "site" ? f.title : f.display_name;
        if (!text.includes(name)) fail(`without JavaScript the page does not show ${name}`);
    }
    await plain.close();
} finally {
    server.close();
}
for (const p of problems) console.error(`directory: ${p}`);
process.exit(problems.length ? 1 : 0);
