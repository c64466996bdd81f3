/**
 * Private images of several workloads: which registry `ha-topology:registry` logs the
 * nodes in to, and what can never pull (the single-service rules of topology.ts
 * `imageRegistryChecks`, applied to every workload's image).
 *
 * The rule, for a stack with `ha-topology:workloads`:
 * - An image in the cloud's own registry is pulled with the nodes' identity (ECR on aws,
 *   Artifact Registry and gcr.io on gcp, DOCR on digitalocean): it never needs credentials.
 *   ECR on gcp or digitalocean can never be pulled (ECR takes AWS identities only).
 * - `ha-topology:registry` holds credentials for ONE registry host: the host of the images
 *   that are neither in the cloud's own registry nor known to be public (the public demo
 *   image, and Docker Hub's official `library/` images when another host is in play). A
 *   workload whose image is on that host logs in before each pull; every other image is
 *   pulled anonymously or with the node's identity, so the credentials never reach
 *   another registry. Images on two such hosts with credentials set are refused (which
 *   one the credentials are for would be a guess, and a wrong guess sends them to a third
 *   party); credentials no image needs are refused, as in the single-service shape.
 * - A DOCR image outside digitalocean needs credentials (DOCR images are always private).
 * - ECR on kubernetes never takes a pull secret (its tokens expire after 12 hours): the
 *   cluster's nodes pull with their own role.
 */
import { configNamespace, describeValue, secretMask } from "../configError";
import { parseImageReference, registryOf, type Registry } from "../imageReference";
import type { Cloud } from "../sizes";
import { defaults, ownRegistry, registryRefusals } from "../topology";
import type { BindingProblem } from "./bindings";
import { isContainerWorkload, type Model } from "./model";

/** One workload's image, where its key is and which registry it is in. */
export interface WorkloadImage {
  /** The workload's name. */
  workload: string;
  /** The image's config path: `nodes.image` for the single service, `workloads.<name>.image` otherwise. */
  path: string[];
  /** The image reference. */
  image: string;
  /** Its registry. */
  registry: Registry;
  /** True for a Docker Hub official image (`docker.io/library/...`): always public. */
  officialLibrary: boolean;
}

/** The images of the model's workloads that parse (the others are refused on their own key). */
export function workloadImages(model: Model): WorkloadImage[] {
  const out: WorkloadImage[] = [];
  // A site has no image.
  for (const w of model.workloads.filter(isContainerWorkload)) {
    try {
      const registry = registryOf(w.image);
      if (registry.kind === "invalid") continue;
      const ref = parseImageReference(w.image);
      out.push({
        workload: w.name,
        path: w.origin === "single-service" ? ["nodes", "image"] : ["workloads", w.name, "image"],
        image: w.image,
        registry,
        officialLibrary: ref.host === "docker.io" && ref.repository.startsWith("library/"),
      });
    } catch {
      continue;
    }
  }
  return out;
}

/** Why an image never takes the registry credentials, or undefined when it may. */
function noCredentialsReason(cloud: Cloud, image: WorkloadImage): string | undefined {
  const key = image.path.join(".");
  const own = ownRegistry[cloud];
  if (own && image.registry.kind === own.kind) return `${key} is in ${cloud}'s own registry: the program ${own.what} itself`;
  if (cloud === "kubernetes" && image.registry.kind === "ecr") return `${key} is in ECR, whose login tokens expire after 12 hours: give the cluster's nodes pull access instead (on EKS the node role's AmazonEC2ContainerRegistryReadOnly)`;
  if (image.image === defaults.nodes.image) return `${key} is the public demo image`;
  return undefined;
}

