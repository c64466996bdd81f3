/**
 * The node bootstrap shared by the VM adapters: cloud-init user data that runs the app's
 * container under systemd on a plain Linux VM. Pure (no Pulumi, no cloud SDK), so every
 * cloud gets the same, unit-testable boot sequence; adapters only supply plain values.
 */
import { envNamePattern } from "./appEnvironment";
import { cloudConfigYaml } from "./cloudConfigYaml";
import { allowedNodeText, refusedCharacter } from "./nodeText";

/** A place the node reads secrets from at boot (the cloud's secret store). */
export interface SecretSource {
  /** What this source is, for logs: e.g. "app secrets", "database credentials". */
  description: string;
  /**
   * A shell command, run as root at every service start, that prints ONE flat JSON object
   * (string values) on stdout, e.g.
   * `aws secretsmanager get-secret-value --secret-id ARN --query SecretString --output text`.
   */
  command: string;
  /**
   * Optional renames from JSON field to env var name, e.g.
   * { username: "DATABASE_USER", password: "DATABASE_PASSWORD" }. When given, ONLY these
   * fields are taken (and each must be present); when absent, every field is taken as-is.
   */
  fields?: Record<string, string>;
}

/** Everything the bootstrap needs; plain values only (adapters resolve Outputs first). */
export interface BootstrapSpec {
  /** Container image with tag or digest; it lands in a unit file, so it is validated. */
  image: string;
  /**
   * The app port; published on the host as the same port, so the LB targets the VM
   * directly. Unset for a worker: nothing connects to it, so nothing is published.
   */
  port?: number;
  /**
   * The container's command, as an argument list (after the image: the entrypoint's
   * arguments); unset runs the image's own. Each argument is shell-quoted into the run
   * script, so no quoting rule of systemd or the shell applies to it.
   */
  command?: string[];
  /** The complete plain environment for the app (platform vars already merged in). Never secrets: it is written to disk. */
  env: Record<string, string>;
  /** Secret stores read at every service start, so rotated secrets apply on restart; may be empty. */
  secretSources: SecretSource[];
  /** Seconds the app gets between SIGTERM and SIGKILL, so in-flight requests can drain. */
  stopTimeoutSeconds: number;
  /** OS packages cloud-init installs (e.g. ["docker"] on AL2023, ["docker.io", "python3"] on Debian). */
  packages: string[];
  /**
   * Secrets delivered inside the user data itself, for clouds without a secret store
   * (DigitalOcean): each becomes a root-only (0600) JSON file under
   * `bootstrapPaths.embeddedSecretsDir`, read back at every start like any other source.
   * The adapter must mark the whole user data secret so Pulumi state encrypts it.
   */
  embeddedSecrets?: { description: string; file: string; values: Record<string, string> }[];
  /** Extra shell commands run in order after packages and before the app starts (e.g. an agent install). */
  setupCommands?: string[];
  /** Logs docker in to the image's private registry before each pull; unset for public images (the user data is then unchanged). */
  registryLogin?: RegistryLogin;
  /**
   * Where docker ships the container's output (the cloud's log service): unset keeps
   * docker's `local` driver (the journal only), and the user data of such a node unchanged.
   */
  logDriver?: LogDriver;
  /**
   * A node-local liveness watchdog (needs `port`): for clouds whose node replacement cannot
   * use a check apart from the load balancer's readiness. Unset: nothing is added, and the
   * user data of such a node is unchanged.
   */
  livenessWatchdog?: LivenessWatchdog;
  /**
   * A port on which the node serves its watchdog's verdict to a cloud health check (GCP
   * autohealing of a worker, which has no port of its own): `GET /live` answers 200 once
   * the watchdog's readiness gate passed and until it reports the node unhealthy, 404
   * otherwise. The watchdog's commands must then be `servedVerdict`'s. Unset: nothing served.
   */
  livenessEndpoint?: number;
  /**
   * CA certificates (PEM) of the resources whose certificate a private CA signs, by file
   * name (`<resource>.pem`): written under `caDirectory` on the node and mounted read-only at the
   * same path in the container, where `<RESOURCE>_CA_FILE` (bindings.ts `caFilePath`) points.
   * Unset or empty: nothing is added, and the user data is unchanged.
   */
  caFiles?: Record<string, string>;
  /**
   * CA certificates of resources whose certificate a private CA signs, fetched at boot into
   * `caDirectory` (before the app starts) and mounted read-only into the container at the
   * same path, so `<RESOURCE>_CA_FILE` names a file inside it. Unset or empty: nothing is
   * added, and the user data of such a node is unchanged.
   */
  caDownloads?: CaDownload[];
}

/** Where the CA files of the resources live, on the node and inside the container. */
export const caDirectory = "/etc/ha-topology/ca";

/** One CA certificate the node downloads at boot: `path` under `caDirectory`, from `url` (https). */
export interface CaDownload {
  path: string;
  url: string;
}

/**
 * What the liveness watchdog does: after `startDelaySeconds` (the grace period), it polls
 * `http://127.0.0.1:<port><path>` every `intervalSeconds`; after `unhealthyThreshold`
 * consecutive failures (no answer within `timeoutSeconds`, or a status of 400 or more) it
 * runs `reportCommand`, which tells the cloud to replace this node. A node whose app only
 * fails readiness (a database blip) keeps running: the load balancer just stops sending
 * it requests.
 */
