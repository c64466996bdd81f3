/**
 * Draws a stack's topology (clients → load balancer → app nodes per zone → data tier) as
 * a standalone SVG, and rasterises it to PNG in-process with resvg and the DejaVu fonts
 * from npm, so the picture is the same on every machine and needs no system binaries.
 *
 * The layout is computed by hand from the model alone (no timestamps, no generated ids),
 * so the same model always gives byte-identical output and diagrams can be committed and
 * diffed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Resvg } from "@resvg/resvg-js";

/** What the diagram shows, cloud-neutral. */
export interface TopologyDiagram {
  /** The title line at the top, e.g. "ha-topology · stack aws". */
  title: string;
  /** The cloud, shown in the legend: "aws" | "gcp" | "digitalocean" | "kubernetes" (free text). */
  cloud: string;
  /** The domain clients use, e.g. "app.example.com"; shown in the load balancer box. */
  domain: string;
  /** The TLS load balancer in front of the nodes. */
  loadBalancer: {
    /** What it is, e.g. "Application Load Balancer". */
    label: string;
    /** Its TLS setup, e.g. "HTTPS 443 · TLS 1.2+ · HTTP→HTTPS redirect". */
    tls: string;
  };
  /** The stateless app nodes behind the load balancer. */
  nodes: {
    /** Size and image, e.g. "t3.small · traefik/whoami:v1.10.1". */
    label: string;
    /** The port the app listens on. */
    port: number;
    /** The autoscaling floor: exactly this many node boxes are drawn. */
    min: number;
    /** The autoscaling ceiling, shown in the caption; equal to `min` for a fixed count (no autoscaling). */
    max: number;
    /** One lane per zone, e.g. ["us-east-1a", "us-east-1b"]; [] draws a single "region" lane. */
    zones: string[];
  };
  /** The database. */
  database: {
    /** Engine and size, e.g. "PostgreSQL 16 · db.t4g.small". */
    label: string;
    /** How it stays available, e.g. "Multi-AZ, automatic failover". */
    mode: string;
    /** Zone of the primary; its box sits under that zone's lane (else under the first lane). */
    primaryZone?: string;
    /** Zone of the synchronous standby; no standby box is drawn without it. */
    standbyZone?: string;
    /** How many asynchronous read replicas to draw (0 for none). */
    readReplicas: number;
  };
  /** Object storage, when the stack has it. */
  bucket?: {
    /** e.g. "S3 bucket · private · versioned · encrypted". */
    label: string;
  };
  /** The replicated session store, when the stack has one. */
  sessionStore?: {
    /** e.g. "Valkey · primary + replica". */
    label: string;
  };
}

/**
 * The diagram of a stack that declares several workloads and named resources: the
 * clients, the public load balancer(s) with their routes, the workloads in three tiers
 * (public web services, internal services, workers), and the data tier, each resource
 * linked to the workloads that use it.
 */
export interface ServicesDiagram {
  /** Tells this layout from the single service's. */
  layout: "services";
  /** The title line at the top, e.g. "web · stack aws-services". */
  title: string;
  /** The cloud, shown in the legend. */
  cloud: string;
  /** One line under the legend, e.g. "each workload: its own node group, spread over us-east-1a, us-east-1b". */
  caption: string;
  /** The public load balancers: none without a public web workload, one per host on DigitalOcean. */
  loadBalancers: {
    /** What it is, e.g. "Application Load Balancer". */
    label: string;
    /** Its TLS setup. */
    tls: string;
    /** Its routes, each to one workload: `route` as "shop.example.com/api". */
    routes: { route: string; workload: string }[];
  }[];
  /** The workloads; drawn in tiers: public, then internal, then workers. */
  workloads: {
    /** Its name (a resource's `usedBy` and a route's `workload` refer to it). */
    name: string;
    /** Its tier. */
    tier: "public" | "site" | "internal" | "worker" | "job";
    /** Its box's text: the first line bold. */
    lines: string[];
  }[];
  /** The resources, left to right. */
  resources: {
    /** Its name. */
    name: string;
    /** Its kind (sql, bucket, cache, secret): the box's colour. */
    kind: string;
    /** Its box's text: the first line bold. */
    lines: string[];
    /** The workloads that use it: one line from each. */
    usedBy: string[];
  }[];
}

