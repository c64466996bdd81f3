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

const region = "us-east-1";
const account = "123456789012";
const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;

/** The GCP project the offline plan pretends to use. */
const gcpProject = "my-gcp-project";
/** A GCP compute self link for a resource under `collection`. */
const gcpSelfLink = (collection: string, name: string) => `https://www.googleapis.com/compute/v1/projects/${gcpProject}/${collection}/${physicalName(name)}`;

/** Computed outputs per resource type. */
const computed: Record<string, (name: string, inputs: State) => State> = {
  "aws:ec2/launchTemplate:LaunchTemplate": (name) => ({ latestVersion: 1, arn: arn("ec2", `launch-template/lt-${name}`) }),
  "aws:lb/loadBalancer:LoadBalancer": (name) => ({
    arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/0123456789abcdef`),
    arnSuffix: `app/${name}/0123456789abcdef`,
    dnsName: `${name}-1234567890.${region}.elb.amazonaws.com`,
    zoneId: "Z35SXDOTRQ7X7K",
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
  "aws:s3/bucket:Bucket": (name) => ({ bucket: physicalName(name), arn: `arn:aws:s3:::${physicalName(name)}`, region }),
  "aws:rds/instance:Instance": (name) => ({
    identifier: physicalName(name),
    address: `${physicalName(name)}.abcdefghijkl.${region}.rds.amazonaws.com`,
    masterUserSecrets: [{ secretArn: arn("secretsmanager", `secret:rds!db-${name}-AbCdEf`), secretStatus: "active", kmsKeyId: "" }],
  }),
  "aws:elasticache/replicationGroup:ReplicationGroup": (name) => ({
    primaryEndpointAddress: `master.${physicalName(name)}.abcdef.use1.cache.amazonaws.com`,
  }),
  "aws:secretsmanager/secret:Secret": (name) => ({ arn: arn("secretsmanager", `secret:${name}-AbCdEf`) }),
  "aws:secretsmanager/secretVersion:SecretVersion": () => ({ versionId: "00000000-1111-2222-3333-444444444444" }),
  "aws:iam/instanceProfile:InstanceProfile": (name) => ({ arn: `arn:aws:iam::${account}:instance-profile/${physicalName(name)}` }),
  "gcp:compute/instanceTemplate:InstanceTemplate": (name) => ({ selfLinkUnique: `${gcpSelfLink("global/instanceTemplates", name)}?uniqueId=1234567890` }),
  "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": (name, inputs) => ({
    instanceGroup: gcpSelfLink(`regions/${String(inputs.region)}/instanceGroups`, name),
  }),
  "gcp:compute/globalAddress:GlobalAddress": (_name, inputs) => ({ address: inputs.purpose === "VPC_PEERING" ? "10.100.0.0" : "203.0.113.10" }),
  "gcp:sql/databaseInstance:DatabaseInstance": (name, inputs) => ({
    privateIpAddress: inputs.masterInstanceName ? "10.100.0.5" : "10.100.0.3",
    connectionName: `${gcpProject}:${String(inputs.region)}:${physicalName(name)}`,
  }),
  "gcp:redis/instance:Instance": () => ({
    host: "10.100.1.4",
    port: 6378,
    serverCaCerts: [{ cert: "-----BEGIN CERTIFICATE-----\nMIIBmockCA\n-----END CERTIFICATE-----" }],
  }),
  "gcp:serviceaccount/account:Account": (_name, inputs) => ({ email: `${String(inputs.accountId)}@${gcpProject}.iam.gserviceaccount.com` }),
  "gcp:secretmanager/secret:Secret": (_name, inputs) => ({ name: `projects/${gcpProject}/secrets/${String(inputs.secretId)}` }),
  "gcp:secretmanager/secretVersion:SecretVersion": (_name, inputs) => {
    // The version's `secret` input is the secret's ID; the mocks' IDs are "<logical name>-id".
    const secret = String(inputs.secret).replace(/^.*\//, "").replace(/-id$/, "");
    return { name: `projects/${gcpProject}/secrets/${secret}/versions/1`, version: "1" };
  },
  "gcp:storage/bucket:Bucket": (name) => ({ url: `gs://${physicalName(name)}` }),
  "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": (name) => ({ uptimeCheckId: `${physicalName(name)}-0123456789` }),
  "digitalocean:index/loadBalancer:LoadBalancer": () => ({ ip: "198.51.100.20", status: "active" }),
  "digitalocean:index/droplet:Droplet": (_name, inputs) => ({ ipv4Address: "203.0.113.30", ipv4AddressPrivate: "10.0.0.30", status: "active", region: inputs.region }),
  "digitalocean:index/databaseCluster:DatabaseCluster": (name, inputs) => ({
    privateHost: `private-${physicalName(name)}-do-user-1.db.ondigitalocean.com`,
    port: 25060,
    user: "doadmin",
    password: `do-${inputs.engine === "valkey" ? "valkey" : "db"}-password`,
    clusterUrn: `do:dbaas:${name}-0000`,
  }),
  "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool": (name) => ({ privateHost: `private-${physicalName(name)}-pool.db.ondigitalocean.com`, port: 25061 }),
  "digitalocean:index/databaseReplica:DatabaseReplica": (name) => ({ privateHost: `private-${physicalName(name)}-replica.db.ondigitalocean.com`, port: 25060 }),
  "digitalocean:index/spacesKey:SpacesKey": () => ({ accessKey: "DO00MOCKACCESSKEY", secretKey: "mock-spaces-secret-key" }),
  "digitalocean:index/spacesBucket:SpacesBucket": (name, inputs) => ({ bucketDomainName: `${physicalName(name)}.${String(inputs.region)}.digitaloceanspaces.com` }),
  "random:index/randomPassword:RandomPassword": (_name, inputs) => ({ result: "P".repeat(Number(inputs.length)) }),
  "random:index/randomId:RandomId": () => ({ hex: "0a1b2c3d" }),
};

/** The state a mocked resource reports: its inputs, a name, an ARN, and computed outputs. */
export function mockState(type: string, name: string, inputs: State): State {
  const generic: State = { name: physicalName(name) };
  if (type.startsWith("aws:")) generic.arn = arn(type.split(/[:/]/)[1] ?? "mock", physicalName(name));
  if (type.startsWith("gcp:compute/")) generic.selfLink = gcpSelfLink(type.split(/[/:]/)[2] ?? "resources", name);
  return { ...generic, ...inputs, ...(computed[type]?.(name, inputs) ?? {}) };
}

/** Answers to invokes. */
export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      // The zones of the stack's region, from the same table the program checks network.zones against.
      const awsRegion = pulumi.runtime.allConfig()["aws:region"] ?? region;
      const zones = regionZones("aws", awsRegion) ?? regionZones("aws", region);
      return { names: zones?.names ?? [], zoneIds: zones?.ids ?? [], id: awsRegion };
    }
    case "aws:index/getRegion:getRegion":
      return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com`, description: "US East (N. Virginia)" };
    case "aws:ssm/getParameter:getParameter":
      return { name: args.inputs.name, value: String(args.inputs.name).endsWith("arm64") ? "ami-0a0a0a0a0a0a0a0a0" : "ami-0b0b0b0b0b0b0b0b0", type: "String", id: args.inputs.name };
    case "gcp:compute/getZones:getZones": {
      const gcpRegion = String(args.inputs.region ?? "europe-west1");
      const names = regionZones("gcp", gcpRegion)?.names ?? ["b", "c", "d"].map((z) => `${gcpRegion}-${z}`);
      return { names, region: gcpRegion, project: gcpProject, id: gcpRegion };
    }
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // Echo the statements as the "JSON" so tests can read what the policy grants.
      return { json: JSON.stringify(args.inputs), id: "policy" };
    default:
      return args.inputs;
  }
}