export interface LivenessWatchdog {
  /**
   * The liveness path (an HTTP path, as `healthCheck.path`). Unset: the app has no port (a
   * worker), and a check passes while its container runs without having restarted since
   * the previous check (systemd's `NRestarts` of the app unit), so a crash loop fails it.
   */
  path?: string;
  /** Seconds between checks. */
  intervalSeconds: number;
  /** Seconds a check may take. */
  timeoutSeconds: number;
  /** Consecutive failures that make the node unhealthy. */
  unhealthyThreshold: number;
  /** Seconds after boot before the first check (the app's start, image pull included). */
  startDelaySeconds: number;
  /**
   * A shell command, run as root, that reports this node unhealthy to the cloud (e.g. AWS's
   * `aws autoscaling set-instance-health ... --health-status Unhealthy`); retried at the
   * next check while it fails.
   */
  reportCommand: string;
  /**
   * A readiness gate before the liveness checks (unset: none): within the start delay, once
   * `path` has answered `healthyThreshold` times in a row, `readyCommand` tells the cloud
   * this node may join (AWS: completes the group's launch lifecycle hook, so a rollout
   * counts the node only once its app is ready). Run once per boot.
   */
  readiness?: { path?: string; healthyThreshold: number; readyCommand: string };
  /**
   * Only the readiness gate (it needs `readiness`): a node whose app is not live within
   * the start delay runs `reportCommand` once; a node that got live is never reported
   * after. For a cloud whose only report is the node stopping itself (DigitalOcean: a
   * droplet powers off, which its rollout gate sees), where a live node must keep running
   * through a dependency's outage rather than go dark for good.
   */
  readinessOnly?: boolean;
}

/**
 * A worker's process checks (an app without a port): every 10 s; live once its container
 * ran 3 checks in a row without restarting (30 s, as `workerLiveSeconds` on Kubernetes);
 * unhealthy after 3 failed checks in a row (a crash loop, or the container stopped).
 */
export const workerLive = { intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 3, unhealthyThreshold: 3 } as const;

/** The watchdog of a worker's node: its container's process, live within `startDelaySeconds` of boot, with the cloud's commands. */
export function workerWatchdog(commands: { reportCommand: string; readyCommand: string }, startDelaySeconds: number): LivenessWatchdog {
  return {
    intervalSeconds: workerLive.intervalSeconds,
    timeoutSeconds: workerLive.timeoutSeconds,
    unhealthyThreshold: workerLive.unhealthyThreshold,
    startDelaySeconds,
    reportCommand: commands.reportCommand,
    readiness: { healthyThreshold: workerLive.healthyThreshold, readyCommand: commands.readyCommand },
  };
}

/**
 * A docker logging driver for the app container (`docker run --log-driver`). Every name
 * and value lands on the unit's ExecStart line, so each is validated (`logDriverPatterns`).
 */
export interface LogDriver {
  /** The driver, e.g. "awslogs" or "gcplogs". */
  name: string;
  /** Its `--log-opt` options, e.g. { "awslogs-group": "/ha-topology/prod/web" }; rendered sorted. */
  options: Record<string, string>;
  /** Container labels (`--label`), for drivers that copy labels onto each entry (gcplogs' `labels` option). */
  labels?: Record<string, string>;
}

/**
 * What a log driver's parts may be. Values: the characters ARNs, regions, log group names
 * and URLs need, plus whole docker template fields such as `{{.Hostname}}` (no pipelines,
 * functions or spaces), so nothing a shell, systemd (`%`, `$`, `\\`, quotes) or an option
 * separator (`,`) could read as syntax.
 */
