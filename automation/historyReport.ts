/**
 * `ha-topology history` and `ha-topology rollback` as text (for people) and JSON (for
 * tools): the deployed versions with their images, and what a rollback changes.
 */
import type { DeployedVersion, RollbackPlan } from "./rollback";
import type { WorkloadImages } from "./workloadImages";

/** A time as `2026-12-02 14:00:05` (UTC). */
export function utcTime(date: Date): string {
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
}

/** A duration as `45s`, `3m 12s`, `1h 02m`. */
export function durationText(start: Date, end: Date | undefined): string {
  if (!end) return "-";
  const seconds = Math.max(0, Math.round((end.getTime() - start.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

/** One workload's image per line: `web  ghcr.io/acme/web:1.4.2`. */
function imageLines(images: WorkloadImages | undefined): string[] {
  if (!images) return ["(images unknown: the update's config hides them)"];
  const names = Object.keys(images);
  if (!names.length) return ["(no workload with an image)"];
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${images[n]}`);
}

/** The versions as a table, newest first; a workload per line under its version. */
export function formatHistory(stack: string, versions: readonly DeployedVersion[]): string {
  if (!versions.length) return `Stack "${stack}" has no update yet.\n`;
  const header = ["VERSION", "STARTED (UTC)", "DURATION", "RESULT", "IMAGES"];
  const rows = versions.map((v) => ({ cells: [String(v.version), utcTime(v.startTime), durationText(v.startTime, v.endTime), v.result], images: imageLines(v.images) }));
  const widths = header.slice(0, 4).map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const pad = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  const blank = pad(widths.map(() => ""));
  const lines = [`${pad(header.slice(0, 4))}  ${header[4]}`];
  for (const row of rows) {
    lines.push(`${pad(row.cells)}  ${row.images[0]}`);
    for (const more of row.images.slice(1)) lines.push(`${blank}  ${more}`);
  }
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}

/** One version as JSON: times as ISO strings, `endTime` and `images` null when unknown. */
export function versionJson(v: DeployedVersion) {
  return {
    version: v.version,
    kind: v.kind,
    startTime: v.startTime.toISOString(),
    endTime: v.endTime?.toISOString() ?? null,
    result: v.result,
    images: v.images ?? null,
  };
}

/** The versions as JSON, newest first. */
export function historyJson(versions: readonly DeployedVersion[]) {
  return versions.map(versionJson);
}

/** What the stack file still says where the rollback deploys otherwise: one line per image. */
export function staleFileLines(plan: RollbackPlan): string[] {
  return Object.entries(plan.overrides).map(
    ([workload, image]) => `The stack file still says ${workload}: ${plan.file[workload]}; update it (to ${image}), or the next up redeploys it.`,
  );
}

/** What a rollback does, said before it runs: the version, the images that change, what is kept, what the stack file still says. */
export function formatRollbackPlan(plan: RollbackPlan): string {
  const { target, deployed } = plan;
  const lines = [
    `Rollback of stack "${plan.stack}" to the images of version ${target.version} (${target.result} ${utcTime(target.startTime)} UTC); version ${deployed.version} (${deployed.result}) is the newest.`,
    "Images that change:",
  ];
  const width = Math.max(...plan.changes.map((c) => c.workload.length), 0);
  for (const c of plan.changes) lines.push(`  ${c.workload.padEnd(width)}  ${c.from ?? "(not deployed)"} → ${c.to}`);
  const unchanged = Object.keys(plan.images).filter((w) => !plan.changes.some((c) => c.workload === w) && !plan.kept.some((k) => k.workload === w));
  if (unchanged.length) lines.push(`Unchanged: ${unchanged.map((w) => `${w} ${plan.images[w]}`).join(", ")}.`);
  for (const k of plan.kept) lines.push(`Not in version ${target.version}, keeps its image: ${k.workload} ${k.image}.`);
  if (plan.notRedeployed.length) {
    lines.push(`In version ${target.version} but no longer in the stack file, not redeployed (a rollback changes images only): ${plan.notRedeployed.join(", ")}.`);
  }
  lines.push("Everything else comes from the stack file, through the same health-gated rollout as up.");
  lines.push(...staleFileLines(plan));
  return `${lines.join("\n")}\n`;
}

