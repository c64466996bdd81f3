/**
 * Static sites in the model (issue 17, first step): `kind: site` parsed with its defaults,
 * its route checked with the web workloads' rules, its `source` checked on disk before
 * anything exists. A cloud builds sites once its platform has the site step (its capability
 * row lists the kind: Kubernetes); the others refuse them, naming the issue. The tests that
 * parse a site elsewhere use a table where every cloud builds them.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { topologyLines } from "../../automation/planReport";
import { topologyView } from "../../automation/topologyView";
import { stackConfigWith } from "../../automation/stackFiles";
import { TopologyConfigError } from "../../components/configError";
import { capabilities, type Capabilities } from "../../components/model/capabilities";
import type { SiteWorkload } from "../../components/model/model";
import { parseStack } from "../../components/model/parse";
import { availableWorkloadKinds } from "../../components/model/schema";
import type { Cloud } from "../../components/sizes";
import { decodeRawConfig, providerConfigOf } from "../../components/stackConfig";
import { ns } from "../programQueries";
import { api, maps, site } from "./badModelInputs";

const clouds: Cloud[] = ["aws", "gcp", "digitalocean", "kubernetes"];

/** The capability table with sites built on every cloud: what a cloud's row says once its platform step lands. */
const buildsSites = (c: Cloud): Capabilities => ({ ...capabilities[c], workloads: [...capabilities[c].workloads, "site"], comingKinds: {} });
const withSites: Record<Cloud, Capabilities> = { aws: buildsSites("aws"), gcp: buildsSites("gcp"), digitalocean: buildsSites("digitalocean"), kubernetes: buildsSites("kubernetes") };

/** The example stack of a cloud with a patch, parsed as the program parses it. */
function parse(cloud: Cloud, patch: Record<string, unknown>, table: Record<Cloud, Capabilities> = withSites, projectDir?: string) {
  const values = stackConfigWith(cloud, ns(patch)).values;
  return parseStack(decodeRawConfig(values), providerConfigOf(values), table, undefined, projectDir);
}

/** The problem lines of a refused stack. */
function problems(cloud: Cloud, patch: Record<string, unknown>, table?: Record<Cloud, Capabilities>, projectDir?: string): string[] {
  try {
    parse(cloud, patch, table, projectDir);
  } catch (e) {
    if (e instanceof TopologyConfigError) return e.problems;
    throw e;
  }
  assert.fail(`expected ${JSON.stringify(patch)} to be refused on ${cloud}`);
}

/** A web workload each cloud routes (DigitalOcean cannot route by path: the API gets its own host there). */
const apiOn = (cloud: Cloud) => (cloud === "digitalocean" ? { ...api, path: undefined, host: "api.example.com" } : api);

describe("model: kind site is declared and checked, and refused where its cloud does not build it yet", function () {
  it("is a kind of this version", function () {
    assert.ok((availableWorkloadKinds as readonly string[]).includes("site"));
  });

  // A cloud whose platform has its site step lists the kind and refuses nothing of it.
  for (const cloud of clouds.filter((c) => capabilities[c].workloads.includes("site"))) {
    it(`${cloud}: builds sites (its row lists the kind and promises nothing more)`, function () {
      assert.equal(capabilities[cloud].comingKinds?.site, undefined);
      // Where the files are kept in the stack's bucket, it declares one (kubernetes: the user's S3 bucket, keys and all).
      const bucket = { kind: "bucket", endpoint: "https://s3.example.com", bucket: "files", region: "us-east-1", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example-secret" };
      // DigitalOcean serves a site on its own host, without SPA fallback (platforms/digitalocean/site.ts).
      const ui = cloud === "digitalocean" ? { ...site, host: "ui.example.com", spa: false } : site;
      const { model } = parse(cloud, maps({ api: apiOn(cloud), ui }, capabilities[cloud].siteNeedsBucket ? { files: bucket } : undefined), capabilities);
      assert.equal(model.workloads.find((w) => w.name === "ui")?.kind, "site");
    });
  }
  for (const cloud of clouds.filter((c) => !capabilities[c].workloads.includes("site"))) {
    it(`${cloud}: refuses a site, and only its kind, naming issue 17`, function () {
      const lines = problems(cloud, maps({ api: apiOn(cloud), ui: { ...site, ...(cloud === "digitalocean" && { path: undefined, host: "ui.example.com" }) } }), capabilities);
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], new RegExp(`^ha-topology:workloads\\.ui\\.kind: received "site"; allowed: a workload kind ${cloud} supports: web, worker, cron \\(kind site on ${cloud}: issue 17 builds static sites here \\(.+\\); not built in this version\\)$`));
      assert.equal(capabilities[cloud].workloads.includes("site"), false);
    });
  }
});

