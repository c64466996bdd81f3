/**
 * Property-based (fast-check): the three readers of a schedule agree, because they read one
 * parse (components/model/cronParse.ts). For random valid 5-field schedules, built from
 * terms whose values the generator knows itself:
 * - the parse gives the generator's sets, and the model accepts the schedule;
 * - the lease's `cronMatches` accepts exactly the minutes those sets and cron's day rule
 *   give, its bash sets are those sets, and its OnCalendar (read back by a small
 *   evaluator of systemd's calendar syntax, and accepted by systemd-analyze where the
 *   machine has it) ticks at the same minutes;
 * - the model's `shortestIntervalSeconds` is the smallest gap between those minutes;
 * - EventBridge's `cron()` (read back by a small evaluator of AWS's dialect) ticks at the
 *   same minutes, or is refused only for EventBridge's own rule (no plain `*` day field).
 * The minutes are those of 2027 and 2028, the period `shortestIntervalSeconds` reads.
 * Reproduce a run with the seed it prints: HA_TOPOLOGY_FC_SEED=<seed> npm test.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { cronMatches, cronToOnCalendar, parseCron as leaseParseCron, renderCronLeaseScript } from "../components/cronLease";
import { cronFields, type CronField } from "../components/model/cronParse";
import { cronScheduleProblem, shortestIntervalSeconds } from "../components/model/cronSchedule";
import { parseCron } from "../components/model/cronParse";
import { eventBridgeCron } from "../components/platforms/aws/cronExpression";

const seed = Number(process.env.HA_TOPOLOGY_FC_SEED ?? Date.now() % 2 ** 31);
const runs = Number(process.env.HA_TOPOLOGY_FC_RUNS ?? 20);

/** A generated field: its text and the values the generator means by it (day of week: 7 folded into 0). */
interface GeneratedField {
  text: string;
  values: Set<number>;
}

/** The last value `*` reaches (day of week: 6, as 7 is Sunday again). */
const last = (f: CronField) => (f.name === "day of week" ? 6 : f.max);
const fold = (f: CronField, v: number) => (f.name === "day of week" && v === 7 ? 0 : v);
const range = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

/** A value of the field, written as a number or (where the field has names, and not 7) as a name in any case. */
function valueText(f: CronField): fc.Arbitrary<[string, number]> {
  return fc.tuple(fc.integer({ min: f.min, max: f.max }), fc.boolean(), fc.boolean()).map(([v, named, lower]): [string, number] => {
    const name = f.names?.[v - f.min];
    if (!named || !name) return [String(v), v];
    return [lower ? name.toLowerCase() : name, v];
  });
}

/** One term the model accepts: `*`, `*\/n`, a value, a range, a range with a step. */
function term(f: CronField): fc.Arbitrary<GeneratedField> {
  const step = fc.integer({ min: 1, max: f.max });
  return fc.oneof(
    fc.constant({ text: "*", values: new Set(range(f.min, last(f), 1)) }),
    step.map((n) => ({ text: `*/${n}`, values: new Set(range(f.min, last(f), n)) })),
    valueText(f).map(([t, v]) => ({ text: t, values: new Set([fold(f, v)]) })),
    fc.tuple(valueText(f), valueText(f), fc.option(step, { nil: undefined })).map(([[ta, a], [tb, b], n]) => {
      const [[lo, tlo], [hi, thi]] = a <= b ? [[a, ta], [b, tb]] : [[b, tb], [a, ta]];
      return { text: `${tlo}-${thi}${n === undefined ? "" : `/${n}`}`, values: new Set(range(lo as number, hi as number, n ?? 1).map((v) => fold(f, v))) };
    }),
  );
}

/** A field: one to three terms (a list); the day fields are often `*`, so EventBridge and the timer take many of them. */
function field(f: CronField, plainStar: number): fc.Arbitrary<GeneratedField> {
  const list = fc.array(term(f), { minLength: 1, maxLength: 3 }).map((terms) => ({ text: terms.map((t) => t.text).join(","), values: new Set(terms.flatMap((t) => [...t.values])) }));
  return fc.oneof({ weight: plainStar, arbitrary: fc.constant({ text: "*", values: new Set(range(f.min, last(f), 1)) }) }, { weight: 3, arbitrary: list });
}

const schedule = fc.tuple(field(cronFields[0], 1), field(cronFields[1], 1), field(cronFields[2], 4), field(cronFields[3], 2), field(cronFields[4], 4));

/**
 * A minute's UTC fields (month 1-12, weekday 0 = Sunday), read once per minute for the
 * test's own readers below (a Date's getters are most of a scan over two years of minutes).
 */
interface MinuteFields {
  minute: number;
  hour: number;
  date: number;
  month: number;
  weekday: number;
}