export const logDriverPatterns = {
  name: /^[a-z][a-z0-9_-]{0,63}$/,
  key: /^[a-z][a-z0-9._-]{0,63}$/,
  value: /^(?:[A-Za-z0-9._:/=+@#-]|\{\{\.[A-Z][A-Za-z]*\}\})*$/,
} as const;

/**
 * How a node logs docker in to a private registry. The login runs before every pull (in
 * the unit's ExecStartPre, so a restart after a short-lived token expired logs in again),
 * with DOCKER_CONFIG on tmpfs, so the login never reaches the disk.
 */
export interface RegistryLogin {
  /** What is logged in to, for the journal: e.g. "ECR 123456789012.dkr.ecr.eu-west-1.amazonaws.com". */
  description: string;
  /**
   * A shell command, run as root with DOCKER_CONFIG set, that logs in. Credentials must
   * reach docker on stdin (`docker login --password-stdin`) or through a root-only file,
   * never on a command line (see components/registryLogin.ts).
   */
  command: string;
  /**
   * A docker config.json with the registry's credentials, for clouds without a secret
   * store: written root-only to `bootstrapPaths.registryDockerConfig` for the command to
   * install. The adapter must mark the whole user data secret.
   */
  embeddedDockerConfig?: string;
}

/** The paths and names the bootstrap uses, so tests and docs refer to one definition. */
export const bootstrapPaths = {
  /** The plain app environment (docker --env-file format); root-only because it is config, not secrets. */
  appEnv: "/etc/ha-topology/app.env",
  /** The script that fetches secrets before each container start. */
  fetchSecrets: "/usr/local/sbin/ha-topology-fetch-secrets",
  /** Where fetched secrets live: tmpfs, so they never touch disk. */
  runDir: "/run/ha-topology",
  /** The fetched secrets (docker --env-file format), inside runDir. */
  secretsEnv: "/run/ha-topology/secrets.env",
  /** The env var that overrides runDir for the fetch script (tests run it unprivileged). */
  runDirOverrideEnv: "HA_TOPOLOGY_RUN_DIR",
  /** Where embedded secrets are written (root-only), for clouds without a secret store. */
  embeddedSecretsDir: "/etc/ha-topology/secrets",
  /** The systemd unit that supervises the container. */
  unitFile: "/etc/systemd/system/ha-topology-app.service",
  /** The unit's name, for systemctl. */
  serviceName: "ha-topology-app.service",
  /** The container's name, so ExecStop and cleanup can address it. */
  containerName: "ha-topology-app",
  /** The script that logs docker in to a private registry before each pull. */
  registryLogin: "/usr/local/sbin/ha-topology-registry-login",
  /** The script the unit runs instead of docker when the output is shipped (it falls back to the local driver) or the container has a command. */
  runApp: "/usr/local/sbin/ha-topology-run-app",
  /** Docker's client config while the unit runs (DOCKER_CONFIG): tmpfs, so registry logins never touch disk. */
  dockerConfigDir: "/run/ha-topology/docker",
  /** An embedded registry docker config (clouds without a secret store), root-only. */
  registryDockerConfig: "/etc/ha-topology/registry/config.json",
  /** The liveness watchdog's script. */
  livenessScript: "/usr/local/sbin/ha-topology-liveness",
  /** The liveness watchdog's systemd unit. */
  livenessUnitFile: "/etc/systemd/system/ha-topology-liveness.service",
  /** The liveness watchdog unit's name, for systemctl. */
  livenessServiceName: "ha-topology-liveness.service",
  /** The directory whose `live` file the verdict endpoint serves (tmpfs: gone at reboot, earned again). */
  verdictDir: "/run/ha-topology/live",
  /** The verdict endpoint's systemd unit. */
  verdictUnitFile: "/etc/systemd/system/ha-topology-verdict.service",
  /** The verdict endpoint unit's name, for systemctl. */
  verdictServiceName: "ha-topology-verdict.service",
} as const;

/**
 * The watchdog's commands when its verdict is served (`livenessEndpoint`): ready creates
 * the file the endpoint serves, unhealthy removes it, so the cloud's health check fails
 * and the cloud replaces the node.
 */
export const servedVerdict = {
  readyCommand: `mkdir -p ${bootstrapPaths.verdictDir} && touch ${bootstrapPaths.verdictDir}/live`,
  reportCommand: `rm -f ${bootstrapPaths.verdictDir}/live`,
} as const;

/** Quotes a string for POSIX shells (single-quote style): safe for any content. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Docker image references: no whitespace, shell or systemd metacharacters (`%`, `$`, `;`...). */
const imagePattern = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

/** Attempts per secret command: the IAM role or network may not be ready at first boot. */
const fetchAttempts = 5;

/**
 * Converts one source's JSON (stdin) to KEY=VALUE lines appended to argv[3], printing only
 * the count. Messages name fields, never values, because they end up in the journal.
 */
const jsonToEnvPython = String.raw`import json, re, sys, unicodedata
description, fields_arg, out_path = sys.argv[1:4]
def fail(message):
    sys.exit("ha-topology-fetch-secrets: " + description + ": " + message)
try:
    data = json.load(sys.stdin)
except ValueError:
    fail("output is not valid JSON")
if not isinstance(data, dict):
    fail("output is not one JSON object")
fields = json.loads(fields_arg)
if fields is None:
    pairs = list(data.items())
else:
    missing = [key for key in fields if key not in data]
    if missing:
        fail("missing field(s): " + ", ".join(missing))
    pairs = [(name, data[key]) for key, name in fields.items()]
lines = []
for name, value in pairs:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        fail("field " + json.dumps(name) + " is not a valid environment variable name")
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (int, float)):
        value = str(value)
    elif not isinstance(value, str):
        fail("value of " + name + " is not a string")
    # The same characters the renderer refuses: controls, U+2028/U+2029, lone surrogates.
    if any(unicodedata.category(c) in ("Cc", "Cs") or c in "\u2028\u2029" for c in value):
        fail("value of " + name + " contains a newline, control or separator character; refused")
    lines.append(name + "=" + value + "\n")
with open(out_path, "a") as out:
    out.writelines(lines)
print(len(lines))`;

/** OS package names (Debian and RPM): nothing a YAML or shell reader could take for syntax. */
const packagePattern = /^[A-Za-z0-9][A-Za-z0-9.+_-]*$/;

/**
 * Throws when `value` holds a character that must never reach a node. `what` names the
 * value; the value itself is never shown (it may be a secret), only the character's code.
 */
function requireNodeText(what: string, value: string, allowLineFeeds = false): void {
  const char = refusedCharacter(allowLineFeeds ? value.replace(/\n/g, " ") : value);
  if (char) throw new Error(`bootstrap: ${what} contains ${char}; allowed: ${allowedNodeText}`);
}

/** Checks every value the user data is rendered from; throws on the first that cannot be rendered safely. */
export function validateBootstrap(spec: BootstrapSpec): void {
  if (!imagePattern.test(spec.image)) {
    throw new Error(`bootstrap: image ${JSON.stringify(spec.image)} is not a plain image reference (no whitespace or shell metacharacters allowed)`);
  }
  if (spec.port !== undefined && (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)) {
    throw new Error(`bootstrap: port ${spec.port} is not an integer in 1..65535`);
  }
  if (spec.command !== undefined) {
    if (spec.command.length === 0) throw new Error("bootstrap: the command is an empty list");
    for (const [i, arg] of spec.command.entries()) requireNodeText(`argument ${i + 1} of the command`, arg);
  }
  if (!Number.isInteger(spec.stopTimeoutSeconds) || spec.stopTimeoutSeconds < 1) {
    throw new Error(`bootstrap: stopTimeoutSeconds ${spec.stopTimeoutSeconds} is not a positive integer`);
  }
  for (const [key, value] of Object.entries(spec.env)) {
    if (!envNamePattern.test(key)) throw new Error(`bootstrap: env key ${JSON.stringify(key)} is not a valid environment variable name`);
    // The env file has no quoting: one line per variable, so line breaks would inject variables.
    requireNodeText(`env value of ${key}`, value);
  }
  for (const embedded of spec.embeddedSecrets ?? []) {
    requireNodeText("an embedded secret's description", embedded.description);
    if (!/^[a-z0-9][a-z0-9-]*\.json$/.test(embedded.file)) throw new Error(`bootstrap: embedded secret file ${JSON.stringify(embedded.file)} is not a plain lower-case .json name`);
    for (const [name, value] of Object.entries(embedded.values)) {
      if (!envNamePattern.test(name)) throw new Error(`bootstrap: embedded secret "${embedded.description}" has ${JSON.stringify(name)}, not a valid environment variable name`);
      if (typeof value !== "string") throw new Error(`bootstrap: embedded secret "${embedded.description}" has a value of ${name} that is not a string`);
      requireNodeText(`the value of ${name} in embedded secret "${embedded.description}"`, value);
    }
  }
  if (spec.registryLogin) {
    const login = spec.registryLogin;
    requireNodeText("the registry login's description", login.description);
    // The login command runs as root, like the secret commands: line feeds only.
    requireNodeText(`the command of registry login "${login.description}"`, login.command, true);
    if (login.command.trim() === "") throw new Error(`bootstrap: registry login "${login.description}" has an empty command`);
    if (login.embeddedDockerConfig !== undefined) {
      requireNodeText(`the embedded docker config of registry login "${login.description}"`, login.embeddedDockerConfig);
      try {
        JSON.parse(login.embeddedDockerConfig);
      } catch {
        throw new Error(`bootstrap: registry login "${login.description}" has an embedded docker config that is not JSON`);
      }
    }
  }
  for (const source of spec.secretSources) {
    requireNodeText("a secret source's description", source.description);
    // Commands run as root and carry platform values (regions, ARNs, version names).
    // Line feeds are allowed there only (a multi-line `python3 -c`): the fetch script
    // single-quotes each command, and it reaches the node inside a base64 file.
    requireNodeText(`the command of secret source "${source.description}"`, source.command, true);
    if (source.command.trim() === "") throw new Error(`bootstrap: secret source "${source.description}" has an empty command`);
    for (const [field, name] of Object.entries(source.fields ?? {})) {
      requireNodeText(`a field name of secret source "${source.description}"`, field);
      if (!envNamePattern.test(name)) {
        throw new Error(`bootstrap: secret source "${source.description}" maps to ${JSON.stringify(name)}, not a valid environment variable name`);
      }
    }
  }
  for (const name of spec.packages) {
    if (!packagePattern.test(name)) throw new Error(`bootstrap: package ${JSON.stringify(name)} is not a plain package name`);
  }
  for (const [i, command] of (spec.setupCommands ?? []).entries()) requireNodeText(`setup command ${i + 1}`, command);
  for (const d of spec.caDownloads ?? []) caDownloadCommand(d);
  if (spec.logDriver) validateLogDriver(spec.logDriver);
  if (spec.livenessWatchdog) validateWatchdog(spec.livenessWatchdog, spec.port);
  if (spec.livenessEndpoint !== undefined) {
    const port = spec.livenessEndpoint;
    if (!Number.isInteger(port) || port < 1 || port > 65535 || port === spec.port) throw new Error(`bootstrap: the liveness endpoint's port ${port} is not a free TCP port of the node`);
    if (spec.livenessWatchdog?.reportCommand !== servedVerdict.reportCommand || spec.livenessWatchdog.readiness?.readyCommand !== servedVerdict.readyCommand) {
      throw new Error("bootstrap: a served liveness verdict needs the watchdog's servedVerdict commands (and its readiness gate)");
    }
  }
}

/** An HTTP path as the health check keys allow it (topology.ts): nothing a shell or URL could read as more. */
const httpPathPattern = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%\/-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@%\/?-]*)?$/;

