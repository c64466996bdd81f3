/**
 * The keys the aws provider reads from its `aws:` config namespace, taken from the
 * installed provider itself, so a misspelled provider key ("aws:regoin") is refused with
 * the right one instead of being ignored. Loads only the provider's config module.
 */
export const providerKeys: readonly string[] = Object.keys(require("@pulumi/aws/config/vars") as Record<string, unknown>);