const minuteFields = (t: Date): MinuteFields => ({ minute: t.getUTCMinutes(), hour: t.getUTCHours(), date: t.getUTCDate(), month: t.getUTCMonth() + 1, weekday: t.getUTCDay() });

/** The generator's own reading: cron's day rule (OR when both day fields are restricted, i.e. do not start with `*`). */
function oracle(fields: GeneratedField[]): (t: MinuteFields) => boolean {
  const [mi, ho, dom, mo, dow] = fields;
  const both = !dom.text.startsWith("*") && !dow.text.startsWith("*");
  return (t) => {
    const byDate = dom.values.has(t.date);
    const byWeekday = dow.values.has(t.weekday);
    return mi.values.has(t.minute) && ho.values.has(t.hour) && mo.values.has(t.month) && (both ? byDate || byWeekday : byDate && byWeekday);
  };
}

/** A reader of one comma list of a field: values, `a-b`, `a/n` or `a-b/n` (to the field's end), `*`; `sep` is the range mark. */
function listReader(text: string, min: number, max: number, sep: string, value: (t: string) => number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [base, step] = part.split("/");
    const [a, b] = base === "*" ? [min, max] : base.includes(sep) ? base.split(sep).map(value) : [value(base), step ? max : value(base)];
    for (const v of range(a, b, step ? Number(step) : 1)) out.add(v);
  }
  return out;
}

/** EventBridge Scheduler's `cron(min hour dom month dow year)`, read as AWS documents it: dow 1-7 from Sunday, one day field `?`. */
function eventBridgeReader(expression: string): (t: MinuteFields) => boolean {
  const m = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) \*\)$/.exec(expression);
  assert.ok(m, expression);
  const [, mi, ho, dom, mo, dow] = m;
  assert.ok((dom === "?") !== (dow === "?"), `exactly one day field is ?: ${expression}`);
  const minutes = listReader(mi, 0, 59, "-", Number);
  const hours = listReader(ho, 0, 23, "-", Number);
  const months = listReader(mo, 1, 12, "-", Number);
  const days = dom === "?" ? undefined : listReader(dom, 1, 31, "-", Number);
  const weekdays = dow === "?" ? undefined : listReader(dow, 1, 7, "-", Number);
  return (t) => minutes.has(t.minute) && hours.has(t.hour) && months.has(t.month) && (days ? days.has(t.date) : weekdays!.has(t.weekday + 1));
}

/** systemd's OnCalendar `[Mon..Fri ]*-MM-DD HH:MM:00 UTC`, as systemd.time(7) documents it (`a..b` ranges, `a/n` repetitions). */
function onCalendarReader(calendar: string): (t: MinuteFields) => boolean {
  const m = /^(?:(\S+) )?\*-(\S+)-(\S+) (\S+):(\S+):00 UTC$/.exec(calendar);
  assert.ok(m, calendar);
  const [, wd, mo, dom, ho, mi] = m;
  // Weekdays run Mon..Sun in systemd: read them Monday first (0 = Monday).
  const names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  assert.ok(wd === undefined || !wd.includes("/"), `systemd takes no repetition of weekdays: ${calendar}`);
  const weekdays = wd === undefined ? undefined : listReader(wd, 0, 6, "..", (n) => names.indexOf(n));
  const months = listReader(mo, 1, 12, "..", Number);
  const days = listReader(dom, 1, 31, "..", Number);
  const hours = listReader(ho, 0, 23, "..", Number);
  const minutes = listReader(mi, 0, 59, "..", Number);
  return (t) => minutes.has(t.minute) && hours.has(t.hour) && days.has(t.date) && months.has(t.month) && (weekdays === undefined || weekdays.has((t.weekday + 6) % 7));
}

/** The bash word lists the lease script tests a minute against (empty: every value). */
function bashSets(script: string): Record<string, number[] | "all"> {
  const out: Record<string, number[] | "all"> = {};
  for (const name of ["minutes", "hours", "days", "months", "weekdays"]) {
    const m = new RegExp(`^${name}='([^']*)'$`, "m").exec(script);
    assert.ok(m, `${name}= in the script`);
    out[name] = m[1].trim() === "" ? "all" : m[1].trim().split(" ").map(Number);
  }
  return out;
}

/** systemd's own calendar parser, where the machine has it: the timer unit must load. */
const systemdAnalyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" }).status === 0;
function systemdAccepts(calendar: string): void {
  systemdAcceptsAll([calendar]);
}

