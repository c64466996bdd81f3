/**
 * IPv4 subnet arithmetic for splitting a VPC range into per-zone subnets, so adapters
 * never hard-code subnet ranges.
 */

function toNumber(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * The `index`-th subnet of `cidr` that is `newBits` longer (like Terraform's cidrsubnet):
 * subnetCidr("10.0.0.0/16", 4, 1) is "10.0.16.0/20".
 */
export function subnetCidr(cidr: string, newBits: number, index: number): string {
  const [address, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  const length = prefix + newBits;
  if (length > 28 || index < 0 || index >= 2 ** newBits) {
    throw new RangeError(`cannot take subnet ${index} of /${length} from ${cidr}`);
  }
  const size = 2 ** (32 - length);
  const base = toNumber(address) - (toNumber(address) % 2 ** (32 - prefix));
  return `${toAddress(base + index * size)}/${length}`;
}
