/**
 * The DigitalOcean cron lease against a real PostgreSQL (Debian's, which .ci/run installs):
 * a throwaway cluster on loopback, started as an unprivileged user, and four droplet
 * stand-ins running the rendered lease script concurrently over 20 ticks. Asserts exactly
 * one run per tick, no overlap between runs, skipped ticks while a run holds the lock, the
 * kill at timeoutSeconds, a contender killed mid-run (SIGKILL of its whole session, as a
 * dying droplet) whose lock is freed and whose row becomes `lost`, and that the password
 * is on no process's command line and in no output.
 *
 * No PostgreSQL here is a failure, not a skip: the lease is the DigitalOcean guarantee.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { cronLeaseEnv, cronLeasePaths, cronLeaseTables, cronLockClass, renderCronLeaseDbEnv, renderCronLeasePgpass, renderCronLeaseScript } from "../components/cronLease";
import { cronFailingRuleComment, cronStatusEnv, renderCronStatusScript } from "../components/cronLeaseStatus";

/** The newest Debian PostgreSQL's binaries, or a loud failure. */
function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, "bin", "initdb"))) : [];
  if (versions.length === 0) {
    throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): the cron lease test needs it; `apt-get install -y postgresql` (.ci/run does)");
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0], "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Contender {
  node: string;
  proc: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }>;
}

