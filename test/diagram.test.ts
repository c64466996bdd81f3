import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inflateSync } from "node:zlib";
import { Resvg } from "@resvg/resvg-js";
import { stringify } from "yaml";
import { renderSvg, svgToPng, writeDiagram, type TopologyDiagram } from "../automation/diagram";
import { diagramModel } from "../automation/diagramModel";
import { planStack } from "../automation/plan";
import { readStackFile } from "../automation/stackFiles";

/** The example AWS stack, with every optional box present. */
const aws: TopologyDiagram = {
  title: "ha-topology · stack aws",
  cloud: "aws",
  domain: "app.example.com",
  loadBalancer: { label: "Application Load Balancer", tls: "HTTPS 443 · TLS 1.2+ · HTTP→HTTPS redirect" },
  nodes: { label: "t3.small · traefik/whoami:v1.10.1", port: 8080, min: 2, max: 4, zones: ["us-east-1a", "us-east-1b"] },
  database: {
    label: "PostgreSQL 16 · db.t4g.small",
    mode: "Multi-AZ, automatic failover",
    primaryZone: "us-east-1a",
    standbyZone: "us-east-1b",
    readReplicas: 2,
  },
  bucket: { label: "S3 bucket · private · versioned · encrypted" },
  sessionStore: { label: "Valkey · primary + replica" },
};

/** The same stack without any optional box. */
const bare: TopologyDiagram = {
  ...aws,
  database: { label: aws.database.label, mode: "single instance", readReplicas: 0 },
  bucket: undefined,
  sessionStore: undefined,
};

function withNodes(min: number, zones: string[]): TopologyDiagram {
  return { ...aws, nodes: { ...aws.nodes, min, max: Math.max(min, 1) * 2, zones } };
}

/** The root element's size attributes. */
function rootSize(svg: string): { width: number; height: number; viewBox: string } {
  const root = /<svg\s[^>]*>/.exec(svg)?.[0];
  assert.ok(root, "no root <svg> element");
  const attribute = (name: string): string => {
    const value = new RegExp(`\\s${name}="([^"]*)"`).exec(root)?.[1];
    assert.ok(value !== undefined, `root <svg> has no ${name}: ${root}`);
    return value;
  };
  return { width: Number(attribute("width")), height: Number(attribute("height")), viewBox: attribute("viewBox") };
}

function countClass(svg: string, cls: string): number {
  return svg.split(`class="${cls}"`).length - 1;
}

/** Zone (as written in the data-zone attribute) -> node boxes drawn in that lane, in lane order. */
function nodesByLane(svg: string): [string, number][] {
  return [...svg.matchAll(/<g class="lane" data-zone="([^"]*)">([\s\S]*?)<\/g>/g)].map(([, zone, body]) => [zone, countClass(body, "node")]);
}

/** The x attribute of the first rect with class `cls` in `svg` (a document or a fragment). */
function rectX(svg: string, cls: string): number {
  const x = new RegExp(`<rect class="${cls}" x="(-?\\d+)"`).exec(svg)?.[1];
  assert.ok(x !== undefined, `no rect with class ${cls}`);
  return Number(x);
}

