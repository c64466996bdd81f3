/**
 * The static file server of a site on Kubernetes (site.ts): its pinned images and the
 * nginx configuration, generated from the site's file list (components/siteFiles.ts), so
 * that the content types are the one table's (`contentTypes`, by extension) and each
 * file's Cache-Control is exactly the one its upload carries (`cacheControl`, per file:
 * the class of a file may come from the user's `hashPattern`, which nginx cannot evaluate
 * the same way, so every file is listed, not matched by a rule of nginx's own).
 *
 * Pure text, no Pulumi: tested on its own (test/sites.kubernetes.test.ts).
 */
import { contentTypes, unknownContentType, type DigestedSiteFile } from "../../siteFiles";
import type { SiteWorkload } from "../../model/model";

/**
 * The server: nginx's own unprivileged build (listens on 8080, runs as any non-root user),
 * pinned by tag. It reads its configuration from the site's ConfigMap and the files from
 * an emptyDir; it writes only under /tmp (an emptyDir), so the root filesystem is read-only.
 */
export const siteServerImage = "nginxinc/nginx-unprivileged:1.27.3-alpine";

/**
 * What fills the emptyDir before the server starts: rclone's official image, pinned by
 * tag, copying the site's prefix of the bucket (any S3-compatible endpoint).
 */
export const siteSyncImage = "rclone/rclone:1.68.2";

/** The server's port (the image's unprivileged default). */
export const siteServerPort = 8080;

/** Where the files are in the server's container (the root; the site's path prefix is a directory under it). */
export const siteRoot = "/srv/www";

/** Where the configuration is mounted. */
export const siteConfigDir = "/etc/nginx/site";

/** The configuration's file name in the ConfigMap. */
export const siteConfigFile = "nginx.conf";

/**
 * The largest configuration accepted: a ConfigMap holds at most 1 MiB, and the file list
 * costs about 100 bytes a file, so this is some 7,000 files. A larger site is refused
 * with this number (site.ts), never cut short.
 */
export const maxSiteConfigBytes = 768 * 1024;

/** A string as an nginx quoted token: `"` and `\` escaped (siteFiles refuses `\` in keys; `$` is literal in map keys and header values below). */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The URL path a file is served at: the site's path prefix, then its key. */
export function urlPathOf(site: Pick<SiteWorkload, "route">, key: string): string {
  return `${site.route.path === "/" ? "" : site.route.path}/${key}`;
}

/** The `types` block: the table of siteFiles, grouped by content type (nginx lower-cases extensions). */
function typesBlock(): string[] {
  const byType = new Map<string, string[]>();
  for (const [ext, type] of Object.entries(contentTypes)) byType.set(type, [...(byType.get(type) ?? []), ext.slice(1)]);
  return [...byType].map(([type, exts]) => `    ${quoted(type)} ${exts.join(" ")};`);
}

/**
 * The Cache-Control of each URL path. nginx compares a map's strings without case, so two
 * keys that differ only in case must agree on their header; when they do not, that is
 * refused (returned as a problem) rather than served wrong.
 */
function cacheMap(site: Pick<SiteWorkload, "route">, files: readonly DigestedSiteFile[]): { entries: string[]; problems: string[] } {
  const seen = new Map<string, DigestedSiteFile>();
  const entries: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const url = urlPathOf(site, file.key);
    const lower = url.toLowerCase();
    const before = seen.get(lower);
    if (before) {
      if (before.cacheControl !== file.cacheControl) problems.push(`${before.key} and ${file.key} differ only in case and need different Cache-Control (${before.cacheControl}, ${file.cacheControl}): nginx matches paths without case, rename one`);
      continue;
    }
    seen.set(lower, file);
    entries.push(`    ${quoted(url)} ${quoted(file.cacheControl)};`);
  }
  return { entries, problems };
}

/**
 * The nginx configuration of a site: files from `siteRoot` (the prefix's directory under
 * it), content types from the table (unknown: `application/octet-stream`), Cache-Control
 * per file (an unknown path, which `spa` answers with index.html, gets index.html's
 * header), `try_files $uri <prefix>/index.html` for `spa`, CORS for `cors.origins`
 * (GET and HEAD only), and `nosniff`. Throws when the site cannot be configured.
 */
export function siteServerConfig(site: Pick<SiteWorkload, "name" | "route" | "spa" | "cors">, files: readonly DigestedSiteFile[]): string {
  const index = files.find((f) => f.key === "index.html");
  if (!index) throw new Error(`kubernetes: site ${site.name} has no index.html (the parser requires one)`);
  const { entries, problems } = cacheMap(site, files);
  if (problems.length > 0) throw new Error(`kubernetes: site ${site.name}: ${problems.join("; ")}`);
  const prefix = site.route.path === "/" ? "" : site.route.path;
  const origins = site.cors?.origins ?? [];
  const lines = [
    "# Generated by ha-topology (components/platforms/kubernetes/siteServer.ts) from the site's files: do not edit.",
    "worker_processes 2;",
    "pid /tmp/nginx.pid;",
    "error_log stderr warn;",
    "events { worker_connections 1024; }",
    "http {",
    "  types {",
    ...typesBlock(),
    "  }",
    `  default_type ${unknownContentType};`,
    "  client_body_temp_path /tmp/client_temp;",
    "  proxy_temp_path /tmp/proxy_temp;",
    "  fastcgi_temp_path /tmp/fastcgi_temp;",
    "  uwsgi_temp_path /tmp/uwsgi_temp;",
    "  scgi_temp_path /tmp/scgi_temp;",
    "  access_log /dev/stdout;",
    "  sendfile on;",
    "  server_tokens off;",
    "  map_hash_max_size 65536;",
    "  map_hash_bucket_size 256;",
    "  map $uri $site_cache_control {",
    `    default ${quoted(index.cacheControl)};`,
    ...entries,
    "  }",
    ...(origins.length > 0
      ? ["  map $http_origin $site_cors_origin {", '    default "";', ...origins.map((o) => `    ${quoted(o)} $http_origin;`), "  }"]
      : []),
    "  server {",
    `    listen ${siteServerPort};`,
    "    server_name _;",
    `    root ${siteRoot};`,
    // Redirects (a directory without its /) keep the browser's scheme, host and port, not the pod's.
    "    absolute_redirect off;",
    "    index index.html;",
    "    add_header Cache-Control $site_cache_control;",
    "    add_header X-Content-Type-Options nosniff;",
    ...(origins.length > 0
      ? ["    add_header Access-Control-Allow-Origin $site_cors_origin;", '    add_header Access-Control-Allow-Methods "GET, HEAD";', "    add_header Vary Origin;"]
      : []),
    "    location / {",
    "      limit_except GET { deny all; }",
    site.spa ? `      try_files $uri ${prefix}/index.html;` : "      try_files $uri $uri/ =404;",
    "    }",
    "  }",
    "}",
    "",
  ];
  const config = lines.join("\n");
  const bytes = Buffer.byteLength(config, "utf8");
  if (bytes > maxSiteConfigBytes) {
    throw new Error(`kubernetes: site ${site.name} has ${files.length} files, whose server configuration (${bytes} bytes) exceeds the ${maxSiteConfigBytes} bytes a ConfigMap can safely hold: serve fewer files (bundle them) or split the site`);
  }
  return config;
}
