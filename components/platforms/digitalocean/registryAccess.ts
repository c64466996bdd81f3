/**
 * How droplets pull a private image. DigitalOcean has no instance identity and no secret
 * store, so both paths end in a docker config.json embedded in the droplets' user data
 * (a Pulumi secret), written root-only on the droplet and installed into docker's tmpfs
 * config before each pull:
 * - from DigitalOcean Container Registry: read-only credentials the program creates
 *   (`ContainerRegistryDockerCredentials`, `write: false`);
 * - from any other registry: the `ha-topology:registry` credentials.
 *
 * The DOCR credentials get no expiry (the provider's default, about 50 years): an expiring
 * one would have to be renewed by a `pulumi up` before it lapsed, and each renewal changes
 * the user data, which replaces every droplet; a lapsed one stops every replacement
 * droplet from pulling. To rotate it, replace the resource (see the README).
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { bootstrapPaths, type RegistryLogin } from "../../bootstrap";
import type { Registry } from "../../imageReference";
import { dockerConfigJson, embeddedDockerConfigLogin } from "../../registryLogin";
import type { RegistrySpec } from "../../topology";

/**
 * The docker config the droplets log in with (a secret Output), or undefined for a
 * public image. Registers the DOCR credentials when the image is in DOCR.
 */
export function registryDockerConfig(
  name: string,
  registry: Registry,
  credentials: RegistrySpec | undefined,
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> | undefined {
  if (registry.kind === "docr") {
    const docr = new digitalocean.ContainerRegistryDockerCredentials(`${name}-registry`, { registryName: registry.registry, write: false }, opts);
    return pulumi.secret(docr.dockerCredentials);
  }
  if (credentials) return pulumi.secret(dockerConfigJson(registry.host, credentials));
  return undefined;
}

/** The droplets' login: install the embedded docker config before each pull. */
export function embeddedRegistryLogin(registry: Registry, dockerConfig: string): RegistryLogin {
  const what = registry.kind === "docr" ? `DigitalOcean Container Registry ${registry.registry}` : registry.host;
  return embeddedDockerConfigLogin(what, dockerConfig, bootstrapPaths.registryDockerConfig);
}
