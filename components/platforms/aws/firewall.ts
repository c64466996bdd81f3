/**
 * Who may talk to whom: the security groups of the public load balancer and of the single
 * service's nodes, database and session store, and every rule between them. Rules are
 * separate resources (never inline), so adding one never rewrites a group. The workloads
 * and resources of `ha-topology:workloads`/`resources` have their own groups
 * (workloadFirewall.ts, database.ts, sessionStore.ts), joined by `allowTcp` rules.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Firewall. */
export interface FirewallArgs {
  /** The VPC the groups belong to. */
  vpcId: pulumi.Input<string>;
  /** The single service's app port; unset without the single service (then only the load balancer's group exists). */
  appPort?: number;
  /** The single service's database port. */
  databasePort?: number;
  /** The session store port, when there is one. */
  sessionsPort?: number;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

const world = "0.0.0.0/0";

/** Security groups: the world reaches only the ALB; only the ALB reaches the nodes. */
export class Firewall extends pulumi.ComponentResource {
  /** The load balancer's group. */
  readonly loadBalancerGroupId: pulumi.Output<string>;
  /** The single service's nodes' group. */
  readonly nodeGroupId?: pulumi.Output<string>;
  /** The single service's database's group. */
  readonly databaseGroupId?: pulumi.Output<string>;
  /** The session store's group, when there is one. */
  readonly sessionsGroupId?: pulumi.Output<string>;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Firewall", name, {}, opts);
    const { vpcId, tags } = args;
    const parent = { parent: this };
    const group = (suffix: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${suffix}`, { vpcId, description, tags: { ...tags, Name: `${name}-${suffix}` } }, parent);
    // Every rule is TCP: the app, HTTPS, the database and the session store.
    const ingress = (suffix: string, rule: Omit<aws.vpc.SecurityGroupIngressRuleArgs, "ipProtocol">) =>
      new aws.vpc.SecurityGroupIngressRule(`${name}-${suffix}`, { ...rule, ipProtocol: "tcp", tags }, parent);
    const egress = (suffix: string, rule: Omit<aws.vpc.SecurityGroupEgressRuleArgs, "ipProtocol">) =>
      new aws.vpc.SecurityGroupEgressRule(`${name}-${suffix}`, { ...rule, ipProtocol: "tcp", tags }, parent);
    /** `from` may open connections to `to` on `port`: an egress rule on one, the matching ingress on the other. */
    const allow = (from: [string, aws.ec2.SecurityGroup], to: [string, aws.ec2.SecurityGroup], port: number, description: string) => {
      const ports = { fromPort: port, toPort: port, description };
      egress(`${from[0]}-to-${to[0]}`, { securityGroupId: from[1].id, referencedSecurityGroupId: to[1].id, ...ports });
      ingress(`${to[0]}-from-${from[0]}`, { securityGroupId: to[1].id, referencedSecurityGroupId: from[1].id, ...ports });
    };

    const lb: [string, aws.ec2.SecurityGroup] = ["lb", group("lb", "Load balancer: HTTPS and the HTTP redirect from anywhere")];
    ingress("lb-https", { securityGroupId: lb[1].id, cidrIpv4: world, fromPort: 443, toPort: 443, description: "HTTPS from anywhere" });
    ingress("lb-http", { securityGroupId: lb[1].id, cidrIpv4: world, fromPort: 80, toPort: 80, description: "HTTP (redirected to HTTPS)" });
    this.loadBalancerGroupId = lb[1].id;

    if (args.appPort !== undefined) {
      const nodes: [string, aws.ec2.SecurityGroup] = ["nodes", group("nodes", "App nodes: the app port from the load balancer only; no SSH")];
      allow(lb, nodes, args.appPort, "Requests and health checks from the load balancer only");
      // HTTPS out: image registry, AWS APIs (Secrets Manager, S3, SSM) and OS packages.
      egress("nodes-https", { securityGroupId: nodes[1].id, cidrIpv4: world, fromPort: 443, toPort: 443, description: "HTTPS to registries and AWS APIs" });
      this.nodeGroupId = nodes[1].id;
      if (args.databasePort !== undefined) {
        const database: [string, aws.ec2.SecurityGroup] = ["db", group("db", "Database: from the app nodes only")];
        allow(nodes, database, args.databasePort, "Database, from the app nodes only");
        this.databaseGroupId = database[1].id;
      }
      if (args.sessionsPort !== undefined) {
        const sessions: [string, aws.ec2.SecurityGroup] = ["sessions", group("sessions", "Session store: from the app nodes only")];
        allow(nodes, sessions, args.sessionsPort, "Session store, from the app nodes only");
        this.sessionsGroupId = sessions[1].id;
      }
    }

    this.registerOutputs({ loadBalancerGroupId: this.loadBalancerGroupId, nodeGroupId: this.nodeGroupId, databaseGroupId: this.databaseGroupId });
  }
}

/**
 * `from` may open TCP connections to `to` on `port`: an egress rule on `from`'s group and
 * the matching ingress rule on `to`'s, as children of `parent`, named `<key>-out` and
 * `<key>-in`. `key` must be unique in the stack: callers build it from names with no `_`
 * joined by `_` (`web-api_uses_db`), so two keys never meet.
 */
export function allowTcp(parent: pulumi.Resource, key: string, from: pulumi.Input<string>, to: pulumi.Input<string>, port: number, description: string, tags: Record<string, string>): void {
  const ports = { ipProtocol: "tcp", fromPort: port, toPort: port, description, tags };
  new aws.vpc.SecurityGroupEgressRule(`${key}-out`, { securityGroupId: from, referencedSecurityGroupId: to, ...ports }, { parent });
  new aws.vpc.SecurityGroupIngressRule(`${key}-in`, { securityGroupId: to, referencedSecurityGroupId: from, ...ports }, { parent });
}
