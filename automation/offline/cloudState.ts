/**
 * What the mocks return for values a real provider computes (ARNs, addresses, versions)
 * and for invokes (zones, images, regions). Mocks otherwise echo inputs, and a program
 * that reads a computed output would see `undefined`.
 */
import * as pulumi from "@pulumi/pulumi";
import { regionZones } from "../../components/regionZones";

type State = Record<string, unknown>;

/** A stable fake physical name, like Pulumi's autonaming (logical name + suffix). */
export const physicalName = (name: string) => `${name}-a1b2c3d`;

/**
 * The stack's provider settings, read when a value is computed (the mocks harness sets the
 * stack's config before the program runs), so every placeholder names the region the
 * stack deploys to. The fallbacks are used only when the key is not set.
 */
const setting = (key: string, fallback: string): string => pulumi.runtime.getConfig(key) || fallback;
/** `aws:region`; the AWS provider's own default is none, so the plan shows us-east-1. */
export const awsRegion = (): string => setting("aws:region", "us-east-1");
/** `gcp:region` (the GCP adapter refuses a stack without it). */
export const gcpRegion = (): string => setting("gcp:region", "europe-west1");
/** `gcp:project` (the GCP adapter refuses a stack without it). */
const gcpProject = (): string => setting("gcp:project", "my-gcp-project");

const account = "123456789012";
const arn = (service: string, resource: string) => `arn:aws:${service}:${awsRegion()}:${account}:${resource}`;

/**
 * AWS's short region code, as in zone IDs (use1-az1) and ElastiCache endpoints
 * (….euw1.cache.amazonaws.com): the prefix, the initials of the direction words, the number.
 */
export function awsRegionCode(region: string): string {
  const parts = region.split("-");
  const initials: Record<string, string> = { northeast: "ne", northwest: "nw", southeast: "se", southwest: "sw", gov: "g" };
  return parts[0] + parts.slice(1, -1).map((p) => initials[p] ?? p[0] ?? "").join("") + (parts.length > 1 ? parts[parts.length - 1] : "");
}

/** Region descriptions getRegion answers with (others get a generic one). */
const awsRegionDescriptions: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "eu-west-1": "Europe (Ireland)",
  "eu-west-2": "Europe (London)",
  "eu-west-3": "Europe (Paris)",
  "eu-central-1": "Europe (Frankfurt)",
  "eu-north-1": "Europe (Stockholm)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
};

/** The Route 53 hosted zone of each region's ALBs (what alias records point at), where known. */
const albHostedZones: Record<string, string> = {
  "us-east-1": "Z35SXDOTRQ7X7K",
  "us-west-2": "Z1H1FL5HABSF5",
  "eu-west-1": "Z32O12XQLNTSW2",
  "eu-central-1": "Z215JYRZR1TBD5",
};

/**
 * A GCP compute self link for a resource under `collection`: regional resources (those
 * with a `region` input) under regions/<region>/, the others at the project level.
 */
const gcpSelfLink = (collection: string, name: string, region?: unknown) =>
  `https://www.googleapis.com/compute/v1/projects/${gcpProject()}/${typeof region === "string" && region ? `regions/${region}/` : ""}${collection}/${physicalName(name)}`;

