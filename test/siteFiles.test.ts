/**
 * components/siteFiles.ts on temporary trees: what a platform will upload for a site (keys,
 * content types, Cache-Control, digests), in a deterministic order, and what it refuses.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  cacheControlFor,
  contentTypeOf,
  contentTypes,
  fileClassOf,
  hasContentHash,
  listSiteFiles,
  maxKeyBytes,
  siteFiles,
  SiteFilesError,
  unknownContentType,
  type SiteCachePolicy,
} from "../components/siteFiles";

/** The schema's defaults (schema.ts `cache`). */
const defaults: SiteCachePolicy = { html: 60, assets: 3600, hashedAssets: 31536000 };

/** A temporary directory holding `files` (path -> content), removed after the test. */
function tree(files: Record<string, string | Buffer>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "site-files-"));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
  return root;
}

const made: string[] = [];
const temp = (files: Record<string, string | Buffer>) => {
  const dir = tree(files);
  made.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

describe("site files: content types from one table", function () {
  const expected: [string, string][] = [
    ["index.html", "text/html; charset=utf-8"],
    ["old.htm", "text/html; charset=utf-8"],
    ["app.js", "text/javascript; charset=utf-8"],
    ["mod.mjs", "text/javascript; charset=utf-8"],
    ["style.css", "text/css; charset=utf-8"],
    ["logo.svg", "image/svg+xml"],
    ["engine.wasm", "application/wasm"],
    ["data.json", "application/json"],
    ["app.js.map", "application/json"],
    ["a.png", "image/png"],
    ["a.jpg", "image/jpeg"],
    ["a.jpeg", "image/jpeg"],
    ["a.gif", "image/gif"],
    ["a.webp", "image/webp"],
    ["a.avif", "image/avif"],
    ["favicon.ico", "image/vnd.microsoft.icon"],
    ["robots.txt", "text/plain; charset=utf-8"],
    ["sitemap.xml", "application/xml"],
    ["f.woff", "font/woff"],
    ["f.woff2", "font/woff2"],
    ["f.ttf", "font/ttf"],
    ["f.otf", "font/otf"],
  ];
  for (const [key, type] of expected) it(`${key} is ${type}`, () => assert.equal(contentTypeOf(key), type));

  it("reads the extension case-insensitively, and only the last one", function () {
    assert.equal(contentTypeOf("IMG/PHOTO.JPG"), "image/jpeg");
    assert.equal(contentTypeOf("App.JS"), "text/javascript; charset=utf-8");
    assert.equal(contentTypeOf("app.js.gz"), unknownContentType);
  });

  it("gives application/octet-stream to what it does not know, a dotfile and a name without an extension", function () {
    for (const key of ["archive.tar.zst", "LICENSE", ".well-known/apple-app-site-association", ".env", "a.constructor", "a.__proto__"]) {
      assert.equal(contentTypeOf(key), unknownContentType, key);
    }
  });

  it("gives every text type a charset, and no binary one", function () {
    for (const [ext, type] of Object.entries(contentTypes)) {
      const text = type.startsWith("text/");
      assert.equal(type.includes("charset=utf-8"), text, `${ext}: ${type}`);
    }
  });
});

describe("site files: what is hashed", function () {
  for (const key of ["app.3f9a1c2b.js", "app-3F9A1C2B.js", "assets/index-BdX3k9aZ.js", "main.3f9a1c2b5d6e7f80.chunk.js", "style.3f9a1c2b.css.map", "chunk-ABCD2345.mjs"]) {
    it(`${key} carries a content hash`, () => assert.equal(hasContentHash(key), true));
  }
  // Dates, words, versions and sizes are not hashes: kept an hour, not a year.
  for (const key of ["app.js", "report-20240101.js", "app.deadbeef.js", "app-settings.js", "jquery-3.7.1.min.js", "favicon-32x32.png", "3f9a1c2b.js", "app.3f9a1c2.js", "Logo.PNG", "icon-TEMPLATE.svg"]) {
    it(`${key} does not`, () => assert.equal(hasContentHash(key), false));
  }

  it("never treats HTML as hashed, whatever its name or the pattern", function () {
    assert.equal(fileClassOf("page.3f9a1c2b.html", defaults), "html");
    assert.equal(fileClassOf("INDEX.HTML", { ...defaults, hashPattern: "." }), "html");
  });

  it("uses hashPattern on the whole key instead of the name rule when set", function () {
    const next = { ...defaults, hashPattern: "^_next/static/" };
    assert.equal(fileClassOf("_next/static/chunks/main.js", next), "hashed");
    assert.equal(fileClassOf("app.3f9a1c2b.js", next), "asset");
  });
});

describe("site files: Cache-Control", function () {
  it("keeps HTML short and revalidated, hashed files a year and immutable, the rest an hour", function () {
    assert.equal(cacheControlFor("html", defaults), "public, max-age=60, must-revalidate");
    assert.equal(cacheControlFor("hashed", defaults), "public, max-age=31536000, immutable");
    assert.equal(cacheControlFor("asset", defaults), "public, max-age=3600");
  });

  it("says no-cache for 0 seconds (revalidated on every request)", function () {
    const none = { html: 0, assets: 0, hashedAssets: 0 };
    for (const c of ["html", "hashed", "asset"] as const) assert.equal(cacheControlFor(c, none), "no-cache");
  });
});

describe("site files: the walk", function () {
  it("lists every file by key in byte order, with type, caching, size and digest", function () {
    const dir = temp({
      "index.html": "<!doctype html>",
      "assets/app.3f9a1c2b.js": "console.log(1)",
      "assets/app.3f9a1c2b.css": "body{}",
      "robots.txt": "User-agent: *",
      "Zebra.txt": "z",
      "a/b/c/deep.json": "{}",
    });
    const files = siteFiles(dir, defaults);
    assert.deepEqual(
      files.map((f) => f.key),
      ["Zebra.txt", "a/b/c/deep.json", "assets/app.3f9a1c2b.css", "assets/app.3f9a1c2b.js", "index.html", "robots.txt"],
    );
    const js = files.find((f) => f.key === "assets/app.3f9a1c2b.js")!;
    assert.deepEqual(
      { type: js.contentType, cache: js.cacheControl, size: js.size, sha256: js.sha256, file: js.file },
      { type: "text/javascript; charset=utf-8", cache: "public, max-age=31536000, immutable", size: 14, sha256: sha256("console.log(1)"), file: path.join(fs.realpathSync(dir), "assets", "app.3f9a1c2b.js") },
    );
    assert.equal(files.find((f) => f.key === "index.html")!.cacheControl, "public, max-age=60, must-revalidate");
    assert.equal(files.find((f) => f.key === "robots.txt")!.cacheControl, "public, max-age=3600");
  });

  it("gives the same list for the same tree whatever order the files were written in", function () {
    const names = ["b.js", "a.js", "c/d.css", "A.js", "é.txt", "e.txt", "z/index.html", "index.html"];
    const one = temp(Object.fromEntries(names.map((n) => [n, n])));
    const two = temp(Object.fromEntries([...names].reverse().map((n) => [n, n])));
    const strip = (dir: string) => siteFiles(dir, defaults).map(({ file: _file, ...rest }) => rest);
    assert.deepEqual(strip(one), strip(two));
  });

  it("changes a file's digest with its content only (what a later upload compares)", function () {
    const dir = temp({ "index.html": "v1", "app.js": "same" });
    const before = siteFiles(dir, defaults);
    fs.writeFileSync(path.join(dir, "index.html"), "v2");
    const after = siteFiles(dir, defaults);
    assert.notEqual(after[1].sha256, before[1].sha256);
    assert.equal(after[0].sha256, before[0].sha256);
    assert.equal(after[1].sha256, sha256("v2"));
  });

  it("digests a file larger than one read (chunked)", function () {
    const big = Buffer.alloc((1 << 16) * 3 + 17, 7);
    const dir = temp({ "index.html": "x", "engine.wasm": big });
    const wasm = siteFiles(dir, defaults).find((f) => f.key === "engine.wasm")!;
    assert.deepEqual([wasm.size, wasm.sha256, wasm.contentType], [big.length, sha256(big), "application/wasm"]);
  });

  it("keeps hostile but servable names as they are: spaces, unicode, .. inside a name, a leading dot, #, ?, %", function () {
    const names = ["my file.html", "naïve café.txt", "日本語/ページ.html", "emoji-😀.png", "a..b.js", "..hidden", "...", ".well-known/security.txt", "x#y.txt", "q?.txt", "100%.txt", "-dash.js"];
    const dir = temp(Object.fromEntries(names.map((n) => [n, n])));
    const { files, problems } = listSiteFiles(dir, defaults);
    assert.deepEqual(problems, []);
    const keys = files.map((f) => f.key);
    assert.deepEqual([...keys].sort(), [...names].sort());
    // Byte order of the UTF-8, not the locale's.
    assert.deepEqual(keys, [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    assert.equal(files.find((f) => f.key === "..hidden")!.contentType, unknownContentType);
  });

  it("refuses names with control characters, and names with a backslash", function () {
    const dir = temp({ "index.html": "x", "bad\nname.js": "x", "tab\there.css": "x", "del\u007f.txt": "x", "c1\u0085.txt": "x", "back\\slash.js": "x" });
    const { files, problems } = listSiteFiles(dir, defaults);
    assert.deepEqual(files.map((f) => f.key), ["index.html"]);
    assert.deepEqual(problems.map((p) => p.key).sort(), ['"back\\\\slash.js"', '"bad\\nname.js"', '"c1\\u0085.txt"', '"del\\u007f.txt"', '"tab\\there.css"'].sort());
    assert.ok(problems.filter((p) => p.key !== '"back\\\\slash.js"').every((p) => p.problem === "a name without control characters"), JSON.stringify(problems));
    assert.match(problems.find((p) => p.key === '"back\\\\slash.js"')!.problem, /browsers read it as \//);
    assert.throws(() => siteFiles(dir, defaults), (e: unknown) => e instanceof SiteFilesError && e.problems.length === 5);
  });

  it("refuses a name that is not UTF-8", function () {
    const dir = temp({ "index.html": "x" });
    // Written through a Buffer path: Linux file names are bytes.
    fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x66, 0xff, 0x2e, 0x6a, 0x73])]), "x");
    const { files, problems } = listSiteFiles(dir, defaults);
    assert.deepEqual(files.map((f) => f.key), ["index.html"]);
    assert.equal(problems.length, 1);
    assert.match(problems[0].problem, /a name in UTF-8/);
  });

  it("refuses a key longer than the buckets take", function () {
    const long = `${"d".repeat(200)}/`.repeat(5) + "x".repeat(30) + ".js";
    assert.ok(Buffer.byteLength(long) > maxKeyBytes);
    const dir = temp({ "index.html": "x", [long]: "x" });
    const { problems } = listSiteFiles(dir, defaults);
    assert.equal(problems.length, 1);
    assert.match(problems[0].problem, /at most 1024 bytes/);
  });

  it("follows links inside the directory, and refuses links out of it, dangling links and loops", function () {
    const outside = temp({ "secret.txt": "do not publish", "dir/x.txt": "x" });
    const dir = temp({ "index.html": "x", "real/app.js": "js", "real/nested/n.css": "c" });
    fs.symlinkSync("real/app.js", path.join(dir, "alias.js"));
    fs.symlinkSync("real", path.join(dir, "again"));
    fs.symlinkSync(path.join(outside, "secret.txt"), path.join(dir, "leak.txt"));
    fs.symlinkSync(path.join(outside, "dir"), path.join(dir, "leakdir"));
    fs.symlinkSync("missing.js", path.join(dir, "dangling.js"));
    fs.symlinkSync("..", path.join(dir, "real", "up"));
    fs.symlinkSync("self", path.join(dir, "self"));
    const { files, problems } = listSiteFiles(dir, defaults);
    const root = fs.realpathSync(dir);
    assert.deepEqual(
      files.map((f) => [f.key, path.relative(root, f.file)]),
      [
        ["again/app.js", "real/app.js"],
        ["again/nested/n.css", "real/nested/n.css"],
        ["alias.js", "real/app.js"],
        ["index.html", "index.html"],
        ["real/app.js", "real/app.js"],
        ["real/nested/n.css", "real/nested/n.css"],
      ],
    );
    const byKey = Object.fromEntries(problems.map((p) => [JSON.parse(p.key) as string, p.problem]));
    assert.deepEqual(Object.keys(byKey).sort(), ["again/up", "dangling.js", "leak.txt", "leakdir", "real/up", "self"]);
    assert.match(byKey["leak.txt"], /a link to a file inside the site's directory .*outside/);
    assert.match(byKey["leakdir"], /outside/);
    assert.match(byKey["dangling.js"], /points at nothing, or loops/);
    assert.match(byKey["self"], /points at nothing, or loops/);
    assert.match(byKey["real/up"], /loops back to its own parent/);
    // Never the outside file's content, under any key.
    assert.ok(!siteFilesOrProblems(dir).includes("do not publish"));
  });

  it("refuses a FIFO rather than hang reading it", function () {
    const dir = temp({ "index.html": "x" });
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    const { problems } = listSiteFiles(dir, defaults);
    assert.deepEqual(problems, [{ key: '"pipe"', problem: "a file or a directory (not a socket, FIFO or device)" }]);
  });
});

/** The contents a walk would upload, joined (to check a secret is never among them). */
function siteFilesOrProblems(dir: string): string {
  return listSiteFiles(dir, defaults)
    .files.map((f) => fs.readFileSync(f.file, "utf8"))
    .join("\n");
}
