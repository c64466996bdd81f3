/**
 * A stand-in for the Pulumi CLI (`<root>/bin/pulumi`) for the deployment tests: it records
 * every call and answers the way the CLI does, so the SDK's real command construction,
 * event log and error classification run against it without the binary.
 *
 * The command is a bash script that hands each call (argv, working directory, environment,
 * stdin) to a loopback server in the test process, which records and answers it, and
 * prints the answer. Why not a Node script per call: an operation makes a dozen calls, and
 * a Node process costs ~50-100 ms to start where bash costs a few.
 */
import * as fs from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** One call of the stand-in CLI: its argv, directory, environment and (for `config set`) what it read on stdin. */
export interface FakeCall {
  args: string[];
  cwd: string;
  backend?: string;
  passphrase?: string;
  env: Record<string, string>;
  stdin?: string;
}

/** What an installed stand-in claims: its `pulumi version`, and whether `config set` fails (as without a passphrase). */
export interface FakeCliOptions {
  version?: string;
  failConfigSet?: boolean;
}

/** What the stand-in prints and exits with; `hang`: it runs until SIGINT, then prints `onInterrupt` and exits 255. */
interface Answer {
  code: number;
  stdout?: string;
  stderr?: string;
  hang?: { onInterrupt: string };
}

/**
 * Answers one call as the CLI would, in the state directory `FAKE_PULUMI_DIR` (stacks,
 * history, the calls log) and the mode `FAKE_PULUMI_MODE` (ok, fail, locked, hang) of the
 * caller's environment.
 */
function answer(call: FakeCall, options: FakeCliOptions): Answer {
  const { args, env } = call;
  const dir = env.FAKE_PULUMI_DIR;
  fs.appendFileSync(path.join(dir, "calls.jsonl"), `${JSON.stringify(call)}\n`);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  const stack = flag("--stack") ?? args[2];
  const mode = env.FAKE_PULUMI_MODE || "ok";
  const exists = () => fs.existsSync(path.join(dir, `stack-${stack}`));
  const urn = (t: string, n: string) => `urn:pulumi:${stack}::ha-topology::${t}::${n}`;
  const json = (value: unknown) => ({ code: 0, stdout: `${JSON.stringify(value)}\n` });
  if (args[0] === "version") return { code: 0, stdout: `${options.version ?? "v3.190.0"}\n` };
  if (args[0] === "stack" && args[1] === "select") return exists() ? { code: 0 } : { code: 255, stderr: `error: no stack named '${stack}' found\n` };
  if (args[0] === "stack" && args[1] === "init") {
    fs.writeFileSync(path.join(dir, `stack-${args[2]}`), "");
    fs.writeFileSync(path.join(call.cwd, `Pulumi.${args[2]}.yaml`), "encryptionsalt: v1:salt\nconfig:\n  ha-topology:stale: left-over\n");
    return { code: 0 };
  }
  if (options.failConfigSet && args[0] === "config" && args[1] === "set") return { code: 255, stderr: "error: passphrase must be set\n" };
  if (args[0] === "config" || args[0] === "plugin") return { code: 0 };
  if (args[0] === "stack" && args[1] === "output") {
    return json(args.includes("--show-secrets") ? { url: "https://app.example.com", token: "s3cr3t" } : { url: "https://app.example.com", token: "[secret]" });
  }
  const historyFile = path.join(dir, "history.json");
  if (args[0] === "stack" && args[1] === "history" && fs.existsSync(historyFile)) return { code: 0, stdout: `${fs.readFileSync(historyFile, "utf8")}\n` };
  if (args[0] === "stack" && args[1] === "history") {
    return json([{ kind: "update", result: "succeeded", startTime: "2024-01-01T00:00:00Z", endTime: "2024-01-01T00:05:00Z", version: 1, message: "", environment: {}, config: {}, resourceChanges: { create: 2 } }]);
  }
  if (["preview", "up", "destroy", "refresh"].includes(args[0])) {
    if (mode === "locked") return { code: 255, stderr: "error: the stack is currently locked by 1 lock(s).\n" };
    const log = flag("--event-log")!;
    const planning = args[0] === "preview";
    const metadata = { op: "create", urn: urn("aws:ec2/vpc:Vpc", "web-vpc"), type: "aws:ec2/vpc:Vpc", provider: "" };
    const events: Record<string, unknown>[] = [{ preludeEvent: { config: {} } }, { resourcePreEvent: { planning, metadata } }];
    const write = () => fs.writeFileSync(log, `${events.map((e, i) => JSON.stringify({ sequence: i, timestamp: 1700000000, ...e })).join("\n")}\n`);
    if (mode === "hang") {
      write();
      return { code: 0, hang: { onInterrupt: "error: update canceled\n" } };
    }
    events.push(mode === "fail" ? { diagnosticEvent: { severity: "error", color: "never", message: "error: No valid credential sources found" } } : { resOutputsEvent: { planning, metadata } });
    events.push({ summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 2 }, policyPacks: {} } });
    events.push({ cancelEvent: {} });
    // The events are on disk before the command ends, and the SDK's log tail reads the file
    // once more when it stops, so it sees every event this run wrote.
    write();
    return { code: mode === "fail" ? 255 : 0 };
  }
  return { code: 2, stderr: `fake pulumi: unexpected ${args.join(" ")}\n` };
}