/** Computed outputs per resource type. */
const computed: Record<string, (name: string, inputs: State) => State> = {
  "aws:ec2/launchTemplate:LaunchTemplate": (name) => ({ latestVersion: 1, arn: arn("ec2", `launch-template/lt-${name}`) }),
  "aws:lb/loadBalancer:LoadBalancer": (name) => ({
    arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/0123456789abcdef`),
    arnSuffix: `app/${name}/0123456789abcdef`,
    dnsName: `${name}-1234567890.${awsRegion()}.elb.amazonaws.com`,
    zoneId: albHostedZones[awsRegion()] ?? `Z0MOCK${awsRegionCode(awsRegion()).toUpperCase()}ALB`,
  }),
  "aws:lb/targetGroup:TargetGroup": (name) => ({
    arn: arn("elasticloadbalancing", `targetgroup/${name}/0123456789abcdef`),
    arnSuffix: `targetgroup/${name}/0123456789abcdef`,
  }),
  "aws:acm/certificate:Certificate": (name, inputs) => ({
    arn: arn("acm", `certificate/00000000-0000-0000-0000-${name.length.toString().padStart(12, "0")}`),
    domainValidationOptions: [{
      domainName: inputs.domainName,
      resourceRecordName: `_0123456789abcdef.${String(inputs.domainName)}.`,
      resourceRecordType: "CNAME",
      resourceRecordValue: "_fedcba9876543210.acm-validations.aws.",
    }],
  }),
  "aws:acm/certificateValidation:CertificateValidation": (_name, inputs) => ({ certificateArn: inputs.certificateArn }),
  "aws:route53/record:Record": (_name, inputs) => ({ fqdn: String(inputs.name).replace(/\.$/, "") }),
  "aws:s3/bucket:Bucket": (name) => ({
    bucket: physicalName(name),
    arn: `arn:aws:s3:::${physicalName(name)}`,
    region: awsRegion(),
    bucketRegionalDomainName: `${physicalName(name)}.s3.${awsRegion()}.amazonaws.com`,
  }),
  // CloudFront is global: its ARNs name no region, and every distribution's alias zone is Z2FDTNDATAQYW2.
  "aws:cloudfront/distribution:Distribution": (name) => ({
    arn: `arn:aws:cloudfront::${account}:distribution/E${name.length}MOCK${name.replace(/[^A-Za-z0-9]/g, "").toUpperCase().slice(0, 8)}`,
    domainName: `d${name.replace(/[^a-z0-9]/g, "").slice(0, 12)}.cloudfront.net`,
    hostedZoneId: "Z2FDTNDATAQYW2",
  }),
  "aws:cloudfront/function:Function": (name) => ({ arn: `arn:aws:cloudfront::${account}:function/${physicalName(name)}` }),
  "aws:rds/instance:Instance": (name) => ({
    identifier: physicalName(name),
    address: `${physicalName(name)}.abcdefghijkl.${awsRegion()}.rds.amazonaws.com`,
    masterUserSecrets: [{ secretArn: arn("secretsmanager", `secret:rds!db-${name}-AbCdEf`), secretStatus: "active", kmsKeyId: "" }],
  }),
  "aws:elasticache/replicationGroup:ReplicationGroup": (name) => ({
    primaryEndpointAddress: `master.${physicalName(name)}.abcdef.${awsRegionCode(awsRegion())}.cache.amazonaws.com`,
  }),
  // CloudWatch Logs' shape: the group's name after "log-group:", without the ":*" of its streams.
  "aws:cloudwatch/logGroup:LogGroup": (_name, inputs) => ({ arn: arn("logs", `log-group:${String(inputs.name)}`) }),
  "aws:secretsmanager/secret:Secret": (name) => ({ arn: arn("secretsmanager", `secret:${name}-AbCdEf`) }),
  "aws:secretsmanager/secretVersion:SecretVersion": () => ({ versionId: "00000000-1111-2222-3333-444444444444" }),
  "aws:iam/instanceProfile:InstanceProfile": (name) => ({ arn: `arn:aws:iam::${account}:instance-profile/${physicalName(name)}` }),
  "gcp:compute/instanceTemplate:InstanceTemplate": (name) => ({ selfLinkUnique: `${gcpSelfLink("global/instanceTemplates", name)}?uniqueId=1234567890` }),
  "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": (name, inputs) => ({
    instanceGroup: gcpSelfLink("instanceGroups", name, inputs.region ?? gcpRegion()),
  }),
  // A reserved internal address in the nodes' subnet (an internal load balancer's).
  "gcp:compute/address:Address": (_name, inputs) => ({ address: inputs.addressType === "INTERNAL" ? "10.0.0.50" : "203.0.113.20" }),
  "gcp:compute/globalAddress:GlobalAddress": (_name, inputs) => ({ address: inputs.purpose === "VPC_PEERING" ? "10.100.0.0" : "203.0.113.10" }),
  "gcp:sql/databaseInstance:DatabaseInstance": (name, inputs) => ({
    privateIpAddress: inputs.masterInstanceName ? "10.100.0.5" : "10.100.0.3",
    connectionName: `${gcpProject()}:${String(inputs.region ?? gcpRegion())}:${physicalName(name)}`,
  }),
  "gcp:redis/instance:Instance": () => ({
    host: "10.100.1.4",
    port: 6378,
    serverCaCerts: [{ cert: "-----BEGIN CERTIFICATE-----\nMIIBmockCA\n-----END CERTIFICATE-----" }],
  }),
  "gcp:serviceaccount/account:Account": (_name, inputs) => ({ email: `${String(inputs.accountId)}@${gcpProject()}.iam.gserviceaccount.com` }),
  "gcp:secretmanager/secret:Secret": (_name, inputs) => ({ name: `projects/${gcpProject()}/secrets/${String(inputs.secretId)}` }),
  "gcp:secretmanager/secretVersion:SecretVersion": (_name, inputs) => {
    // The version's `secret` input is the secret's ID; the mocks' IDs are "<logical name>-id".
    const secret = String(inputs.secret).replace(/^.*\//, "").replace(/-id$/, "");
    return { name: `projects/${gcpProject()}/secrets/${secret}/versions/1`, version: "1" };
  },
  "gcp:storage/bucket:Bucket": (name) => ({ url: `gs://${physicalName(name)}` }),
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": (name) => ({ uptimeCheckId: `${physicalName(name)}-0123456789` }),
  // An internal load balancer has its address in the VPC (the example VPC range is 10.20.0.0/16).
  "digitalocean:index/loadBalancer:LoadBalancer": (_name, inputs) => ({ ip: inputs.network === "INTERNAL" ? "10.20.0.50" : "198.51.100.20", status: "active" }),
  "digitalocean:index/droplet:Droplet": (_name, inputs) => ({ ipv4Address: "203.0.113.30", ipv4AddressPrivate: "10.0.0.30", status: "active", region: inputs.region }),
  "digitalocean:index/databaseCluster:DatabaseCluster": (name, inputs) => ({
    privateHost: `private-${physicalName(name)}-do-user-1.db.ondigitalocean.com`,
    port: 25060,
    user: "doadmin",
    password: `do-${inputs.engine === "valkey" ? "valkey" : "db"}-password`,
    clusterUrn: `do:dbaas:${name}-0000`,
  }),
  // DigitalOcean generates a user's password.
  "digitalocean:index/databaseUser:DatabaseUser": (name) => ({ password: `do-user-${physicalName(name)}-password`, role: "normal" }),
  "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool": (name) => ({ privateHost: `private-${physicalName(name)}-pool.db.ondigitalocean.com`, port: 25061 }),
  "digitalocean:index/databaseReplica:DatabaseReplica": (name) => ({ privateHost: `private-${physicalName(name)}-replica.db.ondigitalocean.com`, port: 25060 }),
  "digitalocean:index/spacesKey:SpacesKey": () => ({ accessKey: "DO00MOCKACCESSKEY", secretKey: "mock-spaces-secret-key" }),
  "digitalocean:index/spacesBucket:SpacesBucket": (name, inputs) => ({ bucketDomainName: `${physicalName(name)}.${String(inputs.region)}.digitaloceanspaces.com` }),
  // The CDN endpoint of a Spaces origin: the bucket's host with `.cdn` before digitaloceanspaces.com.
  "digitalocean:index/cdn:Cdn": (_name, inputs) => ({ endpoint: String(inputs.origin).replace(/\.digitaloceanspaces\.com$/, ".cdn.digitaloceanspaces.com") }),
  "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": (_name, inputs) => ({
    // The shape DigitalOcean returns: a docker config.json whose auth is "token:token".
    dockerCredentials: JSON.stringify({ auths: { "registry.digitalocean.com": { auth: Buffer.from("dop_v1_mockregistrytoken:dop_v1_mockregistrytoken").toString("base64") } } }),
    credentialExpirationTime: "2075-01-01T00:00:00Z",
    registryName: inputs.registryName,
  }),
  "random:index/randomPassword:RandomPassword": (_name, inputs) => ({ result: "P".repeat(Number(inputs.length)) }),
  "random:index/randomId:RandomId": () => ({ hex: "0a1b2c3d" }),
};

/** The state a mocked resource reports: its inputs, a name, an ARN, and computed outputs. */
export function mockState(type: string, name: string, inputs: State): State {
  const generic: State = { name: physicalName(name) };
  if (type.startsWith("aws:")) generic.arn = arn(type.split(/[:/]/)[1] ?? "mock", physicalName(name));
  if (type.startsWith("gcp:compute/")) generic.selfLink = gcpSelfLink(type.split(/[/:]/)[2] ?? "resources", name, inputs.region);
  return { ...generic, ...inputs, ...(computed[type]?.(name, inputs) ?? {}) };
}

/** Answers to invokes. */
export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      // The zones of the stack's region, from the same table the program checks network.zones against.
      const region = awsRegion();
      const zones = regionZones("aws", region);
      return { names: zones?.names ?? [], zoneIds: zones?.ids ?? [], id: region };
    }
    case "aws:index/getRegion:getRegion": {
      const region = awsRegion();
      return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com`, description: awsRegionDescriptions[region] ?? `AWS region ${region}` };
    }
    case "aws:ssm/getParameter:getParameter":
      return { name: args.inputs.name, value: String(args.inputs.name).endsWith("arm64") ? "ami-0a0a0a0a0a0a0a0a0" : "ami-0b0b0b0b0b0b0b0b0", type: "String", id: args.inputs.name };
    case "gcp:compute/getZones:getZones": {
      const region = String(args.inputs.region ?? gcpRegion());
      const names = regionZones("gcp", region)?.names ?? ["b", "c", "d"].map((z) => `${region}-${z}`);
      return { names, region, project: gcpProject(), id: region };
    }
    case "gcp:organizations/getProject:getProject": {
      // A project's number names its service agents (the load balancer's reads a site's bucket).
      const projectId = String(args.inputs.projectId ?? gcpProject());
      return { projectId, number: "123456789012", name: projectId, id: `projects/${projectId}` };
    }
    case "digitalocean:index/getDatabaseCa:getDatabaseCa":
      // The shape DigitalOcean returns: the PEM of the CA that signs the cluster's certificate.
      return { clusterId: args.inputs.clusterId, certificate: `-----BEGIN CERTIFICATE-----\nMIIBmockDigitalOceanDatabaseCa${String(args.inputs.clusterId).replace(/[^A-Za-z0-9]/g, "")}\n-----END CERTIFICATE-----\n`, id: args.inputs.clusterId };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // Echo the statements as the "JSON" so tests can read what the policy grants.
      return { json: JSON.stringify(args.inputs), id: "policy" };
    default:
      return args.inputs;
  }
}
