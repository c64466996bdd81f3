/**
 * Every dynamic provider of ha-topology, by resource type: the entry of the `providers`
 * bundle (build.js -> dist/providers.js) that the provider host loads through each
 * resource's short `__provider` text (shippedDynamicResource.ts). The providers run the
 * real world (global fetch, the cloud SDKs the project has installed); tests inject fakes
 * through the factories themselves.
 */
import type * as pulumi from "@pulumi/pulumi";
import { databaseIdentityProvider } from "./databaseIdentity";
import { invalidationProvider } from "./platforms/aws/cdnInvalidation";
import { refreshWaitProvider } from "./platforms/aws/refreshWait";
import { drainGuardProvider, healthGateProvider, poolReleaseProvider } from "./platforms/digitalocean/healthGate";
import { poolReadyProvider } from "./platforms/digitalocean/poolReady";
import { workerGateProvider } from "./platforms/digitalocean/workerGate";
import { scaleWaitProvider as gcpScaleWaitProvider } from "./platforms/gcp/scaleWait";
import { scaleWaitProvider as kubernetesScaleWaitProvider } from "./platforms/kubernetes/scaleWait";
import type { ShippedProviderType } from "./shippedDynamicResource";

/** The provider of each type, made when the host first needs it (no argument: the real world). */
export const providers: Record<ShippedProviderType, () => pulumi.dynamic.ResourceProvider> = {
  DatabaseIdentity: () => databaseIdentityProvider(),
  CdnInvalidation: () => invalidationProvider(),
  RefreshWait: () => refreshWaitProvider(),
  GcpScaleWait: () => gcpScaleWaitProvider(),
  ScaleWait: () => kubernetesScaleWaitProvider(),
  DropletHealthGate: () => healthGateProvider(),
  DropletDrainGuard: () => drainGuardProvider(),
  DropletPoolRelease: () => poolReleaseProvider(),
  DropletPoolReady: () => poolReadyProvider(),
  DropletWorkerGate: () => workerGateProvider(),
};
