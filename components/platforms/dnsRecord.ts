/** A DNS record the user must create (when the program has no zone to write to); every platform returns them. */
export interface DnsRecord {
  /** Fully qualified record name. */
  name: string;
  /** Record type: CNAME, A, AAAA or ALIAS (an apex alias where the DNS host offers it). */
  type: string;
  /** Record value. */
  value: string;
  /** Why the record is needed (serving traffic, certificate validation, ...). */
  purpose: string;
}
