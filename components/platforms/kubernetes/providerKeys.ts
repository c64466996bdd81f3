/**
 * The keys the kubernetes provider reads from its `kubernetes:` config namespace (the
 * provider's `ProviderArgs`; its SDK ships no config module to read them from). A test
 * compares this list with the installed provider's typings.
 */
export const providerKeys: readonly string[] = [
  "alwaysRender", "cluster", "clusterIdentifier", "context", "deleteUnreachable", "enableConfigMapMutable",
  "enablePatchForce", "enableSecretMutable", "enableServerSideApply", "helmReleaseSettings", "kubeClientSettings",
  "kubeconfig", "namespace", "renderYamlToDirectory", "skipUpdateUnreachable", "suppressDeprecationWarnings",
  "suppressHelmHookWarnings", "upsertExistingObjects",
];
