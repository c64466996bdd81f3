/**
 * Runs a node's generated liveness watchdog script under bash on a virtual clock, so the
 * tests of the watchdog (AWS, GCP, DigitalOcean workers) see every second of its schedule
 * without waiting for it: fake `sleep` and `date +%s` on its PATH move and read a clock
 * file instead of real time. Everything else (bash, the script, the fakes of the cloud's
 * commands, a verdict server) runs for real.
 *
 * Why: the script only measures time through `sleep` and `date +%s`, so a clock that moves
 * when it sleeps gives it the same schedule as a real node, and the tests wait on what the
 * script does (a sleep, its final `sleep infinity`) rather than on seconds going by.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** How a run ended: the script parked (`exec sleep infinity`), reached the horizon, or the test stopped it at a sleep. */
export type ClockRunEnd = "parked" | "horizon" | "stopped";

/** What a watchdog run on the virtual clock gave: the script's stderr, how it ended, and the virtual second it ended at. */
export interface ClockRun {
  log: string;
  end: ClockRunEnd;
  seconds: number;
}

/** The lines the fake sleep writes to stderr for the test (the script's own lines never start so). */
const marker = "virtual-clock:";

/**
 * Writes the fake `sleep` and `date` into `dir` (which the run puts first on PATH) and the
 * clock at 0. Each sleep tells the test the second it starts at, waits for the test's go
 * (a FIFO), then moves the clock; `sleep infinity`, or a sleep past the horizon, parks.
 */
function installClock(dir: string, horizonSeconds: number): void {
  const clock = path.join(dir, "clock");
  const go = path.join(dir, "clock-go");
  fs.writeFileSync(clock, "0\n");
  // The real commands: PATH without this directory.
  const realPath = `PATH="\${PATH#${dir}:}"`;
  fs.writeFileSync(path.join(dir, "sleep"), `#!/bin/bash
now=$(cat '${clock}')
if [ "$1" = infinity ]; then echo "${marker} parked $now" >&2; ${realPath} exec sleep infinity; fi
echo "${marker} sleep $now" >&2
read -r answer < '${go}'
[ "$answer" = stop ] && { ${realPath} exec sleep infinity; }
next=$(( now + $1 ))
if [ "$next" -ge ${horizonSeconds} ]; then echo "${marker} horizon $next" >&2; ${realPath} exec sleep infinity; fi
echo "$next" > '${clock}'
`, { mode: 0o700 });
  fs.writeFileSync(path.join(dir, "date"), `#!/bin/bash
if [ "$*" = +%s ]; then cat '${clock}'; else ${realPath} exec date "$@"; fi
`, { mode: 0o700 });
  fs.rmSync(go, { force: true });
  // Node has no mkfifo of its own; coreutils' is beside bash.
  if (spawnSync("mkfifo", [go]).status !== 0) throw new Error(`mkfifo ${go} failed`);
}

/**
 * Runs `script` (a file in `dir`, the fakes of the node's commands beside it) with bash on
 * the virtual clock until it parks or its next sleep would reach `horizonSeconds`.
 * `atSleep(second)` runs at each of its sleeps, before the clock moves (e.g. to ask the
 * verdict server); returning true stops the run there.
 */
export async function runOnVirtualClock(dir: string, script: string, horizonSeconds: number, atSleep: (second: number) => boolean | Promise<boolean> = () => false): Promise<ClockRun> {
  installClock(dir, horizonSeconds);
  // Its own process group, so the script and whatever it runs end together.
  const child = spawn("bash", [script], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  let pending = "";
  try {
    return await new Promise<ClockRun>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code, signal) => reject(new Error(`the watchdog exited (${code ?? signal}) instead of parking:\n${log}`)));
      child.stderr.on("data", (chunk: Buffer) => {
        log += chunk;
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          if (!line.startsWith(marker)) continue;
          const [event, at] = line.slice(marker.length).trim().split(" ");
          const seconds = Number(at);
          if (event === "parked" || event === "horizon") resolve({ log, end: event, seconds });
          else
            void Promise.resolve(atSleep(seconds)).then(async (stop) => {
              await fs.promises.writeFile(path.join(dir, "clock-go"), stop ? "stop\n" : "go\n");
              if (stop) resolve({ log, end: "stopped", seconds });
            }, reject);
        }
      });
    });
  } finally {
    child.removeAllListeners("exit");
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
