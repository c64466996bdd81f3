/**
 * The node side of a DigitalOcean job (components/jobBootstrap.ts), run for real with a
 * docker stand-in: the run passes the container's exit status through, and the lease's
 * timeout (TERM to the run's process group, as `timeout` sends it) stops the container
 * through `docker stop` before the kill. The user data is read with PyYAML, as cloud-init does.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bootstrapPaths } from "../components/bootstrap";
import { jobRunPaths, renderJobCloudConfig, type JobNodeSpec } from "../components/jobBootstrap";
import { pyyaml } from "./userDataView";

const spec: JobNodeSpec = {
  job: "housekeeping",
  schedule: "*/5 * * * *",
  timeoutSeconds: 600,
  retries: 0,
  image: "ghcr.io/acme/api:1.4.2",
  command: ["alerta", "housekeeping"],
  env: { APP_VERSION: "1.4.2" },
  boot: { secretSources: [], packages: ["docker.io", "python3"] },
  lease: { host: "db.internal", port: 25060, database: "app", user: "doadmin", password: "secret", sslMode: "require" },
};

describe("DigitalOcean job node: the run script with a docker stand-in", function () {
  this.timeout(30000);
  let dir = "";
  let script = "";
  const calls = () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : []);

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-job-run-"));
    const view = pyyaml([renderJobCloudConfig(spec)])[0];
    const text = view.files[jobRunPaths.script("housekeeping")];
    assert.ok(text, "the user data writes the run script");
    // The stand-in for docker: records its calls; `run` behaves as $BEHAVE says, and ends on TERM only through `stop`.
    const docker = path.join(dir, "docker");
    fs.writeFileSync(docker, `#!/bin/bash
echo "$*" >> '${dir}/calls'
case "$1" in
  run) trap '' TERM; case "$BEHAVE" in
         exit3) exit 3 ;;
         hang) for i in $(seq 1 200); do [ -e '${dir}/stopped' ] && exit 143; sleep 0.05; done; exit 99 ;;
       esac ;;
  stop) touch '${dir}/stopped' ;;
esac
exit 0
`, { mode: 0o755 });
    script = path.join(dir, "run-job");
    fs.writeFileSync(script, text.replaceAll("/usr/bin/docker", docker).replaceAll(bootstrapPaths.fetchSecrets, "true"), { mode: 0o755 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    fs.rmSync(path.join(dir, "calls"), { force: true });
    fs.rmSync(path.join(dir, "stopped"), { force: true });
  });

  it("pulls, removes a leftover container, runs the job's container attached, and passes its exit status through", function () {
    const r = spawnSync("bash", [script], { encoding: "utf8", env: { PATH: process.env.PATH, BEHAVE: "exit3" } });
    assert.equal(r.status, 3, r.stderr);
    const c = calls();
    assert.deepEqual(c.slice(0, 2), ["pull ghcr.io/acme/api:1.4.2", "rm -f ha-topology-cron-housekeeping"]);
    assert.equal(c[2], `run --rm --name ha-topology-cron-housekeeping --init --env-file ${bootstrapPaths.appEnv} --env-file ${bootstrapPaths.secretsEnv} --log-driver local ghcr.io/acme/api:1.4.2 alerta housekeeping`);
  });

  it("stops the container with docker stop when the lease's timeout sends TERM, and returns when it has stopped", function () {
    const t0 = Date.now();
    const r = spawnSync("timeout", ["--kill-after=13", "1", "bash", script], { encoding: "utf8", env: { PATH: process.env.PATH, BEHAVE: "hang" } });
    assert.equal(r.status, 124, `timeout's status (the job timed out): ${r.stderr}`);
    assert.ok(calls().includes("stop --time 8 ha-topology-cron-housekeeping"), calls().join("\n"));
    assert.ok(Date.now() - t0 < 8000, "the run ended when the container stopped, before the kill");
  });
});
