/**
 * The private CAs of the resources a workload uses, in its containers at
 * `caFilePath(resource)` (`/etc/ha-topology/ca/<resource>.pem`, bindings.ts): one projected
 * volume of the CA Secrets the operators write (Percona's `<cluster>-ssl`, the RabbitMQ
 * issuer's CA), each key `ca.crt` as `<resource>.pem`. A workload that uses no such
 * resource gets no volume, so its pod spec is unchanged.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { caFilePath } from "../../model/bindings";

/** Where a resource's CA certificate is kept: a key of a Secret of the namespace. */
export interface CaSecret {
  /** The resource's name (the file is `<resource>.pem`). */
  resource: string;
  /** The Secret's name. */
  name: pulumi.Input<string>;
  /** The key holding the PEM (`ca.crt`). */
  key: string;
}

/** The directory every CA file is in (the directory of `caFilePath`). */
export const caDirectory = caFilePath("x").replace(/\/[^/]*$/, "");

/** The volume name in the pod spec. */
const volumeName = "ha-topology-ca";

/** The volume and the mount of a workload's CAs, or undefined when it uses no resource with a private CA. */
export interface CaMount {
  /** The projected volume. */
  volume: k8s.types.input.core.v1.Volume;
  /** Its mount (read-only) at `caDirectory`. */
  mount: k8s.types.input.core.v1.VolumeMount;
}

/** One projected volume of `cas` (in order), or undefined when there is none. */
export function caMount(cas: readonly CaSecret[]): CaMount | undefined {
  if (cas.length === 0) return undefined;
  return {
    volume: {
      name: volumeName,
      projected: { sources: cas.map((ca) => ({ secret: { name: ca.name, items: [{ key: ca.key, path: `${ca.resource}.pem` }] } })) },
    },
    mount: { name: volumeName, mountPath: caDirectory, readOnly: true },
  };
}
