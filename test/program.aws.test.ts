import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { badInputs, qualifiedKey } from "./badInputs";
import { isSecretValue, runWithMocks } from "../automation/offline/mocks";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";
import { ns, runStack, type Program } from "./programQueries";

/** Runs the example AWS stack with some `ha-topology` keys changed; fails on program errors. */
const runAws = (patch: Record<string, unknown> = {}) => runStack("aws", patch);

const T = {
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  subnet: "aws:ec2/subnet:Subnet",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  tg: "aws:lb/targetGroup:TargetGroup",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  rds: "aws:rds/instance:Instance",
  nat: "aws:ec2/natGateway:NatGateway",
  routeTable: "aws:ec2/routeTable:RouteTable",
  cert: "aws:acm/certificate:Certificate",
  certValidation: "aws:acm/certificateValidation:CertificateValidation",
  record: "aws:route53/record:Record",
};

describe("AWS adapter: the example stack under mocks", function () {
  let p: Program;
  before(async function () {
    p = await runAws();
  });

  it("parents every resource to the HaService component", function () {
    const service = p.one("ha-topology:index:HaService");
    assert.equal(service.name, "web");
    for (const r of p.run.resources) {
      if (r === service) continue;
      assert.equal(r.parents[0], "ha-topology:index:HaService", `${r.type} ${r.name} is not under HaService`);
    }
    assert.ok(p.all(T.asg)[0].parents.includes("ha-topology:aws:NodeGroup"));
  });

  it("spreads an autoscaling group of >= 2 nodes over private subnets in 2 zones", function () {
    const asg = p.one(T.asg).inputs;
    assert.equal(asg.minSize, 2);
    assert.equal(asg.maxSize, 6);
    assert.equal(asg.desiredCapacity, undefined, "desiredCapacity must be left to target tracking");
    const privateSubnets = p.all(T.subnet).filter((s) => s.name.includes("private"));
    assert.deepEqual([...asg.vpcZoneIdentifiers].sort(), privateSubnets.map((s) => p.id(s)).sort());
    assert.deepEqual(privateSubnets.map((s) => s.inputs.availabilityZone).sort(), ["us-east-1a", "us-east-1b"]);
    assert.ok(privateSubnets.every((s) => s.inputs.mapPublicIpOnLaunch === false));
  });

  it("replaces nodes that fail the load balancer's health check, after a grace period", function () {
    const asg = p.one(T.asg).inputs;
    assert.equal(asg.healthCheckType, "ELB");
    assert.equal(asg.healthCheckGracePeriod, 180);
    assert.deepEqual(asg.targetGroupArns, [p.state(p.one(T.tg)).arn]);
    assert.deepEqual(asg.instanceMaintenancePolicy, { minHealthyPercentage: 100, maxHealthyPercentage: 200 });
    assert.equal(asg.minElbCapacity, 2);
    // Targets are health-checked only once a listener forwards to the group.
    assert.ok(p.one(T.asg).dependencies.includes(p.one(T.listener, "-https").urn), "the group waits for the HTTPS listener");
  });

  it("rolls out a new launch template version with a 100 %-healthy instance refresh", function () {
    const asg = p.one(T.asg).inputs;
    assert.equal(asg.launchTemplate.id, p.id(p.one(T.lt)));
    assert.equal(asg.launchTemplate.version, "1", "pinned to latestVersion, never $Latest");
    const refresh = asg.instanceRefresh;
    assert.equal(refresh.strategy, "Rolling");
    assert.equal(refresh.preferences.minHealthyPercentage, 100);
    assert.equal(refresh.preferences.maxHealthyPercentage, 200);
    assert.equal(refresh.preferences.autoRollback, true);
    const appErrors = p.all("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.name.endsWith("app-5xx"));
    assert.ok(appErrors);
    assert.deepEqual(refresh.preferences.alarmSpecification.alarms, [p.state(appErrors).name]);
  });

  it("scales on CPU with target tracking", function () {
    const policy = p.one("aws:autoscaling/policy:Policy").inputs;
    assert.equal(policy.policyType, "TargetTrackingScaling");
    assert.equal(policy.targetTrackingConfiguration.targetValue, 60);
    assert.equal(policy.autoscalingGroupName, p.state(p.one(T.asg)).name);
  });

  it("boots nodes from the current AL2023 image with IMDSv2, an instance profile and an encrypted disk", function () {
    const lt = p.one(T.lt).inputs;
    assert.equal(lt.imageId, "ami-0b0b0b0b0b0b0b0b0", "x86_64 AMI from the SSM parameter");
    assert.equal(lt.instanceType, "t3.small");
    assert.equal(lt.metadataOptions.httpTokens, "required");
    assert.equal(lt.iamInstanceProfile.arn, "arn:aws:iam::123456789012:instance-profile/web-node-a1b2c3d");
    assert.equal(lt.blockDeviceMappings[0].ebs.encrypted, "true");
    const nodesSg = p.one(T.sg, "-nodes");
    assert.deepEqual(lt.vpcSecurityGroupIds, [p.id(nodesSg)]);
    assert.equal(lt.networkInterfaces, undefined);
  });

  it("puts an HTTPS ALB in the public subnets, with TLS 1.2+ and invalid headers dropped", function () {
    const alb = p.one(T.alb).inputs;
    assert.equal(alb.internal, false);
    assert.equal(alb.loadBalancerType, "application");
    assert.equal(alb.dropInvalidHeaderFields, true);
    assert.equal(alb.enableDeletionProtection, true, "the address the domain points at is protected from a mistaken delete");
    const publicSubnets = p.all(T.subnet).filter((s) => s.name.includes("public"));
    assert.deepEqual([...alb.subnets].sort(), publicSubnets.map((s) => p.id(s)).sort());
    assert.deepEqual(alb.securityGroups, [p.id(p.one(T.sg, "-lb"))]);

    const https = p.one(T.listener, "-https").inputs;
    assert.equal(https.port, 443);
    assert.equal(https.protocol, "HTTPS");
    assert.equal(https.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.equal(https.certificateArn, p.one(T.certValidation).inputs.certificateArn);
    assert.equal(https.certificateArn, p.state(p.one(T.cert)).arn);
    assert.equal(https.defaultActions[0].type, "forward");
  });

  it("answers port 80 only with a redirect to HTTPS", function () {
    const http = p.one(T.listener, "-http").inputs;
    assert.equal(http.port, 80);
    assert.equal(http.defaultActions.length, 1);
    assert.deepEqual(http.defaultActions[0], { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } });
  });

  it("health-checks the configured path, drains connections and never pins clients", function () {
    const tg = p.one(T.tg).inputs;
    assert.equal(tg.port, 80);
    assert.equal(tg.protocol, "HTTP");
    assert.equal(tg.healthCheck.path, "/health");
    assert.equal(tg.healthCheck.protocol, "HTTP");
    assert.equal(tg.healthCheck.interval, 15);
    assert.equal(tg.deregistrationDelay, 30);
    assert.equal(tg.stickiness.enabled, false);
  });

  it("opens the app port to the ALB's security group only, and nothing to SSH", function () {
    const lbSg = p.id(p.one(T.sg, "-lb"));
    const nodesSg = p.id(p.one(T.sg, "-nodes"));
    const dbSg = p.id(p.one(T.sg, "-db"));
    const ingress = p.all(T.ingress).map((r) => r.inputs);
    const toNodes = ingress.filter((r) => r.securityGroupId === nodesSg);
    assert.equal(toNodes.length, 1);
    assert.deepEqual([toNodes[0].referencedSecurityGroupId, toNodes[0].fromPort, toNodes[0].toPort, toNodes[0].cidrIpv4], [lbSg, 80, 80, undefined]);
    const fromWorld = ingress.filter((r) => r.cidrIpv4 === "0.0.0.0/0");
    assert.deepEqual(fromWorld.map((r) => [r.securityGroupId, r.fromPort]).sort(), [[lbSg, 443], [lbSg, 80]].sort());
    assert.ok(ingress.every((r) => r.fromPort > 22 || r.toPort < 22), "no rule covers port 22");
    const toDb = ingress.filter((r) => r.securityGroupId === dbSg);
    assert.deepEqual(toDb.map((r) => [r.referencedSecurityGroupId, r.fromPort]), [[nodesSg, 5432]]);
    assert.ok(p.all(T.sg).every((g) => g.inputs.ingress === undefined && g.inputs.egress === undefined), "no inline rules");
  });

  it("creates a private, versioned, encrypted, TLS-only bucket", function () {
    assert.equal(p.one("aws:s3/bucket:Bucket").inputs.forceDestroy, false);
    const block = p.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
    assert.deepEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
    assert.equal(p.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status, "Enabled");
    assert.equal(p.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
    assert.equal(p.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule.objectOwnership, "BucketOwnerEnforced");
    const policy = JSON.parse(p.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    assert.equal(policy.statements[0].effect, "Deny");
    assert.deepEqual(policy.statements[0].conditions[0], { test: "Bool", variable: "aws:SecureTransport", values: ["false"] });
  });

  it("creates a private Multi-AZ database with backups, deletion protection and a managed password", function () {
    const db = p.one(T.rds).inputs;
    assert.equal(db.engine, "postgres");
    assert.equal(db.engineVersion, "16");
    assert.equal(db.instanceClass, "db.t4g.micro");
    assert.equal(db.multiAz, true);
    assert.equal(db.publiclyAccessible, false);
    assert.equal(db.storageEncrypted, true);
    assert.equal(db.backupRetentionPeriod, 7);
    assert.equal(db.deletionProtection, true);
    assert.equal(db.skipFinalSnapshot, false);
    assert.equal(db.finalSnapshotIdentifier, "web-db-final-0a1b2c3d");
    assert.equal(db.manageMasterUserPassword, undefined, "RDS would rotate it under running nodes");
    assert.ok(isSecretValue(p.one(T.rds).rawInputs.password), "the password is sent as a secret");
    const credentials = p.one("aws:secretsmanager/secretVersion:SecretVersion", "db-credentials");
    assert.ok(isSecretValue(credentials.rawInputs.secretString));
    assert.deepEqual(JSON.parse(credentials.inputs.secretString), { username: "app", password: db.password });
    assert.deepEqual(db.vpcSecurityGroupIds, [p.id(p.one(T.sg, "-db"))]);
    const subnetGroup = p.one("aws:rds/subnetGroup:SubnetGroup").inputs;
    assert.deepEqual([...subnetGroup.subnetIds].sort(), p.all(T.subnet).filter((s) => s.name.includes("private")).map((s) => p.id(s)).sort());
    const params = p.one("aws:rds/parameterGroup:ParameterGroup").inputs;
    assert.equal(params.family, "postgres16");
    assert.deepEqual(params.parameters.map((x: { name: string; value: string }) => [x.name, x.value]), [["rds.force_ssl", "1"]]);
  });

  it("grants the nodes their own bucket and the database secret, nothing else", function () {
    const statements = p.nodeStatements();
    const bucketArn = "arn:aws:s3:::web-files-a1b2c3d";
    assert.deepEqual(statements.find((s) => s.sid === "ListOwnBucket")?.resources, [bucketArn]);
    assert.deepEqual(statements.find((s) => s.sid === "UseOwnBucketObjects")?.resources, [`${bucketArn}/*`]);
    assert.deepEqual(statements.find((s) => s.sid === "ReadOwnSecrets")?.resources, ["arn:aws:secretsmanager:us-east-1:123456789012:secret:web-db-credentials-AbCdEf"]);
    assert.ok(
      statements.every((s) => s.sid === "SessionManagerAgent" || s.resources.every((r) => r !== "*")),
      "no wildcard resources (but for the Session Manager agent's actions, which take none)",
    );
  });

  it("ships the app's logs to the stack's own CloudWatch log group, kept 30 days and retained on destroy", function () {
    const group = p.one("aws:cloudwatch/logGroup:LogGroup");
    assert.equal(group.name, "web-logs");
    assert.equal(group.inputs.name, "/ha-topology/test/web");
    assert.equal(group.inputs.retentionInDays, 30);
    assert.equal(group.inputs.kmsKeyId, undefined, "encrypted with CloudWatch's own key (a customer KMS key is not offered yet)");
    assert.equal(group.inputs.tags["ha-topology:stack"], "test");
  });

  it("lets the nodes write log streams in that group only, and never create a group", function () {
    const statements = p.nodeStatements();
    const logs = statements.filter((s) => s.actions.some((a) => a.startsWith("logs:")));
    assert.deepEqual(logs.map((s) => s.sid), ["WriteOwnLogs"], "one statement holds every logs: action");
    assert.deepEqual([...logs[0].actions].sort(), ["logs:CreateLogStream", "logs:PutLogEvents"]);
    assert.deepEqual(logs[0].resources, ["arn:aws:logs:us-east-1:123456789012:log-group:/ha-topology/test/web:*"]);
  });

  it("runs the container with docker's awslogs driver: the stack's group, the region, one stream per node, never blocking the app", function () {
    const script = parse(p.userData()).write_files.find((f: { path: string }) => f.path === "/usr/local/sbin/ha-topology-run-app").content as string;
    const run = script.split("\n").find((line: string) => line.startsWith("/usr/bin/docker run ")) as string;
    assert.match(run, / --log-driver awslogs /);
    assert.doesNotMatch(run, /--log-driver local/);
    for (const option of ["awslogs-region=us-east-1", "awslogs-group=/ha-topology/test/web", "awslogs-create-group=false", "tag={{.Hostname}}", "mode=non-blocking", "max-buffer-size=4m"]) {
      assert.ok(run.includes(` --log-opt ${option} `), `${option} missing from: ${run}`);
    }
    // Still attached (no -d): the unit's journal keeps a copy of every line.
    assert.doesNotMatch(run, / -d | --detach /);
  });

  it("keeps the log group per stack and project: another project's stack of the same name gets its own", async function () {
    const other = await runWithMocks(loadStackConfig("aws"), { project: "other-project", stack: "aws" });
    if (other.error) throw other.error;
    const name = other.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup")?.inputs.name;
    assert.match(name, /^\/ha-topology\/aws-[0-9a-f]{6}\/web$/);
  });

  it("allows Session Manager with the agent's minimal actions only: no Parameter Store, no Run Command, no managed policy", function () {
    const statements = p.nodeStatements();
    const actions = statements.flatMap((s) => s.actions);
    for (const action of actions) {
      assert.doesNotMatch(action, /^ssm:(GetParameter|\*)|^ec2messages:|^\*$|:\*$/, `${action} is not needed for sessions`);
    }
    for (const s of statements.filter((x) => x.resources.includes("*"))) {
      assert.deepEqual(
        [...s.actions].sort(),
        ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
        `${s.sid}: only the SSM agent's session actions on "*"`,
      );
    }
    assert.ok(statements.some((s) => s.sid === "SessionManagerAgent"), "Session Manager still works");
    assert.deepEqual(p.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn), [], "no managed policy on the node role");
  });

  it("boots nodes with the shared cloud-init: image, platform env, secrets fetched from Secrets Manager", function () {
    const text = p.userData();
    assert.ok(text.startsWith("#cloud-config\n"));
    const config = parse(text);
    const env = config.write_files.find((f: { path: string }) => f.path === "/etc/ha-topology/app.env").content as string;
    for (const line of [
      "APP_VERSION=v1.10.1", "PORT=80", "TRUSTED_PROXY_HOPS=1", "DATABASE_PORT=5432", "DATABASE_NAME=app",
      "DATABASE_HOST=web-db-a1b2c3d.abcdefghijkl.us-east-1.rds.amazonaws.com", "BUCKET_NAME=web-files-a1b2c3d",
      "BUCKET_REGION=us-east-1", "LOG_LEVEL=info",
    ]) {
      assert.ok(env.split("\n").includes(line), `${line} missing from app.env`);
    }
    assert.ok(!/PASSWORD/.test(env), "credentials never in the plain env");
    const unit = config.write_files.find((f: { path: string }) => f.path.endsWith(".service")).content as string;
    assert.match(unit, /^ExecStart=\/usr\/local\/sbin\/ha-topology-run-app$/m);
    const runApp = config.write_files.find((f: { path: string }) => f.path === "/usr/local/sbin/ha-topology-run-app").content as string;
    assert.match(runApp, /^\/usr\/bin\/docker run .* traefik\/whoami:v1\.10\.1$/m);
    const fetch = config.write_files.find((f: { path: string }) => f.path.endsWith("fetch-secrets")).content as string;
    assert.match(fetch, /aws secretsmanager get-secret-value --region us-east-1 --secret-id arn:aws:secretsmanager:us-east-1:123456789012:secret:web-db-credentials-AbCdEf --version-id \S+ /);
    assert.ok(!text.includes(p.one(T.rds).inputs.password), "the database password is not in the user data");
    assert.deepEqual(config.packages, ["docker"]);
  });

  it("produces user data that `cloud-init schema` accepts", function () {
    if (spawnSync("cloud-init", ["--version"]).error) {
      console.log("      (skipped: cloud-init is not installed; .ci/run installs it with apt-get)");
      this.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-aws-"));
    const file = path.join(dir, "user-data.yaml");
    fs.writeFileSync(file, p.rawUserData());
    const result = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  });

  it("alarms on fewer healthy nodes than the floor, unhealthy nodes and 5xx", function () {
    const alarms = p.all("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs);
    assert.deepEqual(alarms.map((a) => a.metricName).sort(), ["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "HealthyHostCount", "UnHealthyHostCount"]);
    const healthy = alarms.find((a) => a.metricName === "HealthyHostCount");
    assert.equal(healthy?.threshold, 2);
    assert.equal(healthy?.comparisonOperator, "LessThanThreshold");
    const topicArn = p.state(p.one("aws:sns/topic:Topic")).arn;
    assert.ok(alarms.every((a) => a.alarmActions[0] === topicArn && a.okActions[0] === topicArn));
    assert.equal(p.all("aws:sns/topicSubscription:TopicSubscription").length, 0);
  });

  it("spends on one NAT gateway per zone by default, and routes S3 through a free endpoint", function () {
    const nats = p.all(T.nat);
    assert.equal(nats.length, 2);
    const privateTables = p.all(T.routeTable).filter((t) => t.name.includes("private"));
    assert.deepEqual(privateTables.map((t) => t.inputs.routes[0].natGatewayId).sort(), nats.map((n) => p.id(n)).sort());
    assert.equal(p.one("aws:ec2/vpcEndpoint:VpcEndpoint").inputs.serviceName, "com.amazonaws.us-east-1.s3");
  });

  it("exports the URL, LB address, DNS records to create, bucket, database endpoint and node group", function () {
    const o = p.outputs;
    assert.equal(o.url, "https://app.example.com");
    assert.equal(o.loadBalancerAddress, "web-alb-1234567890.us-east-1.elb.amazonaws.com");
    assert.deepEqual(o.dnsRecords.map((r: { name: string; type: string }) => [r.name, r.type]), [
      ["app.example.com", "CNAME"],
      ["_0123456789abcdef.app.example.com.", "CNAME"],
    ]);
    assert.equal(o.dnsRecords[0].value, o.loadBalancerAddress);
    assert.equal(o.bucketName, "web-files-a1b2c3d");
    assert.equal(o.databaseEndpoint, "web-db-a1b2c3d.abcdefghijkl.us-east-1.rds.amazonaws.com:5432");
    assert.equal(o.nodeGroupId, p.state(p.one(T.asg)).name);
    assert.equal(o.sessionStoreEndpoint, undefined);
  });
});

describe("AWS adapter: options", function () {
  it("creates the DNS and validation records in a Route 53 zone when one is given", async function () {
    const p = await runAws({ dns: { zone: "Z0123456789ABCDEFGHIJ" } });
    const records = p.all(T.record).map((r) => r.inputs);
    assert.equal(records.length, 2);
    assert.ok(records.every((r) => r.zoneId === "Z0123456789ABCDEFGHIJ"));
    const alias = records.find((r) => r.type === "A");
    assert.equal(alias?.name, "app.example.com");
    assert.equal(alias?.aliases[0].name, "web-alb-1234567890.us-east-1.elb.amazonaws.com");
    assert.deepEqual(p.one(T.certValidation).inputs.validationRecordFqdns, ["_0123456789abcdef.app.example.com"]);
    assert.deepEqual(p.outputs.dnsRecords, []);
  });

  it("uses an existing certificate instead of requesting one", async function () {
    const arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
    const p = await runAws({ tls: { certificate: arn } });
    assert.equal(p.all(T.cert).length, 0);
    assert.equal(p.one(T.listener, "-https").inputs.certificateArn, arn);
    assert.deepEqual(p.outputs.dnsRecords.map((r: { type: string }) => r.type), ["CNAME"]);
  });

  it("spreads over three zones when asked", async function () {
    const p = await runAws({ network: { zones: 3 } });
    assert.equal(p.one(T.asg).inputs.vpcZoneIdentifiers.length, 3);
    assert.equal(p.all(T.nat).length, 3);
    assert.deepEqual(p.all(T.subnet).filter((s) => s.name.includes("private")).map((s) => s.inputs.availabilityZone).sort(), ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert.equal(new Set(p.all(T.subnet).map((s) => s.inputs.cidrBlock)).size, 6, "no overlapping subnets");
  });

  it("shares one NAT gateway with natGateways: single", async function () {
    const p = await runAws({ network: { natGateways: "single" } });
    const [nat] = p.all(T.nat);
    assert.equal(p.all(T.nat).length, 1);
    const privateTables = p.all(T.routeTable).filter((t) => t.name.includes("private"));
    assert.ok(privateTables.every((t) => t.inputs.routes[0].natGatewayId === p.id(nat)));
  });

  it("puts nodes in public subnets with public addresses, but still behind the ALB, with natGateways: none", async function () {
    const p = await runAws({ network: { natGateways: "none" } });
    assert.equal(p.all(T.nat).length, 0);
    const publicSubnets = p.all(T.subnet).filter((s) => s.name.includes("public")).map((s) => p.id(s)).sort();
    assert.deepEqual([...p.one(T.asg).inputs.vpcZoneIdentifiers].sort(), publicSubnets);
    const lt = p.one(T.lt).inputs;
    assert.equal(lt.networkInterfaces[0].associatePublicIpAddress, "true");
    assert.deepEqual(lt.networkInterfaces[0].securityGroups, [p.id(p.one(T.sg, "-nodes"))]);
    assert.equal(lt.vpcSecurityGroupIds, undefined);
    const privateTables = p.all(T.routeTable).filter((t) => t.name.includes("private"));
    assert.ok(privateTables.every((t) => t.inputs.routes.length === 0), "the database subnets stay without internet");
  });

  it("uses an existing VPC and subnets instead of creating a network", async function () {
    const p = await runAws({
      network: {
        vpcId: "vpc-0123456789abcdef0",
        publicSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        privateSubnetIds: ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
      },
    });
    assert.equal(p.all("aws:ec2/vpc:Vpc").length, 0);
    assert.equal(p.all(T.subnet).length, 0);
    assert.deepEqual(p.one(T.asg).inputs.vpcZoneIdentifiers, ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]);
    assert.deepEqual(p.one(T.alb).inputs.subnets, ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]);
    assert.ok(p.all(T.sg).every((g) => g.inputs.vpcId === "vpc-0123456789abcdef0"));
  });

  it("adds a replicated, encrypted session store reachable from the nodes only", async function () {
    const p = await runAws({ sessions: { enabled: true } });
    const group = p.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs;
    assert.equal(group.engine, "valkey");
    assert.equal(group.numCacheClusters, 2);
    assert.equal(group.automaticFailoverEnabled, true);
    assert.equal(group.multiAzEnabled, true);
    assert.equal(group.transitEncryptionEnabled, true);
    assert.equal(group.atRestEncryptionEnabled, true);
    const sessionsSg = p.id(p.one(T.sg, "-sessions"));
    assert.deepEqual(group.securityGroupIds, [sessionsSg]);
    const inbound = p.all(T.ingress).filter((r) => r.inputs.securityGroupId === sessionsSg).map((r) => r.inputs);
    assert.deepEqual(inbound.map((r) => [r.referencedSecurityGroupId, r.fromPort]), [[p.id(p.one(T.sg, "-nodes")), 6379]]);
    assert.match(p.userData(), /SESSION_STORE_HOST=master\.web-sessions-a1b2c3d/);
    assert.match(p.outputs.sessionStoreEndpoint, /:6379$/);
  });

  it("keeps app secrets in Secrets Manager, marked secret, and out of the user data", async function () {
    const value = "sk_live_do_not_leak_123";
    const p = await runAws({ secrets: { API_KEY: value } });
    const version = p.one("aws:secretsmanager/secretVersion:SecretVersion", "app-secrets");
    assert.ok(isSecretValue(version.rawInputs.secretString), "secretString is sent as a secret");
    assert.deepEqual(JSON.parse(version.inputs.secretString), { API_KEY: value });
    const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app-secrets-AbCdEf";
    const text = p.userData();
    assert.ok(!text.includes(value), "the value is not in the user data");
    assert.ok(text.includes(`--secret-id ${secretArn} --version-id 00000000-1111-2222-3333-444444444444`));
    assert.ok(p.nodeStatements().find((s) => s.sid === "ReadOwnSecrets")?.resources.includes(secretArn));
    for (const r of p.run.resources) {
      if (r === version) continue;
      // Checked on the unwrapped inputs: only the secret version may carry the value at all.
      assert.ok(!JSON.stringify(r.inputs).includes(value), `${r.type} ${r.name} carries the secret in plain text`);
    }
  });

  it("adds read replicas of the primary", async function () {
    const p = await runAws({ database: { readReplicas: 2 } });
    const replicas = p.all(T.rds).filter((r) => r.inputs.replicateSourceDb);
    assert.equal(replicas.length, 2);
    assert.ok(replicas.every((r) => r.inputs.replicateSourceDb === "web-db-a1b2c3d" && r.inputs.publiclyAccessible === false));
    assert.match(p.userData(), /^\s*DATABASE_READ_HOSTS=web-db-replica-0-a1b2c3d\.\S+,web-db-replica-1-a1b2c3d\.\S+$/m);
  });

  it("boots Graviton instance types from the arm64 image", async function () {
    const p = await runAws({ nodes: { size: "m7g.large" } });
    assert.equal(p.one(T.lt).inputs.imageId, "ami-0a0a0a0a0a0a0a0a0");
    assert.equal(p.one(T.lt).inputs.instanceType, "m7g.large");
  });

  it("keeps the app's logs as long as logs.retentionDays says", async function () {
    const p = await runAws({ logs: { retentionDays: 365 } });
    assert.equal(p.one("aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays, 365);
  });

  it("subscribes the alarm email when one is given", async function () {
    const p = await runAws({ alarms: { email: "oncall@example.com" } });
    const sub = p.one("aws:sns/topicSubscription:TopicSubscription").inputs;
    assert.deepEqual([sub.protocol, sub.endpoint], ["email", "oncall@example.com"]);
  });
});

describe("bad stack configuration stops the program before anything is registered", function () {
  for (const bad of badInputs) {
    it(bad.what, async function () {
      const run = await runWithMocks(stackConfigWith(bad.stack ?? "aws", ns(bad.raw)));
      assert.ok(run.error, "the program must fail");
      assert.equal(run.error.name, "TopologyConfigError");
      const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(run.error.message, new RegExp(`${escape(qualifiedKey(bad.key))}: .*received ${escape(bad.received)}`));
      assert.ok(run.error.message.includes(bad.allowed), run.error.message);
      assert.deepEqual(run.resources.map((r) => r.type), [], "nothing was registered");
    });
  }

  it("has an adapter for every cloud the schema accepts", function () {
    const { availableClouds } = require("../components/platforms/registry") as typeof import("../components/platforms/registry");
    const { clouds } = require("../components/sizes") as typeof import("../components/sizes");
    assert.deepEqual([...availableClouds].sort(), [...clouds].sort());
  });
});

describe("the entry point and the component as a library", function () {
  it("index.ts exports the stack outputs", async function () {
    const run = await runWithMocks(loadStackConfig("aws"), { program: async () => ({ ...(await import("../index")) }) });
    if (run.error) throw run.error;
    assert.deepEqual(Object.keys(run.outputs ?? {}).sort(), [
      // workloads and resources: the maps every stack has (compose.ts), as runProgram returns them.
      "bucketName", "databaseEndpoint", "dnsRecords", "loadBalancerAddress", "nodeGroupId", "resources", "sessionStoreEndpoint", "url", "workloads",
    ]);
    assert.equal(run.outputs?.url, "https://app.example.com");
  });

  it("HaService names children after itself and refuses reserved secret names before registering", async function () {
    const build = (secrets: Record<string, string>) => async () => {
      const { HaService } = await import("../components/haService");
      const { parseTopology } = await import("../components/topology");
      const service = new HaService("shop", { topology: parseTopology({ cloud: "aws", domain: "shop.example.com" }), secrets });
      return { url: service.url };
    };
    const ok = await runWithMocks(loadStackConfig("aws"), { program: build({ STRIPE_KEY: "sk_test" }) });
    if (ok.error) throw ok.error;
    assert.ok(ok.resources.some((r) => r.type === T.asg && r.name === "shop-nodes"));
    assert.ok(ok.resources.some((r) => r.name === "shop-app-secrets" && r.type === "aws:secretsmanager/secret:Secret"));

    const bad = await runWithMocks(loadStackConfig("aws"), { program: build({ DATABASE_PASSWORD: "x" }) });
    assert.match(bad.error?.message ?? "", /ha-topology:secrets\.DATABASE_PASSWORD: received \[secret\]; allowed: .*platform does not set/);
    assert.equal(bad.resources.length, 0);
  });
});
