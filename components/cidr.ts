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

/** An IPv4 CIDR block as numbers: the address as written, the prefix length, the block's size. */
interface Block {
  address: number;
  prefix: number;
  size: number;
}

function block(cidr: string): Block {
  const [address, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  return { address: toNumber(address), prefix, size: 2 ** (32 - prefix) };
}

/** The block's network address ("10.0.0.1/16" -> "10.0.0.0/16"): what a range with host bits set must be written as. */
export function networkCidr(cidr: string): string {
  const b = block(cidr);
  return `${toAddress(b.address - (b.address % b.size))}/${b.prefix}`;
}

/** True when the address part has bits set beyond the prefix (the cloud APIs refuse such a range). */
export function hasHostBits(cidr: string): boolean {
  return networkCidr(cidr) !== cidr;
}

/** True when two blocks share at least one address. */
export function overlaps(a: string, b: string): boolean {
  const [x, y] = [block(networkCidr(a)), block(networkCidr(b))];
  return x.address < y.address + y.size && y.address < x.address + x.size;
}

/** True when `inner` lies entirely within `outer`. */
export function within(inner: string, outer: string): boolean {
  const [i, o] = [block(networkCidr(inner)), block(networkCidr(outer))];
  return i.address >= o.address && i.address + i.size <= o.address + o.size;
}

/** The RFC 1918 private ranges. */
export const privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** True when the whole block is inside an RFC 1918 private range. */
export function isPrivate(cidr: string): boolean {
  return privateRanges.some((range) => within(cidr, range));
}

/** The number of addresses in a block of this prefix length. */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}