/** Either layout. */
export type Diagram = TopologyDiagram | ServicesDiagram;

const FONT_FAMILY = "DejaVu Sans, sans-serif";
const MARGIN = 40;
const MIN_WIDTH = 900;
const MIN_COLUMN_WIDTH = 260;
const COLUMN_GAP = 30;
/** Horizontal room kept between a box's edge and its longest text line. */
const TEXT_PADDING = 16;

const TITLE_Y = 34;
const LEGEND_Y = 56;
const CLIENTS = { y: 76, width: 220, height: 44 };
const LOAD_BALANCER = { y: 176, minWidth: 460, height: 76 };
const LANES_Y = LOAD_BALANCER.y + LOAD_BALANCER.height + 48;
const LANE_HEADER = 40;
const NODE = { height: 44, gap: 10, inset: 20 };
const DATA_BOX_HEIGHT = 76;
const REPLICA = { width: 170, height: 44, gap: 16 };

const COLORS = {
  text: "#1f2328",
  muted: "#57606a",
  line: "#444c56",
  clients: { fill: "#eaeef2", stroke: "#8c959f" },
  loadBalancer: { fill: "#ddf4ff", stroke: "#0969da" },
  lane: { fill: "#f6f8fa", stroke: "#8c959f" },
  node: { fill: "#dafbe1", stroke: "#1a7f37" },
  database: { fill: "#fff1e5", stroke: "#bc4c00" },
  bucket: { fill: "#fbefff", stroke: "#8250df" },
  sessionStore: { fill: "#ffebe9", stroke: "#cf222e" },
};

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface TextLine {
  text: string;
  size: number;
  bold?: boolean;
}

interface BoxStyle {
  fill: string;
  stroke: string;
  dashed?: boolean;
}

/** Characters XML 1.0 forbids even when escaped; dropping them keeps the document parseable. */
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function escapeXml(value: string): string {
  return value
    .replace(XML_FORBIDDEN, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * A generous estimate of rendered text width: DejaVu Sans averages about 0.6 em per
 * character (bold a little more). Used only to size boxes so long labels do not spill.
 */
function textWidth(line: TextLine): number {
  return Math.ceil([...line.text].length * line.size * (line.bold ? 0.68 : 0.62));
}

function textElement(x: number, y: number, line: TextLine, anchor: "start" | "middle", fill = COLORS.text): string {
  const weight = line.bold ? ` font-weight="bold"` : "";
  return `<text x="${x}" y="${y}" font-size="${line.size}"${weight} text-anchor="${anchor}" fill="${fill}">${escapeXml(line.text)}</text>`;
}

/** A rectangle with its lines of text centred in it; `cls` lets tests and styling find it. */
function boxElement(cls: string, box: Box, style: BoxStyle, lines: TextLine[]): string {
  const dash = style.dashed ? ` stroke-dasharray="6 4"` : "";
  const parts = [
    `<rect class="${cls}" x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="6" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"${dash}/>`,
  ];
  const lineHeights = lines.map((line) => Math.round(line.size * 1.4));
  const total = lineHeights.reduce((sum, h) => sum + h, 0);
  const centreX = box.x + Math.round(box.width / 2);
  let top = box.y + Math.round((box.height - total) / 2);
  lines.forEach((line, i) => {
    // Centres the glyphs in their line: a baseline about 0.35 em below the line's middle.
    parts.push(textElement(centreX, top + Math.round(lineHeights[i] / 2 + line.size * 0.35), line, "middle"));
    top += lineHeights[i];
  });
  return parts.join("\n");
}

interface ConnectorStyle {
  dashed?: boolean;
  arrowhead?: boolean;
}

/** A straight connector; solid ones carry requests, dashed ones replication. */
function connector(x1: number, y1: number, x2: number, y2: number, style: ConnectorStyle = {}): string {
  const dash = style.dashed ? ` stroke-dasharray="6 4"` : "";
  const head = style.arrowhead ? ` marker-end="url(#arrow)"` : "";
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${COLORS.line}" stroke-width="1.5"${dash}${head}/>`;
}

/**
 * Sources drop onto a horizontal bus at `busY`, which feeds an arrow down to each target
 * (top centre). One bus instead of source × target diagonals keeps the lines from crossing.
 */
function bus(sourceXs: number[], sourceY: number, busY: number, targets: { x: number; y: number }[], dashed: boolean): string[] {
  const xs = [...sourceXs, ...targets.map((t) => t.x)];
  const parts = sourceXs.map((x) => connector(x, sourceY, x, busY, { dashed }));
  if (Math.min(...xs) !== Math.max(...xs)) parts.push(connector(Math.min(...xs), busY, Math.max(...xs), busY, { dashed }));
  for (const t of targets) parts.push(connector(t.x, busY, t.x, t.y, { dashed, arrowhead: true }));
  return parts;
}

/** Nodes dealt round-robin over the lanes: lane i gets node i, i + lanes, ... */
function nodesPerLane(min: number, lanes: number): number[] {
  return Array.from({ length: lanes }, (_, i) => Math.floor(min / lanes) + (i < min % lanes ? 1 : 0));
}

function requireCount(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`diagram: ${field} must be a whole number ≥ 0, got ${value}`);
  }
}