function laneFrameX(svg: string, zone: string): number {
  const lane = new RegExp(`<g class="lane" data-zone="${zone}">([\\s\\S]*?)</g>`).exec(svg)?.[1];
  assert.ok(lane !== undefined, `no lane for ${zone}`);
  return rectX(lane, "lane-frame");
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface DecodedPng {
  width: number;
  height: number;
  rgba: Buffer;
}

/**
 * Decodes the 8-bit RGBA, non-interlaced PNGs resvg writes (enough to count pixels), so the
 * test inspects svgToPng's own bytes rather than re-rendering the SVG another way.
 */
function decodePng(png: Buffer): DecodedPng {
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 6, 0], "expected 8-bit RGBA, not interlaced");
    } else if (type === "IDAT") {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const left = i >= 4 ? rgba[y * stride + i - 4] : 0;
      const up = y > 0 ? rgba[(y - 1) * stride + i] : 0;
      const upLeft = y > 0 && i >= 4 ? rgba[(y - 1) * stride + i - 4] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = left; break;
        case 2: predictor = up; break;
        case 3: predictor = Math.floor((left + up) / 2); break;
        case 4: {
          const p = left + up - upLeft;
          const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
          predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
          break;
        }
        default: throw new Error(`unknown PNG filter ${filter}`);
      }
      rgba[y * stride + i] = (line[i] + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

function nonWhitePixels(image: DecodedPng): number {
  let count = 0;
  for (let i = 0; i < image.rgba.length; i += 4) {
    if (image.rgba[i] !== 255 || image.rgba[i + 1] !== 255 || image.rgba[i + 2] !== 255) count++;
  }
  return count;
}

describe("diagram: SVG", function () {
  it("is a well-formed SVG document with width, height and viewBox on the root", function () {
    const svg = renderSvg(aws);
    const { width, height, viewBox } = rootSize(svg);
    assert.ok(Number.isInteger(width) && width >= 900, `width ${width}`);
    assert.ok(Number.isInteger(height) && height > 0, `height ${height}`);
    assert.equal(viewBox, `0 0 ${width} ${height}`);
    assert.match(svg, /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /font-family="DejaVu Sans, sans-serif"/);
    // resvg's XML parser is strict: a malformed document throws here.
    const parsed = new Resvg(svg);
    assert.deepEqual([parsed.width, parsed.height], [width, height]);
  });

  it("shows every label, the domain, the cloud, the zone names and the autoscaling caption", function () {
    const svg = renderSvg(aws);
    // Labels go through XML escaping, which leaves these (no & < > " ') untouched.
    for (const text of [
      "ha-topology · stack aws",
      "Clients (internet)",
      ">HTTPS<",
      "Application Load Balancer",
      "HTTPS 443 · TLS 1.2+ · HTTP→HTTPS redirect",
      "app.example.com",
      "Cloud: aws",
      "us-east-1a",
      "us-east-1b",
      "port 8080",
      "min 2 · max 4 nodes (autoscaling)",
      "t3.small · traefik/whoami:v1.10.1",
      "PostgreSQL 16 · db.t4g.small",
      "Multi-AZ, automatic failover",
      "sync replication / failover",
      "S3 bucket · private · versioned · encrypted",
      "Valkey · primary + replica",
    ]) {
      assert.ok(svg.includes(text), `missing ${JSON.stringify(text)}`);
    }
    assert.deepEqual(nodesByLane(svg).map(([zone]) => zone), ["us-east-1a", "us-east-1b"]);
  });

  it("captions a fixed count as such, never as autoscaling (DigitalOcean runs exactly nodes.count droplets)", async function () {
    const fixed = renderSvg({ ...aws, nodes: { ...aws.nodes, min: 3, max: 3 } });
    assert.ok(fixed.includes("3 nodes (fixed count, no autoscaling)"));
    assert.ok(!fixed.includes("(autoscaling)"));
    // The DigitalOcean example without its maxCount line: the default (2 × count) is ignored there.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-diagram-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const config = structuredClone(readStackFile("digitalocean")) as Record<string, { maxCount?: number }>;
    delete config["ha-topology:nodes"].maxCount;
    const file = path.join(dir, "Pulumi.do-default.yaml");
    fs.writeFileSync(file, stringify({ config }));
    const plan = await planStack("do-default", { stackFile: file });
    assert.ok(plan.topology.nodes.maxCount > plan.topology.nodes.count, "a maxCount DigitalOcean ignores");
    const model = diagramModel(plan);
    assert.ok(!("layout" in model), "a single-service stack keeps the single-service diagram");
    assert.deepEqual([model.nodes.min, model.nodes.max], [plan.topology.nodes.count, plan.topology.nodes.count]);
    const svg = renderSvg(model);
    assert.ok(svg.includes(`${plan.topology.nodes.count} nodes (fixed count, no autoscaling)`));
    assert.ok(!/autoscal(ing|e)\)/.test(svg.replace("no autoscaling", "")), "no autoscaling claim");
  });

  it("draws exactly min node boxes, spread over the zones round-robin (lanes differ by at most one)", function () {
    const cases: [number, string[]][] = [
      [2, ["a", "b"]],
      [3, ["a", "b"]],
      [4, ["a", "b", "c"]],
      [7, ["a", "b", "c"]],
      [1, ["a", "b", "c"]],
      [12, ["a", "b", "c", "d", "e"]],
      [0, ["a", "b"]],
    ];
    for (const [min, zones] of cases) {
      const svg = renderSvg(withNodes(min, zones));
      const lanes = nodesByLane(svg);
      const counts = lanes.map(([, count]) => count);
      assert.deepEqual(lanes.map(([zone]) => zone), zones, `lanes for ${min} over ${zones}`);
      assert.equal(countClass(svg, "node"), min, `node boxes for ${min} over ${zones}`);
      assert.equal(counts.reduce((a, b) => a + b, 0), min);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `uneven ${counts} for ${min} over ${zones}`);
      // Round-robin: the earlier lanes take the remainder.
      assert.deepEqual(counts, [...counts].sort((a, b) => b - a), `not round-robin: ${counts}`);
    }
  });

  it("draws a single 'region' lane holding every node when there are no zones", function () {
    const svg = renderSvg(withNodes(3, []));
    assert.deepEqual(nodesByLane(svg), [["region", 3]]);
    assert.doesNotThrow(() => new Resvg(svg));
  });

  it("widens with the number of zones and is never narrower than 900 px", function () {
    const widths = [[], ["a"], ["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d"], ["a", "b", "c", "d", "e", "f"]].map(
      (zones) => rootSize(renderSvg({ ...withNodes(6, zones), bucket: undefined, sessionStore: undefined })).width,
    );
    assert.ok(widths.every((w) => w >= 900), `widths ${widths}`);
    for (let i = 1; i < widths.length; i++) assert.ok(widths[i] >= widths[i - 1], `widths ${widths}`);
    assert.ok(widths[widths.length - 1] > widths[0], `widths ${widths}`);
  });

  it("places the database primary and standby under their zones' lanes", function () {
    const svg = renderSvg(aws);
    assert.equal(rectX(svg, "db-primary"), laneFrameX(svg, "us-east-1a"));
    assert.equal(rectX(svg, "db-standby"), laneFrameX(svg, "us-east-1b"));
    const swapped = renderSvg({ ...aws, database: { ...aws.database, primaryZone: "us-east-1b", standbyZone: "us-east-1a" } });
    assert.equal(rectX(swapped, "db-primary"), laneFrameX(swapped, "us-east-1b"));
    assert.equal(rectX(swapped, "db-standby"), laneFrameX(swapped, "us-east-1a"));
  });

  it("escapes & < > \" ' in every text and still renders", function () {
    const nasty = `<&>"'`;
    const escaped = "&lt;&amp;&gt;&quot;&apos;";
    const svg = renderSvg({
      title: `title ${nasty}`,
      cloud: `cloud ${nasty}`,
      domain: `domain ${nasty}`,
      loadBalancer: { label: `lb ${nasty}`, tls: `tls ${nasty}` },
      nodes: { label: `nodes ${nasty}`, port: 80, min: 2, max: 2, zones: [`zone ${nasty}`, `class="node"`] },
      database: { label: `db ${nasty}`, mode: `mode ${nasty}`, primaryZone: `zone ${nasty}`, standbyZone: `class="node"`, readReplicas: 1 },
      bucket: { label: `bucket ${nasty}` },
      sessionStore: { label: `sessions ${nasty}` },
    });
    for (const prefix of ["title", "Cloud: cloud", "domain", "lb", "tls", "nodes", "zone", "db", "mode", "bucket", "sessions"]) {
      assert.ok(svg.includes(`${prefix} ${escaped}`), `${prefix} not escaped`);
    }
    assert.ok(!svg.includes(nasty), "raw special characters in the SVG");
    // A label that looks like markup stays text: it adds no node box.
    assert.equal(countClass(svg, "node"), 2);
    assert.doesNotThrow(() => new Resvg(svg));
    assert.deepEqual(decodePng(svgToPng(svg)).width, rootSize(svg).width);
  });

  it("is deterministic: the same input gives byte-identical SVG and PNG", function () {
    assert.equal(renderSvg(aws), renderSvg(structuredClone(aws)));
    assert.ok(svgToPng(renderSvg(aws)).equals(svgToPng(renderSvg(aws))));
  });

  it("draws the standby, read replicas, bucket and session store only when given", function () {
    const without = renderSvg(bare);
    for (const cls of ["db-standby", "read-replica", "bucket", "session-store", "sync-replication"]) {
      assert.equal(countClass(without, cls), 0, `${cls} drawn without being given`);
    }
    assert.equal(countClass(without, "db-primary"), 1);

    const full = renderSvg(aws);
    assert.deepEqual(
      ["db-primary", "db-standby", "read-replica", "bucket", "session-store", "sync-replication"].map((cls) => countClass(full, cls)),
      [1, 1, 2, 1, 1, 1],
    );
    assert.equal(countClass(renderSvg({ ...bare, database: { ...bare.database, readReplicas: 5 } }), "read-replica"), 5);
    assert.equal(countClass(renderSvg({ ...bare, bucket: aws.bucket }), "bucket"), 1);
    assert.equal(countClass(renderSvg({ ...bare, sessionStore: aws.sessionStore }), "session-store"), 1);
  });

  it("refuses counts that are not whole numbers ≥ 0, naming the field", function () {
    assert.throws(() => renderSvg(withNodes(-1, ["a"])), /nodes\.min/);
    assert.throws(() => renderSvg(withNodes(1.5, ["a"])), /nodes\.min/);
    assert.throws(() => renderSvg({ ...aws, database: { ...aws.database, readReplicas: Number.NaN } }), /database\.readReplicas/);
  });
});