/** Asserts systemd-analyze reads every one of `calendars`, in one call (it takes many); where it is missing, nothing. */
function systemdAcceptsAll(calendars: string[]): void {
  if (!systemdAnalyze) return;
  const r = spawnSync("systemd-analyze", ["calendar", ...calendars], { encoding: "utf8", env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });
  assert.equal(r.status, 0, `systemd-analyze refused OnCalendar=${calendars.length === 1 ? calendars[0] : `(one of) ${calendars.join(" | ")}`}: ${r.stderr}`);
}

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
const start = Date.UTC(2027, 0, 1);
const end = Date.UTC(2029, 0, 1);

describe(`property-based: the readers of a cron schedule agree (seed ${seed}, ${runs} runs)`, function () {
  before(function () {
    console.log(`      fast-check seed ${seed}, ${runs} runs; reproduce with HA_TOPOLOGY_FC_SEED=${seed}`);
  });

  it("the parse, the lease (cronMatches, bash sets, OnCalendar), the model's shortest interval and EventBridge's cron() tick at the same minutes", function () {
    this.timeout(300_000);
    fc.assert(
      fc.property(schedule, (fields) => {
        const expression = fields.map((f) => f.text).join(" ");
        assert.equal(cronScheduleProblem(expression), undefined, `the model accepts ${expression}`);
        const s = parseCron(expression);
        assert.deepEqual([s.minute, s.hour, s.dayOfMonth, s.month, s.dayOfWeek], fields.map((f) => sorted(f.values)), `the parsed sets of ${expression}`);

        const expected = oracle(fields);
        let aws: ((t: MinuteFields) => boolean) | undefined;
        try {
          aws = eventBridgeReader(eventBridgeCron(expression));
        } catch (e) {
          assert.match((e as Error).message, /restricts both the day of month and the day of week/, expression);
          assert.ok(fields[2].text !== "*" && fields[4].text !== "*", `EventBridge refused ${expression} though a day field is *`);
        }
        const bothDays = s.restricted.dayOfMonth && s.restricted.dayOfWeek;
        let timer: ((t: MinuteFields) => boolean) | undefined;
        if (bothDays) {
          assert.throws(() => leaseParseCron(expression), /restricts both day of month/, expression);
        } else {
          systemdAccepts(cronToOnCalendar(expression));
          timer = onCalendarReader(cronToOnCalendar(expression));
          const script = renderCronLeaseScript({ job: "prop", schedule: expression, command: ["true"], timeoutSeconds: 60 });
          const all = (values: Set<number>, count: number) => (values.size === count ? "all" : sorted(values));
          assert.deepEqual(bashSets(script), {
            minutes: all(fields[0].values, 60),
            hours: all(fields[1].values, 24),
            days: all(fields[2].values, 31),
            months: all(fields[3].values, 12),
            weekdays: all(fields[4].values, 7),
          }, `the lease script's sets of ${expression}`);
        }

        const at = new Date(0);
        let previous: number | undefined;
        let shortest: number | undefined;
        // Called a million times: a local binding, not the module's export getters (a sixth of the scan).
        const matches = cronMatches;
        for (let t = start; t < end; t += 60_000) {
          at.setTime(t);
          const ticks = matches(s, at);
          const m = minuteFields(at);
          if (ticks !== expected(m)) assert.fail(`${expression} at ${at.toISOString()}: cronMatches says ${ticks}, the generator ${!ticks}`);
          if (aws && aws(m) !== ticks) assert.fail(`${expression} at ${at.toISOString()}: ${eventBridgeCron(expression)} says ${!ticks}`);
          if (timer && timer(m) !== ticks) assert.fail(`${expression} at ${at.toISOString()}: OnCalendar=${cronToOnCalendar(expression)} says ${!ticks}`);
          if (!ticks) continue;
          if (previous !== undefined) shortest = Math.min(shortest ?? Infinity, (t - previous) / 1000);
          previous = t;
        }
        assert.equal(shortestIntervalSeconds(expression), shortest, `the shortest interval of ${expression}`);
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
  });

  it("every set of weekdays becomes an OnCalendar systemd reads, ticking on those days (exhaustive: the generator rarely draws them all)", function () {
    const calendars: string[] = [];
    for (let mask = 1; mask < 128; mask++) {
      const days = [0, 1, 2, 3, 4, 5, 6].filter((d) => mask & (1 << d));
      const expression = `0 0 * * ${days.join(",")}`;
      const calendar = cronToOnCalendar(expression);
      calendars.push(calendar);
      const timer = onCalendarReader(calendar);
      const s = parseCron(expression);
      for (let t = start; t < start + 14 * 86_400_000; t += 3_600_000) assert.equal(timer(minuteFields(new Date(t))), cronMatches(s, new Date(t)), `${expression} -> ${calendar} at ${new Date(t).toISOString()}`);
    }
    systemdAcceptsAll(calendars);
  });
});
