/**
 * The one parser of the 5-field cron dialect (`minute hour day-of-month month day-of-week`,
 * UTC, Vixie semantics). Every consumer reads a schedule through `parseCron`: the model's
 * checks and shortest interval (cronSchedule.ts), the DigitalOcean lease's systemd timer
 * and bash sets (cronLease.ts), and the EventBridge translation (platforms/aws/cronExpression.ts).
 * Each keeps only its own refusals, as checks on the parsed result, so what a schedule
 * means cannot differ between them.
 *
 * The parser accepts what Vixie cron, Kubernetes and the lease read alike: `*`, numbers,
 * the three-letter month and weekday names, ranges `a-b`, steps `/n` (1-99) on `*`, ranges
 * and single values (`a/n`: a to the field's end), lists, 7 for Sunday, and the macros
 * (`@daily`). It refuses what no consumer reads as cron: other field counts, `?`, `L`,
 * `W`, `#`, values out of bounds, ranges that run backwards. What only some schedulers
 * read (macros, `a/n`, steps longer than the field) is the model's refusal, not the parser's.
 *
 * The policy pack keeps its own copy (policies/rules/jobsSingleFlight.ts): it is published
 * alone and must not import components/.
 */

/** One field's bounds and names. */
export interface CronField {
  /** The field's name, for messages. */
  name: string;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Names accepted for values, the first worth `min` (JAN = 1, SUN = 0). */
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

/** One comma-separated term of a field: `*`, a value or a range, with an optional step. */
export interface CronTerm {
  /** The term as written (`1-5/2`). */
  text: string;
  /** The part before the step (`1-5`). */
  base: string;
  /** The term is `*` (or `*\/n`): the whole field. */
  star: boolean;
  /** The term is one value (`5`, or `5/10`: a single value with a step runs to the field's end). */
  single: boolean;
  /** The step (`/n`), when written. */
  step?: number;
}

/** One parsed field: its text, its terms and the values it admits. */
export interface CronFieldParse {
  /** Which field (bounds, names). */
  field: CronField;
  /** The field as written. */
  text: string;
  /** Its comma-separated terms, in order. */
  terms: CronTerm[];
  /** The values it admits, sorted (day of week: 7 folded into 0). */
  values: number[];
}

/** A parsed schedule: each field's matching values (sorted), and whether it was `*`. */
export interface CronSchedule {
  /** Minutes 0-59. */
  minute: number[];
  /** Hours 0-23. */
  hour: number[];
  /** Days of the month 1-31. */
  dayOfMonth: number[];
  /** Months 1-12. */
  month: number[];
  /** 0 = Sunday ... 6 = Saturday (7 folded into 0). */
  dayOfWeek: number[];
  /** Which of day of month / day of week were restricted (not starting with `*`: cron's rule for the two day fields). */
  restricted: { dayOfMonth: boolean; dayOfWeek: boolean };
  /** The expression as given, trimmed. */
  expression: string;
  /** The macro it was written as (`@daily`), if any: `fields` are its expansion. */
  macro?: string;
  /** The five fields as parsed, for the consumers' own refusals. */
  fields: CronFieldParse[];
}

/** Why an expression is not 5-field cron: one case per thing that can be wrong, for each consumer to word. */
export type CronProblem =
  /** `@something` that is not a macro (`@reboot`). */
  | { kind: "macro"; text: string }
  /** Not five fields. */
  | { kind: "fieldCount"; count: number }
  /** `?`, `L`, `W` or `#` (Quartz and AWS extensions). */
  | { kind: "extension"; field: CronField; text: string }
  /** A term that is not a value, range or step (`0,,5`, `1-2-3`); `range` when it is a range's shape that is wrong. */
  | { kind: "shape"; field: CronField; text: string; part: string; range?: string }
  /** A step that is not a number from 1 to 99. */
  | { kind: "step"; field: CronField; text: string; part: string; step: string }
  /** A value that is not a number or name of the field, or out of its bounds. */
  | { kind: "value"; field: CronField; text: string; value: string }
  /** A range that ends before it starts (no scheduler reads a wrapping range alike). */
  | { kind: "backwards"; field: CronField; text: string; range: string };

/** A refused cron expression: the message says why and what is allowed. */
export class CronExpressionError extends Error {
  /** What the parser found wrong; undefined for a consumer's own refusal of a valid expression. */
  readonly problem?: CronProblem;
  constructor(message: string, problem?: CronProblem) {
    super(message);
    this.problem = problem;
  }
}

const allowedCron =
  "5 fields (minute hour day-of-month month day-of-week) of *, numbers, names (jan-dec, sun-sat), lists (a,b), ranges (a-b) and steps (*/n, a-b/n, a/n), or @hourly, @daily, @weekly, @monthly, @yearly";

/** The parser's own wording of a problem (the lease's and any direct caller's; the model words its own, cronSchedule.ts). */
export function cronProblemText(expression: string, p: CronProblem): string {
  const at = `cron schedule ${JSON.stringify(expression)}: `;
  switch (p.kind) {
    case "macro":
      return `${at}${p.text} is not a schedule (allowed: ${allowedCron})`;
    case "fieldCount":
      return `${at}has ${p.count} fields, needs 5 (allowed: ${allowedCron})`;
    case "extension":
      return `${at}${p.field.name} ${JSON.stringify(p.text)} uses L, W, # or ?, which Kubernetes, Cloud Scheduler and systemd timers do not read (allowed: ${allowedCron})`;
    case "shape":
      return p.range !== undefined
        ? `${at}${p.field.name} range ${JSON.stringify(p.range)} is not a-b`
        : `${at}${p.field.name} ${JSON.stringify(p.part)} is not a value, range or step (allowed: ${allowedCron})`;
    case "step":
      return /^\d+$/.test(p.step)
        ? `${at}${p.field.name} step ${JSON.stringify(p.part)} must be at least 1`
        : `${at}${p.field.name} ${JSON.stringify(p.part)} has a step that is not a number from 1 to 99 (allowed: ${allowedCron})`;
    case "value":
      return /^\d+$/.test(p.value)
        ? `${at}${p.field.name} ${Number(p.value)} is out of range ${p.field.min}-${p.field.max}`
        : `${at}${p.field.name} ${JSON.stringify(p.value)} is not a number${p.field.names ? " or a name" : ""} (allowed: ${allowedCron})`;
    case "backwards":
      return `${at}${p.field.name} range ${JSON.stringify(p.range)} runs backwards (cron has no wrapping range: write it as a list, e.g. 22-23,0-2)`;
  }
}

/** Every month and weekday name, upper case: `?LW#` inside one of them (JUL, WED) is no extension. */
const allNames = new Set(cronFields.flatMap((f) => f.names ?? []));

/** The last value a `*` or an `a/n` reaches: day of week stops at 6 (7 is only another name for Sunday). */
function lastValue(field: CronField): number {
  return field.name === "day of week" ? 6 : field.max;
}

/** A value of a field (a number in bounds or a name), or undefined. */
function valueOf(text: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

/** One field's terms and values, or what is wrong with it. */
function parseField(text: string, field: CronField): CronFieldParse | CronProblem {
  const terms: CronTerm[] = [];
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const slashes = part.split("/");
    const [base, stepText] = slashes;
    if (slashes.length > 2 || base === "") return { kind: "shape", field, text, part };
    if (stepText !== undefined && (!/^\d{1,2}$/.test(stepText) || Number(stepText) < 1)) return { kind: "step", field, text, part, step: stepText };
    const step = stepText === undefined ? undefined : Number(stepText);
    let from: number;
    let to: number;
    if (base === "*") {
      from = field.min;
      to = lastValue(field);
    } else if (base.includes("-")) {
      const ends = base.split("-");
      if (ends.length !== 2 || ends[0] === "" || ends[1] === "") return { kind: "shape", field, text, part, range: base };
      const a = valueOf(ends[0], field);
      if (a === undefined) return { kind: "value", field, text, value: ends[0] };
      const b = valueOf(ends[1], field);
      if (b === undefined) return { kind: "value", field, text, value: ends[1] };
      if (b < a) return { kind: "backwards", field, text, range: base };
      [from, to] = [a, b];
    } else {
      const a = valueOf(base, field);
      if (a === undefined) return { kind: "value", field, text, value: base };
      from = a;
      to = step === undefined ? a : lastValue(field);
    }
    terms.push({ text: part, base, star: base === "*", single: base !== "*" && !base.includes("-"), step });
    for (let v = from; v <= to; v += step ?? 1) values.add(field.name === "day of week" && v === 7 ? 0 : v);
  }
  return { field, text, terms, values: [...values].sort((a, b) => a - b) };
}

/** A schedule, or the first thing wrong with it (the non-throwing form of `parseCron`). */
export function parseCronExpression(expression: string): CronSchedule | CronProblem {
  const trimmed = expression.trim();
  const macro = cronMacros[trimmed.toLowerCase()] !== undefined ? trimmed : undefined;
  if (macro === undefined && trimmed.startsWith("@")) return { kind: "macro", text: trimmed };
  const texts = (macro === undefined ? trimmed : cronMacros[trimmed.toLowerCase()]).split(/\s+/);
  if (texts.length !== 5) return { kind: "fieldCount", count: texts.length };
  // The extensions first, over every field: they are the likeliest mistake and the clearest message.
  for (const [i, text] of texts.entries()) {
    const unnamed = text.replace(/[A-Z]{3}/gi, (word) => (allNames.has(word.toUpperCase()) ? "" : word));
    if (/[?#LW]/i.test(unnamed)) return { kind: "extension", field: cronFields[i], text };
  }
  const fields: CronFieldParse[] = [];
  for (const [i, text] of texts.entries()) {
    const parsed = parseField(text, cronFields[i]);
    if ("kind" in parsed) return parsed;
    fields.push(parsed);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  return {
    minute: minute.values,
    hour: hour.values,
    dayOfMonth: dayOfMonth.values,
    month: month.values,
    dayOfWeek: dayOfWeek.values,
    // As in Vixie cron and cronie: a field that starts with * (also */n) is "unrestricted" for the day rule.
    restricted: { dayOfMonth: !dayOfMonth.text.startsWith("*"), dayOfWeek: !dayOfWeek.text.startsWith("*") },
    expression: trimmed,
    macro,
    fields,
  };
}

/** Parses a 5-field cron expression (UTC); throws CronExpressionError saying what is wrong. */
export function parseCron(expression: string): CronSchedule {
  const parsed = parseCronExpression(expression);
  if ("kind" in parsed) throw new CronExpressionError(cronProblemText(expression, parsed), parsed);
  return parsed;
}

/**
 * True when the schedule runs on this day (UTC): cron's day rule, day of month OR day of
 * week when both are restricted, both (AND) otherwise, as Vixie cron, Kubernetes and
 * Cloud Scheduler do.
 */
export function cronDayMatches(s: CronSchedule, at: Date): boolean {
  const byDate = s.dayOfMonth.includes(at.getUTCDate());
  const byWeekday = s.dayOfWeek.includes(at.getUTCDay());
  return s.restricted.dayOfMonth && s.restricted.dayOfWeek ? byDate || byWeekday : byDate && byWeekday;
}

/** True when the schedule runs at this instant's minute (UTC). */
export function cronMatches(s: CronSchedule, at: Date): boolean {
  return s.minute.includes(at.getUTCMinutes()) && s.hour.includes(at.getUTCHours()) && s.month.includes(at.getUTCMonth() + 1) && cronDayMatches(s, at);
}
