/**
 * 5-field cron schedules (`minute hour day-of-month month day-of-week`, UTC), the one
 * dialect every scheduler the platforms use reads the same way: EventBridge Scheduler's
 * `cron()` (after translation), Cloud Scheduler's unix-cron, a Kubernetes CronJob and a
 * systemd timer's OnCalendar (after translation). So only what all of them accept passes:
 * numbers, `*`, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and the three-letter
 * month and weekday names. Macros (`@daily`), seconds, years, `?`, `L`, `W` and `#` are
 * refused with what to write instead.
 */

/** One field's bounds and names. */
export interface CronField {
  /** The field's name, for messages. */
  name: string;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Names accepted for values (JAN = 1, SUN = 0). */
  names?: string[];
}

/** The five fields, in order. */
export const cronFields: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  // 7 is Sunday too, as in Vixie cron and Kubernetes.
  { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

/** What the common macros stand for (and what to write instead of them). */
export const cronMacros: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A value of a field: a number in bounds or a name; undefined when it is neither. */
function valueOf(text: string, field: CronField): number | undefined {
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : undefined;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  return index >= 0 ? index + (field.name === "month" ? 1 : 0) : undefined;
}

/** Why one field is not valid, or undefined. */
function fieldProblem(text: string, field: CronField): string | undefined {
  const bounds = `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ""}`;
  for (const part of text.split(",")) {
    const [range, step, extra] = part.split("/");
    if (extra !== undefined || range === "") return `the ${field.name} field "${text}" is not a value, range, step or list of them (${bounds})`;
    if (step !== undefined && (!/^\d{1,2}$/.test(step) || Number(step) < 1 || Number(step) > field.max)) {
      return `the ${field.name} field "${text}" has a step "/${step}" that is not a number from 1 to ${field.max}`;
    }
    if (range === "*") continue;
    const [from, to, more] = range.split("-");
    if (more !== undefined) return `the ${field.name} field "${text}" is not a value, range, step or list of them (${bounds})`;
    const a = valueOf(from, field);
    const b = to === undefined ? a : valueOf(to, field);
    if (a === undefined || b === undefined) return `the ${field.name} field "${text}" has a value outside ${bounds}`;
    if (b < a) return `the ${field.name} field "${text}" has a range that ends before it starts`;
    if (step !== undefined && to === undefined) return `the ${field.name} field "${text}" has a step on a single value (write a range, such as ${from}-${field.max}/${step})`;
  }
  return undefined;
}

/** Why a schedule is not a 5-field cron expression every platform reads the same way, or undefined. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const trimmed = schedule.trim();
  const macro = cronMacros[trimmed.toLowerCase()];
  if (macro) return `the five fields "${macro}" instead of ${trimmed} (not every scheduler reads the macros)`;
  if (/[?LW#]/i.test(trimmed.replace(/[A-Z]{3}/gi, (name) => (/^(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)$/i.test(name) ? "" : name)))) {
    return "no ?, L, W or # (Quartz and AWS extensions that Kubernetes and Cloud Scheduler do not read)";
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) return `five fields (minute hour day-of-month month day-of-week), ${parts.length} given`;
  for (const [i, part] of parts.entries()) {
    const problem = fieldProblem(part, cronFields[i]);
    if (problem) return problem;
  }
  return undefined;
}

/** The values a cron field admits (cronSchedule.ts has checked the text: numbers, names, `*`, ranges, steps, lists). */
function matchedValues(text: string, min: number, max: number, names: string[] = [], offset = 0): Set<number> {
  const value = (t: string) => (/^\d+$/.test(t) ? Number(t) : names.indexOf(t.toUpperCase()) + offset);
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range, step] = part.split("/");
    const [from, to] = range === "*" ? [min, max] : range.split("-").map(value).concat(range.includes("-") ? [] : [value(range)]);
    for (let v = from; v <= (to ?? from); v += step ? Number(step) : 1) out.add(v);
  }
  return out;
}

/**
 * The shortest time between two ticks of a 5-field schedule, in seconds, over two years
 * (2027 and 2028, a leap year: every weekday on every date); undefined for a schedule
 * that ticks at most once in them. Day of month and day of week are both matched when
 * both are restricted, as cron, Kubernetes and Cloud Scheduler do.
 */
export function shortestIntervalSeconds(schedule: string): number | undefined {
  const [mi, ho, dom, mo, dow] = schedule.trim().split(/\s+/);
  const minutes = matchedValues(mi, 0, 59);
  const hours = matchedValues(ho, 0, 23);
  const days = matchedValues(dom, 1, 31);
  const months = matchedValues(mo, 1, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1);
  const weekdays = new Set([...matchedValues(dow, 0, 7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])].map((d) => d % 7));
  const bothDays = !dom.startsWith("*") && !dow.startsWith("*");
  let last: number | undefined;
  let shortest: number | undefined;
  const start = Date.UTC(2027, 0, 1);
  for (let day = start; day < Date.UTC(2029, 0, 1); day += 86400_000) {
    const d = new Date(day);
    if (!months.has(d.getUTCMonth() + 1)) continue;
    const byDate = days.has(d.getUTCDate());
    const byWeekday = weekdays.has(d.getUTCDay());
    if (!(bothDays ? byDate || byWeekday : byDate && byWeekday)) continue;
    for (const h of [...hours].sort((a, b) => a - b)) {
      for (const m of [...minutes].sort((a, b) => a - b)) {
        const t = day / 1000 + h * 3600 + m * 60;
        if (last !== undefined) shortest = Math.min(shortest ?? Infinity, t - last);
        last = t;
      }
    }
  }
  return shortest;
}
