/**
 * The keys the gcp provider reads from its `gcp:` config namespace, taken from the
 * installed provider itself, so a misspelled provider key ("gcp:regoin") is refused with
 * the right one instead of being ignored. Loads only the provider's config module.
 */
export const providerKeys: readonly string[] = Object.keys(require("@pulumi/gcp/config/vars") as Record<string, unknown>);
