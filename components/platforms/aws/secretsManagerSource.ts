/**
 * The boot-time read of one Secrets Manager secret with the node's role, pinned to a
 * version: a changed secret is then a changed user data, hence a rolling refresh.
 */
import type { SecretSource } from "../../bootstrap";
import { quoteForMessage } from "../../nodeText";

/** A boot-time read of one Secrets Manager secret with the node's role. */
export function secretsManagerSource(description: string, arn: string, region: string, versionId: string | undefined, fields?: Record<string, string>): SecretSource {
  // The command runs as root, and the region comes from provider config: plain words only.
  for (const [what, value, pattern] of [
    ["region", region, /^[a-z]{2}(-[a-z]+)+-\d+$/],
    ["secret ARN", arn, /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/],
    ["secret version", versionId, /^[A-Za-z0-9-]{1,64}$/],
  ] as const) {
    if (typeof value !== "string" || !pattern.test(value)) throw new Error(`aws: ${description}: the ${what} ${quoteForMessage(String(value))} is not one a shell command may carry`);
  }
  // The pinned version makes a changed secret a changed user data, hence a rolling refresh.
  return {
    description,
    command: `aws secretsmanager get-secret-value --region ${region} --secret-id ${arn} --version-id ${versionId} --query SecretString --output text`,
    ...(fields && { fields }),
  };
}
