/**
 * Container image references: where an image lives (registry host, repository, tag or
 * digest) and which kind of registry that is. Pure, so the parser, every adapter and the
 * tests agree on what `nodes.image` names; private-registry access is scoped to exactly
 * the repository found here.
 */

/** An image reference split the way Docker resolves it. */
export interface ImageReference {
  /** The registry host, with its port if any; `docker.io` for Docker Hub (also when no host is written). */
  host: string;
  /** The repository path inside the registry: `library/nginx` for `nginx`, `acme/web` for `ghcr.io/acme/web:1`. */
  repository: string;
  /** The tag, when the reference has one. */
  tag?: string;
  /** The digest (`sha256:...`), when the reference has one. */
  digest?: string;
}

/** An Amazon ECR private repository. */
export interface EcrRegistry {
  kind: "ecr";
  /** The registry host (`<account>.dkr.ecr.<region>.amazonaws.com`). */
  host: string;
  /** The 12-digit account that owns the repository. */
  account: string;
  /** The repository's region. */
  region: string;
  /** The ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
  /** The repository name (may contain `/`). */
  repository: string;
}

/** A Google Artifact Registry Docker repository (also the legacy `gcr.io` hosts, which Artifact Registry now serves). */
export interface ArtifactRegistry {
  kind: "artifact-registry";
  /** The registry host (`<location>-docker.pkg.dev` or `[us.|eu.|asia.]gcr.io`). */
  host: string;
  /** The project that owns the repository (`example.com:project` for a domain-scoped project). */
  project: string;
  /** The repository's location: a region, or the multi-region `us`, `europe`, `asia`. */
  location: string;
  /** The Artifact Registry repository ID (the first path part after the project; `gcr.io` for gcr.io images). */
  repository: string;
}

/** A DigitalOcean Container Registry repository. */
export interface DigitalOceanRegistry {
  kind: "docr";
  /** `registry.digitalocean.com`. */
  host: string;
  /** The registry's name (one per account). */
  registry: string;
  /** The repository inside the registry. */
  repository: string;
}

/** Any other registry (Docker Hub, GitHub, GitLab, Quay, a self-hosted one, ...). */
export interface OtherRegistry {
  kind: "other";
  /** The registry host. */
  host: string;
}

/** Which registry an image is in. */
export type Registry = EcrRegistry | ArtifactRegistry | DigitalOceanRegistry | OtherRegistry;

/** One path component of a repository, as Docker's reference grammar defines it. */
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A registry host: DNS labels, optionally a port. */
const hostPattern = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** Docker Hub's other names: all mean `docker.io`. */
const dockerHubAliases = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/**
 * Splits an image reference (`[host[:port]/]path[:tag][@digest]`). The first path part
 * is a host only when it contains `.` or `:` or is `localhost`, as in Docker; otherwise
 * the image is on Docker Hub, and a one-part name is an official image (`library/`).
 * Throws on a reference Docker would refuse.
 */
export function parseImageReference(image: string): ImageReference {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw new Error(`image ${JSON.stringify(image)}: the digest is not sha256:<64 hex digits>`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw new Error(`image ${JSON.stringify(image)}: ${JSON.stringify(tag)} is not a valid tag`);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : undefined;
  let host = "docker.io";
  let repository = rest;
  if (first !== undefined && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!hostPattern.test(first)) throw new Error(`image ${JSON.stringify(image)}: ${JSON.stringify(first)} is not a registry host`);
    host = first.toLowerCase();
    repository = rest.slice(slash + 1);
  }
  if (dockerHubAliases.has(host)) {
    host = "docker.io";
    if (!repository.includes("/")) repository = `library/${repository}`;
  }
  if (repository === "" || !repository.split("/").every((part) => pathComponent.test(part))) {
    throw new Error(`image ${JSON.stringify(image)}: ${JSON.stringify(repository)} is not a repository path (lower-case letters, digits, separators)`);
  }
  return { host, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

const ecrHost = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;
/** ECR's dual-stack endpoints. */
const ecrDualStackHost = /^(\d{12})\.dkr-ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.on\.aws$/;
const artifactRegistryHost = /^([a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev$/;
/** Where Artifact Registry keeps each gcr.io host's repository. */
const gcrLocations: Record<string, string> = { "gcr.io": "us", "us.gcr.io": "us", "eu.gcr.io": "europe", "asia.gcr.io": "asia" };

function awsPartition(region: string, chinaHost: boolean): string {
  if (chinaHost || region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * The project and the rest of a Google image path. A domain-scoped project
 * (`example.com:my-project`) is written `example.com/my-project` in image paths; project
 * IDs never contain a dot otherwise.
 */
function googleProject(parts: string[]): { project: string; rest: string[] } {
  if (parts[0]?.includes(".") && parts.length > 1) return { project: `${parts[0]}:${parts[1]}`, rest: parts.slice(2) };
  return { project: parts[0] ?? "", rest: parts.slice(1) };
}

/**
 * Which registry an image is in, or a sentence saying why a cloud registry's reference
 * is incomplete (e.g. an Artifact Registry path without an image name).
 */
export function classifyRegistry(ref: ImageReference): Registry | { kind: "invalid"; problem: string } {
  const ecr = ecrHost.exec(ref.host) ?? ecrDualStackHost.exec(ref.host);
  if (ecr) {
    const region = ecr[2];
    return { kind: "ecr", host: ref.host, account: ecr[1], region, partition: awsPartition(region, ecr[3] !== undefined), repository: ref.repository };
  }
  const parts = ref.repository.split("/");
  const ar = artifactRegistryHost.exec(ref.host);
  if (ar) {
    const { project, rest } = googleProject(parts);
    if (rest.length < 2) {
      return { kind: "invalid", problem: `an Artifact Registry image as ${ref.host}/PROJECT/REPOSITORY/IMAGE (the repository and the image name are both needed)` };
    }
    return { kind: "artifact-registry", host: ref.host, project, location: ar[1], repository: rest[0] };
  }
  if (ref.host in gcrLocations) {
    const { project, rest } = googleProject(parts);
    if (rest.length < 1) return { kind: "invalid", problem: `a gcr.io image as ${ref.host}/PROJECT/IMAGE` };
    return { kind: "artifact-registry", host: ref.host, project, location: gcrLocations[ref.host], repository: ref.host };
  }
  if (ref.host === "registry.digitalocean.com") {
    if (parts.length < 2) return { kind: "invalid", problem: "a DigitalOcean Container Registry image as registry.digitalocean.com/REGISTRY/REPOSITORY" };
    return { kind: "docr", host: ref.host, registry: parts[0], repository: parts.slice(1).join("/") };
  }
  return { kind: "other", host: ref.host };
}

/** The registry of an image reference string (parse, then classify). */
export function registryOf(image: string): Registry | { kind: "invalid"; problem: string } {
  return classifyRegistry(parseImageReference(image));
}

/**
 * The key Docker files a registry's login under in config.json (`auths`): Docker Hub's
 * is its historical v1 URL, every other registry's is its host.
 */
export function dockerAuthKey(host: string): string {
  return host === "docker.io" ? "https://index.docker.io/v1/" : host;
}
