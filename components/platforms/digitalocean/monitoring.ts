/**
 * DigitalOcean Monitoring for what an on-call engineer must know: the service does not
 * answer its health path over HTTPS from the internet (an uptime check and its alert),
 * and the nodes run out of CPU or memory (alert policies on the nodes' tag, so droplets
 * that replace others are covered without a change here). The node alerts read the
 * DigitalOcean metrics agent's data: the droplets must be created with `monitoring: true`.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Monitoring. */
export interface MonitoringArgs {
  /** The public hostname the uptime check requests over HTTPS; unset (a worker, an internal web): no uptime check. */
  domain?: string;
  /** The HTTP path (leading slash) that answers 2xx when the service can serve. */
  healthPath?: string;
  /** An email address to notify (`alarms.email`), if any. */
  email?: string;
  /**
   * A cron job's droplets' public addresses (components/cronLeaseStatus.ts): a ping
   * uptime check and its alert each, which fire when a run failed, was missed or was lost,
   * when the lease's database is unreachable (the droplets stop answering pings then), or
   * when that droplet is down.
   */
  jobStatusTargets?: pulumi.Input<string>[];
  /** The tag every app droplet carries: the CPU and memory alerts watch the droplets with it. */
  nodeTag: pulumi.Input<string>;
  /** Tags of the stack. Uptime checks and alert policies carry no tags, so these are not applied. */
  tags: string[];
}

/** The uptime check and its alert (public webs), and the nodes' CPU and memory alerts when there is an email. */
export class Monitoring extends pulumi.ComponentResource {
  /** The uptime check's ID (undefined without a public domain). */
  readonly uptimeCheckId: pulumi.Output<string | undefined>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:Monitoring", name, {}, opts);
    const { domain, healthPath, email, nodeTag } = args;
    const parent = { parent: this };
    const emails = email ? [email] : [];

    let uptimeCheckId: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (domain !== undefined) {
      // Probes the public name, so it covers DNS, the certificate, the load balancer and
      // the nodes together: what users see. No `regions`: DigitalOcean probes from all of
      // its checker regions (us_east, us_west, eu_west, se_asia).
      const check = new digitalocean.UptimeCheck(`${name}-uptime`, {
        name: `${name}: https://${domain}`,
        type: "https",
        target: `https://${domain}${healthPath ?? "/"}`,
        enabled: true,
      }, parent);

      // Fires when the check fails for two minutes. Without an email the alert still
      // records the outage in the control panel (Uptime), it just notifies nobody.
      new digitalocean.UptimeAlert(`${name}-uptime-down`, {
        name: `${name}: https://${domain} is down`,
        checkId: check.id,
        type: "down",
        period: "2m",
        notifications: [{ emails }],
      }, parent);
      uptimeCheckId = check.id;
    }

    // A job's state, judged on each of its droplets: they answer pings only while it is healthy.
    (args.jobStatusTargets ?? []).forEach((address, i) => {
      const check = new digitalocean.UptimeCheck(`${name}-job-status-${i}`, {
        name: `${name}: job runs (node ${i})`,
        type: "ping",
        target: address,
        enabled: true,
      }, parent);
      new digitalocean.UptimeAlert(`${name}-job-status-${i}-down`, {
        name: `${name}: a run failed or was missed, or node ${i} is down`,
        checkId: check.id,
        type: "down",
        period: "2m",
        notifications: [{ emails }],
      }, parent);
    });

    // Alert policies need at least one channel (DigitalOcean refuses a policy without
    // one), so without `alarms.email` there are none: the Insights graphs of the
    // droplets still show CPU and memory.
    if (email) {
      const nodeAlert = (suffix: string, type: string, value: number, what: string) =>
        new digitalocean.MonitorAlert(`${name}-nodes-${suffix}`, {
          type,
          compare: "GreaterThan",
          value,
          window: "10m",
          // By tag, not by droplet ID: droplets replaced by a rollout are watched as they come.
          tags: [nodeTag],
          description: `${name}: a node's ${what} above ${value}% for 10 minutes (droplets tagged ${nodeTag})`,
          alerts: { emails },
          enabled: true,
        }, parent);
      // Sustained high CPU: DigitalOcean does not scale the droplets, so raise nodes.count or nodes.size.
      nodeAlert("cpu", "v1/insights/droplet/cpu", 80, "CPU");
      // Memory near the top precedes the OOM killer restarting the app container.
      nodeAlert("memory", "v1/insights/droplet/memory_utilization_percent", 90, "memory use");
    }

    this.uptimeCheckId = uptimeCheckId;
    this.registerOutputs({ uptimeCheckId: this.uptimeCheckId });
  }
}
