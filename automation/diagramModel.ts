/**
 * What the diagram of a planned stack shows: the topology in words the diagram draws
 * (load balancer and TLS, nodes per zone, database primary and standby, bucket, sessions).
 */
import { resolveSize } from "../components/sizes";
import type { Topology } from "../components/topology";
import type { TopologyDiagram } from "./diagram";
import { zoneNames } from "./haSummary";
import type { Plan } from "./plan";

/** Each cloud's name for its load balancer, bucket and database failover. */
const vocabulary: Record<Topology["cloud"], { loadBalancer: string; bucket: string; database: string }> = {
  aws: { loadBalancer: "Application Load Balancer", bucket: "S3 bucket", database: "Multi-AZ, automatic failover" },
  gcp: { loadBalancer: "Global HTTPS load balancer", bucket: "Cloud Storage bucket", database: "REGIONAL, automatic failover" },
  digitalocean: { loadBalancer: "DigitalOcean load balancer", bucket: "Spaces bucket", database: "standby node, automatic failover" },
  kubernetes: { loadBalancer: "Ingress (cert-manager TLS)", bucket: "object storage", database: "CloudNativePG, streaming standby" },
};

/** The diagram of a plan. */
export function diagramModel(plan: Plan): TopologyDiagram {
  const { topology } = plan;
  const words = vocabulary[topology.cloud];
  const zones = zoneNames(topology, plan.resources);
  const { database, nodes } = topology;
  return {
    title: `${topology.name} · stack ${plan.stack}`,
    cloud: topology.cloud,
    domain: topology.domain,
    loadBalancer: { label: words.loadBalancer, tls: "HTTPS 443 · TLS 1.2+ · HTTP→HTTPS redirect" },
    // DigitalOcean runs exactly nodes.count droplets: maxCount is not used there.
    nodes: {
      label: `${resolveSize(topology.cloud, "node", nodes.size)} · ${nodes.image}`,
      port: nodes.port,
      min: nodes.count,
      max: topology.cloud === "digitalocean" ? nodes.count : nodes.maxCount,
      zones,
    },
    database: {
      label: `${database.engine === "postgres" ? "PostgreSQL" : "MySQL"} ${database.version} · ${resolveSize(topology.cloud, "database", database.size)}`,
      mode: words.database,
      primaryZone: zones[0],
      // Zone-less clouds still run a standby: name where it lives instead of a zone.
      standbyZone: zones[1] ?? (topology.cloud === "kubernetes" ? "another node" : "another host"),
      readReplicas: database.readReplicas,
    },
    bucket: { label: topology.cloud === "kubernetes" ? `your S3-compatible bucket ${topology.storage.bucket ?? ""}` : `${words.bucket} · private · versioned · encrypted` },
    ...(topology.sessions.enabled ? { sessionStore: { label: `${topology.sessions.engine === "valkey" ? "Valkey" : "Redis"} · primary + replica` } } : {}),
  };
}
