/**
 * The DigitalOcean adapter: tagged droplets in a VPC behind a load balancer with Let's
 * Encrypt TLS, replaced one at a time through health gates (DigitalOcean has no rolling
 * primitive), a managed Postgres or MySQL cluster with a standby node, an optional Valkey
 * cluster with a standby, a private Spaces bucket with a key for it alone, and uptime and
 * resource alerts.
 *
 * DigitalOcean has no secret store: secrets travel inside the droplets' user data, which
 * Pulumi keeps encrypted in state, and land in root-only files on the droplet (see README).
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { configProblem, TopologyConfigError } from "../../configError";
import { registryOf, type Registry } from "../../imageReference";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { nodeUserData } from "../../nodeUserData";
import { currentStack, digitaloceanTagRule, stackSegment, warnIfLegacyName } from "../../physicalNames";
import { resolveSize } from "../../sizes";
import type { Adapter } from "../adapter";
import { Bucket, spacesRegion } from "./bucket";
import { Database } from "./database";
import { Firewall } from "./firewall";
import { LoadBalancer } from "./loadBalancer";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { embeddedRegistryLogin, registryDockerConfig } from "./registryAccess";
import { NodeGroup } from "./nodeGroup";
import { SessionStore } from "./sessionStore";

/** The load balancer appends the client to X-Forwarded-For: one hop to trust. */
const trustedProxyHops = 1;

/** Seconds the app gets between SIGTERM and SIGKILL (draining has already happened). */
const stopTimeoutSeconds = 30;

/**
 * The region (`digitalocean:region`, required) and, when configured, the API token for the
 * health gates. Without `digitalocean:token` the gates use DIGITALOCEAN_TOKEN from the
 * environment `pulumi up` runs in, as the provider itself does.
 */
function providerSettings(): { region: string; token: pulumi.Output<string> | undefined } {
  const config = new pulumi.Config("digitalocean");
  const region = config.get("region");
  if (!region) {
    throw new TopologyConfigError([configProblem("digitalocean:region", "nothing", "a region slug such as fra1 (pulumi config set digitalocean:region fra1)")]);
  }
  // Checked before any resource: the bucket lives in the droplets' region.
  return { region: spacesRegion(region, "digitalocean:region"), token: config.getSecret("token") };
}

