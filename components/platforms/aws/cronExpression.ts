/**
 * The model's 5-field cron schedule (parsed by model/cronParse.ts: `minute hour day-of-month
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

import { parseCron } from "../../model/cronParse";

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

/**
 * EventBridge's own refusal, on the parsed schedule: one of the day fields must be `?`, so
 * one of them must be a plain `*` (a restricted one, or a stepped `*\/n`, would need cron's
 * day rule across both fields).
 */
function dayFieldsProblem(schedule: string, key: string, dayOfMonth: string, dayOfWeek: string): string | undefined {
  if (dayOfMonth === "*" || dayOfWeek === "*") return undefined;
  return `${key}: "${schedule}" restricts both the day of month and the day of week (cron runs when either matches); EventBridge Scheduler takes one of them only: leave one of them "*", or declare two jobs`;
}

/** The EventBridge Scheduler expression, `cron(m h dom mon dow year)`, of a 5-field schedule (model/cronParse.ts reads it). */
export function eventBridgeCron(schedule: string, key = "schedule"): string {
  const s = parseCron(schedule);
  const [, , dom, , dow] = s.fields.map((f) => f.text);
  const problem = dayFieldsProblem(schedule, key, dom, dow);
  if (problem) throw new Error(problem);
  // Vixie day-of-week 0-6 (7 already folded into 0, Sunday) -> EventBridge 1-7 (1 Sunday).
  const awsDow = dow === "*" ? "?" : compress(s.dayOfWeek.map((d) => d + 1), 1, 7);
  const awsDom = dow === "*" ? compress(s.dayOfMonth, 1, 31) : "?";
  return `cron(${compress(s.minute, 0, 59)} ${compress(s.hour, 0, 23)} ${awsDom} ${compress(s.month, 1, 12)} ${awsDow} *)`;
}