/** Splits NUL-terminated fields (bash `printf '%s\0'`, `env -0`). */
const fields = (text: string) => (text === "" ? [] : text.replace(/\0$/, "").split("\0"));

/** Reads the call the command left in `req` (its files: args, env, cwd, stdin). */
function readCall(req: string): FakeCall {
  const env = Object.fromEntries(fields(fs.readFileSync(path.join(req, "env"), "utf8")).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  const stdinFile = path.join(req, "stdin");
  return {
    args: fields(fs.readFileSync(path.join(req, "args"), "utf8")),
    cwd: fs.readFileSync(path.join(req, "cwd"), "utf8").replace(/\n$/, ""),
    ...(env.PULUMI_BACKEND_URL !== undefined && { backend: env.PULUMI_BACKEND_URL }),
    ...(env.PULUMI_CONFIG_PASSPHRASE !== undefined && { passphrase: env.PULUMI_CONFIG_PASSPHRASE }),
    env,
    ...(fs.existsSync(stdinFile) && { stdin: fs.readFileSync(stdinFile, "utf8") }),
  };
}

/**
 * The command: leaves the call in a fresh directory, sends the directory to the server,
 * prints what the server wrote there and exits with its code; on a hang it waits for
 * SIGINT (as the SDK's cancellation sends), then prints the interrupt's message.
 */
const commandScript = (port: number, options: string) => `#!/bin/bash
# The stand-in Pulumi CLI of the deployment tests (test/fakePulumiCli.ts): each call goes to the test's server.
req=$(mktemp -d "${os.tmpdir()}/fake-pulumi-call-XXXXXX")
printf '%s\\0' "$@" > "$req/args"
env -0 > "$req/env"
pwd -P > "$req/cwd"
# \`config set KEY\` without a value reads it from stdin, as the CLI does when stdin is not a terminal.
if [ "$1" = config ] && [ "$2" = set ]; then cat > "$req/stdin"; fi
exec 3<>/dev/tcp/127.0.0.1/${port}
printf '%s\\t%s\\n' "$req" '${options}' >&3
read -r answer <&3
exec 3<&-
cat "$req/stdout"
cat "$req/stderr" >&2
if [ "$answer" = hang ]; then
  trap 'kill "$waiting" 2>/dev/null; cat "$req/interrupt" >&2; rm -rf "$req"; exit 255' INT
  sleep infinity & waiting=$!
  wait "$waiting"
fi
rm -rf "$req"
exit "$answer"
`;

/** The loopback server of the stand-in commands, for one test file. */
export class FakePulumiCli {
  private constructor(private readonly server: Server) {}

  /** Starts the server on a free loopback port. */
  static async start(): Promise<FakePulumiCli> {
    const server = createServer((socket) => {
      let line = "";
      socket.on("data", (chunk) => {
        line += chunk.toString("utf8");
        const end = line.indexOf("\n");
        if (end < 0) return;
        const [req, options] = line.slice(0, end).split("\t");
        let reply: Answer;
        try {
          reply = answer(readCall(req), JSON.parse(options) as FakeCliOptions);
        } catch (e) {
          reply = { code: 2, stderr: `fake pulumi: ${(e as Error).stack}\n` };
        }
        fs.writeFileSync(path.join(req, "stdout"), reply.stdout ?? "");
        fs.writeFileSync(path.join(req, "stderr"), reply.stderr ?? "");
        if (reply.hang) fs.writeFileSync(path.join(req, "interrupt"), reply.hang.onInterrupt);
        socket.end(`${reply.hang ? "hang" : reply.code}\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new FakePulumiCli(server);
  }

  /** Writes the command to `<root>/bin/pulumi` (replacing one there), claiming `options`. */
  install(root: string, options: FakeCliOptions = {}): void {
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    const port = (this.server.address() as AddressInfo).port;
    // The options travel as JSON inside single quotes: none of theirs contains one.
    fs.writeFileSync(path.join(root, "bin", "pulumi"), commandScript(port, JSON.stringify(options)), { mode: 0o755 });
  }

  /** Stops the server. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
