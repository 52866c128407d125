import { BlockList, isIP } from 'node:net';

/**
 * Where the vault may push a SET (SECURITY.md "Grant events", endpoints): never to an address that is not a
 * public unicast host (link-local and cloud metadata, unspecified, multicast, reserved, documentation, NAT64,
 * 6to4, SIIT and IPv4-compatible wrappers), and to loopback, private, unique-local or shared (CGNAT) networks only when the operator
 * opted out with VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES=1 (a developer running their receiver on their own
 * machine, tests). Strict is the default: a deployment that forgot a setting must not become a proxy into its
 * own network. The rule is applied to the address a connection is actually made to (post-set.ts resolves the
 * name and connects to the checked address), so a DNS name cannot lead around it.
 */
const never = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network" (RFC 791); 0.0.0.0 reaches the local host
  ['169.254.0.0', 16], // link-local (RFC 3927): cloud metadata services live here
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation (RFC 5737)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const)
  never.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['64:ff9b::', 96], // NAT64 (RFC 6052): would wrap any IPv4 address
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard-only (RFC 6666)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4 (RFC 3056): would wrap any IPv4 address
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  never.addSubnet(net, bits, 'ipv6');

/**
 * IPv4-compatible (::a.b.c.d, RFC 4291 §2.5.5.1, deprecated) and SIIT-translated (::ffff:0:a.b.c.d, RFC 2765
 * §2.1) addresses would wrap any IPv4 address, as NAT64 and 6to4 do. BlockList folds ::ffff:0:0/96 into IPv4,
 * so they are recognised on the RFC 5952 form the URL parser gives: :: and ::1 share ::/96 and are judged as
 * themselves (unspecified, loopback).
 */
function wrapsIpv4(address: string): boolean {
  const canonical = new URL(`http://[${address}]/`).hostname;
  return canonical !== '[::1]' && /^\[::(ffff:0:)?([0-9a-f]{1,4}:)?[0-9a-f]{1,4}\]$/.test(canonical);
}

const local = new BlockList();
for (const [net, bits] of [
  ['127.0.0.0', 8], // loopback
  ['10.0.0.0', 8], // private (RFC 1918)
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10], // shared address space (RFC 6598)
] as const)
  local.addSubnet(net, bits, 'ipv4');
local.addAddress('::1', 'ipv6');
local.addSubnet('fc00::', 7, 'ipv6'); // unique local (RFC 4193)

/** Strips the brackets URL.hostname keeps around an IPv6 literal. */
export const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why the vault must not connect to this IP address, or undefined when it may. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) are judged as the IPv4 address they carry (BlockList does this itself).
 */
export function blockedAddress(address: string, allowPrivate: boolean): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (never.check(address, type)) return 'not a public unicast address';
  if (type === 'ipv6' && wrapsIpv4(address)) return 'not a public unicast address';
  if (!allowPrivate && local.check(address, type)) return 'a loopback or private address';
  return undefined;
}