/** Renders the diagram as a standalone SVG document (UTF-8 string). */
export function renderSvg(diagram: Diagram): string {
  if ("layout" in diagram && diagram.layout === "services") return renderServicesSvg(diagram);
  return renderSingleServiceSvg(diagram as TopologyDiagram);
}

function renderSingleServiceSvg(diagram: TopologyDiagram): string {
  const { nodes, database } = diagram;
  requireCount(nodes.min, "nodes.min");
  requireCount(nodes.max, "nodes.max");
  requireCount(nodes.port, "nodes.port");
  requireCount(database.readReplicas, "database.readReplicas");

  // ---- Text, so the boxes can be sized to it.
  const laneNames = nodes.zones.length > 0 ? nodes.zones : ["region"];
  const laneIndex = (zone: string | undefined): number => (zone === undefined ? -1 : laneNames.indexOf(zone));
  const primaryColumn = Math.max(0, laneIndex(database.primaryZone));
  const hasStandby = database.standbyZone !== undefined;
  const standbyLane = laneIndex(database.standbyZone);
  // A standby in the primary's zone (or an unknown one) still gets its own column, so the
  // two boxes never overlap.
  const standbyColumn = standbyLane >= 0 && standbyLane !== primaryColumn ? standbyLane : primaryColumn === 0 ? 1 : 0;

  const primaryLines: TextLine[] = [
    { text: database.primaryZone ? `DB primary · ${database.primaryZone}` : "DB primary", size: 14, bold: true },
    { text: database.label, size: 12 },
    { text: database.mode, size: 12 },
  ];
  const standbyLines: TextLine[] = [
    { text: `DB standby · ${database.standbyZone ?? ""}`, size: 14, bold: true },
    { text: database.label, size: 12 },
    { text: "synchronous standby", size: 12 },
  ];
  const services: { cls: string; style: BoxStyle; lines: TextLine[] }[] = [];
  if (diagram.bucket) {
    services.push({ cls: "bucket", style: COLORS.bucket, lines: [{ text: "Object storage", size: 14, bold: true }, { text: diagram.bucket.label, size: 12 }] });
  }
  if (diagram.sessionStore) {
    services.push({ cls: "session-store", style: COLORS.sessionStore, lines: [{ text: "Session store", size: 14, bold: true }, { text: diagram.sessionStore.label, size: 12 }] });
  }
  const lbLines: TextLine[] = [
    { text: diagram.loadBalancer.label, size: 14, bold: true },
    { text: diagram.domain, size: 12 },
    { text: diagram.loadBalancer.tls, size: 12 },
  ];
  const nodeLines: TextLine[] = [{ text: "node", size: 13, bold: true }, { text: `port ${nodes.port}`, size: 12 }];
  const caption: TextLine[] = [
    { text: nodes.max > nodes.min ? `min ${nodes.min} · max ${nodes.max} nodes (autoscaling)` : `${nodes.min} nodes (fixed count, no autoscaling)`, size: 12, bold: true },
    { text: nodes.label, size: 12 },
  ];
  const titleLine: TextLine = { text: diagram.title, size: 20, bold: true };
  const legendLine: TextLine = { text: `Cloud: ${diagram.cloud} · solid arrows: requests · dashed lines: replication`, size: 12 };

  // ---- Columns: one per lane, then one per extra service box in the data row.
  const columnTexts: TextLine[] = [
    ...laneNames.map((text) => ({ text, size: 13, bold: true })),
    ...primaryLines,
    ...(hasStandby ? standbyLines : []),
    ...services.flatMap((s) => s.lines),
  ];
  const columnWidth = Math.max(MIN_COLUMN_WIDTH, ...columnTexts.map((t) => textWidth(t) + 2 * TEXT_PADDING));
  const firstServiceColumn = Math.max(laneNames.length, primaryColumn + 1, hasStandby ? standbyColumn + 1 : 0);
  const columnCount = firstServiceColumn + services.length;
  const columnOffset = (column: number): number => column * (columnWidth + COLUMN_GAP);
  const gridWidth = columnOffset(columnCount) - COLUMN_GAP;
  const replicaRowEnd = columnOffset(primaryColumn) + database.readReplicas * (REPLICA.width + REPLICA.gap) - REPLICA.gap;
  const gridSpan = Math.max(gridWidth, replicaRowEnd);
  const lbWidth = Math.max(LOAD_BALANCER.minWidth, ...lbLines.map((t) => textWidth(t) + 2 * TEXT_PADDING));
  const contentWidth = Math.max(gridSpan, lbWidth, textWidth(titleLine), textWidth(legendLine), ...caption.map(textWidth));
  const width = Math.max(MIN_WIDTH, contentWidth + 2 * MARGIN);
  const gridLeft = Math.floor((width - gridSpan) / 2);
  const columnX = (column: number): number => gridLeft + columnOffset(column);
  const columnCentre = (column: number): number => columnX(column) + Math.round(columnWidth / 2);
  // Clients, load balancer and caption sit over the lanes (not the whole width, which also
  // holds the service columns), pulled in where that would push them past the margin.
  const lanesCentre = Math.round((columnX(0) + columnX(laneNames.length - 1) + columnWidth) / 2);
  const overLanes = (boxWidth: number): number =>
    Math.min(Math.max(lanesCentre, MARGIN + Math.ceil(boxWidth / 2)), width - MARGIN - Math.ceil(boxWidth / 2));
  const centreX = overLanes(lbWidth);

  // ---- Rows, top to bottom.
  const counts = nodesPerLane(nodes.min, laneNames.length);
  const laneHeight = LANE_HEADER + Math.max(1, ...counts) * (NODE.height + NODE.gap) + 4;
  const lanesBottom = LANES_Y + laneHeight;
  const captionTop = lanesBottom + 10;
  const busY = lanesBottom + 60;
  const dataY = busY + 36;
  let bottom = dataY + DATA_BOX_HEIGHT;
  const syncY = bottom + 20;
  if (hasStandby) bottom = syncY + 22;
  const replicaBusY = bottom + 16;
  const replicaY = replicaBusY + 30;
  if (database.readReplicas > 0) bottom = replicaY + REPLICA.height;
  const height = bottom + MARGIN;

  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${COLORS.line}"/></marker></defs>`,
    `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    textElement(MARGIN, TITLE_Y, titleLine, "start"),
    textElement(MARGIN, LEGEND_Y, legendLine, "start", COLORS.muted),
  ];

  // Clients → load balancer.
  const clientsBox = { x: centreX - CLIENTS.width / 2, y: CLIENTS.y, width: CLIENTS.width, height: CLIENTS.height };
  parts.push(boxElement("clients", clientsBox, COLORS.clients, [{ text: "Clients (internet)", size: 14, bold: true }]));
  parts.push(connector(centreX, CLIENTS.y + CLIENTS.height, centreX, LOAD_BALANCER.y, { arrowhead: true }));
  parts.push(textElement(centreX + 8, Math.round((CLIENTS.y + CLIENTS.height + LOAD_BALANCER.y) / 2) + 4, { text: "HTTPS", size: 12, bold: true }, "start"));
  const lbBox = { x: centreX - Math.round(lbWidth / 2), y: LOAD_BALANCER.y, width: lbWidth, height: LOAD_BALANCER.height };
  parts.push(boxElement("load-balancer", lbBox, COLORS.loadBalancer, lbLines));

  // Load balancer → each zone lane, and the nodes in it.
  laneNames.forEach((zone, lane) => {
    parts.push(connector(centreX, LOAD_BALANCER.y + LOAD_BALANCER.height, columnCentre(lane), LANES_Y, { arrowhead: true }));
    parts.push(`<g class="lane" data-zone="${escapeXml(zone)}">`);
    parts.push(boxElement("lane-frame", { x: columnX(lane), y: LANES_Y, width: columnWidth, height: laneHeight }, { ...COLORS.lane, dashed: true }, []));
    parts.push(textElement(columnCentre(lane), LANES_Y + 26, { text: zone, size: 13, bold: true }, "middle"));
    for (let n = 0; n < counts[lane]; n++) {
      const nodeBox = {
        x: columnX(lane) + NODE.inset,
        y: LANES_Y + LANE_HEADER + n * (NODE.height + NODE.gap),
        width: columnWidth - 2 * NODE.inset,
        height: NODE.height,
      };
      parts.push(boxElement("node", nodeBox, COLORS.node, nodeLines));
    }
    parts.push(`</g>`);
  });

  // Lanes → data tier: each lane drops onto a shared bus that feeds the boxes the nodes use.
  const primaryBox = { x: columnX(primaryColumn), y: dataY, width: columnWidth, height: DATA_BOX_HEIGHT };
  const serviceBoxes = services.map((_, i) => ({ x: columnX(firstServiceColumn + i), y: dataY, width: columnWidth, height: DATA_BOX_HEIGHT }));
  const consumers = [primaryBox, ...serviceBoxes].map((b) => ({ x: b.x + Math.round(b.width / 2), y: b.y }));
  parts.push(...bus(laneNames.map((_, lane) => columnCentre(lane)), lanesBottom, busY, consumers, false));

  // The caption goes over the lane drops on a white patch, so it stays readable.
  const captionWidth = Math.max(...caption.map(textWidth)) + 12;
  const captionX = overLanes(captionWidth);
  parts.push(`<rect x="${captionX - Math.round(captionWidth / 2)}" y="${captionTop}" width="${captionWidth}" height="38" fill="#ffffff"/>`);
  parts.push(textElement(captionX, captionTop + 14, caption[0], "middle"));
  parts.push(textElement(captionX, captionTop + 32, caption[1], "middle", COLORS.muted));

  // Database primary and standby, with the synchronous link under them.
  parts.push(boxElement("db-primary", primaryBox, COLORS.database, primaryLines));
  const direction = standbyColumn > primaryColumn ? 1 : -1;
  const quarter = Math.round(columnWidth / 4);
  if (hasStandby) {
    const standbyBox = { x: columnX(standbyColumn), y: dataY, width: columnWidth, height: DATA_BOX_HEIGHT };
    parts.push(boxElement("db-standby", standbyBox, { ...COLORS.database, dashed: true }, standbyLines));
    const fromX = columnCentre(primaryColumn) + direction * quarter;
    const toX = columnCentre(standbyColumn) - direction * quarter;
    const boxBottom = dataY + DATA_BOX_HEIGHT;
    parts.push(`<path class="sync-replication" d="M${fromX},${boxBottom} V${syncY} H${toX} V${boxBottom}" fill="none" stroke="${COLORS.line}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    parts.push(textElement(Math.round((fromX + toX) / 2), syncY + 16, { text: "sync replication / failover", size: 11 }, "middle", COLORS.muted));
  }

  // Read replicas, fed asynchronously from the primary's other side (away from the standby link).
  if (database.readReplicas > 0) {
    const replicaBoxes = Array.from({ length: database.readReplicas }, (_, i) => ({
      x: columnX(primaryColumn) + i * (REPLICA.width + REPLICA.gap),
      y: replicaY,
      width: REPLICA.width,
      height: REPLICA.height,
    }));
    const sourceX = hasStandby ? columnCentre(primaryColumn) - direction * quarter : columnCentre(primaryColumn);
    const targets = replicaBoxes.map((b) => ({ x: b.x + Math.round(b.width / 2), y: b.y }));
    parts.push(...bus([sourceX], dataY + DATA_BOX_HEIGHT, replicaBusY, targets, true));
    replicaBoxes.forEach((box, i) => {
      parts.push(boxElement("read-replica", box, COLORS.database, [{ text: `read replica ${i + 1}`, size: 12, bold: true }, { text: "async replication", size: 11 }]));
    });
  }

  services.forEach((service, i) => parts.push(boxElement(service.cls, serviceBoxes[i], service.style, service.lines)));

  parts.push(`</svg>`, "");
  return parts.join("\n");
}