/** Throws when the watchdog cannot be rendered safely. */
function validateWatchdog(watchdog: LivenessWatchdog, port: number | undefined): void {
  if ((watchdog.path === undefined) !== (port === undefined)) throw new Error("bootstrap: a liveness watchdog checks an HTTP path on the app's port, or the process of an app without a port");
  if (watchdog.path !== undefined && !httpPathPattern.test(watchdog.path)) throw new Error(`bootstrap: the liveness path ${JSON.stringify(watchdog.path)} is not a plain HTTP path`);
  for (const key of ["intervalSeconds", "timeoutSeconds", "unhealthyThreshold", "startDelaySeconds"] as const) {
    const value = watchdog[key];
    if (!Number.isInteger(value) || value < (key === "startDelaySeconds" ? 0 : 1)) throw new Error(`bootstrap: the liveness watchdog's ${key} ${value} is not a positive integer`);
  }
  requireNodeText("the liveness watchdog's report command", watchdog.reportCommand, true);
  if (watchdog.reportCommand.trim() === "") throw new Error("bootstrap: the liveness watchdog's report command is empty");
  const gate = watchdog.readiness;
  if (watchdog.readinessOnly && !gate) throw new Error("bootstrap: a readiness-only watchdog needs its readiness gate");
  if (gate) {
    if ((gate.path === undefined) !== (watchdog.path === undefined)) throw new Error("bootstrap: the readiness gate checks what the liveness watchdog checks: an HTTP path, or the process");
    if (gate.path !== undefined && !httpPathPattern.test(gate.path)) throw new Error(`bootstrap: the readiness path ${JSON.stringify(gate.path)} is not a plain HTTP path`);
    if (!Number.isInteger(gate.healthyThreshold) || gate.healthyThreshold < 1) throw new Error(`bootstrap: the readiness gate's healthyThreshold ${gate.healthyThreshold} is not a positive integer`);
    requireNodeText("the readiness gate's command", gate.readyCommand, true);
    if (gate.readyCommand.trim() === "") throw new Error("bootstrap: the readiness gate's command is empty");
  }
}

