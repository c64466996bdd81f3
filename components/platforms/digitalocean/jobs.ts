/**
 * A scheduled job on DigitalOcean, which has no scheduler that starts containers: the job
 * gets its own two droplets (CronGroup), each firing its schedule as a systemd timer, and a
 * per-tick lease in a PostgreSQL database the job uses lets exactly one of them run each
 * tick, never overlapping the previous run (components/cronLease.ts; tested against a real
 * PostgreSQL). Why its own droplets and not the webs': the job's droplets hold only its
 * own secrets and reach only the resources it uses (their node tag is in those trusted
 * sources alone), the same access as any workload that uses them, and nothing more.
 *
 * - The lease connects to the cluster directly (`directHost`), not through the connection
 *   pool: PgBouncer's transaction mode cannot hold the session lock a run keeps.
 *   It connects as the job's database user, from a root-only libpq environment; the job's
 *   container gets its own bindings only.
 * - The run: the job's container, attached (its output is the lease unit's journal, where
 *   the workloads' logs go), stopped at `timeoutSeconds`, retried `retries` times.
 * - What alerts you: each droplet stops answering pings while a run failed, was missed or
 *   was lost, or the database is unreachable (components/cronLeaseStatus.ts), and a ping
 *   uptime check of each droplet alarms (built with the other alarms, index.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { workloadPlatformEnv } from "../../appEnvironment";
import { logicalName, splitEnv, type BoundVariable, type ComposeContext } from "../../compose";
import { registryOf, type Registry } from "../../imageReference";
import { jobSizes } from "../../jobSizes";
import type { CronWorkload } from "../../model/model";
import { jobUserData } from "../../nodeUserData";
import { digitaloceanLeaseTag, digitaloceanRoleTag } from "../../../contract/roles";
import { CronGroup } from "./cronGroup";
import { Firewall } from "./firewall";
import type { Foundation } from "./foundation";
import { embeddedRegistryLogin } from "./registryAccess";
import type { DoResource } from "./resources";
import { caFilesOf, dockerConfigOf, packages, setupCommands, trustedProxyHops, type DoWorkload } from "./workloads";

/** Builds one job: its firewall, user data and droplets; returns its handle with the addresses its ping checks probe. */
export function buildJob(ctx: ComposeContext, f: Foundation, job: CronWorkload, env: BoundVariable[], uses: DoResource[]): DoWorkload {
  const prefix = logicalName(ctx, job);
  const { nodeTag } = f.groups.get(job.name)!;
  // The parser made sure the job uses a postgres resource (capabilities.ts): the first one holds the lease.
  const leaseStore = uses.find((u) => u.resource.kind === "sql" && u.resource.engine === "postgres" && u.database);
  if (!leaseStore?.database || leaseStore.resource.kind !== "sql") throw new Error(`digitalocean: job ${job.name} uses no postgres resource for its lease (the parser refuses this)`);
  const database = leaseStore.database;
  const databaseName = leaseStore.resource.databaseName;
  const registry = registryOf(job.image) as Registry;
  const dockerConfig = dockerConfigOf(ctx, f, job, registry);
  const { plain, secret } = splitEnv(env);

  const facts = pulumi.all([plain, secret, dockerConfig ?? pulumi.output(undefined), database.directHost, database.directPort, database.username, database.password, caFilesOf(uses)]);
  // Secret: it carries the job's secrets and the lease's password (no secret store on DigitalOcean).
  const userData = pulumi.secret(
    facts.apply(([plainEnv, secretEnv, docker, host, port, user, password, cas]) =>
      jobUserData(
        {
          job: job.name,
          schedule: job.schedule,
          timeoutSeconds: job.timeoutSeconds,
          retries: job.retries,
          image: job.image,
          command: job.command,
          env: { ...plainEnv, ...workloadPlatformEnv({ kind: job.kind, image: job.image }, trustedProxyHops) },
          boot: {
            secretSources: [],
            embeddedSecrets: Object.keys(secretEnv).length > 0 ? [{ description: `job ${job.name} secrets`, file: "workload.json", values: secretEnv }] : [],
            packages,
            setupCommands,
            registryLogin: docker ? embeddedRegistryLogin(registry, docker) : undefined,
            ...(Object.keys(cas).length > 0 && { caFiles: cas }),
          },
          lease: { host, port, database: databaseName, user, password, sslMode: "require" },
        },
        "digitalocean",
      ),
    ),
  );

  new Firewall(prefix, { nodeTag, vpcRange: f.vpcRange, sshSourceCidrs: ctx.topology.network.sshSourceCidrs ?? [], admitPing: true }, f.opts);
  const group = new CronGroup(prefix, {
    // The table the plan reads too (jobSizes.ts): a run gets its droplet.
    size: jobSizes.digitalocean.run(job.size).droplet,
    region: f.region,
    vpcId: f.vpcId,
    nodeTag,
    // The role and the lease its droplets take, for the pack's jobs-single-flight.
    tags: [digitaloceanRoleTag("cron"), digitaloceanLeaseTag("postgres"), ...f.tags],
    userData,
  }, f.opts);
  return { nodeGroupId: nodeTag, nodeTag, jobStatusTargets: group.droplets.map((d) => d.ipv4Address) };
}
