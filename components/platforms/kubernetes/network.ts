/**
 * Where a workload's pods may connect to (several-workloads model): the egress half of
 * "a workload reaches only the resources it uses". The ingress half is on the data tier
 * itself (the database's and the cache's NetworkPolicies admit only the workloads that
 * use them), which every CNI enforces the same way; this egress policy adds the other
 * side:
 *
 * - DNS (port 53 wherever the resolver is: kube-dns, NodeLocal DNSCache's link-local IP);
 * - the pods of each database and cache the workload uses, on their port;
 * - the pods of the internal web workloads, on their port;
 * - the internet (object storage, the app's external APIs) on any port, but no private
 *   or link-local address: that is where the cluster's other pods (other stacks' too),
 *   the nodes and the cloud's instance metadata service live.
 *
 * NetworkPolicies add up: to let a workload reach something private this one refuses (an
 * in-cluster MinIO, a VPC-internal service), add a policy of your own that selects its
 * pods (label `app.kubernetes.io/name: <name>-<workload>`) and allows that destination.
 */
import type * as k8s from "@pulumi/kubernetes";

/** A destination inside the namespace: the pods a selector picks, on one TCP port. */
export interface PodPeer {
  /** The destination pods' labels. */
  selector: Record<string, string>;
  /** The TCP port. */
  port: number;
}

/**
 * The IPv4 ranges the internet rule leaves out: RFC 1918, the shared address space many
 * pod networks use (100.64.0.0/10) and link-local (169.254.0.0/16: instance metadata).
 */
export const privateIpv4Ranges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];
/** The IPv6 ranges it leaves out: unique local and link-local addresses. */
export const privateIpv6Ranges = ["fc00::/7", "fe80::/10"];

/** The egress rules of a workload that connects to `peers`. */
export function egressRules(peers: readonly PodPeer[]): k8s.types.input.networking.v1.NetworkPolicyEgressRule[] {
  return [
    { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
    ...peers.map((p) => ({ to: [{ podSelector: { matchLabels: p.selector } }], ports: [{ protocol: "TCP", port: p.port }] })),
    {
      to: [
        { ipBlock: { cidr: "0.0.0.0/0", except: privateIpv4Ranges } },
        { ipBlock: { cidr: "::/0", except: privateIpv6Ranges } },
      ],
    },
  ];
}