/** The readiness gate's part of the watchdog script (see `LivenessWatchdog.readiness`). */
function renderReadinessGate(watchdog: LivenessWatchdog, port: number | undefined): string {
  const gate = watchdog.readiness;
  if (!gate) return `# The grace period: the app boots, pulls its image and starts before the first check.
sleep ${watchdog.startDelaySeconds}
`;
  return `started=$(date +%s)
elapsed() { echo $(( $(date +%s) - started )); }
# The readiness gate, once per boot: the node joins only once its app is ready.
ready_marker=${shellQuote(`${bootstrapPaths.runDir}/ready`)}
if [ ! -e "$ready_marker" ]; then
${gate.path === undefined ? "" : `  ready_url=${shellQuote(`http://127.0.0.1:${port}${gate.path}`)}
`}  ready_command=${shellQuote(gate.readyCommand)}
  successes=0
  while [ "$successes" -lt ${gate.healthyThreshold} ] && [ "$(elapsed)" -lt ${watchdog.startDelaySeconds} ]; do
    if ${gate.path === undefined ? "live" : `curl -fsS -o /dev/null --max-time ${watchdog.timeoutSeconds} "$ready_url"`}; then successes=$((successes + 1)); else successes=0; fi
    [ "$successes" -ge ${gate.healthyThreshold} ] || sleep ${watchdog.intervalSeconds}
  done
  if [ "$successes" -ge ${gate.healthyThreshold} ]; then
    for attempt in 1 2 3 4 5; do
      if bash -o pipefail -c "$ready_command"; then
        mkdir -p "$(dirname "$ready_marker")" && touch "$ready_marker"
        echo "ha-topology: the app is ready: this node joins" >&2
        break
      fi
      echo "ha-topology: telling the cloud this node is ready failed (attempt $attempt/5)" >&2
      sleep 3
    done
  else
    echo "ha-topology: the app was not ready within ${watchdog.startDelaySeconds} seconds: the cloud replaces a node that does not join" >&2
  fi
fi
# The grace period: the app boots, pulls its image and starts before the first liveness check.
rest=$(( ${watchdog.startDelaySeconds} - $(elapsed) ))
[ "$rest" -gt 0 ] && sleep "$rest"
`;
}

/** The end of a readiness-only watchdog (`LivenessWatchdog.readinessOnly`): the report once if the node never got live, then nothing more. */
const readinessOnlyEnd = `if [ ! -e "$ready_marker" ]; then
  if bash -o pipefail -c "$report"; then echo "ha-topology: reported this node: it never got live" >&2; else echo "ha-topology: reporting this node failed" >&2; fi
fi
exec sleep infinity
`;

/** The watchdog's loop: quiet while the app answers, a journal line per failure, the report after the threshold. */
function renderWatchdogScript(watchdog: LivenessWatchdog, port: number | undefined): string {
  const unit = bootstrapPaths.serviceName;
  // What one check runs: the HTTP liveness path, or (no port) the app unit's state and restart count.
  const probe = watchdog.path === undefined
    ? `unit=${shellQuote(unit)}
restarts() { systemctl show -p NRestarts --value "$unit"; }
seen=$(restarts)
# Live: the container runs and did not restart since the previous check (a crash loop fails).
live() {
  local now state
  now=$(restarts); state=$(systemctl is-active "$unit")
  [ "$state" = active ] && [ "$now" = "$seen" ]; local ok=$?
  seen=$now
  return $ok
}
what="the app's container ($unit)"
`
    : `url=${shellQuote(`http://127.0.0.1:${port}${watchdog.path}`)}
live() { curl -fsS -o /dev/null --max-time ${watchdog.timeoutSeconds} "$url"; }
what="$url"
`;
  return `#!/bin/bash
# Generated by ha-topology: the liveness watchdog. Failing liveness (unlike readiness, which
# only takes the node out of the load balancer) means this node must be replaced.
set -u
${probe}report=${shellQuote(watchdog.reportCommand)}
threshold=${watchdog.unhealthyThreshold}
${renderReadinessGate(watchdog, port)}${watchdog.readinessOnly ? readinessOnlyEnd : ""}failures=0
while true; do
  if live; then
    failures=0
  else
    failures=$((failures + 1))
    echo "ha-topology: liveness check of $what failed ($failures/$threshold)" >&2
    if [ "$failures" -ge "$threshold" ]; then
      if bash -o pipefail -c "$report"; then
        echo "ha-topology: reported this node unhealthy: it will be replaced" >&2
        exec sleep infinity
      fi
      echo "ha-topology: reporting this node unhealthy failed; trying again at the next check" >&2
    fi
  fi
  sleep ${watchdog.intervalSeconds}
done
`;
}

/** The verdict endpoint: Python's static file server on the verdict directory (`GET /live`: 200 or 404). */
function renderVerdictUnit(port: number): string {
  return `# Generated by ha-topology: serves the liveness watchdog's verdict to the cloud's health check.
[Unit]
Description=ha-topology liveness verdict (GET /live)
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Restart=always
RestartSec=5
ExecStartPre=/usr/bin/mkdir -p ${bootstrapPaths.verdictDir}
ExecStart=/usr/bin/python3 -m http.server ${port} --bind 0.0.0.0 --directory ${bootstrapPaths.verdictDir}

[Install]
WantedBy=multi-user.target
`;
}

function renderWatchdogUnit(): string {
  return `# Generated by ha-topology: the liveness watchdog (see ${bootstrapPaths.livenessScript}).
[Unit]
Description=ha-topology liveness watchdog
After=${bootstrapPaths.serviceName} network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Restart=always
RestartSec=5
ExecStart=${bootstrapPaths.livenessScript}

[Install]
WantedBy=multi-user.target
`;
}

/** Throws when a part of the log driver could not sit on the ExecStart line as plain words; shows names, never values. */
function validateLogDriver(driver: LogDriver): void {
  const p = logDriverPatterns;
  if (!p.name.test(driver.name)) throw new Error(`bootstrap: log driver ${JSON.stringify(driver.name)} is not a plain driver name`);
  for (const [kind, entries] of [["option", driver.options], ["label", driver.labels ?? {}]] as const) {
    for (const [key, value] of Object.entries(entries)) {
      if (!p.key.test(key)) throw new Error(`bootstrap: log driver ${driver.name} has the ${kind} name ${JSON.stringify(key)}, not a plain name`);
      if (typeof value !== "string" || value === "" || !p.value.test(value)) {
        throw new Error(`bootstrap: the value of log driver ${driver.name}'s ${kind} ${key} is not plain text (letters, digits, . _ : / = + @ # - and {{.Field}} templates only)`);
      }
    }
  }
}

