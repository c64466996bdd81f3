/**
 * Registry logins a VM node runs before each pull, for the registries that take
 * credentials (anything but the cloud's own registry, which the adapters reach with the
 * node's identity). Pure shell-command builders: credentials flow from the secret store
 * (or a root-only file) into docker's config through pipes and files, never through a
 * command line, so no other local user can read them from the process table.
 */
import { shellQuote, type RegistryLogin } from "./bootstrap";
import { dockerAuthKey } from "./imageReference";
import type { RegistrySpec } from "./topology";

/**
 * Reads `{"username": ..., "password": ...}` on stdin and writes a docker config.json
 * for one registry into $DOCKER_CONFIG (0600, replaced atomically). Free of single
 * quotes, so it can be passed to `python3 -c '...'`.
 */
const writeDockerConfigPython = [
  "import base64,json,os,sys",
  "c=json.load(sys.stdin)",
  'auth=base64.b64encode((c["username"]+":"+c["password"]).encode()).decode()',
  'path=os.path.join(os.environ["DOCKER_CONFIG"],"config.json")',
  "fd=os.open(path+\".tmp\",os.O_WRONLY|os.O_CREAT|os.O_TRUNC,0o600)",
  'with os.fdopen(fd,"w") as f:',
  '    json.dump({"auths":{sys.argv[1]:{"auth":auth}}},f)',
  'os.replace(path+".tmp",path)',
].join("\n");

/**
 * A login from a secret store: `fetchCommand` prints the credentials as JSON
 * (`{"username", "password"}`), which python turns into docker's config for `host`.
 */
export function credentialsLogin(description: string, host: string, fetchCommand: string): RegistryLogin {
  return { description, command: `${fetchCommand} | python3 -c '${writeDockerConfigPython}' ${shellQuote(dockerAuthKey(host))}` };
}

/**
 * A docker config.json that logs in to `host` with the given credentials: what a cloud
 * without a secret store embeds in its (secret) user data.
 */
export function dockerConfigJson(host: string, credentials: RegistrySpec): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64");
  return JSON.stringify({ auths: { [dockerAuthKey(host)]: { auth } } });
}

/** A login that installs an embedded docker config (root-only file) as docker's config. */
export function embeddedDockerConfigLogin(description: string, dockerConfig: string, path: string): RegistryLogin {
  return { description, command: `install -m 0600 ${shellQuote(path)} "$DOCKER_CONFIG/config.json"`, embeddedDockerConfig: dockerConfig };
}
