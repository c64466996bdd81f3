/**
 * The model's 5-field cron schedule (model/cronSchedule.ts: `minute hour day-of-month
 * month day-of-week`, UTC, Vixie semantics) as EventBridge Scheduler's `cron()` dialect:
 * six fields (`minutes hours day-of-month month day-of-week year`), one of day-of-month
 * and day-of-week must be `?`, and day-of-week counts 1-7 from Sunday (Vixie: 0-7, both 0
 * and 7 Sunday). Every field is expanded to the set of values it means and written back
 * as `*`, a range `a-b`, `start/step` or a list, so ranges, steps and names translate exactly.
 *
 * Vixie cron runs on a day matching day-of-month OR day-of-week when both are restricted;
 * EventBridge cannot say that (one of them must be `?`), so such a schedule is refused
 * with what to write instead (two jobs, or one field left `*`).
 */

const months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Bounds {
  min: number;
  max: number;
  names?: string[];
  /** What the first name is worth (JAN = 1, SUN = 0). */
  nameBase?: number;
}

const bounds: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: months, nameBase: 1 },
  { min: 0, max: 7, names: weekdays, nameBase: 0 },
];

function value(text: string, b: Bounds): number {
  if (/^\d+$/.test(text)) return Number(text);
  const i = b.names?.indexOf(text.toUpperCase()) ?? -1;
  if (i < 0) throw new Error(`cron: "${text}" is not a value of this field`);
  return i + (b.nameBase ?? 0);
}

/** The values one field means (already validated by cronScheduleProblem). */
function expand(text: string, b: Bounds): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let from: number;
    let to: number;
    if (range === "*") {
      from = b.min;
      to = b.max;
    } else {
      const [a, z] = range.split("-");
      from = value(a, b);
      to = z === undefined ? from : value(z, b);
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** A set of values written as `*`, `a-b` (three or more in a row), `start/step` (an arithmetic run to the field's end) or a list. */
function compress(values: readonly number[], min: number, max: number): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length === max - min + 1) return "*";
  if (sorted.length >= 3) {
    const step = sorted[1] - sorted[0];
    const arithmetic = sorted.every((v, i) => i === 0 || v - sorted[i - 1] === step);
    if (arithmetic && step === 1) return `${sorted[0]}-${sorted[sorted.length - 1]}`;
    if (arithmetic && sorted[sorted.length - 1] + step > max) return `${sorted[0]}/${step}`;
  }
  return sorted.join(",");
}

/** The EventBridge Scheduler expression, `cron(m h dom mon dow year)`, of a 5-field schedule. */
export function eventBridgeCron(schedule: string, key = "schedule"): string {
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron: five fields expected in "${schedule}"`);
  const [minute, hour, dom, month, dow] = parts;
  if (dom !== "*" && dow !== "*") {
    throw new Error(
      `${key}: "${schedule}" restricts both the day of month and the day of week (cron runs when either matches); EventBridge Scheduler takes one of them only: leave one of them "*", or declare two jobs`,
    );
  }
  const field = (text: string, i: number) => compress([...expand(text, bounds[i])], bounds[i].min, bounds[i].max);
  // Vixie day-of-week 0-7 (0 and 7 Sunday) -> EventBridge 1-7 (1 Sunday).
  const awsDow = dow === "*" ? "?" : compress([...expand(dow, bounds[4])].map((d) => (d % 7) + 1), 1, 7);
  const awsDom = dow === "*" ? field(dom, 2) : "?";
  return `cron(${field(minute, 0)} ${field(hour, 1)} ${awsDom} ${field(month, 3)} ${awsDow} *)`;
}
