/**
 * The cron lease's pure parts: cron -> OnCalendar (checked against systemd's own calendar
 * parser where systemd-analyze exists), the refusals, the tick the script picks, and the
 * script's safety (quoting of hostile job commands, no password on any command line).
 * The lease itself against a real PostgreSQL: cronLease.postgres.test.ts.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CronExpressionError,
  cronLeaseEnv,
  cronLeasePaths,
  cronMatches,
  cronToOnCalendar,
  parseCron,
  renderCronLeaseScript,
  renderCronLeaseService,
  renderCronLeaseTimer,
  type CronLeaseSpec,
} from "../components/cronLease";

const converted: [string, string][] = [
  ["* * * * *", "*-*-* *:*:00 UTC"],
  ["*/5 * * * *", "*-*-* *:00/5:00 UTC"],
  ["0 * * * *", "*-*-* *:00:00 UTC"],
  ["@hourly", "*-*-* *:00:00 UTC"],
  ["@daily", "*-*-* 00:00:00 UTC"],
  ["@weekly", "Sun *-*-* 00:00:00 UTC"],
  ["@monthly", "*-*-01 00:00:00 UTC"],
  ["@yearly", "*-01-01 00:00:00 UTC"],
  ["0 3 * * 1-5", "Mon..Fri *-*-* 03:00:00 UTC"],
  ["0 3 * * mon-fri", "Mon..Fri *-*-* 03:00:00 UTC"],
  ["0 0 * * 0,7", "Sun *-*-* 00:00:00 UTC"],
  ["0 0 * * 6,0", "Sat,Sun *-*-* 00:00:00 UTC"],
  ["0 0 * * */2", "Tue,Thu,Sat,Sun *-*-* 00:00:00 UTC"],
  ["0 0 * * 1-7", "*-*-* 00:00:00 UTC"],
  ["15,45 */2 1 jan,jul *", "*-01,07-01 00/2:15,45:00 UTC"],
  ["5/15 8-18/2 * * *", "*-*-* 08,10,12,14,16,18:05/15:00 UTC"],
  ["0-10,30 0 * * *", "*-*-* 00:00..10,30:00 UTC"],
  ["0 12 1-15/7 * *", "*-*-01,08,15 12:00:00 UTC"],
  ["30 23 31 12 *", "*-12-31 23:30:00 UTC"],
  ["0 0 */2 * 1", "Mon *-*-01/2 00:00:00 UTC"],
];