/** Every process of a session (a contender started with `detached`, i.e. setsid): what a dying droplet loses. */
function sessionPids(sid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) === sid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** True when some process's command line holds the text. */
function onAnyCommandLine(text: string): boolean {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`).toString("utf8").includes(text)) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

describe("cron lease on DigitalOcean: real PostgreSQL, 4 contenders, 20 ticks", function () {
  this.timeout(120_000);
  // With the two characters libpq's password file escapes: the renderer's file is what connects.
  const password = `pw:${randomBytes(12).toString("hex")}\\end`;
  let dir = "";
  let bin = "";
  let port = 0;
  let asUser: { uid: number; gid: number } | undefined;
  let env: NodeJS.ProcessEnv = {};
  const outputs: string[] = [];
  /** Every contender's session, so a failing run leaves no process behind (mocha would wait for their pipes). */
  const sessions: number[] = [];

  const asPostgresUser = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: "utf8", ...(asUser ?? {}), cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" } });
    assert.equal(r.status, 0, `${path.basename(cmd)} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  const psql = (sql: string): string => {
    const r = spawnSync(path.join(bin, "psql"), ["-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8", env });
    assert.equal(r.status, 0, `psql: ${r.stderr}`);
    return r.stdout;
  };

  before(async function () {
    bin = postgresBin();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-cron-lease-"));
    fs.chmodSync(dir, 0o755);
    if (process.getuid?.() === 0) {
      // initdb refuses root: the cluster runs as nobody, in a directory nobody owns.
      const id = (flag: string) => Number(spawnSync("id", [flag, "nobody"], { encoding: "utf8" }).stdout.trim());
      asUser = { uid: id("-u"), gid: id("-g") };
    }
    const pgDir = path.join(dir, "pg");
    fs.mkdirSync(pgDir, { mode: 0o700 });
    fs.writeFileSync(path.join(pgDir, "pwfile"), `${password}\n`, { mode: 0o600 });
    if (asUser) {
      fs.chownSync(pgDir, asUser.uid, asUser.gid);
      fs.chownSync(path.join(pgDir, "pwfile"), asUser.uid, asUser.gid);
    }
    port = await freePort();
    asPostgresUser(path.join(bin, "initdb"), ["-D", path.join(pgDir, "data"), "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${path.join(pgDir, "pwfile")}`, "--no-sync", "-E", "UTF8"]);
    fs.rmSync(path.join(pgDir, "pwfile"));
    asPostgresUser(path.join(bin, "pg_ctl"), ["-D", path.join(pgDir, "data"), "-l", path.join(pgDir, "log"), "-w", "-t", "60", "-o", `-k ${pgDir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);

    // The node's side: libpq's environment and a root-only (here: the test user's) password file.
    // Rendered by the lease's own renderers (cronLease.ts), as the droplet gets them.
    const pgpass = path.join(dir, "pgpass");
    const connection = { host: "127.0.0.1", port, database: "postgres", user: "postgres", password, sslMode: "disable" as const };
    fs.writeFileSync(pgpass, renderCronLeasePgpass(connection), { mode: 0o600 });
    const dbEnv = Object.fromEntries(renderCronLeaseDbEnv(connection).trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    assert.equal(dbEnv.PGPASSFILE, cronLeasePaths.pgpassFile);
    env = { PATH: process.env.PATH, LC_ALL: "C", ...dbEnv, PGPASSFILE: pgpass, PGCONNECT_TIMEOUT: "10" };
  });

  after(function () {
    for (const sid of sessions) {
      for (const pid of sessionPids(sid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    if (!dir) return;
    const data = path.join(dir, "pg", "data");
    if (bin && fs.existsSync(path.join(data, "postmaster.pid"))) {
      spawnSync(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], { ...(asUser ?? {}), cwd: dir, stdio: "ignore" });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs each tick exactly once, never overlapping, skips while a run holds the lock, kills at the timeout, survives a killed contender", async function () {
    const started = Date.now();
    const runsLog = path.join(dir, "runs.log");
    const behave = path.join(dir, "behave");
    fs.mkdirSync(behave);
    const jobScript = path.join(dir, "job.sh");
    // The job: logs its start and end (or TERM) with its tick, node and pid; behaves as its tick's file says.
    fs.writeFileSync(
      jobScript,
      `#!/bin/bash
tick="$${cronLeaseEnv.tick}"
b=$(cat '${behave}'/"$tick" 2>/dev/null || echo short)
log() { echo "$1 $tick $${cronLeaseEnv.node} $$ $(date +%s%N)" >> '${runsLog}'; }
log start
trap 'log term; exit 143' TERM
case "$b" in
  short) sleep 0.05 ;;
  fail) log end; exit 3 ;;
  hold) for (( i = 0; i < 1500; i++ )); do [ -e '${dir}/release' ] && break; sleep 0.02; done ;;
  forever) sleep 60 & wait $! ;;
esac
log end
`,
      { mode: 0o755 },
    );
    const job = "lease-test";
    const timeoutSeconds = 3;
    const script = path.join(dir, "lease.sh");
    fs.writeFileSync(script, renderCronLeaseScript({ job, schedule: "*/5 * * * *", command: ["bash", jobScript], timeoutSeconds, killAfterSeconds: 1, psql: path.join(bin, "psql") }), { mode: 0o755 });

    // Ticks every 5 minutes from an aligned base; each contender's clock reads a different second of the tick's window.
    const base = 1_800_000_000 - (1_800_000_000 % 300);
    const tickEpoch = (i: number) => base + i * 300;
    const tickIso = (i: number) => new Date(tickEpoch(i) * 1000).toISOString().replace(".000Z", "Z");
    const offsets = [0, 7, 59, 170];
    const nodes = ["droplet-a", "droplet-b", "droplet-c", "droplet-d"];

    const launch = (i: number, node: string, offset: number): Contender => {
      const t0 = Date.now();
      const proc = spawn("bash", [script], {
        env: { ...env, [cronLeaseEnv.now]: String(tickEpoch(i) + offset), [cronLeaseEnv.node]: node },
        detached: true, // its own session: killing it kills all it started, as a dying droplet
        stdio: ["ignore", "pipe", "pipe"],
      });
      if (proc.pid) sessions.push(proc.pid);
      let output = "";
      proc.stdout?.on("data", (d) => (output += d));
      proc.stderr?.on("data", (d) => (output += d));
      const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }>((resolve) =>
        proc.on("close", (code, signal) => {
          outputs.push(output);
          resolve({ code, signal, output, ms: Date.now() - t0 });
        }),
      );
      return { node, proc, done };
    };
    const launchTick = (i: number, behaviour = "short") => {
      fs.writeFileSync(path.join(behave, tickIso(i)), behaviour);
      return nodes.map((n, k) => launch(i, n, offsets[k]));
    };
    const starts = () => (fs.existsSync(runsLog) ? fs.readFileSync(runsLog, "utf8").split("\n").filter((l) => l.startsWith("start ")) : []);
    const waitFor = async (what: string, cond: () => boolean, ms = 20_000) => {
      const until = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
      }
    };
    const all = async (cs: Contender[]) => Promise.all(cs.map((c) => c.done));
    const exitCodes: Record<number, (number | null)[]> = {};
    const runTick = async (i: number, behaviour = "short") => {
      const results = await all(launchTick(i, behaviour));
      exitCodes[i] = results.map((r) => r.code);
      return results;
    };

    // Ticks 0-3: plain ticks (tick 0 also creates the tables, four contenders at once).
    for (let i = 0; i <= 3; i++) await runTick(i);
    // A late droplet at tick 0 after the run: already claimed, no second run.
    const late = await launch(0, "droplet-late", 290).done;
    assert.equal(late.code, 0, late.output);
    assert.match(late.output, /already claimed by another node/);
    // Tick 4: the job fails with exit code 3.
    await runTick(4, "fail");
    // Tick 5: a long run holds the lock while ticks 6-8 come and are skipped.
    const held = launchTick(5, "hold");
    await waitFor("tick 5's run to start", () => starts().some((l) => l.includes(` ${tickIso(5)} `)));
    for (let i = 6; i <= 8; i++) await runTick(i);
    assert.equal(onAnyCommandLine(password), false, "the database password is on a process's command line");
    fs.writeFileSync(path.join(dir, "release"), "");
    exitCodes[5] = (await all(held)).map((r) => r.code);
    fs.rmSync(path.join(dir, "release"));
    for (let i = 9; i <= 10; i++) await runTick(i);
    // Tick 11: the job never ends: killed at timeoutSeconds; tick 12 comes meanwhile and is skipped.
    const forever = launchTick(11, "forever");
    await waitFor("tick 11's run to start", () => starts().some((l) => l.includes(` ${tickIso(11)} `)));
    await runTick(12);
    const foreverResults = await all(forever);
    exitCodes[11] = foreverResults.map((r) => r.code);
    const timedOut = foreverResults.reduce((a, b) => (a.ms > b.ms ? a : b));
    assert.ok(timedOut.ms >= timeoutSeconds * 1000 - 100 && timedOut.ms < (timeoutSeconds + 1) * 1000 + 3000, `the timed-out run took ${timedOut.ms} ms (timeout ${timeoutSeconds}s)`);
    await runTick(13);
    // Tick 14: the droplet running the job dies (SIGKILL of its whole session) mid-run.
    const doomed = launchTick(14, "hold");
    await waitFor("tick 14's run to start", () => starts().some((l) => l.includes(` ${tickIso(14)} `)));
    const runner = starts().find((l) => l.includes(` ${tickIso(14)} `))!.split(" ");
    const victim = doomed.find((c) => c.node === runner[2])!;
    const victimSession = victim.proc.pid!;
    const victimPids = sessionPids(victimSession);
    assert.ok(victimPids.includes(Number(runner[3])), "the job runs in the contender's session");
    // The job lock (objid = the job's id); the tables' creation lock (objid 0) may be held a moment by another contender.
    assert.equal(psql(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = ${cronLockClass} AND objid <> 0 AND granted`).trim(), "1", "the run holds the lock");
    const killedAt = BigInt(Date.now()) * 1_000_000n;
    for (const pid of victimPids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const doomedResults = await all(doomed);
    exitCodes[14] = doomedResults.map((r) => r.code);
    await waitFor("the killed droplet's processes to be gone", () => sessionPids(victimSession).length === 0, 5000);
    // The server ends the dead session when its socket closes, and so frees the lock (a droplet
    // that vanishes without closing it is noticed by the session's TCP keepalives instead).
    await waitFor("the dead session's advisory lock to be freed", () => psql(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = ${cronLockClass} AND objid <> 0`).trim() === "0", 10_000);
    // Tick 15: the dead session's lock is free: it runs, and marks tick 14 lost.
    await runTick(15);
    // Ticks 16-19: free-running, 40 ms apart without waiting: claims and the lock contend for real.
    const burst: Promise<unknown>[] = [];
    for (let i = 16; i <= 19; i++) {
      burst.push(runTick(i));
      await sleep(40);
    }
    await Promise.all(burst);
    const seconds = (Date.now() - started) / 1000;

    // The outcome rows: exactly one per tick.
    const rows = psql(`SELECT extract(epoch FROM tick)::bigint, status, coalesce(exit_code::text, ''), node FROM ${cronLeaseTables.ticks} WHERE job = '${job}' ORDER BY tick`)
      .trim()
      .split("\n")
      .map((l) => l.split("|"));
    assert.equal(rows.length, 20, `one row per tick:\n${rows.join("\n")}`);
    const row = (i: number) => {
      const r = rows.find((x) => Number(x[0]) === tickEpoch(i));
      assert.ok(r, `no row for tick ${i}`);
      return { status: r[1], exitCode: r[2], node: r[3] };
    };
    const expected: Record<number, string> = { 0: "finished", 1: "finished", 2: "finished", 3: "finished", 4: "failed", 5: "finished", 6: "skipped", 7: "skipped", 8: "skipped", 9: "finished", 10: "finished", 11: "failed", 12: "skipped", 13: "finished", 14: "lost", 15: "finished" };
    for (const [i, status] of Object.entries(expected)) assert.equal(row(Number(i)).status, status, `tick ${i}`);
    assert.equal(row(4).exitCode, "3");
    assert.equal(row(11).exitCode, "124", "killed at the timeout");
    const burstStatuses = [16, 17, 18, 19].map((i) => row(i).status);
    for (const s of burstStatuses) assert.ok(s === "finished" || s === "skipped", `burst tick status ${s}`);
    assert.ok(burstStatuses.includes("finished"));

    // The runs: exactly one start per tick that ran (by the node the row names), none for skipped ticks.
    const log = fs.readFileSync(runsLog, "utf8").trim().split("\n").map((l) => l.split(" "));
    for (let i = 0; i < 20; i++) {
      const ran = log.filter((l) => l[0] === "start" && l[1] === tickIso(i));
      const r = row(i);
      assert.equal(ran.length, r.status === "skipped" ? 0 : 1, `tick ${i} (${r.status}) ran ${ran.length} times`);
      if (ran.length) assert.equal(ran[0][2], r.node, `tick ${i} ran on the node its row names`);
    }
    // No overlap: each run's interval [start, end|term|kill] ends before the next starts.
    const intervals = log
      .filter((l) => l[0] === "start")
      .map((s) => {
        const stop = log.find((l) => (l[0] === "end" || l[0] === "term") && l[1] === s[1] && l[3] === s[3]);
        if (!stop) assert.equal(s[1], tickIso(14), `only the killed run has no end: ${s.join(" ")}`);
        return { tick: s[1], start: BigInt(s[4]), end: stop ? BigInt(stop[4]) : killedAt };
      })
      .sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let k = 1; k < intervals.length; k++) {
      assert.ok(intervals[k].start >= intervals[k - 1].end, `run of ${intervals[k].tick} started before the run of ${intervals[k - 1].tick} ended`);
    }
    assert.ok(log.some((l) => l[0] === "term" && l[1] === tickIso(11)), "the timed-out job got TERM");
    assert.ok(!log.some((l) => l[0] === "end" && l[1] === tickIso(11)));
    assert.ok(!log.some((l) => l[0] === "end" && l[1] === tickIso(14)), "the killed job never ended");

    // Exit codes: the claimer of a failed tick returns the job's code, everyone else 0.
    const codes = (i: number) => [...exitCodes[i]].sort();
    assert.deepEqual(codes(0), [0, 0, 0, 0]);
    assert.deepEqual(codes(4), [0, 0, 0, 3]);
    assert.deepEqual(codes(11), [0, 0, 0, 124]);
    // The other contenders' output says why one of them did not exit 0 (seen once under load: exit 1, a failed lease session).
    const survivorsOutput = doomedResults.filter((r) => r.code !== null && r.code !== 0).map((r) => r.output).join("\n---\n");
    assert.deepEqual(codes(14).filter((c) => c !== null), [0, 0, 0], `the killed contender has no exit code, the others exit 0:\n${survivorsOutput}`);
    for (const o of outputs) assert.ok(!o.includes(password), "a contender printed the password");
    assert.ok(!fs.readFileSync(script, "utf8").includes(password));
    console.log(`      cron lease: 4 contenders x 20 ticks (+1 late), ${intervals.length} runs, ${rows.filter((r) => r[1] === "skipped").length} skipped, in ${seconds.toFixed(1)} s`);
  });
  it("judges each job's state for its alarm (missed, failed, lost and stuck runs, an unreachable database) and drops pings while it is failing", async function () {
    const statusDir = path.join(dir, "status");
    // iptables stand-in: keeps the INPUT rules in a file, one per line, as -C, -I and -D would.
    const rules = path.join(dir, "iptables.rules");
    const iptables = path.join(dir, "iptables");
    fs.writeFileSync(rules, "");
    fs.writeFileSync(iptables, `#!/bin/bash
[ "$1" = -w ] && shift
op="$1"; shift
line="$*"
case "$op" in
  -C) grep -qxF -- "$line" '${rules}' ;;
  -I) { echo "$line"; cat '${rules}'; } > '${rules}.new' && mv '${rules}.new' '${rules}' ;;
  -D) grep -qxF -- "$line" '${rules}' || exit 1; grep -vxF -- "$line" '${rules}' > '${rules}.new'; mv '${rules}.new' '${rules}' ;;
  *) exit 2 ;;