/** What cloud-init may read outside the base64 file contents: printable ASCII lines. */
const renderedPattern = /^[\x20-\x7e\n]*$/;

/** The docker --env-file content: sorted, so the user data only changes when a value does. */
function renderEnvFile(env: Record<string, string>): string {
  return Object.keys(env)
    .sort()
    .map((key) => `${key}=${env[key]}\n`)
    .join("");
}

/** The script that writes the secrets of `sources` to tmpfs (docker --env-file format) before each container start. */
function renderFetchScript(sources: SecretSource[]): string {
  const calls = sources.map(
    (s) => `fetch_source ${shellQuote(s.description)} ${shellQuote(s.command)} ${shellQuote(JSON.stringify(s.fields ?? null))}`,
  );
  return `#!/bin/bash
# Generated by ha-topology: writes the app's secrets to tmpfs before each container start.
# Never prints secret values: only descriptions and variable counts reach the journal.
set -euo pipefail
umask 077
run_dir="\${${bootstrapPaths.runDirOverrideEnv}:-${bootstrapPaths.runDir}}"
out="$run_dir/secrets.env"
mkdir -p "$run_dir"
tmp="$(mktemp "$run_dir/secrets.env.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

converter=$(cat <<'PY'
${jsonToEnvPython}
PY
)

# Runs a source's command, retrying while the instance role or network comes up.
fetch_json() {
  local description="$1" command="$2" attempt json
  for attempt in $(seq 1 ${fetchAttempts}); do
    if json="$(bash -o pipefail -c "$command")"; then
      printf '%s' "$json"
      return 0
    fi
    echo "ha-topology: fetching $description failed (attempt $attempt/${fetchAttempts})" >&2
    [ "$attempt" -lt ${fetchAttempts} ] && sleep 3
  done
  return 1
}

fetch_source() {
  local description="$1" command="$2" fields="$3" json count
  json="$(fetch_json "$description" "$command")"
  count="$(printf '%s' "$json" | python3 -c "$converter" "$description" "$fields" "$tmp")"
  echo "ha-topology: $description: wrote $count variable(s)"
}

${calls.join("\n")}
chmod 0600 "$tmp"
mv -f "$tmp" "$out"
`;
}

/** The login script: retries while the instance identity or network comes up; never prints credentials. */
function renderRegistryLoginScript(login: RegistryLogin): string {
  return `#!/bin/bash
# Generated by ha-topology: logs docker in to the image's registry before each pull.
# Credentials reach docker on stdin or from root-only files, never on a command line;
# the login lives in DOCKER_CONFIG, on tmpfs.
set -euo pipefail
umask 077
export DOCKER_CONFIG="\${DOCKER_CONFIG:-${bootstrapPaths.dockerConfigDir}}"
mkdir -p "$DOCKER_CONFIG"
description=${shellQuote(login.description)}
command=${shellQuote(login.command)}
for attempt in $(seq 1 ${fetchAttempts}); do
  if bash -o pipefail -c "$command" >/dev/null; then
    echo "ha-topology: logged in to $description"
    exit 0
  fi
  echo "ha-topology: logging in to $description failed (attempt $attempt/${fetchAttempts})" >&2
  [ "$attempt" -lt ${fetchAttempts} ] && sleep 3
done
exit 1
`;
}

/** The unit lines a registry login adds (none without one, so public images keep their user data). */
function registryLoginUnitLines(spec: BootstrapSpec): { environment: string; execStartPre: string } {
  if (!spec.registryLogin) return { environment: "", execStartPre: "" };
  return {
    environment: `# Docker's client config (registry logins) on tmpfs, for the login, the pull and the run.\nEnvironment=DOCKER_CONFIG=${bootstrapPaths.dockerConfigDir}\n`,
    // Optional like the pull: with the registry down, a restart still runs the image on disk.
    execStartPre: `ExecStartPre=-${bootstrapPaths.registryLogin}\n`,
  };
}

/** The write_files entries of a registry login (none without one). */
export function registryLoginFiles(spec: BootstrapSpec): { path: string; owner: string; permissions: string; content: string }[] {
  const login = spec.registryLogin;
  if (!login) return [];
  return [
    ...(login.embeddedDockerConfig !== undefined
      ? [{ path: bootstrapPaths.registryDockerConfig, owner: "root:root", permissions: "0600", content: login.embeddedDockerConfig }]
      : []),
    { path: bootstrapPaths.registryLogin, owner: "root:root", permissions: "0700", content: renderRegistryLoginScript(login) },
  ];
}