/** The images the credentials may be for, grouped by registry host. */
function credentialHosts(cloud: Cloud, images: WorkloadImage[]): Map<string, WorkloadImage[]> {
  const candidates = images.filter((i) => noCredentialsReason(cloud, i) === undefined);
  const group = (list: WorkloadImage[]) => {
    const hosts = new Map<string, WorkloadImage[]>();
    for (const i of list) hosts.set(i.registry.host, [...(hosts.get(i.registry.host) ?? []), i]);
    return hosts;
  };
  const hosts = group(candidates);
  // Official images are public: with another host in play, the credentials are that host's.
  return hosts.size > 1 ? group(candidates.filter((i) => !i.officialLibrary)) : hosts;
}

/**
 * The registry host `ha-topology:registry` logs the nodes in to, for a stack whose
 * problems `registryProblems` found none: the workloads whose image is on it log in before
 * each pull; undefined without credentials.
 */
export function registryCredentialsHost(model: Model, credentials: boolean): string | undefined {
  if (!credentials) return undefined;
  const hosts = [...credentialHosts(model.cloud, workloadImages(model)).keys()];
  return hosts.length === 1 ? hosts[0] : undefined;
}

/**
 * Whether `workload`'s nodes log in with `ha-topology:registry` before each pull: its
 * image is on the credentials' host (`registryCredentialsHost`). Every other image is
 * pulled anonymously or with the nodes' identity, so the credentials reach no other
 * registry: the platforms must ask this for every workload, the single service's `web`
 * included (whose adapter code logs in to `nodes.image`'s host whenever credentials are set).
 */
export function usesRegistryCredentials(model: Model, workload: string, credentials: boolean): boolean {
  const host = registryCredentialsHost(model, credentials);
  return host !== undefined && workloadImages(model).some((i) => i.workload === workload && i.registry.host === host);
}

/**
 * What can never pull, for every workload's image (the single service's `nodes.image`
 * included): `credentials` says whether `ha-topology:registry` is set. `singleServiceChecked`:
 * the single-service parser already refused an ECR `nodes.image` on a cloud that cannot pull it.
 */
export function registryProblems(model: Model, credentials: boolean, singleServiceChecked = true): BindingProblem[] {
  const cloud = model.cloud;
  const images = workloadImages(model);
  const problems: BindingProblem[] = [];
  const onRegistry = (allowed: string) => problems.push({ path: ["registry"], received: credentials ? secretMask : describeValue(undefined), allowed });

  for (const i of images) {
    if (i.registry.kind === "ecr" && (cloud === "gcp" || cloud === "digitalocean") && !(singleServiceChecked && i.path[0] === "nodes")) {
      problems.push({ path: i.path, received: describeValue(i.image), allowed: registryRefusals.ecrElsewhere(cloud) });
    }
  }

  const hosts = credentialHosts(cloud, images);
  if (credentials && hosts.size === 0) {
    const reasons = images.map((i) => noCredentialsReason(cloud, i)).filter((r): r is string => r !== undefined);
    onRegistry(`unset: no image of this stack needs registry credentials (${reasons.join("; ")})`);
  } else if (credentials && hosts.size > 1) {
    const listed = [...hosts].map(([host, list]) => `${host} (${list.map((i) => i.path.join(".")).join(", ")})`).join(", ");
    onRegistry(
      `credentials for one registry: ${configNamespace}:registry logs the nodes in to exactly one registry host, and the private images are on ${hosts.size}: ${listed}. ` +
        `Sending the credentials to the others would hand them to a third party: keep the private images in one registry (Docker Hub's official images pull without credentials)${ownRegistry[cloud] ? `, or in ${cloud}'s own registry, which the nodes pull from with their identity` : ""}`,
    );
  }
  // With credentials, a DOCR image is a candidate host of its own: two hosts are refused above.
  if (cloud !== "digitalocean" && !credentials) {
    const docr = images.filter((i) => i.registry.kind === "docr");
    if (docr.length > 0) onRegistry(`${registryRefusals.docrCredentials}; ${docr.map((i) => i.path.join(".")).join(", ")} ${docr.length === 1 ? "is" : "are"} there`);
  }
  return problems;
}
