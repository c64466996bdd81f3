/**
 * The keys the digitalocean provider reads from its `digitalocean:` config namespace, taken from the
 * installed provider itself, so a misspelled provider key ("digitalocean:regoin") is refused with
 * the right one instead of being ignored. Loads only the provider's config module.
 */
export const providerKeys: readonly string[] = [
  ...Object.keys(require("@pulumi/digitalocean/config/vars") as Record<string, unknown>),
  // Not the provider's (DigitalOcean resources take a region each): the adapter reads it.
  "region",
];
