/**
 * Cloud Monitoring for what an on-call engineer must know: the service does not answer
 * its health path over HTTPS from the internet. An uptime check probes it from Google's
 * checker regions, and an alert policy fires when several of them fail for five minutes
 * (optionally notifying an email channel).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Monitoring. */
export interface MonitoringArgs {
  /** The public hostname the uptime check requests over HTTPS. */
  domain: string;
  /** The HTTP path (leading slash) that answers 2xx when the service can serve. */
  healthPath: string;
  /** An email address to notify (`alarms.email`), if any. */
  email?: string;
  /** The project the check, the channel and the policy live in (and the check's `project_id`). */
  project: string;
  /** Labels for every resource (user labels in Cloud Monitoring). */
  labels: Record<string, string>;
}

/** The uptime check, its alert policy and the optional email channel. */
export class Monitoring extends pulumi.ComponentResource {
  /** The uptime check's ID (the `check_id` label of its metrics). */
  readonly uptimeCheckId: pulumi.Output<string>;
  /** The alert policy's resource name (projects/<project>/alertPolicies/<id>). */
  readonly alertPolicyName: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:Monitoring", name, {}, opts);
    const { domain, healthPath, project, labels } = args;
    const parent = { parent: this };
    const url = `https://${domain}${healthPath}`;

    // Probes the public name, so it covers DNS, the certificate, the load balancer and the
    // nodes together: what users see, not what one component reports about itself.
    const check = new gcp.monitoring.UptimeCheckConfig(`${name}-uptime`, {
      project,
      // Display names stay short (the health path may be long): the URL is in the documentation.
      displayName: `${name}: https://${domain}`,
      period: "60s",
      timeout: "10s",
      httpCheck: {
        requestMethod: "GET",
        path: healthPath,
        port: 443,
        useSsl: true,
        // An expired or wrong certificate is an outage for browsers, so it fails the check.
        validateSsl: true,
        acceptedResponseStatusCodes: [{ statusClass: "STATUS_CLASS_2XX" }],
      },
      monitoredResource: { type: "uptime_url", labels: { host: domain, project_id: project } },
      userLabels: labels,
    }, parent);

    const channels: pulumi.Output<string>[] = [];
    if (args.email) {
      const channel = new gcp.monitoring.NotificationChannel(`${name}-alerts-email`, {
        project,
        type: "email",
        displayName: `${name} alerts (${args.email})`,
        labels: { email_address: args.email },
        userLabels: labels,
      }, parent);
      channels.push(channel.name);
    }

    // Google's documented uptime alert: count the failing checker locations over the
    // alignment window; more than one failing (not a single flaky region) for five minutes.
    const policy = new gcp.monitoring.AlertPolicy(`${name}-uptime-alert`, {
      project,
      displayName: `${name}: https://${domain} is down`,
      combiner: "OR",
      severity: "CRITICAL",
      conditions: [{
        displayName: `Uptime check on https://${domain} fails from several locations`,
        conditionThreshold: {
          filter: pulumi.interpolate`metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND metric.label.check_id="${check.uptimeCheckId}" AND resource.type="uptime_url"`,
          aggregations: [{
            alignmentPeriod: "1200s",
            perSeriesAligner: "ALIGN_NEXT_OLDER",
            crossSeriesReducer: "REDUCE_COUNT_FALSE",
            groupByFields: ["resource.label.*"],
          }],
          comparison: "COMPARISON_GT",
          thresholdValue: 1,
          duration: "300s",
          trigger: { count: 1 },
        },
      }],
      notificationChannels: channels,
      documentation: {
        mimeType: "text/markdown",
        content: [
          `${url} has failed its uptime check from several locations for 5 minutes. Check, in this order:`,
          "",
          "1. **Backends**: Network services > Load balancing > the backend service: how many instances are healthy " +
            "(`gcloud compute backend-services get-health <backend> --global`). None healthy: look at the app's logs and the health path.",
          "2. **Instance group**: Compute Engine > Instance groups: are instances being recreated in a loop (autohealing), " +
            "or is a rolling update stuck? A new image that never passes its health check stops the rollout.",
          "3. **Certificate and DNS**: `gcloud compute ssl-certificates list`: a managed certificate stuck in PROVISIONING or " +
            `FAILED_NOT_VISIBLE means ${domain}'s A record does not point to the load balancer's address.`,
          "4. **Dependencies**: the database and the session store (Cloud SQL, Memorystore): a health path that checks them fails with them.",
        ].join("\n"),
      },
      userLabels: labels,
    }, parent);

    this.uptimeCheckId = check.uptimeCheckId;
    this.alertPolicyName = policy.name;
    this.registerOutputs({ uptimeCheckId: this.uptimeCheckId, alertPolicyName: this.alertPolicyName });
  }
}