/** The docker run arguments of a log driver (sorted: unchanged settings give unchanged user data). */
function logDriverArgs(driver: LogDriver): string {
  const sorted = (entries: Record<string, string>) => Object.keys(entries).sort().map((key) => `${key}=${entries[key]}`);
  return [
    ...sorted(driver.labels ?? {}).map((label) => `--label ${label}`),
    `--log-driver ${driver.name}`,
    ...sorted(driver.options).map((option) => `--log-opt ${option}`),
  ].join(" ");
}

/**
 * The attached `docker run` of the app container, with the given log driver arguments.
 * The command's arguments are shell-quoted: with a command, the line only ever runs in
 * the run script (bash), never on systemd's ExecStart line (`needsRunScript`).
 */
function dockerRun(spec: BootstrapSpec, logArgs: string): string {
  const p = bootstrapPaths;
  const publish = spec.port === undefined ? "" : ` -p ${spec.port}:${spec.port}`;
  // Read-only: the app reads the CA files, never changes them.
  const ca = hasCaFiles(spec) ? ` -v ${caDirectory}:${caDirectory}:ro` : "";
  const command = spec.command ? ` ${spec.command.map(shellQuote).join(" ")}` : "";
  return `/usr/bin/docker run --rm --name ${p.containerName} --init${publish}${ca} --env-file ${p.appEnv} --env-file ${p.secretsEnv} --stop-timeout ${spec.stopTimeoutSeconds} ${logArgs} ${spec.image}${command}`;
}

/**
 * The command that fetches one CA certificate (argv): it fails on any HTTP error, after
 * retries, so a CA the app cannot have stops the boot (or the job's run) before the app
 * starts, not at its first connection. Throws when the path is not a plain file directly
 * under `caDirectory` or the URL not a plain https URL: both land in a shell or runcmd.
 */
export function caDownloadCommand(d: CaDownload): string[] {
  if (!/^\/etc\/ha-topology\/ca\/[A-Za-z0-9._-]+\.pem$/.test(d.path)) throw new Error(`bootstrap: CA file ${JSON.stringify(d.path)} is not a .pem file directly under ${caDirectory}`);
  if (!/^https:\/\/[A-Za-z0-9.\/_-]+$/.test(d.url)) throw new Error(`bootstrap: CA URL ${JSON.stringify(d.url)} is not a plain https URL`);
  return ["curl", "--fail", "--silent", "--show-error", "--retry", "5", "--retry-connrefused", "--output", d.path, d.url];
}

/** True when the node carries CA files for the container (written from user data, or downloaded at boot). */
export function hasCaFiles(spec: Pick<BootstrapSpec, "caFiles" | "caDownloads">): boolean {
  return Object.keys(spec.caFiles ?? {}).length > 0 || (spec.caDownloads?.length ?? 0) > 0;
}

/** The write_files entries of the CA files (public certificates: readable by all), sorted so unchanged CAs give unchanged user data. */
export function caFileEntries(spec: Pick<BootstrapSpec, "caFiles">): ReturnType<typeof cloudConfigFile>[] {
  const files = spec.caFiles ?? {};
  return Object.keys(files).sort().map((file) => {
    if (!/^[a-z0-9][a-z0-9-]*\.pem$/.test(file)) throw new Error(`bootstrap: CA file name ${JSON.stringify(file)} is not <resource>.pem; refused`);
    return cloudConfigFile(`${caDirectory}/${file}`, "0644", files[file]);
  });
}

/** True when the container runs from the run script: its output is shipped, or it has a command to quote. */
function needsRunScript(spec: BootstrapSpec): boolean {
  return spec.logDriver !== undefined || spec.command !== undefined;
}

/** docker run's exit status when docker itself could not run the container (not the app's own status). */
const dockerRunFailed = 125;

/**
 * The run script of a node that ships its output. Some drivers connect when the container
 * starts, and docker refuses to start it when they cannot (gcplogs checks Cloud Logging
 * first: moby/moby#21966 is the same for syslog); so a log service outage or a missing
 * permission would keep the app down. On docker's own failure (exit 125) the script
 * starts the container again with the local driver: the app serves, its output stays in
 * the journal, and the next start (a restart, a new node) tries the log service again.
 */
function renderRunScript(spec: BootstrapSpec, driver: LogDriver | undefined): string {
  const p = bootstrapPaths;
  if (!driver) {
    return `#!/bin/bash
# Generated by ha-topology: runs the app container (attached: its output is this unit's journal).
set -u
exec ${dockerRun(spec, "--log-driver local")}
`;
  }
  return `#!/bin/bash
# Generated by ha-topology: runs the app container (attached: its output is this unit's
# journal), shipping its output with docker's ${driver.name} log driver; falls back to the
# local driver when docker cannot start it so, so a log service outage never keeps the app down.
set -u
${dockerRun(spec, logDriverArgs(driver))}
status=$?
[ "$status" -ne ${dockerRunFailed} ] && exit "$status"
echo "ha-topology: docker could not start the app with the ${driver.name} log driver (exit ${dockerRunFailed}): starting it with the local driver; its output stays in this journal only, until the next start" >&2
/usr/bin/docker rm -f ${p.containerName} >/dev/null 2>&1
exec ${dockerRun(spec, "--log-driver local")}
`;
}