const SERVICE_COLORS = {
  public: { fill: "#dafbe1", stroke: "#1a7f37" },
  internal: { fill: "#fff8c5", stroke: "#9a6700", dashed: true },
  worker: { fill: "#eaeef2", stroke: "#57606a" },
  job: { fill: "#fbefff", stroke: "#8250df", dashed: true },
  site: { fill: "#ddf4ff", stroke: "#0969da" },
  sql: COLORS.database,
  bucket: COLORS.bucket,
  cache: COLORS.sessionStore,
  secret: { fill: "#ffeff7", stroke: "#bf3989" },
  document: { fill: "#fff1e5", stroke: "#bc4c00" },
  queue: { fill: "#f6f8fa", stroke: "#6639ba" },
} as const;

const TIER_TITLES = { public: "Web services (public)", site: "Static sites (files behind the CDN)", internal: "Internal services (private URL)", worker: "Workers (no load balancer)", job: "Scheduled jobs (one run per tick)" } as const;

/** Box height for `count` lines of text (the first one bold, 14 px; the others 12 px). */
const linesHeight = (count: number): number => 20 + Math.round(14 * 1.4) + Math.max(0, count - 1) * Math.round(12 * 1.4);

const asLines = (texts: readonly string[]): TextLine[] => texts.map((text, i) => (i === 0 ? { text, size: 14, bold: true } : { text, size: 12 }));