esac
`, { mode: 0o755 });
    const dropRule = `INPUT -p icmp --icmp-type echo-request -m comment --comment ${cronFailingRuleComment("status-test")} -j DROP`;
    const dropsPings = () => fs.readFileSync(rules, "utf8").split("\n").filter((l) => l === dropRule).length;
    const job = "status-test";
    const spec = (command: string[]) => ({ job, schedule: "*/5 * * * *", command, timeoutSeconds: 5, killAfterSeconds: 1, psql: path.join(bin, "psql") });
    const statusScript = path.join(dir, "status.sh");
    fs.writeFileSync(statusScript, renderCronStatusScript(spec(["true"])), { mode: 0o755 });
    const base = 1_900_000_000 - (1_900_000_000 % 300);
    const verdict = (now: number, extra: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync("bash", [statusScript], { encoding: "utf8", env: { ...env, ...extra, [cronLeaseEnv.now]: String(now), [cronStatusEnv.dir]: statusDir, [cronStatusEnv.iptables]: iptables, [cronStatusEnv.booted]: "0", ...extra } });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password));
      const text = fs.readFileSync(path.join(statusDir, job), "utf8");
      // The ping signal follows the verdict: exactly one DROP rule while failing, none while ok.
      assert.equal(dropsPings(), text.startsWith("ok ") ? 0 : 1, `pings dropped while: ${text}`);
      return text.trim();
    };
    const lease = (command: string[], now: number) => {
      const script = path.join(dir, `lease-${command[0]}.sh`);
      fs.writeFileSync(script, renderCronLeaseScript(spec(command)), { mode: 0o755 });
      return spawnSync("bash", [script], { encoding: "utf8", env: { ...env, [cronLeaseEnv.now]: String(now), [cronLeaseEnv.node]: "droplet-a" } });
    };
    const iso = (t: number) => new Date(t * 1000).toISOString().replace(":00.000Z", "Z");

    // No row for the tick that was due (base, 10 minutes ago): a missed run.
    assert.match(verdict(base + 600), new RegExp(`^failing tick ${iso(base)} missed: no node claimed it`));
    // Ticks before the job was first seen are not missed.
    psql(`UPDATE ${cronLeaseTables.jobs} SET since = to_timestamp(${base + 1}) WHERE job = '${job}'`);
    assert.equal(verdict(base + 600), "ok no tick was due since the job was first seen and this node booted");
    psql(`UPDATE ${cronLeaseTables.jobs} SET since = to_timestamp(${base - 3600}) WHERE job = '${job}'`);
    // Nor ticks before this node booted (a changed schedule replaced the droplets).
    assert.equal(verdict(base + 600, { [cronStatusEnv.booted]: String(base + 1) }), "ok no tick was due since the job was first seen and this node booted");
    // A tick inside the grace period is not due yet: the tick before it is judged.
    assert.match(verdict(base + 300 + 120), new RegExp(`^failing tick ${iso(base)} missed`));

    // A finished run: ok.
    assert.equal(lease(["true"], base + 2).status, 0);
    assert.equal(verdict(base + 600), `ok tick ${iso(base)} finished`);
    // A run that has outlived its timeout (its node stopped without the row being marked): failing.
    psql(`INSERT INTO ${cronLeaseTables.ticks} (job, tick, node, status, started_at) VALUES ('${job}', to_timestamp(${base + 300}), 'droplet-b', 'running', now() - interval '1 hour')`);
    assert.match(verdict(base + 900), new RegExp(`^failing tick ${iso(base + 300)} has run for more than 126 s, past its timeout`));
    psql(`UPDATE ${cronLeaseTables.ticks} SET status = 'finished' WHERE job = '${job}' AND tick = to_timestamp(${base + 300})`);
    assert.equal(verdict(base + 900), `ok tick ${iso(base + 300)} finished`);

    // A failed run stays failing for a while, even once a later tick is due and finished.
    assert.equal(lease(["false"], base + 600).status, 1);
    assert.match(verdict(base + 1000), new RegExp(`^failing tick ${iso(base + 600)} failed: exit code 1`));
    assert.equal(lease(["true"], base + 900).status, 0);
    assert.match(verdict(base + 1300), new RegExp(`^failing tick ${iso(base + 600)} failed`), "a recent failure still alarms");
    psql(`UPDATE ${cronLeaseTables.ticks} SET finished_at = now() - interval '1 hour' WHERE job = '${job}' AND status = 'failed'`);
    assert.equal(verdict(base + 1300), `ok tick ${iso(base + 900)} finished`);
    // A lost run (its node died; the next run marked it): failing.
    psql(`UPDATE ${cronLeaseTables.ticks} SET status = 'lost', detail = 'the node stopped during the run', finished_at = now() WHERE job = '${job}' AND tick = to_timestamp(${base + 900})`);
    assert.match(verdict(base + 1300), new RegExp(`^failing tick ${iso(base + 900)} lost: the node stopped during the run`));
    psql(`UPDATE ${cronLeaseTables.ticks} SET finished_at = now() - interval '1 hour' WHERE job = '${job}'`);
    assert.equal(lease(["true"], base + 1200).status, 0);
    assert.equal(verdict(base + 1600), `ok tick ${iso(base + 1200)} finished`);

    // The database cannot be reached: failing (no tick can run); then ok again, and pings are answered.
    assert.match(verdict(base + 1600, { PGPORT: String(await freePort()) }), /^failing the lease database cannot be reached/);
    assert.match(verdict(base + 1600, { PGPORT: String(await freePort()) }), /^failing the lease database cannot be reached/, "a second failing check adds no second rule");
    assert.equal(verdict(base + 1600), `ok tick ${iso(base + 1200)} finished`);
  });
});
