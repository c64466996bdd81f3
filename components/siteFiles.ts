/**
 * The files of a static site (`kind: site`, issue 17) as every platform uploads them: each
 * file's key (its path in the site, `/` between names), content type and Cache-Control
 * from one table, and a digest of its content, so an upload sends only what changed and an
 * invalidation names only that. No Pulumi here: the walk is plain file system reads, the
 * same on every machine for the same tree (sorted, symlinks resolved), and tested on a
 * temporary tree.
 *
 * What a walk refuses (`SiteFileProblem`): a link that leaves the directory or loops, a
 * name that is not UTF-8, has a control character or a backslash (browsers read it as
 * `/`, so the file could never be fetched), a key longer than the buckets take, and
 * anything that is not a file or a directory (a socket, a FIFO: reading one would hang).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { quoteForMessage } from "./nodeText";

/** A site's cache settings (schema.ts `cache`): seconds per kind of file, and which files are hashed. */
export interface SiteCachePolicy {
  /** Seconds an HTML file is kept before it is revalidated (0: every request). */
  html: number;
  /** Seconds a file that is neither HTML nor hashed is kept (0: every request). */
  assets: number;
  /** Seconds a file with a content hash in its name is kept, as immutable. */
  hashedAssets: number;
  /** A regular expression on a file's key that says which files are hashed; unset, `hasContentHash`. */
  hashPattern?: string;
}

/** What a file is, for its caching: HTML (the entry points), hashed (never changes under its name), or another asset. */
export type SiteFileClass = "html" | "hashed" | "asset";

/**
 * Content types by extension (lower-cased): the one table every platform reads. Text types
 * carry their charset, so a browser never guesses one; `.js` is `text/javascript` (RFC
 * 9239), and `.wasm` must be `application/wasm` for streaming compilation.
 */
export const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/vnd.microsoft.icon",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".pdf": "application/pdf",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
};

/** The type of a file whose extension the table does not know: browsers download it rather than guess. */
export const unknownContentType = "application/octet-stream";

/** The extensions served as HTML: short-lived whatever their name (they are fetched by fixed URLs). */
const htmlExtensions = new Set([".html", ".htm"]);

/** The longest key S3 and Cloud Storage take, in UTF-8 bytes. */
export const maxKeyBytes = 1024;

/** A file's content type, from its extension (case-insensitive). */
export function contentTypeOf(key: string): string {
  const ext = path.posix.extname(key).toLowerCase();
  return Object.hasOwn(contentTypes, ext) ? contentTypes[ext] : unknownContentType;
}

/**
 * Whether a part of a name looks like a bundler's content hash: 8 or more lower-case hex
 * digits (webpack, Next.js), 8 or more upper-case letters and digits (esbuild), or exactly
 * 8 letters and digits mixing both cases (Rollup and Vite), with at least one digit and
 * one letter. Both are required so that dates (`20240101`) and words (`deadbeef`,
 * `settings`) are not hashes: a wrong "hashed" keeps a changing file a year, a missed one
 * only an hour, so the rule leans to missing.
 */
function isHashPart(part: string): boolean {
  if (!/[0-9]/.test(part) || !/[A-Za-z]/.test(part)) return false;
  if (/^[0-9a-f]{8,}$/.test(part) || /^[0-9A-Z]{8,}$/.test(part)) return true;
  return /^[0-9A-Za-z]{8}$/.test(part) && /[a-z]/.test(part) && /[A-Z]/.test(part);
}

/**
 * True when a file's name carries a content hash: a part after a `.` or `-` that is not
 * the name's first part nor its extension (`app.3f9a1c2b.js`, `app-3F9A1C2B.js`,
 * `main.3f9a1c2b.chunk.js`, `index-BdX3k9aZ.js`, `style.3f9a1c2b.css.map`).
 */
export function hasContentHash(key: string): boolean {
  const parts = path.posix.basename(key).split(/[.-]/);
  return parts.slice(1, -1).some(isHashPart);
}

/** What a file is for its caching: HTML always short (an entry point), else hashed by the pattern or `hasContentHash`. */
export function fileClassOf(key: string, cache: SiteCachePolicy): SiteFileClass {
  if (htmlExtensions.has(path.posix.extname(key).toLowerCase())) return "html";
  const hashed = cache.hashPattern !== undefined ? new RegExp(cache.hashPattern, "u").test(key) : hasContentHash(key);
  return hashed ? "hashed" : "asset";
}

/** The Cache-Control header of a file of this class: 0 seconds is `no-cache` (revalidated on every request). */
export function cacheControlFor(fileClass: SiteFileClass, cache: SiteCachePolicy): string {
  const seconds = fileClass === "html" ? cache.html : fileClass === "hashed" ? cache.hashedAssets : cache.assets;
  if (seconds === 0) return "no-cache";
  // HTML must not be served stale past its age (a deploy's new index.html must win); a hashed name never changes.
  const suffix = fileClass === "html" ? ", must-revalidate" : fileClass === "hashed" ? ", immutable" : "";
  return `public, max-age=${seconds}${suffix}`;
}

