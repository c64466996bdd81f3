/**
 * The droplets of one scheduled job (DigitalOcean has no scheduler for containers): two
 * droplets, each firing the job's schedule, of which exactly one runs each tick through
 * the lease in the job's PostgreSQL (components/cronLease.ts). Two, so a tick still runs
 * when one droplet or its host is down; never one special node. They carry the role
 * `cron` and the lease they take (contract/roles.ts), which the pack's
 * `jobs-single-flight` reads.
 *
 * Rollout: as a worker's (workerGroup.ts): a changed droplet is created before the old one
 * is deleted; both fire the schedule meanwhile, and the lease still lets one run per tick.
 * A droplet powered off mid-run stops its lease unit, which removes the job's container
 * (the unit's ExecStopPost): the run is recorded lost, and its alarm fires.
 */
import type * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { groupDroplets, type WorkerGroupArgs } from "./workerGroup";

/** Droplets per job: one more than a single node, so one can be down. */
export const cronGroupNodes = 2;

/** Arguments of CronGroup: a worker group's, always `cronGroupNodes` droplets. */
export type CronGroupArgs = Omit<WorkerGroupArgs, "count">;

/** A job's droplets. */
export class CronGroup extends pulumi.ComponentResource {
  /** The droplets. */
  readonly droplets: digitalocean.Droplet[];

  constructor(name: string, args: CronGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:CronGroup", name, {}, opts);
    this.droplets = groupDroplets(name, { ...args, count: cronGroupNodes }, this);
    this.registerOutputs({});
  }
}
