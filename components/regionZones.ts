/**
 * The regions each cloud offers and the zones in each: the one table the program checks
 * `network.zones` and the provider's region against before any resource exists, and the
 * offline mocks answer zone look-ups from (so an offline plan shows the region's real
 * zones, not four for every region).
 *
 * The tables list what a new account can use (AWS opt-in regions included: they must be
 * enabled on the account first). When a cloud opens a region, add it here: the program
 * refuses names it does not know, because a region name reaches root commands on the
 * nodes and a typo would otherwise fail only after half the stack exists.
 */

/** A region's zones, as the cloud names them. */
export interface RegionZones {
  /** Zone names in the order the cloud lists them ("us-east-1a", "europe-west1-b"). */
  names: string[];
  /** AWS zone IDs ("use1-az1"), which are the same for every account; empty on GCP. */
  ids: string[];
}

/**
 * AWS: region -> the letters of its availability zones open to new accounts. us-west-1
 * shows new accounts two of its three zones; ap-northeast-1 has three open zones (a, c, d).
 */
const awsZoneLetters: Record<string, string> = {
  "us-east-1": "abcdef",
  "us-east-2": "abc",
  "us-west-1": "bc",
  "us-west-2": "abcd",
  "af-south-1": "abc",
  "ap-east-1": "abc",
  "ap-east-2": "abc",
  "ap-south-1": "abc",
  "ap-south-2": "abc",
  "ap-southeast-1": "abc",
  "ap-southeast-2": "abc",
  "ap-southeast-3": "abc",
  "ap-southeast-4": "abc",
  "ap-southeast-5": "abc",
  "ap-southeast-6": "abc",
  "ap-southeast-7": "abc",
  "ap-northeast-1": "acd",
  "ap-northeast-2": "abcd",
  "ap-northeast-3": "abc",
  "ca-central-1": "abd",
  "ca-west-1": "abc",
  "eu-central-1": "abc",
  "eu-central-2": "abc",
  "eu-west-1": "abc",
  "eu-west-2": "abc",
  "eu-west-3": "abc",
  "eu-south-1": "abc",
  "eu-south-2": "abc",
  "eu-north-1": "abc",
  "il-central-1": "abc",
  "me-south-1": "abc",
  "me-central-1": "abc",
  "mx-central-1": "abc",
  "sa-east-1": "abc",
  "us-gov-east-1": "abc",
  "us-gov-west-1": "abc",
  "cn-north-1": "abc",
  "cn-northwest-1": "abc",
};

/**
 * GCP: region -> the letters of its zones. Most regions have a, b and c; a few older ones
 * start at b, and us-central1 has four.
 */
const gcpZoneLetters: Record<string, string> = {
  "africa-south1": "abc",
  "asia-east1": "abc",
  "asia-east2": "abc",
  "asia-northeast1": "abc",
  "asia-northeast2": "abc",
  "asia-northeast3": "abc",
  "asia-south1": "abc",
  "asia-south2": "abc",
  "asia-southeast1": "abc",
  "asia-southeast2": "abc",
  "australia-southeast1": "abc",
  "australia-southeast2": "abc",
  "europe-central2": "abc",
  "europe-north1": "abc",
  "europe-north2": "abc",
  "europe-southwest1": "abc",
  "europe-west1": "bcd",
  "europe-west2": "abc",
  "europe-west3": "abc",
  "europe-west4": "abc",
  "europe-west6": "abc",
  "europe-west8": "abc",
  "europe-west9": "abc",
  "europe-west10": "abc",
  "europe-west12": "abc",
  "me-central1": "abc",
  "me-central2": "abc",
  "me-west1": "abc",
  "northamerica-northeast1": "abc",
  "northamerica-northeast2": "abc",
  "northamerica-south1": "abc",
  "southamerica-east1": "abc",
  "southamerica-west1": "abc",
  "us-central1": "abcf",
  "us-east1": "bcd",
  "us-east4": "abc",
  "us-east5": "abc",
  "us-south1": "abc",
  "us-west1": "abc",
  "us-west2": "abc",
  "us-west3": "abc",
  "us-west4": "abc",
};

/** DigitalOcean's droplet regions. They have no zones: HA there spreads over hypervisors. */
export const digitaloceanRegions = ["nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "ams2", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1", "ric1"] as const;

/** The clouds whose regions are listed here. */
export type RegionCloud = "aws" | "gcp" | "digitalocean";

/** What a region name must look like, per cloud (checked before the table, with an example). */
export const regionPatterns: Record<RegionCloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/, example: "us-east-1" },
  gcp: { pattern: /^[a-z]+-[a-z]+\d{1,2}$/, example: "europe-west1" },
  digitalocean: { pattern: /^[a-z]{3}\d$/, example: "fra1" },
};

/** The known region names of a cloud, sorted. */
export function knownRegions(cloud: RegionCloud): string[] {
  if (cloud === "aws") return Object.keys(awsZoneLetters).sort();
  if (cloud === "gcp") return Object.keys(gcpZoneLetters).sort();
  return [...digitaloceanRegions].sort();
}

/** "us-east-1" -> "use1", "ap-southeast-2" -> "apse2", "us-gov-west-1" -> "usgw1" (AWS zone ID prefixes). */
function awsRegionCode(region: string): string {
  const parts = region.split("-");
  const number = parts.pop() ?? "";
  const [area, ...rest] = parts;
  const direction = (word: string) => (/^(north|south)(east|west)$/.test(word) ? word[0] + word[5] : word[0]);
  return `${area}${rest.map(direction).join("")}${number}`;
}

/** The zones of a known region (names and, on AWS, IDs); undefined when the table does not list it. */
export function regionZones(cloud: "aws" | "gcp", region: string): RegionZones | undefined {
  if (cloud === "aws") {
    const letters = awsZoneLetters[region];
    if (letters === undefined) return undefined;
    const code = awsRegionCode(region);
    return { names: [...letters].map((l) => `${region}${l}`), ids: [...letters].map((l) => `${code}-az${l.charCodeAt(0) - 96}`) };
  }
  const letters = gcpZoneLetters[region];
  return letters === undefined ? undefined : { names: [...letters].map((l) => `${region}-${l}`), ids: [] };
}
