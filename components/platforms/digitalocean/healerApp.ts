/**
 * Where the DigitalOcean node healer (healer.ts) runs: one App Platform worker per stack,
 * covering all its web node groups. An App Platform worker rather than a droplet: App
 * Platform restarts a crashed worker and redeploys it on a failed host, so the healer does
 * not need a healer itself, and it holds no state (its memory is rebuilt by waiting).
 *
 * The worker runs a pinned public Node image from Docker Hub. Its code is `healerMain`,
 * bundled with what it imports (build.js's `healer` bundle of healerWorker.ts: the same
 * code the tests run, not a copy), base64-encoded in the HEALER_SCRIPT variable; the run
 * command decodes it to a file and runs it with node. Its settings (groups, tags,
 * thresholds, floor) are the JSON HEALER_CONFIG; the API token is a SECRET variable
 * (encrypted by App Platform, and a Pulumi secret in the state).
 *
 * The policy pack recognizes the healer by the App's `HA_TOPOLOGY_HEALER` variable, which
 * lists the serving tags it covers (digitaloceanHealerMarker in contract/roles.ts).
 */
import * as fs from "node:fs";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { digitaloceanHealerMarker } from "../../../contract/roles";
import { fitName } from "../../physicalNames";
import { builtBundle } from "../../projectRoot";
import type { HealthCheckSpec } from "../../topology";
import { unhealthySecondsOf, type HealerConfig, type HealerGroup } from "./healer";

/** The worker's image: Node from Docker Hub, pinned (it has fetch and AbortSignal.timeout, and busybox's base64). */
export const healerImage = { registryType: "DOCKER_HUB", registry: "library", repository: "node", tag: "22.12.0-alpine" } as const;

/** App Platform's smallest instance: the healer polls a few API endpoints a minute. */
export const healerInstanceSize = "apps-s-1vcpu-0.5gb";

/** Decodes the script and runs it: the same text in the worker as in the tests. */
export const healerRunCommand = "sh -c 'echo \"$HEALER_SCRIPT\" | base64 -d > /tmp/healer.js && exec node /tmp/healer.js'";

/** Seconds between the healer's rounds. */
const pollSeconds = 30;
/** Seconds a droplet the healer healed or gave up on gets no new cycle (its rate limit). */
const cooldownSeconds = 6 * 3600;

/** One web node group, as the adapter knows it. */
export interface HealedGroup {
  /** The workload's name. */
  name: string;
  /** Its node tag (firewalls; every droplet of the group keeps it). */
  nodeTag: pulumi.Input<string>;
  /** Its serving tag (the load balancer targets it). */
  servingTag: pulumi.Input<string>;
  /** The leaving tag of its drain protocol (NodeGroup). */
  leavingTag: pulumi.Input<string>;
  /** Its load balancer. */
  loadBalancerId: pulumi.Input<string>;
  /** `count` of the workload. */
  count: number;
  /** Its readiness check. */
  healthCheck: Pick<HealthCheckSpec, "healthyThreshold" | "unhealthyThreshold" | "intervalSeconds" | "gracePeriodSeconds">;
  /** The image a rebuild boots (nodeImage). */
  image: string;
}

/** Arguments of NodeHealer. */
export interface NodeHealerArgs {
  /** The web node groups to heal. */
  groups: HealedGroup[];
  /** The DigitalOcean API token (droplet read and update, load balancer and monitoring read), a secret. */
  token: pulumi.Input<string>;
  /** The droplets' region (`nyc3`); the App runs in its App Platform region (`nyc`). */
  region: string;
  /** The service and stack segment (`<name>-<stack>`), for the App's name. */
  appName: string;
}

/** The healer's settings for these groups (names resolved). */
export function healerConfig(groups: HealerGroup[]): HealerConfig {
  return { pollSeconds, requestTimeoutSeconds: 20, cooldownSeconds, groups };
}

/** The worker's script: the healer bundle, which starts `healerMain` (healerWorker.ts). */
export function healerScript(): string {
  return fs.readFileSync(builtBundle("healer"), "utf8");
}

/** The App Platform region of a droplet region: `nyc3` -> `nyc`. */
export function appRegionOf(dropletRegion: string): string {
  return dropletRegion.replace(/\d+$/, "");
}

/** The healer: an App Platform worker that power cycles, then rebuilds, a droplet that fails its load balancer's health check. */
export class NodeHealer extends pulumi.ComponentResource {
  /** The App. */
  readonly app: digitalocean.App;

  constructor(name: string, args: NodeHealerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:NodeHealer", name, {}, opts);
    const groups = pulumi.all(args.groups.map((g) =>
      pulumi.all([g.nodeTag, g.servingTag, g.leavingTag, g.loadBalancerId]).apply(([nodeTag, servingTag, leavingTag, loadBalancerId]): HealerGroup => ({
        name: g.name,
        nodeTag,
        servingTag,
        leavingTag,
        loadBalancerId,
        count: g.count,
        healthyThreshold: g.healthCheck.healthyThreshold,
        graceSeconds: g.healthCheck.gracePeriodSeconds,
        unhealthySeconds: unhealthySecondsOf(g.healthCheck),
        image: g.image,
      })),
    ));
    const script = Buffer.from(healerScript(), "utf8").toString("base64");
    this.app = new digitalocean.App(`${name}-healer`, {
      spec: {
        // App names: unique in the account (the stack segment), at most 32 characters.
        name: fitName(`${args.appName}-healer`, 32),
        region: appRegionOf(args.region),
        workers: [{
          name: "healer",
          image: healerImage,
          instanceSizeSlug: healerInstanceSize,
          instanceCount: 1,
          runCommand: healerRunCommand,
          envs: [
            // The contract with the pack: the serving tags this App heals.
            { key: digitaloceanHealerMarker, value: groups.apply((gs) => gs.map((g) => g.servingTag).join(",")), scope: "RUN_TIME", type: "GENERAL" },
            { key: "HEALER_CONFIG", value: groups.apply((gs) => JSON.stringify(healerConfig(gs))), scope: "RUN_TIME", type: "GENERAL" },
            { key: "HEALER_SCRIPT", value: script, scope: "RUN_TIME", type: "GENERAL" },
            { key: "DIGITALOCEAN_TOKEN", value: pulumi.secret(args.token), scope: "RUN_TIME", type: "SECRET" },
          ],
        }],
      },
    }, { parent: this });
    this.registerOutputs({});
  }
}