function renderUnit(spec: BootstrapSpec): string {
  const p = bootstrapPaths;
  const t = spec.stopTimeoutSeconds;
  const login = registryLoginUnitLines(spec);
  return `# Generated by ha-topology: systemd is the supervisor, restarting the container whenever it exits.
[Unit]
Description=ha-topology app container
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target
# Never give up restarting: a node that stops trying is a silent capacity loss.
StartLimitIntervalSec=0

[Service]
Restart=always
RestartSec=5
# Generous: the first start pulls the image.
TimeoutStartSec=900
TimeoutStopSec=${t + 15}
${login.environment}ExecStartPre=${p.fetchSecrets}
ExecStartPre=-/usr/bin/docker rm -f ${p.containerName}
${login.execStartPre}# Optional ("-"): with the registry down, a restart still runs the image already on disk.
ExecStartPre=-/usr/bin/docker pull ${spec.image}
# The attached client's output is the unit's journal (journalctl -u ${p.serviceName}):
# attach streams the container's stdio whatever the log driver. The "local" driver keeps a
# bounded copy for docker logs; a shipping driver (run by ${p.runApp}) sends the output
# to the cloud's log service too, and docker's dual logging cache keeps docker logs working.
ExecStart=${needsRunScript(spec) ? p.runApp : dockerRun(spec, "--log-driver local")}
# docker stop sends SIGTERM, then SIGKILL after the timeout: the graceful stop.
ExecStop=/usr/bin/docker stop --time ${t} ${p.containerName}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The write_files entries of a node's environment: the plain env file, the embedded
 * secrets (root-only JSON files) and the fetch script that reads them back, with the
 * secret stores, before each container start. Shared by every kind of node (jobBootstrap.ts).
 */
export function environmentFiles(spec: Pick<BootstrapSpec, "env" | "embeddedSecrets" | "secretSources">): ReturnType<typeof cloudConfigFile>[] {
  const embedded = spec.embeddedSecrets ?? [];
  const embeddedPath = (file: string) => `${bootstrapPaths.embeddedSecretsDir}/${file}`;
  // Read back like a secret store, so the fetch script is the one way secrets reach the app.
  const sources = [
    ...embedded.map((e): SecretSource => ({ description: e.description, command: `cat ${embeddedPath(e.file)}` })),
    ...spec.secretSources,
  ];
  return [
    cloudConfigFile(bootstrapPaths.appEnv, "0600", renderEnvFile(spec.env)),
    // Keys sorted: unchanged values give unchanged user data (no needless replacement).
    ...embedded.map((e) => cloudConfigFile(embeddedPath(e.file), "0600", JSON.stringify(Object.fromEntries(Object.keys(e.values).sort().map((k) => [k, e.values[k]]))))),
    cloudConfigFile(bootstrapPaths.fetchSecrets, "0700", renderFetchScript(sources)),
  ];
}

/** Renders the `#cloud-config` user data for a VM node; throws on values that cannot be rendered safely. */
export function renderCloudConfig(spec: BootstrapSpec): string {
  validateBootstrap(spec);
  const file = cloudConfigFile;
  const config = {
    package_update: true,
    packages: spec.packages,
    write_files: [
      ...environmentFiles(spec),
      ...caFileEntries(spec),
      file(bootstrapPaths.unitFile, "0644", renderUnit(spec)),
      ...(needsRunScript(spec) ? [file(bootstrapPaths.runApp, "0700", renderRunScript(spec, spec.logDriver))] : []),
      ...registryLoginFiles(spec).map((f) => file(f.path, f.permissions, f.content)),
      ...(spec.livenessWatchdog
        ? [
            file(bootstrapPaths.livenessScript, "0700", renderWatchdogScript(spec.livenessWatchdog, spec.port)),
            file(bootstrapPaths.livenessUnitFile, "0644", renderWatchdogUnit()),
          ]
        : []),
      ...(spec.livenessEndpoint !== undefined ? [file(bootstrapPaths.verdictUnitFile, "0644", renderVerdictUnit(spec.livenessEndpoint))] : []),
    ],
    runcmd: [
      ...(spec.setupCommands ?? []),
      // A CA the app cannot fetch stops the boot here (cloud-init fails), not at the first connection.
      ...(spec.caDownloads && spec.caDownloads.length > 0 ? [["mkdir", "-p", caDirectory]] : []),
      ...(spec.caDownloads ?? []).map(caDownloadCommand),
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "docker"],
      ["systemctl", "enable", "--now", bootstrapPaths.serviceName],
      ...(spec.livenessWatchdog ? [["systemctl", "enable", "--now", bootstrapPaths.livenessServiceName]] : []),
      ...(spec.livenessEndpoint !== undefined ? [["systemctl", "enable", "--now", bootstrapPaths.verdictServiceName]] : []),
    ],
  };
  return cloudConfigText(config);
}

/**
 * A write_files entry. Every file's content is base64 (`encoding: b64`): no value is ever
 * YAML text, so no character in it can end a block scalar or open a key (PyYAML breaks
 * lines at U+0085, U+2028 and U+2029, which JavaScript's YAML writers leave raw).
 */
export function cloudConfigFile(path: string, permissions: string, content: string): { path: string; owner: string; permissions: string; encoding: string; content: string } {
  return { path, owner: "root:root", permissions, encoding: "b64", content: Buffer.from(content, "utf8").toString("base64") };
}

/** The `#cloud-config` text of a config object. */
export function cloudConfigText(config: object): string {
  // YAML 1.1 because cloud-init parses with PyYAML: this quotes "yes", "on", "0600" and the like.
  // The platforms' configs are written directly, as `yaml` writes them (cloudConfigYaml.ts);
  // `yaml` itself, loaded only then, writes any other.
  const yamlText = () => (require("yaml") as typeof import("yaml")).stringify(config, { version: "1.1", lineWidth: 0 });
  const text = `#cloud-config\n${cloudConfigYaml(config) ?? yamlText()}`;
  // Defence in depth: whatever a future change renders, the YAML itself stays plain ASCII.
  if (!renderedPattern.test(text)) throw new Error("bootstrap: the rendered user data holds a character outside printable ASCII; refused");
  return text;
}