/** A connector with a class and data attributes, so tests can find what links what. */
function link(cls: string, data: Record<string, string>, x1: number, y1: number, x2: number, y2: number, style: ConnectorStyle = {}): string {
  const attributes = Object.entries(data).map(([k, v]) => ` data-${k}="${escapeXml(v)}"`).join("");
  return connector(x1, y1, x2, y2, style).replace("<line ", `<line class="${cls}"${attributes} `);
}

/** Evenly spaced points along a box edge: `count` of them between `x` and `x + width`. */
const spread = (x: number, width: number, count: number): number[] => Array.from({ length: count }, (_, i) => x + Math.round(((i + 1) * width) / (count + 1)));

function renderServicesSvg(diagram: ServicesDiagram): string {
  const GAP = COLUMN_GAP;
  const FRAME = { inset: 16, header: 34, bottom: 14, gap: 24 };
  const titleLine: TextLine = { text: diagram.title, size: 20, bold: true };
  const legendLine: TextLine = { text: `Cloud: ${diagram.cloud} · arrows: requests · thin lines: a workload uses a resource`, size: 12 };
  const captionLine: TextLine = { text: diagram.caption, size: 12 };

  // ---- Sizes from the text.
  const workloadLines = diagram.workloads.map((w) => asLines(w.lines));
  const resourceLines = diagram.resources.map((r) => asLines(r.lines));
  const lbLines = diagram.loadBalancers.map((lb) => asLines([lb.label, lb.tls, ...lb.routes.map((r) => `${r.route} → ${r.workload}`)]));
  const widest = (lines: TextLine[][]) => Math.max(0, ...lines.flat().map((t) => textWidth(t) + 2 * TEXT_PADDING));
  // A tier of one box still holds its title.
  const titleWidth = Math.max(...Object.values(TIER_TITLES).map((text) => textWidth({ text, size: 13, bold: true })));
  const columnWidth = Math.max(200, titleWidth, widest(workloadLines), widest(resourceLines));
  const lbWidth = Math.max(320, widest(lbLines));
  const workloadHeight = linesHeight(Math.max(1, ...workloadLines.map((l) => l.length)));
  const resourceHeight = linesHeight(Math.max(1, ...resourceLines.map((l) => l.length)));
  const lbHeight = linesHeight(Math.max(1, ...lbLines.map((l) => l.length)));

  const tiers = (["public", "site", "internal", "worker", "job"] as const)
    .map((tier) => ({ tier, members: diagram.workloads.map((w, i) => ({ w, i })).filter(({ w }) => w.tier === tier) }))
    .filter((t) => t.members.length > 0);
  const frameWidth = (n: number) => n * columnWidth + (n - 1) * GAP + 2 * FRAME.inset;
  const tiersWidth = tiers.reduce((sum, t) => sum + frameWidth(t.members.length), 0) + Math.max(0, tiers.length - 1) * FRAME.gap;
  const rowWidth = (n: number, w: number) => (n === 0 ? 0 : n * w + (n - 1) * GAP);
  const resourcesWidth = rowWidth(diagram.resources.length, columnWidth);
  const lbsWidth = rowWidth(diagram.loadBalancers.length, lbWidth);
  const contentWidth = Math.max(tiersWidth, resourcesWidth, lbsWidth, textWidth(titleLine), textWidth(legendLine), textWidth(captionLine));
  const width = Math.max(MIN_WIDTH, contentWidth + 2 * MARGIN);
  const centre = Math.round(width / 2);
  const rowLeft = (rowW: number) => Math.floor((width - rowW) / 2);

  // ---- Rows, top to bottom.
  const CAPTION_Y = LEGEND_Y + 20;
  const hasEdge = diagram.loadBalancers.length > 0;
  const clientsY = CAPTION_Y + 24;
  const lbY = clientsY + CLIENTS.height + 56;
  const framesY = hasEdge ? lbY + lbHeight + 56 : CAPTION_Y + 30;
  const boxesY = framesY + FRAME.header;
  const framesBottom = boxesY + workloadHeight + FRAME.bottom;
  const resourcesY = framesBottom + (diagram.resources.length > 0 ? 90 : 0);
  const bottom = diagram.resources.length > 0 ? resourcesY + resourceHeight : framesBottom;
  const height = bottom + MARGIN;

  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${COLORS.line}"/></marker></defs>`,
    `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    textElement(MARGIN, TITLE_Y, titleLine, "start"),
    textElement(MARGIN, LEGEND_Y, legendLine, "start", COLORS.muted),
    textElement(MARGIN, CAPTION_Y, captionLine, "start", COLORS.muted),
  ];

  // ---- Workload boxes, in their tier frames.
  const boxes = new Map<string, Box>();
  let frameX = rowLeft(tiersWidth);
  for (const { tier, members } of tiers) {
    const frame = { x: frameX, y: framesY, width: frameWidth(members.length), height: framesBottom - framesY };
    parts.push(`<g class="tier" data-tier="${tier}">`);
    parts.push(boxElement("tier-frame", frame, { ...COLORS.lane, dashed: true }, []));
    // At the frame's left: the route arrows come down to the boxes' centres.
    parts.push(textElement(frame.x + FRAME.inset, framesY + 22, { text: TIER_TITLES[tier], size: 13, bold: true }, "start"));
    members.forEach(({ w, i }, n) => {
      const box = { x: frame.x + FRAME.inset + n * (columnWidth + GAP), y: boxesY, width: columnWidth, height: workloadHeight };
      boxes.set(w.name, box);
      parts.push(`<g class="workload" data-name="${escapeXml(w.name)}" data-tier="${tier}">`, boxElement("workload-box", box, SERVICE_COLORS[tier], workloadLines[i]), `</g>`);
    });
    parts.push(`</g>`);
    frameX += frame.width + FRAME.gap;
  }

  // ---- Clients → load balancers → the public workloads they route to.
  if (hasEdge) {
    const lbLeft = rowLeft(lbsWidth);
    const clientsBox = { x: centre - CLIENTS.width / 2, y: clientsY, width: CLIENTS.width, height: CLIENTS.height };
    parts.push(boxElement("clients", clientsBox, COLORS.clients, [{ text: "Clients (internet)", size: 14, bold: true }]));
    diagram.loadBalancers.forEach((lb, i) => {
      const box = { x: lbLeft + i * (lbWidth + GAP), y: lbY, width: lbWidth, height: lbHeight };
      const lbCentre = box.x + Math.round(lbWidth / 2);
      parts.push(connector(centre, clientsY + CLIENTS.height, lbCentre, lbY, { arrowhead: true }));
      parts.push(boxElement("load-balancer", box, COLORS.loadBalancer, lbLines[i]));
      const targets = lb.routes.filter((r) => boxes.has(r.workload));
      const starts = spread(box.x, lbWidth, targets.length);
      targets.forEach((r, n) => {
        const to = boxes.get(r.workload)!;
        parts.push(link("route", { route: r.route, workload: r.workload }, starts[n], lbY + lbHeight, to.x + Math.round(to.width / 2), to.y, { arrowhead: true }));
      });
    });
    parts.push(textElement(centre + 8, Math.round((clientsY + CLIENTS.height + lbY) / 2) + 4, { text: "HTTPS", size: 12, bold: true }, "start"));
  }

  // ---- The data tier, each resource linked from the workloads that use it.
  const resourceLeft = rowLeft(resourcesWidth);
  const resourceBoxes = diagram.resources.map((_, i) => ({ x: resourceLeft + i * (columnWidth + GAP), y: resourcesY, width: columnWidth, height: resourceHeight }));
  const uses = diagram.workloads.map((w) => ({ w, used: diagram.resources.filter((r) => r.usedBy.includes(w.name)) }));
  for (const { w, used } of uses) {
    const from = boxes.get(w.name);
    if (!from) continue;
    const starts = spread(from.x, from.width, used.length);
    used.forEach((r, n) => {
      const index = diagram.resources.indexOf(r);
      const to = resourceBoxes[index];
      // Left to right, as the workloads are drawn: the lines cross as little as they can.
      const users = r.usedBy.filter((u) => boxes.has(u)).sort((a, b) => boxes.get(a)!.x - boxes.get(b)!.x);
      const ends = spread(to.x, to.width, users.length);
      parts.push(link("uses", { workload: w.name, resource: r.name }, starts[n], from.y + from.height, ends[users.indexOf(w.name)], to.y, { arrowhead: true }));
    });
  }
  diagram.resources.forEach((r, i) => {
    const style = SERVICE_COLORS[r.kind as keyof typeof SERVICE_COLORS] ?? COLORS.lane;
    parts.push(`<g class="resource" data-name="${escapeXml(r.name)}" data-kind="${escapeXml(r.kind)}">`, boxElement("resource-box", resourceBoxes[i], style, resourceLines[i]), `</g>`);
  });

  parts.push(`</svg>`, "");
  return parts.join("\n");
}

/** The DejaVu fonts shipped by the `dejavu-fonts-ttf` npm package, so rendering never depends on the host's fonts. */
function fontFiles(): string[] {
  const ttf = path.join(path.dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  return [path.join(ttf, "DejaVuSans.ttf"), path.join(ttf, "DejaVuSans-Bold.ttf")];
}

/** Rasterises an SVG produced by renderSvg to PNG bytes, in-process. */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    fitTo: { mode: "original" },
    background: "#ffffff",
  });
  return resvg.render().asPng();
}

/** Writes the diagram to `file`; the format follows the extension (.svg or .png, case-insensitive); anything else throws an Error whose message names the file and the allowed extensions. Creates no directories: a missing directory is an error that names the path. */
export function writeDiagram(diagram: Diagram, file: string): void {
  const extension = path.extname(file).toLowerCase();
  if (extension !== ".svg" && extension !== ".png") {
    throw new Error(`cannot write diagram to ${file}: the file name must end in .svg or .png`);
  }
  const directory = path.dirname(path.resolve(file));
  if (!fs.statSync(directory, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`cannot write diagram to ${file}: directory ${directory} does not exist`);
  }
  const svg = renderSvg(diagram);
  if (extension === ".svg") fs.writeFileSync(file, svg, "utf8");
  else fs.writeFileSync(file, svgToPng(svg));
}