/** Maps the topology onto DigitalOcean under `parent`. */
export const digitaloceanAdapter: Adapter = (name, topology, secrets, parent) => {
  const { nodes, database: dbSpec, sessions: sessionsSpec } = topology;
  const { region, token } = providerSettings();
  // Every resource of the adapter waits for the guard of the create-only database settings
  // (registered first, below, with `guardOpts`): a refused change touches nothing.
  const guardOpts = { parent };
  if (nodes.maxCount > nodes.count) {
    // DigitalOcean autoscale pools cannot be rolled through the health gates; say so rather than ignore it.
    pulumi.log.info(`nodes.maxCount (${nodes.maxCount}) is not used on digitalocean: the adapter runs exactly nodes.count (${nodes.count}) droplets`, parent);
  }
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TopologyConfigError([configProblem("name", JSON.stringify(name), "lowercase letters, digits and hyphens on digitalocean (it names tags and resources)")]);
  }

  const identity = new DatabaseIdentity(`${name}-db-identity`, {
    cloud: "digitalocean",
    keys: { "ha-topology:database.name": dbSpec.name, "ha-topology:database.engine": dbSpec.engine },
  }, guardOpts);
  const opts = { parent, transformations: [waitForGuard(identity)] };

  // Tags per service, project and stack, so two stacks in one account never share
  // droplets: the firewalls select `nodeTag`, the load balancer `servingTag` (see
  // nodeGroup.ts). A tag's name is fixed at creation: a stack created before the names
  // carried the stack's hash keeps its tags (ignoreChanges), and is warned if they differ.
  const stack = stackSegment(currentStack(), digitaloceanTagRule);
  const tag = (logical: string, tagName: string) => {
    const resource = new digitalocean.Tag(logical, { name: tagName }, { ...opts, ignoreChanges: ["name"] });
    warnIfLegacyName(`The DigitalOcean tag ${logical}`, resource.name, tagName, resource);
    return resource.name;
  };
  const nodeTag = tag(`${name}-nodes`, `ha-topology-${name}-${stack}`);
  const servingTag = tag(`${name}-serving`, `ha-topology-${name}-${stack}-serving`);
  const tags = [`ha-topology-service-${name}`, `ha-topology-stack-${stack}`];

  const network = new Network(name, { spec: topology.network, region }, opts);
  const loadBalancer = new LoadBalancer(name, { topology, region, vpcId: network.vpcId, servingTag }, opts);
  new Firewall(name, {
    nodeTag,
    appPort: nodes.port,
    loadBalancerId: loadBalancer.id,
    vpcRange: network.ipRange,
    sshSourceCidrs: topology.network.sshSourceCidrs ?? [],
  }, opts);
  const bucket = new Bucket(name, { spec: topology.storage, region, tags }, opts);
  const database = new Database(name, {
    spec: dbSpec,
    size: resolveSize("digitalocean", "database", dbSpec.size),
    region,
    vpcId: network.vpcId,
    nodeTag,
    tags,
    identity,
  }, opts);
  const sessionStore = sessionsSpec.enabled
    ? new SessionStore(name, { spec: sessionsSpec, size: resolveSize("digitalocean", "sessions", sessionsSpec.size), region, vpcId: network.vpcId, nodeTag, tags }, opts)
    : undefined;

  // A private image: DOCR credentials the program creates, or the user's for another
  // registry; either way a docker config inside the (secret) user data.
  const registry = registryOf(nodes.image) as Registry;
  const dockerConfig = registryDockerConfig(name, registry, topology.registry, opts);

  // The secrets go into the user data (no secret store): resolved together, the whole
  // user data becomes a secret Output, so state and previews never show it.
  const facts = pulumi.output({
    dbHost: database.host,
    dbPort: database.port,
    readHosts: database.replicaHosts,
    dbUser: database.username,
    dbPassword: database.password,
    bucketName: bucket.name,
    bucketEndpoint: bucket.endpoint,
    bucketKeyId: bucket.accessKeyId,
    bucketSecret: bucket.secretAccessKey,
    sessionsHost: sessionStore ? sessionStore.host : pulumi.output(undefined),
    sessionsPort: sessionStore ? sessionStore.port : pulumi.output(undefined),
    sessionsPassword: sessionStore ? sessionStore.password : pulumi.output(undefined),
    appSecrets: pulumi.output(secrets),
    dockerConfig: dockerConfig ?? pulumi.output(undefined),
  });
  const userData = pulumi.secret(
    facts.apply((f) =>
      nodeUserData(
        nodes,
        {
          trustedProxyHops,
          database: { host: f.dbHost, port: f.dbPort, name: dbSpec.name, engine: dbSpec.engine, readHosts: f.readHosts },
          bucket: { name: f.bucketName, region, endpoint: f.bucketEndpoint },
          sessions: f.sessionsHost && f.sessionsPort ? { host: f.sessionsHost, port: f.sessionsPort, tls: true } : undefined,
        },
        {
          secretSources: [],
          embeddedSecrets: [
            {
              description: "platform credentials",
              file: "platform.json",
              values: {
                DATABASE_USER: f.dbUser,
                DATABASE_PASSWORD: f.dbPassword,
                BUCKET_ACCESS_KEY_ID: f.bucketKeyId,
                BUCKET_SECRET_ACCESS_KEY: f.bucketSecret,
                ...(f.sessionsPassword ? { SESSION_STORE_PASSWORD: f.sessionsPassword } : {}),
              },
            },
            ...(Object.keys(f.appSecrets).length > 0 ? [{ description: "app secrets", file: "app.json", values: f.appSecrets }] : []),
          ],
          stopTimeoutSeconds,
          packages: ["docker.io", "python3"],
          // No SSH key is configured, so DigitalOcean sets (and mails) a root password: lock it.
          setupCommands: ["passwd -l root"],
          registryLogin: f.dockerConfig ? embeddedRegistryLogin(registry, f.dockerConfig) : undefined,
        },
        "digitalocean",
      ),
    ),
  );

  new NodeGroup(name, {
    nodes,
    healthCheck: topology.healthCheck,
    size: resolveSize("digitalocean", "node", nodes.size),
    region,
    vpcId: network.vpcId,
    nodeTag,
    servingTag,
    tags,
    userData,
    loadBalancerId: loadBalancer.id,
    apiToken: token,
  }, opts);
  new Monitoring(name, { domain: topology.domain, healthPath: topology.healthCheck.path, email: topology.alarms.email, nodeTag, tags }, opts);

  return {
    url: pulumi.output(`https://${topology.domain}`),
    loadBalancerAddress: loadBalancer.ip,
    dnsRecords: loadBalancer.dnsRecords,
    bucketName: bucket.name,
    databaseEndpoint: database.endpoint,
    nodeGroupId: nodeTag,
    sessionStoreEndpoint: sessionStore ? sessionStore.endpoint : pulumi.output(undefined),
  };
};