describe("model: the clouds that build sites accept the kind", function () {
  it("gcp: parses the Alerta shape (a site at /, the API at /api) with the real capability table", function () {
    const { model } = parse("gcp", maps({ api, ui: site }), capabilities);
    assert.deepEqual(model.workloads.map((w) => `${w.name}:${w.kind}`).sort(), ["api:web", "ui:site"]);
  });
});

describe("model: a site, where a cloud builds sites", function () {
  it("gets its defaults: the domain's /, no spa, short HTML, hashed files a year, no CORS; the source normalised and resolved", function () {
    const { model } = parse("aws", maps({ api, ui: { kind: "site", source: "./test/fixtures/site/" } }));
    const ui = model.workloads.find((w) => w.name === "ui") as SiteWorkload;
    assert.deepEqual(ui, {
      kind: "site",
      name: "ui",
      origin: "maps",
      source: "test/fixtures/site",
      sourceDir: path.resolve(process.cwd(), "test/fixtures/site"),
      spa: false,
      cache: { html: 60, assets: 3600, hashedAssets: 31536000 },
      cors: undefined,
      route: { host: model.domain, path: "/" },
    });
  });

  it("serves the Alerta shape: the UI at /, the API at /api, one domain", function () {
    const { model } = parse("aws", maps({ api, ui: { ...site, spa: true } }));
    const view = topologyView(model);
    assert.deepEqual(view.workloads.map((w) => [w.name, w.entry]), [["api", "https://app.example.com/api"]]);
    assert.deepEqual(view.sites, [
      {
        name: "ui",
        entry: "https://app.example.com",
        route: { host: "app.example.com", path: "/", workload: "ui" },
        source: "test/fixtures/site",
        spa: true,
        cacheControl: { html: "public, max-age=60, must-revalidate", hashed: "public, max-age=31536000, immutable", asset: "public, max-age=3600" },
        corsOrigins: [],
      },
    ]);
  });

  it("is listed in the plan's topology apart from the workloads, with its caching and CORS", function () {
    const { model } = parse("aws", maps({ api, ui: { ...site, spa: true, cors: { origins: ["https://admin.example.com"] } } }));
    const lines = topologyLines(topologyView(model));
    const at = lines.indexOf("Static sites (1)");
    assert.ok(at > lines.indexOf("Workloads (1)") && at < lines.findIndex((l) => l.startsWith("Named resources")), lines.join("\n"));
    assert.deepEqual(lines.slice(at + 1, at + 5).map((l) => l.trim().replace(/\s+/g, " ")), [
      "ui site https://app.example.com",
      "files from test/fixtures/site · single-page app: a path with no file gets index.html",
      'Cache-Control: HTML "public, max-age=60, must-revalidate" · hashed "public, max-age=31536000, immutable" · other "public, max-age=3600"',
      "CORS: GET and HEAD from https://admin.example.com",
    ]);
  });

  it("keeps its own host, path, cache and CORS settings", function () {
    const { model } = parse(
      "aws",
      maps({ api, ui: { ...site, path: undefined, host: "ui.example.com", cache: { html: 0, hashPattern: "^assets/" }, cors: { origins: ["https://app.example.com"] } }, docs: { ...site, path: "/docs" } }),
    );
    const [ui, docs] = model.workloads.filter((w): w is SiteWorkload => w.kind === "site");
    assert.deepEqual([ui.route, ui.cache, ui.cors], [{ host: "ui.example.com", path: "/" }, { html: 0, assets: 3600, hashedAssets: 31536000, hashPattern: "^assets/" }, { origins: ["https://app.example.com"] }]);
    assert.deepEqual(docs.route, { host: "app.example.com", path: "/docs" });
  });

  it("has no environment, no resources and no variables of its own in the others' environment", function () {
    const { model } = parse("aws", maps({ api, ui: site }, { db: { kind: "sql" } }));
    const view = topologyView(model);
    assert.deepEqual(view.resources.map((r) => [r.name, r.usedBy]), [["db", ["api"]]]);
  });

  it("refuses a route another site serves, with the web's rules", function () {
    const lines = problems("aws", maps({ api, ui: site, other: { ...site, path: "/" } }));
    assert.deepEqual(lines, ['ha-topology:workloads.other.path: received "/"; allowed: a route no other workload serves: workloads.ui already serves app.example.com/']);
  });

  it("refuses a web workload on a site's route (the first declared keeps it)", function () {
    const lines = problems("aws", maps({ ui: { ...site, path: "/api" }, api }));
    assert.deepEqual(lines, ['ha-topology:workloads.api.path: received "/api"; allowed: a route no other workload serves: workloads.ui already serves app.example.com/api']);
  });

  it("refuses a path on DigitalOcean, whose sites are served at the root of their own host by the Spaces CDN", function () {
    const lines = problems("digitalocean", maps({ api: apiOn("digitalocean"), ui: { ...site, path: "/docs", host: "ui.example.com" } }));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^ha-topology:workloads\.ui\.path: received "\/docs"; allowed: "\/" or unset for a site on digitalocean \(the Spaces CDN serves a site at the root of its own host/);
  });

  it("shows a DigitalOcean site's default CORS in the plan: the stack's public web hosts (the site is on a host of its own)", function () {
    const { model } = parse("digitalocean", maps({ api: apiOn("digitalocean"), ui: { ...site, path: undefined, host: "ui.example.com" } }), capabilities);
    assert.deepEqual(topologyView(model).sites.map((s) => s.corsOrigins), [["https://api.example.com"]]);
    const own = parse("digitalocean", maps({ api: apiOn("digitalocean"), ui: { ...site, path: undefined, host: "ui.example.com", cors: { origins: ["https://x.example.com"] } } }), capabilities);
    assert.deepEqual(topologyView(own.model).sites.map((s) => s.corsOrigins), [["https://x.example.com"]]);
  });

  it("builds sites on DigitalOcean (its row lists the kind) and refuses there a site without its own host, or spa: true", function () {
    assert.ok(capabilities.digitalocean.workloads.includes("site"));
    assert.equal(capabilities.digitalocean.comingKinds?.site, undefined);
    const lines = problems("digitalocean", maps({ api: apiOn("digitalocean"), ui: { ...site, path: undefined, spa: true } }), capabilities);
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(lines[0], /^ha-topology:workloads\.ui\.host: received nothing \(the key is not set\); allowed: a host of the site's own on digitalocean/);
    assert.match(lines[1], /^ha-topology:workloads\.ui\.spa: received true; allowed: false on digitalocean/);
  });
});

describe("model: a site's source on disk, checked before anything is created", function () {
  const made: string[] = [];
  /** A temporary project directory holding `files`. */
  const project = (files: Record<string, string>): string => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "site-project-")));
    made.push(dir);
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    return dir;
  };
  afterEach(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const ui = (source: string) => maps({ api, ui: { kind: "site", source } });

  it("reads source relative to the project directory it is given", function () {
    const dir = project({ "web/dist/index.html": "<!doctype html>" });
    const { model } = parse("aws", ui("web/dist"), withSites, dir);
    assert.equal((model.workloads.find((w) => w.kind === "site") as SiteWorkload).sourceDir, path.join(dir, "web", "dist"));
    assert.match(problems("aws", ui("web/dist"), withSites, project({}))[0], /web\/dist does not exist: build the site before the deployment/);
  });

  it("refuses a source that a link takes out of the project", function () {
    const outside = project({ "dist/index.html": "x" });
    const dir = project({});
    fs.symlinkSync(path.join(outside, "dist"), path.join(dir, "web"));
    const lines = problems("aws", ui("web"), withSites, dir);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], new RegExp(`^ha-topology:workloads\\.ui\\.source: received "web"; allowed: a directory inside the project directory ${dir}, not the project directory itself \\(web resolves to ${path.join(outside, "dist")}\\)$`));
  });

  it("refuses a source whose files link out of it, or that has no index.html, listing each problem", function () {
    const dir = project({ "stacks/Pulumi.prod.yaml": "secret", "web/about.html": "x" });
    fs.symlinkSync("../stacks/Pulumi.prod.yaml", path.join(dir, "web", "stack.yaml"));
    const lines = problems("aws", ui("web"), withSites, dir);
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(lines[0], /workloads\.ui\.source: received "web"; allowed: a directory with index\.html at its top/);
    assert.match(lines[1], /workloads\.ui\.source: received "web"; allowed: a directory whose every file can be served: at "stack\.yaml", a link to a file inside the site's directory/);
  });

  it("refuses an index.html that is a directory", function () {
    const dir = project({ "web/index.html/x.txt": "x" });
    assert.match(problems("aws", ui("web"), withSites, dir)[0], /a directory with index\.html at its top/);
  });

  it("lists ten file problems and counts the rest", function () {
    const dir = project({ "web/index.html": "x", ...Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`web/bad\t${i}.js`, "x"])) });
    const lines = problems("aws", ui("web"), withSites, dir);
    assert.equal(lines.length, 11);
    assert.match(lines[10], /3 more problems like those above/);
    assert.ok(lines.every((l) => !l.includes("\t")), "a control character is escaped in the message");
  });
});
