import ipaddr from "ipaddr.js";

/**
 * Where a webhook may be sent (the SSRF guard, docs/webhooks.md). An allow-list: only addresses
 * that ipaddr.js classifies as public unicast pass. Everything else — loopback, RFC 1918 private,
 * link-local (169.254/16, fe80::/10), unique-local (fc00::/7), carrier-grade NAT, unspecified,
 * multicast, broadcast, reserved and documentation ranges, NAT64/6to4/Teredo forms that embed
 * an IPv4 address — is refused. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4
 * address it carries.
 *
 * `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE=1, for development and tests) also admits loopback,
 * private, link-local, unique-local and CGNAT addresses — but never a cloud metadata address,
 * the unspecified address, multicast or broadcast.
 */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** Instance metadata services: reachable from inside a cloud VM, and never a webhook receiver. */
const METADATA = ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200"].map((a) =>
  ipaddr.parse(a).toNormalizedString(),
);

const PRIVATE_RANGES = new Set(["loopback", "private", "linkLocal", "uniqueLocal", "carrierGradeNat"]);

export function judgeAddress(address: string, opts: { allowPrivate: boolean }): AddressVerdict {
  if (!ipaddr.isValid(address)) return { allowed: false, reason: `not an IP address: ${address}` };
  // process(): an IPv4-mapped IPv6 address becomes the IPv4 address it carries.
  const ip = ipaddr.process(address);
  const normal = ip.toNormalizedString();
  if (METADATA.includes(normal)) return { allowed: false, reason: `${normal} is a cloud metadata address` };
  const range = ip.range();
  if (range === "unicast") return { allowed: true };
  if (opts.allowPrivate && PRIVATE_RANGES.has(range)) return { allowed: true };
  return { allowed: false, reason: `${normal} is in a refused range (${range})` };
}
