/**
 * How much user data each VM cloud accepts, and the checks that keep a stack under it:
 * a lower-bound estimate at parse time (before any resource exists) and the exact size
 * when the adapter renders the user data (inside an apply, from resolved outputs).
 */
import { renderCloudConfig } from "./bootstrap";

/** The clouds whose nodes are VMs booted from cloud-init user data. */
export const vmClouds = ["aws", "gcp", "digitalocean"] as const;
/** One VM cloud. */
export type VmCloud = (typeof vmClouds)[number];

/** True for the clouds whose nodes boot from user data (not Kubernetes). */
export function isVmCloud(cloud: string): cloud is VmCloud {
  return (vmClouds as readonly string[]).includes(cloud);
}

/** The most user data each cloud takes, in bytes of the text the node receives, and where that comes from. */
export const userDataLimits: Record<VmCloud, { bytes: number; source: string }> = {
  // 16 KB before base64; the API also caps the base64 form at 21847 characters, which
  // 16384 bytes (21848 characters) would exceed by one.
  aws: { bytes: 16383, source: "EC2 takes 16 KB of user data before base64" },
  gcp: { bytes: 262144, source: "a Compute Engine metadata value holds 256 KiB" },
  digitalocean: { bytes: 65536, source: "a droplet's user_data holds 64 KiB" },
};

/** Bytes a text takes once base64-encoded (how write_files content sits in the user data). */
export function base64Bytes(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 3) * 4;
}

/** What one part of the user data weighs, for the message that says what made it large. */
export interface UserDataPart {
  /** The config key or the platform part it comes from, e.g. "nodes.env". */
  what: string;
  /** Bytes it takes in the user data. */
  bytes: number;
}

/**
 * The sentence that says the user data is too large, or undefined when it fits. `parts`
 * name the user's contributions; the rest is the platform's boot files and variables.
 */
export function userDataSizeProblem(cloud: VmCloud, totalBytes: number, parts: UserDataPart[], atLeast = false): string | undefined {
  const limit = userDataLimits[cloud];
  if (totalBytes <= limit.bytes) return undefined;
  const named = parts.reduce((sum, p) => sum + p.bytes, 0);
  const breakdown = [...parts.filter((p) => p.bytes > 0).map((p) => `${p.what} ${p.bytes}`), `the platform's boot files and variables ${Math.max(0, totalBytes - named)}`].join(", ");
  // Where secrets sit in a secret store, moving a large value there shrinks the user data.
  const advice = cloud === "digitalocean"
    ? "keep large values out of nodes.env and secrets (DigitalOcean secrets travel in the user data): put them in the bucket and pass their object names instead"
    : "move large values from nodes.env to secrets (those are read from the secret store at boot, not carried in the user data), or put them in the bucket";
  return `user data of at most ${limit.bytes} bytes on ${cloud} (${limit.source}); the nodes' user data would be ${atLeast ? "at least " : ""}${totalBytes} bytes (${breakdown}): ${advice}`;
}

/** What the parse-time estimate needs from the topology. */
export interface UserDataEstimateInput {
  image: string;
  port: number;
  /** The user's plain variables (`nodes.env`). */
  env: Record<string, string>;
  /** The user's secrets; only DigitalOcean carries them in the user data. */
  secrets: Record<string, string>;
}

/**
 * A lower bound of the nodes' user data, from the user's values alone: the real user data
 * adds the platform's variables, secret sources and packages to exactly this, so a stack
 * whose estimate is over the limit can never deploy. Throws what renderCloudConfig throws
 * on a value it cannot render (the schema reports those itself).
 */
export function estimateUserData(cloud: VmCloud, input: UserDataEstimateInput): { bytes: number; parts: UserDataPart[] } {
  const carriesSecrets = cloud === "digitalocean" && Object.keys(input.secrets).length > 0;
  const text = renderCloudConfig({
    image: input.image,
    port: input.port,
    env: input.env,
    secretSources: [],
    stopTimeoutSeconds: 1,
    packages: [],
    embeddedSecrets: carriesSecrets ? [{ description: "app secrets", file: "app.json", values: input.secrets }] : [],
  });
  return { bytes: Buffer.byteLength(text, "utf8"), parts: userDataParts(cloud, input.env, carriesSecrets ? input.secrets : {}) };
}

/** The user's contributions to the user data: the env file lines and (DigitalOcean) the secrets file, base64-encoded. */
export function userDataParts(cloud: VmCloud, env: Record<string, string>, embeddedSecrets: Record<string, string>): UserDataPart[] {
  const envLines = Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join("");
  return [
    { what: `nodes.env (${Object.keys(env).length} variables)`, bytes: base64Bytes(envLines) },
    ...(cloud === "digitalocean" ? [{ what: `secrets (${Object.keys(embeddedSecrets).length})`, bytes: Object.keys(embeddedSecrets).length > 0 ? base64Bytes(JSON.stringify(embeddedSecrets)) : 0 }] : []),
  ];
}
