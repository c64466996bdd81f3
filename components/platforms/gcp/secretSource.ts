/**
 * How a GCP node reads a Secret Manager secret at boot: a token from the metadata server
 * and one REST call, with curl and python3 only (no gcloud on the image, no extra agent).
 */
import type { SecretSource } from "../../bootstrap";

/** Decodes an `:access` response; single-quote free, so the shell command can quote it. */
const accessPayload = [
  "import base64,json,sys,urllib.request",
  'token=json.load(sys.stdin)["access_token"]',
  'request=urllib.request.Request("https://secretmanager.googleapis.com/v1/"+sys.argv[1]+":access",headers={"Authorization":"Bearer "+token})',
  'print(base64.b64decode(json.load(urllib.request.urlopen(request,timeout=10))["payload"]["data"]).decode())',
].join("\n");

/**
 * A boot-time read of one pinned secret version (`projects/<p>/secrets/<s>/versions/<n>`)
 * with the node's service account. The pinned version makes a changed secret a changed
 * template, hence a rolling replacement.
 */
export function secretManagerSource(description: string, versionName: string, fields?: Record<string, string>): SecretSource {
  if (!/^projects\/[^\s'"]+\/secrets\/[^\s'"]+\/versions\/[^\s'"]+$/.test(versionName)) {
    throw new Error(`not a Secret Manager version name: ${versionName}`);
  }
  return {
    description,
    command:
      "curl -sSf -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token" +
      ` | python3 -c '${accessPayload}' ${versionName}`,
    ...(fields && { fields }),
  };
}
