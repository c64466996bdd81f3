/**
 * How GCP nodes pull a private image. From Artifact Registry (and the gcr.io hosts it now
 * serves): the nodes' service account gets `roles/artifactregistry.reader` on exactly the
 * repository `nodes.image` names, and the node logs docker in with an access token from
 * the metadata server before each pull (tokens last about an hour). From any other
 * registry: the `ha-topology:registry` credentials are kept in Secret Manager and read
 * with the service account at each start, like the app's secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { shellQuote, type RegistryLogin } from "../../bootstrap";
import type { ArtifactRegistry } from "../../imageReference";
import { credentialsLogin } from "../../registryLogin";
import { secretManagerSource } from "./secretSource";

/** The metadata server's token for the instance's service account. */
const metadataToken =
  "curl -sSf -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";

/** Prints the access token of the metadata server's JSON answer; single-quote free. */
const accessTokenPython = 'import json,sys; print(json.load(sys.stdin)["access_token"])';

/** The boot-time Artifact Registry login: the token goes to docker through a pipe, never argv. */
export function artifactRegistryLogin(registry: ArtifactRegistry): RegistryLogin {
  return {
    description: `Artifact Registry ${registry.host}`,
    command: `${metadataToken} | python3 -c '${accessTokenPython}' | docker login --username oauth2accesstoken --password-stdin ${shellQuote(`https://${registry.host}`)}`,
  };
}

/** A login with credentials read from a pinned Secret Manager version (`{"username", "password"}`). */
export function secretManagerLogin(host: string, versionName: string): RegistryLogin {
  return credentialsLogin(`${host} (credentials from Secret Manager)`, host, secretManagerSource("registry credentials", versionName).command);
}

/**
 * Says what the user must know when the repository is in another project or location:
 * the program grants the reader role on that repository (so whoever runs `pulumi up`
 * needs permission to set its IAM policy), and a pull across locations depends on them.
 */
export function explainRepositoryPlacement(registry: ArtifactRegistry, project: string, region: string, parent: pulumi.Resource): void {
  if (registry.project !== project) {
    pulumi.log.info(`nodes.image is in project ${registry.project}, the stack in ${project}: the program grants the nodes roles/artifactregistry.reader on repository ${registry.repository} there, so the identity running pulumi up needs artifactregistry.repositories.setIamPolicy on it`, parent);
  }
  if (registry.location !== region && !region.startsWith(`${registry.location}-`)) {
    pulumi.log.info(`nodes.image is in Artifact Registry location ${registry.location}, the stack in ${region}: pulls cross regions (egress is billed, and new nodes depend on ${registry.location})`, parent);
  }
}