describe("diagram: PNG", function () {
  it("starts with the PNG signature and has the SVG's width and height", function () {
    const svg = renderSvg(aws);
    const png = svgToPng(svg);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.equal(png.toString("latin1", 12, 16), "IHDR");
    const { width, height } = rootSize(svg);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [width, height]);
  });

  it("has an opaque white background and draws the text with the bundled fonts", function () {
    const titled = decodePng(svgToPng(renderSvg({ ...aws, title: "A long title that needs many glyphs to draw" })));
    const untitled = decodePng(svgToPng(renderSvg({ ...aws, title: "" })));
    assert.deepEqual([titled.width, titled.height], [untitled.width, untitled.height]);
    assert.deepEqual([...titled.rgba.subarray(0, 4)], [255, 255, 255, 255], "top-left pixel is not opaque white");
    // Without fonts resvg silently drops text, and both images would be the same.
    assert.ok(nonWhitePixels(titled) > nonWhitePixels(untitled) + 500, "the title drew no pixels");
  });
});

describe("diagram: writeDiagram", function () {
  let dir: string;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-diagram-"));
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes .svg as the rendered SVG and .png as PNG bytes, with the extension in any case", function () {
    const svgFile = path.join(dir, "topology.svg");
    const pngFile = path.join(dir, "topology.png");
    const upperSvg = path.join(dir, "TOPOLOGY.SVG");
    const upperPng = path.join(dir, "Topology.Png");
    for (const file of [svgFile, pngFile, upperSvg, upperPng]) writeDiagram(aws, file);
    assert.equal(fs.readFileSync(svgFile, "utf8"), renderSvg(aws));
    assert.equal(fs.readFileSync(upperSvg, "utf8"), renderSvg(aws));
    for (const file of [pngFile, upperPng]) {
      const png = fs.readFileSync(file);
      assert.ok(png.equals(svgToPng(renderSvg(aws))), `${file} is not the rendered PNG`);
    }
  });

  it("refuses other extensions with an error naming the file and .svg/.png", function () {
    for (const name of ["topology.jpg", "topology", "topology.svg.txt"]) {
      const file = path.join(dir, name);
      assert.throws(
        () => writeDiagram(aws, file),
        (e: Error) => e.message.includes(file) && e.message.includes(".svg") && e.message.includes(".png"),
      );
      assert.equal(fs.existsSync(file), false, `${file} was written`);
    }
  });

  it("refuses a missing directory with an error naming the path, and creates nothing", function () {
    const missing = path.join(dir, "no-such-dir");
    const file = path.join(missing, "topology.svg");
    assert.throws(() => writeDiagram(aws, file), (e: Error) => e.message.includes(file));
    assert.equal(fs.existsSync(missing), false);
  });
});