/** One file of a site, as a platform uploads it. */
export interface SiteFile {
  /** Its path in the site, `/` between names, no leading `/`: the object key (under the site's prefix) and the URL path. */
  key: string;
  /** Where to read it on this machine (absolute, symlinks resolved). */
  file: string;
  /** Its size in bytes. */
  size: number;
  /** Its Content-Type. */
  contentType: string;
  /** What it is for caching. */
  fileClass: SiteFileClass;
  /** Its Cache-Control. */
  cacheControl: string;
}

/** A file with the digest of its content. */
export interface DigestedSiteFile extends SiteFile {
  /** The SHA-256 of its content, in hex: unchanged digest, nothing to upload or invalidate. */
  sha256: string;
}

/** Something in the tree no platform can serve. */
export interface SiteFileProblem {
  /** The key it was found at, quoted as JSON with control and separator characters escaped (a bad name shown, never acted out). */
  key: string;
  /** What is wrong, and what would be accepted. */
  problem: string;
}

/** Thrown by `siteFiles` when the tree has problems: every one of them. */
export class SiteFilesError extends Error {
  /** Every problem found. */
  readonly problems: SiteFileProblem[];
  constructor(root: string, problems: SiteFileProblem[]) {
    super(`${root}: ${problems.map((p) => `${p.key}: ${p.problem}`).join("; ")}`);
    this.name = "SiteFilesError";
    this.problems = problems;
  }
}

/** Control characters (C0, DEL, C1): invisible in a listing, refused in a key. */
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/** True when `inner` is `outer` or inside it (both absolute, resolved). */
function within(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : `${outer}${path.sep}`);
}

/** Byte order of the keys' UTF-8, as the buckets list them: the same on every machine and locale. */
function byKey(a: { key: string }, b: { key: string }): number {
  return Buffer.compare(Buffer.from(a.key, "utf8"), Buffer.from(b.key, "utf8"));
}

/**
 * Walks a site's directory: every file, sorted by key, with its type and caching, and every
 * problem (the walk goes on past one, so all are reported at once). Reads no content.
 */
export function listSiteFiles(dir: string, cache: SiteCachePolicy): { files: SiteFile[]; problems: SiteFileProblem[] } {
  const root = fs.realpathSync(dir);
  const files: SiteFile[] = [];
  const problems: SiteFileProblem[] = [];
  // Quoted with every control and separator character escaped: a name must not forge a line of the message.
  const problem = (key: string, text: string) => problems.push({ key: quoteForMessage(key), problem: text });

  const walk = (realDir: string, prefix: string, ancestors: readonly string[]): void => {
    for (const raw of fs.readdirSync(realDir, { encoding: "buffer" })) {
      const name = raw.toString("utf8");
      const key = `${prefix}${name}`;
      if (!Buffer.from(name, "utf8").equals(raw)) {
        problem(`${prefix}${raw.toString("latin1")}`, "a name in UTF-8 (its key and URL could not be written)");
        continue;
      }
      if (controlCharacter.test(name)) {
        problem(key, "a name without control characters");
        continue;
      }
      if (name.includes("\\")) {
        problem(key, "a name without \\ (browsers read it as /, so the file could never be fetched)");
        continue;
      }
      const at = path.join(realDir, name);
      let real = at;
      let stat = fs.lstatSync(at);
      if (stat.isSymbolicLink()) {
        try {
          real = fs.realpathSync(at);
        } catch {
          problem(key, "a link to a file or directory that exists (it points at nothing, or loops)");
          continue;
        }
        if (!within(root, real)) {
          problem(key, `a link to a file inside the site's directory (it points at ${quoteForMessage(real)}, outside ${quoteForMessage(root)}: a link must not publish what is outside)`);
          continue;
        }
        stat = fs.statSync(real);
      }
      if (stat.isDirectory()) {
        if (ancestors.includes(real)) {
          problem(key, "a link to a directory that does not contain it (this one loops back to its own parent)");
          continue;
        }
        walk(real, `${key}/`, [...ancestors, real]);
      } else if (stat.isFile()) {
        if (Buffer.byteLength(key, "utf8") > maxKeyBytes) {
          problem(key, `a path of at most ${maxKeyBytes} bytes in UTF-8 (the longest object key S3 and Cloud Storage take)`);
          continue;
        }
        const fileClass = fileClassOf(key, cache);
        files.push({ key, file: real, size: stat.size, contentType: contentTypeOf(key), fileClass, cacheControl: cacheControlFor(fileClass, cache) });
      } else {
        problem(key, "a file or a directory (not a socket, FIFO or device)");
      }
    }
  };
  walk(root, "", [root]);
  return { files: files.sort(byKey), problems };
}

/** The SHA-256 of a file's content, read in chunks (a large `.wasm` is not held in memory twice). */
function sha256Of(file: string): string {
  const hash = createHash("sha256");
  const buffer = Buffer.alloc(1 << 16);
  const fd = fs.openSync(file, "r");
  try {
    for (let n = fs.readSync(fd, buffer); n > 0; n = fs.readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

/** Every file of a site with its digest, sorted by key; throws SiteFilesError with every problem of the tree. */
export function siteFiles(dir: string, cache: SiteCachePolicy): DigestedSiteFile[] {
  const { files, problems } = listSiteFiles(dir, cache);
  if (problems.length > 0) throw new SiteFilesError(dir, problems);
  return files.map((f) => ({ ...f, sha256: sha256Of(f.file) }));
}
