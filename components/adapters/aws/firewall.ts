/**
 * Who may talk to whom, in one place: the security groups of the load balancer, the
 * nodes, the database and the session store, and every rule between them. Rules are
 * separate resources (never inline), so adding one never rewrites a group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Firewall. */
export interface FirewallArgs {
  /** The VPC the groups belong to. */
  vpcId: pulumi.Input<string>;
  /** The app port on the nodes. */
  appPort: number;
  /** The database port. */
  databasePort: number;
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
  /** The nodes' group. */
  readonly nodeGroupId: pulumi.Output<string>;
  /** The database's group. */
  readonly databaseGroupId: pulumi.Output<string>;
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

    const lb = group("lb", "Load balancer: HTTPS and the HTTP redirect from anywhere");
    const nodes = group("nodes", "App nodes: the app port from the load balancer only; no SSH");
    const database = group("db", "Database: from the app nodes only");

    ingress("lb-https", { securityGroupId: lb.id, cidrIpv4: world, fromPort: 443, toPort: 443, description: "HTTPS from anywhere" });
    ingress("lb-http", { securityGroupId: lb.id, cidrIpv4: world, fromPort: 80, toPort: 80, description: "HTTP (redirected to HTTPS)" });
    egress("lb-to-nodes", {
      securityGroupId: lb.id, referencedSecurityGroupId: nodes.id, fromPort: args.appPort, toPort: args.appPort,
      description: "Requests and health checks to the nodes",
    });

    ingress("nodes-from-lb", {
      securityGroupId: nodes.id, referencedSecurityGroupId: lb.id, fromPort: args.appPort, toPort: args.appPort,
      description: "App port from the load balancer only",
    });
    // HTTPS out: image registry, AWS APIs (Secrets Manager, S3, SSM) and OS packages.
    egress("nodes-https", { securityGroupId: nodes.id, cidrIpv4: world, fromPort: 443, toPort: 443, description: "HTTPS to registries and AWS APIs" });
    egress("nodes-to-db", {
      securityGroupId: nodes.id, referencedSecurityGroupId: database.id, fromPort: args.databasePort, toPort: args.databasePort,
      description: "Database",
    });
    ingress("db-from-nodes", {
      securityGroupId: database.id, referencedSecurityGroupId: nodes.id, fromPort: args.databasePort, toPort: args.databasePort,
      description: "From the app nodes only",
    });

    if (args.sessionsPort !== undefined) {
      const sessions = group("sessions", "Session store: from the app nodes only");
      egress("nodes-to-sessions", {
        securityGroupId: nodes.id, referencedSecurityGroupId: sessions.id, fromPort: args.sessionsPort, toPort: args.sessionsPort,
        description: "Session store",
      });
      ingress("sessions-from-nodes", {
        securityGroupId: sessions.id, referencedSecurityGroupId: nodes.id, fromPort: args.sessionsPort, toPort: args.sessionsPort,
        description: "From the app nodes only",
      });
      this.sessionsGroupId = sessions.id;
    }

    this.loadBalancerGroupId = lb.id;
    this.nodeGroupId = nodes.id;
    this.databaseGroupId = database.id;
    this.registerOutputs({ loadBalancerGroupId: lb.id, nodeGroupId: nodes.id, databaseGroupId: database.id });
  }
}