const refused: [string, RegExp][] = [
  ["* * * *", /has 4 fields, needs 5/],
  ["* * * * * *", /has 6 fields, needs 5/],
  ["60 * * * *", /minute 60 is out of range 0-59/],
  ["* 24 * * *", /hour 24 is out of range 0-23/],
  ["* * 0 * *", /day of month 0 is out of range 1-31/],
  ["* * * 13 *", /month 13 is out of range 1-12/],
  ["* * * * 8", /day of week 8 is out of range 0-7/],
  ["0 0 L * *", /uses L, W, # or \?/],
  ["0 0 15W * *", /uses L, W, # or \?/],
  ["0 0 * * 5L", /uses L, W, # or \?/],
  ["0 0 * * 1#2", /uses L, W, # or \?/],
  ["0 0 ? * *", /uses L, W, # or \?/],
  ["0 0 1 * 1", /restricts both day of month \(1\) and day of week \(1\); cron runs when either matches/],
  ["0 0 1-31 * 1-5", /restricts both day of month/],
  ["50-10 * * * *", /runs backwards/],
  ["*/0 * * * *", /step "\*\/0" must be at least 1/],
  ["a * * * *", /minute "a" is not a number/],
  ["1-2-3 * * * *", /range "1-2-3" is not a-b/],
  ["@reboot", /@reboot is not a schedule/],
  ["", /needs 5/],
];

describe("cron lease: cron -> systemd OnCalendar", function () {
  for (const [cron, calendar] of converted) {
    it(`${JSON.stringify(cron)} -> ${calendar}`, function () {
      assert.equal(cronToOnCalendar(cron), calendar);
    });
  }
  for (const [cron, message] of refused) {
    it(`refuses ${JSON.stringify(cron)}`, function () {
      assert.throws(() => cronToOnCalendar(cron), (e: unknown) => e instanceof CronExpressionError && message.test(e.message));
    });
  }

  it("gives the same instants as cron, by systemd's own calendar parser (systemd-analyze)", function () {
    const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
    if (analyze.status !== 0) this.skip();
    const iterations = 40;
    for (const [cron] of converted) {
      const calendar = cronToOnCalendar(cron);
      const r = spawnSync("systemd-analyze", ["calendar", `--iterations=${iterations}`, "--base-time=2025-12-31 23:59:30 UTC", calendar], { encoding: "utf8", env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });
      assert.equal(r.status, 0, `systemd-analyze refused ${calendar}: ${r.stderr}`);
      const systemd = [...r.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g)].map((m) => `${m[1].replace(" ", "T")}.000Z`);
      assert.equal(systemd.length, iterations, r.stdout);
      const schedule = parseCron(cron);
      const ours: string[] = [];
      // Every minute from the base time on (up to 40 years of them for @yearly): one Date, moved,
      // rather than one per minute, and a local binding rather than the module's export getters.
      const at = new Date(0);
      const matches = cronMatches;
      for (let t = Date.UTC(2026, 0, 1); ours.length < iterations; t += 60_000) if (matches(schedule, (at.setTime(t), at))) ours.push(at.toISOString());
      assert.deepEqual(systemd, ours, `${cron} -> ${calendar}`);
    }
  });
});

describe("cron lease: the rendered script and units", function () {
  let dir = "";
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-cron-unit-"));
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const spec = (over: Partial<CronLeaseSpec> = {}): CronLeaseSpec => ({ job: "housekeeping", schedule: "*/5 * * * *", command: ["alerta", "housekeeping"], timeoutSeconds: 600, ...over });

  /**
   * A psql stand-in: reports the tick it was given, runs the job as the real session does
   * (`\!` the script's --run-job) and prints the exit code the job left.
   */
  const fakePsql = () => {
    const p = path.join(dir, "fake-psql");
    fs.writeFileSync(
      p,
      `#!/bin/bash
while [ $# -gt 0 ]; do case "$1" in -v) echo "var $2"; shift 2 ;; *) shift ;; esac; done
cat >/dev/null
"$HA_TOPOLOGY_CRON_SELF" --run-job
echo "job exit $(cat "$HA_TOPOLOGY_CRON_STATUS")"
`,
      { mode: 0o755 },
    );
    return p;
  };
  const run = (s: CronLeaseSpec, now: number, extraEnv: Record<string, string> = {}) => {
    const script = path.join(dir, `lease-${s.job}.sh`);
    fs.writeFileSync(script, renderCronLeaseScript({ ...s, psql: fakePsql() }), { mode: 0o755 });
    const r = spawnSync("bash", [script], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, [cronLeaseEnv.now]: String(now), [cronLeaseEnv.node]: "node-1", ...extraEnv } });
    return { status: r.status, out: r.stdout + r.stderr, tick: /var tick=(\S+)/.exec(r.stdout)?.[1] };
  };

  it("passes bash -n, and the units name the script, the env file and the schedule", function () {
    const text = renderCronLeaseScript(spec());
    const syntax = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
    assert.equal(syntax.status, 0, syntax.stderr);
    assert.match(renderCronLeaseTimer(spec()), /^OnCalendar=\*-\*-\* \*:00\/5:00 UTC$/m);
    assert.match(renderCronLeaseTimer(spec()), /^Unit=ha-topology-cron-housekeeping\.service$/m);
    const service = renderCronLeaseService(spec());
    assert.match(service, new RegExp(`^EnvironmentFile=${cronLeasePaths.dbEnvFile}$`, "m"));
    assert.match(service, /^ExecStart=\/usr\/local\/sbin\/ha-topology-cron-housekeeping$/m);
    assert.match(service, /^Type=oneshot$/m);
  });

  it("claims the scheduled minute, not the clock reading, within the grace; nothing outside it", function () {
    const cases: [string, number][] = [
      ["*/5 * * * *", 5],
      ["0 3 * * 1-5", 5],
      ["15,45 */2 * * *", 20],
      ["0 0 1 * *", 3],
    ];
    const base = Date.UTC(2026, 2, 2, 2, 58) / 1000; // Monday 2026-03-02 02:58 UTC
    for (const [schedule, graceMinutes] of cases) {
      const s = parseCron(schedule);
      for (const offset of [0, 59, 120, 179, 301, 1030, 22 * 3600 + 63]) {
        const now = base + offset;
        let expected: string | undefined;
        for (let back = 0; back <= graceMinutes; back++) {
          const t = (Math.floor(now / 60) - back) * 60 * 1000;
          if (cronMatches(s, new Date(t))) {
            expected = new Date(t).toISOString().replace(".000Z", "Z");
            break;
          }
        }
        const r = run(spec({ job: "tick-test", schedule, graceMinutes, command: ["true"] }), now);
        assert.equal(r.status, 0, r.out);
        assert.equal(r.tick, expected, `${schedule} at ${new Date(now * 1000).toISOString()}: ${r.out}`);
        if (!expected) assert.match(r.out, /no scheduled tick in the last/);
      }
    }
  });

  it("runs a hostile command exactly as given: every word quoted, nothing expanded", function () {
    const marker = path.join(dir, "pwned");
    const word = `it's $(touch ${marker}) \`touch ${marker}\` "a" $HOME; b\\ c %n`;
    const r = run(spec({ job: "quoting", schedule: "* * * * *", command: ["printf", "[%s]\\n", word, "two words"] }), 1_800_000_000);
    assert.equal(r.status, 0, r.out);
    assert.ok(r.out.includes(`[${word}]\n[two words]\n`), r.out);
    assert.equal(fs.existsSync(marker), false, "a command word was expanded");
    assert.match(r.out, /job exit 0/);
  });

  it("kills the job at timeoutSeconds and retries a failed attempt only", function () {
    const t0 = Date.now();
    const slow = run(spec({ job: "slow", schedule: "* * * * *", command: ["sleep", "30"], timeoutSeconds: 1, killAfterSeconds: 1 }), 1_800_000_000);
    assert.match(slow.out, /job exit 124/);
    assert.ok(Date.now() - t0 < 5000, "timeout did not kill the job");
    const counter = path.join(dir, "attempts");
    const flaky = run(spec({ job: "flaky", schedule: "* * * * *", command: ["bash", "-c", `echo x >> ${counter}; exit 7`], retries: 2 }), 1_800_000_000);
    assert.match(flaky.out, /job exit 7/);
    assert.equal(fs.readFileSync(counter, "utf8"), "x\nx\nx\n");
    assert.match(flaky.out, /attempt 2 failed \(exit code 7\), retrying/);
  });

  it("runs by hand for the current minute, scheduled or not, through the -now unit", function () {
    // 2027-01-15 08:07:30 UTC: no tick of "0 3 * * *" within the grace.
    const scheduled = run(spec({ job: "by-hand", schedule: "0 3 * * *", command: ["true"] }), 1_800_000_450);
    assert.equal(scheduled.tick, undefined, scheduled.out);
    const manual = run(spec({ job: "by-hand", schedule: "0 3 * * *", command: ["true"] }), 1_800_000_450, { [cronLeaseEnv.manual]: "1" });
    assert.equal(manual.tick, "2027-01-15T08:07:00Z", manual.out);
    assert.match(manual.out, /job exit 0/);
    const unit = renderCronLeaseService(spec(), true);
    assert.match(unit, new RegExp(`^Environment=${cronLeaseEnv.manual}=1$`, "m"));
    assert.match(unit, /^ExecStart=\/usr\/local\/sbin\/ha-topology-cron-housekeeping$/m);
    assert.doesNotMatch(renderCronLeaseService(spec()), /MANUAL/);
    assert.equal(cronLeasePaths.manualUnitName("housekeeping"), "ha-topology-cron-housekeeping-now");
  });

  it("gives the job its tick, and not the lease's database connection", function () {
    const r = run(spec({ job: "env", schedule: "* * * * *", command: ["env"] }), 1_800_000_030, { PGHOST: "db.internal", PGPASSFILE: "/etc/ha-topology/cron/pgpass", PGUSER: "app" });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^HA_TOPOLOGY_CRON_TICK=2027-01-15T08:00:00Z$/m);
    assert.doesNotMatch(r.out, /^PG/m);
    assert.match(r.out, /var tick=2027-01-15T08:00:00Z/);
  });

  it("puts no password on any command line: libpq's environment and PGPASSFILE only", function () {
    const text = renderCronLeaseScript(spec({ command: ["docker", "run", "--rm", "ghcr.io/acme/api:1.4.2"] }));
    // The only psql invocation: flags and the non-secret job, tick and node variables.
    const invocations = text.split("\n").filter((l) => /^\s*\S*psql /.test(l));
    assert.deepEqual(invocations, [`psql -X -q -A -t -v job="$job" -v tick="$tick" -v node="$node" <<'SQL'`]);
    assert.doesNotMatch(text, /password=|PGPASSWORD=|-W\b|--password|sslpassword/i);
    assert.match(text, /^unset PGPASSWORD$/m, "an inherited PGPASSWORD never reaches psql's children");
    for (const unit of [renderCronLeaseService(spec()), renderCronLeaseTimer(spec())]) assert.doesNotMatch(unit, /PGPASSWORD|password/i);
    // The SQL arrives on stdin, with the values as psql variables (quoted by psql, :'name').
    assert.match(text, /VALUES \(:'job', :'tick', :'node', 'claimed'\)/);
  });

  it("refuses hostile job names, empty commands, control characters and other concurrency", function () {
    for (const job of ["a;b", "A", "x y", "../x", "-x", "", "a".repeat(64), "job$(id)"]) {
      assert.throws(() => renderCronLeaseScript(spec({ job })), /job name/, job);
    }
    assert.throws(() => renderCronLeaseScript(spec({ command: [] })), /at least one word/);
    assert.throws(() => renderCronLeaseScript(spec({ command: ["echo", "a\nb"] })), /no control characters/);
    assert.throws(() => renderCronLeaseScript(spec({ timeoutSeconds: 0 })), /timeoutSeconds 0/);
    assert.throws(() => renderCronLeaseScript(spec({ concurrency: "replace" as never })), /only forbid/);
    assert.throws(() => renderCronLeaseTimer(spec({ schedule: "0 0 1 * 1" })), /restricts both/);
  });
});
