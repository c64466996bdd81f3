/**
 * 5-field cron schedules (`minute hour day-of-month month day-of-week`, UTC), the one
 * dialect every scheduler the platforms use reads the same way: EventBridge Scheduler's
 * `cron()` (after translation), Cloud Scheduler's unix-cron, a Kubernetes CronJob and a
 * systemd timer's OnCalendar (after translation). So only what all of them accept passes:
 * numbers, `*`, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and the three-letter
 * month and weekday names. Macros (`@daily`), seconds, years, `?`, `L`, `W` and `#` are
 * refused with what to write instead. The parsing is cronParse.ts's (the one parser the lease
 * and the AWS translation read too); this file adds the model's refusals and its wording.
 */

import { cronDayMatches, cronFields, cronMacros, parseCron, parseCronExpression, type CronField, type CronProblem } from "./cronParse";

// The dialect's definitions live with the parser; re-exported for the model's older importers.
export { cronFields, cronMacros, type CronField };

/** A field's bounds as the model's messages give them (`0-59`, `1-12 or JAN-DEC`). */
function boundsText(field: CronField): string {
  return `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ""}`;
}

/** The model's wording of what the parser found wrong (the config error's `allowed` part). */
function problemText(p: CronProblem): string {
  switch (p.kind) {
    case "macro":
      return `five fields (minute hour day-of-month month day-of-week), not ${p.text}`;
    case "fieldCount":
      return `five fields (minute hour day-of-month month day-of-week), ${p.count} given`;
    case "extension":
      return "no ?, L, W or # (Quartz and AWS extensions that Kubernetes and Cloud Scheduler do not read)";
    case "shape":
      return `the ${p.field.name} field "${p.text}" is not a value, range, step or list of them (${boundsText(p.field)})`;
    case "step":
      return `the ${p.field.name} field "${p.text}" has a step "/${p.step}" that is not a number from 1 to ${p.field.max}`;
    case "value":
      return `the ${p.field.name} field "${p.text}" has a value outside ${boundsText(p.field)}`;
    case "backwards":
      return `the ${p.field.name} field "${p.text}" has a range that ends before it starts`;
  }
}

/** Why a schedule is not a 5-field cron expression every platform reads the same way, or undefined. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const parsed = parseCronExpression(schedule);
  if ("kind" in parsed) return problemText(parsed);
  // What the parser reads but not every scheduler does: the model's own refusals.
  if (parsed.macro) return `the five fields "${cronMacros[parsed.macro.toLowerCase()]}" instead of ${parsed.macro} (not every scheduler reads the macros)`;
  for (const { field, text, terms } of parsed.fields) {
    for (const term of terms) {
      if (term.step !== undefined && term.step > field.max) return `the ${field.name} field "${text}" has a step "/${term.step}" that is not a number from 1 to ${field.max}`;
      // `a/n` is not Vixie cron (it refuses it), so not every scheduler reads it: a range says it for all.
      if (term.step !== undefined && term.single) return `the ${field.name} field "${text}" has a step on a single value (write a range, such as ${term.base}-${field.max}/${term.step})`;
    }
  }
  return undefined;
}

/**
 * The shortest time between two ticks of a 5-field schedule, in seconds, over two years
 * (2027 and 2028, a leap year: every weekday on every date); undefined for a schedule
 * that ticks at most once in them. Day of month and day of week are both matched when
 * both are restricted, as cron, Kubernetes and Cloud Scheduler do (cronDayMatches).
 */
export function shortestIntervalSeconds(schedule: string): number | undefined {
  const s = parseCron(schedule);
  // Every day the schedule runs has the same ticks (its hours by its minutes, both sorted), so
  // the shortest gap is one within a day or one from a running day's last tick to the next
  // running day's first: a walk over the days, not over every tick (a million for `* * * * *`).
  const ticks = s.hour.flatMap((h) => s.minute.map((m) => h * 3600 + m * 60));
  let withinDay: number | undefined;
  for (let i = 1; i < ticks.length; i++) withinDay = Math.min(withinDay ?? Infinity, ticks[i] - ticks[i - 1]);
  const overnight = ticks[0] - ticks[ticks.length - 1];
  let previousDay: number | undefined;
  let shortest: number | undefined;
  for (let day = Date.UTC(2027, 0, 1); day < Date.UTC(2029, 0, 1); day += 86400_000) {
    const d = new Date(day);
    if (!s.month.includes(d.getUTCMonth() + 1) || !cronDayMatches(s, d)) continue;
    if (previousDay === undefined) shortest = withinDay;
    else shortest = Math.min(shortest ?? Infinity, (day - previousDay) / 1000 + overnight);
    previousDay = day;
  }
  return shortest;
}
