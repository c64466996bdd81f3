/**
 * Checks of the provider settings a stack carries next to the `ha-topology` keys
 * (`aws:region`, `gcp:region`, `gcp:project`, `digitalocean:region`, and any other key
 * of the selected cloud's provider), made before any resource exists: region names reach
 * root commands on the nodes, the region decides how many zones `network.zones` may use,
 * and a misspelled provider key is otherwise silently ignored by the provider.
 */
import { closestKey, configNamespace, configProblem, describeValue } from "./configError";
import { regionPatterns, regionZones, knownRegions, type RegionCloud } from "./regionZones";
import type { Cloud } from "./sizes";

/** The config namespace of each cloud's provider. */
const providerNamespace: Record<Cloud, string> = { aws: "aws", gcp: "gcp", digitalocean: "digitalocean", kubernetes: "kubernetes" };

/**
 * Long namespaces no real provider is close to: a key in a namespace one or two letters
 * away from these is a typo ("digitalocen:token"). Short ones (aws, gcp) are left out:
 * real providers sit close to them (awsx, tls).
 */
const typoProneNamespaces = [configNamespace, "digitalocean", "kubernetes"];

/** The provider's own config keys (loaded from the selected cloud's folder only). */
function providerKeysOf(cloud: Cloud): readonly string[] {
  const loaders: Record<Cloud, () => readonly string[]> = {
    aws: () => (require("./platforms/aws/providerKeys") as typeof import("./platforms/aws/providerKeys")).providerKeys,
    gcp: () => (require("./platforms/gcp/providerKeys") as typeof import("./platforms/gcp/providerKeys")).providerKeys,
    digitalocean: () => (require("./platforms/digitalocean/providerKeys") as typeof import("./platforms/digitalocean/providerKeys")).providerKeys,
    kubernetes: () => (require("./platforms/kubernetes/providerKeys") as typeof import("./platforms/kubernetes/providerKeys")).providerKeys,
  };
  return loaders[cloud]();
}

/** Provider values are shown unless the key's name, or the key it is a typo of, says it holds a credential. */
function shown(value: string, ...keys: (string | undefined)[]): string {
  return keys.some((k) => k !== undefined && /token|secret|password|credential|key/i.test(k)) ? "[secret]" : describeValue(value);
}

/** A GCP project ID, optionally domain-scoped ("example.com:my-project"). */
export const gcpProjectPattern = /^([a-z0-9][-a-z0-9.]*[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

/** The region key of each cloud that has regions. */
const regionKey: Record<RegionCloud, string> = { aws: "aws:region", gcp: "gcp:region", digitalocean: "digitalocean:region" };

/** What the topology's own keys contribute to the provider checks. */
export interface ProviderCheckInput {
  /** The selected cloud. */
  cloud: Cloud;
  /** `network.zones`, when it is a valid count (otherwise the schema already refuses it). */
  zones?: number;
  /** True when the stack uses an existing VPC (its subnets decide the zones, not the region). */
  existingNetwork: boolean;
  /** `tls.certificate`, when set. */
  certificate?: string;
}

/**
 * One problem line per provider setting that cannot work. `provider` holds the stack's
 * config keys outside the `ha-topology` namespace, fully qualified, as the engine passes
 * them (strings; objects as JSON).
 */
export function providerConfigProblems(input: ProviderCheckInput, provider: Record<string, string>): string[] {
  const problems: string[] = [];
  const { cloud } = input;
  const namespace = providerNamespace[cloud];

  // Keys of the selected provider it does not read, and namespaces that are typos.
  const accepted = providerKeysOf(cloud);
  for (const [fullKey, value] of Object.entries(provider)) {
    const [ns, key] = [fullKey.slice(0, fullKey.indexOf(":")), fullKey.slice(fullKey.indexOf(":") + 1)];
    if (ns === namespace) {
      if (!accepted.includes(key)) {
        const hint = closestKey(key, [...accepted]);
        problems.push(`${fullKey}: unknown key of the ${namespace} provider (received ${shown(value, key, hint)}); allowed: a key the provider reads${hint ? ` (did you mean "${namespace}:${hint}"?)` : ` (see its configuration reference)`}`);
      }
    } else if (!typoProneNamespaces.includes(ns)) {
      const hint = closestKey(ns, typoProneNamespaces);
      if (hint) {
        problems.push(`${fullKey}: unknown config namespace "${ns}" (received ${shown(value, key)}); allowed: a provider's namespace (did you mean "${hint}:${key}"?)`);
      }
    }
  }

  if (cloud === "kubernetes") return problems;
  const region = provider[regionKey[cloud]];
  const regionOk = region === undefined || checkRegion(cloud, region, problems);
  if (cloud === "gcp" && provider["gcp:project"] !== undefined && !gcpProjectPattern.test(provider["gcp:project"])) {
    problems.push(configProblem("gcp:project", describeValue(provider["gcp:project"]), "a project ID: 6-30 lower-case letters, digits or hyphens, starting with a letter (domain-scoped IDs as example.com:my-project)"));
  }
  if (cloud === "digitalocean" || region === undefined || !regionOk) return problems;

  // The region is known: its zone count bounds network.zones, before any resource exists.
  const zones = regionZones(cloud, region);
  if (zones && input.zones !== undefined && !input.existingNetwork && input.zones > zones.names.length) {
    problems.push(
      configProblem("network.zones", String(input.zones), `at most ${zones.names.length}, the zones ${cloud} region ${region} offers (${zones.names.join(", ")})`),
    );
  }
  // The ALB takes certificates from its own region's ACM only.
  const certRegion = cloud === "aws" ? /^arn:aws[a-z-]*:acm:([a-z0-9-]+):/.exec(input.certificate ?? "")?.[1] : undefined;
  if (certRegion !== undefined && certRegion !== region) {
    problems.push(configProblem("tls.certificate", describeValue(input.certificate), `an ACM certificate in the stack's region ${region} (this one is in ${certRegion}; the load balancer cannot use it)`));
  }
  return problems;
}

/** How messages name each cloud's regions. */
const regionLabel: Record<RegionCloud, string> = { aws: "an AWS region", gcp: "a GCP region", digitalocean: "a DigitalOcean region" };

/** Adds a problem and returns false when `region` is not a region of `cloud`. */
function checkRegion(cloud: RegionCloud, region: string, problems: string[]): boolean {
  const known = knownRegions(cloud);
  if (known.includes(region)) return true;
  const { pattern, example } = regionPatterns[cloud];
  const hint = closestKey(region, known);
  const didYouMean = hint ? ` (did you mean "${hint}"?)` : "";
  problems.push(
    configProblem(
      regionKey[cloud],
      describeValue(region),
      pattern.test(region)
        ? `${regionLabel[cloud]} this version knows${didYouMean}: ${known.join(", ")} (a newer region needs components/regionZones.ts updated)`
        : `${regionLabel[cloud]} name such as "${example}"${didYouMean}`,
    ),
  );
  return false;
}
