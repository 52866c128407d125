import { describe, expect, it } from 'vitest';
import { blockedAddress } from './address-rule.ts';

describe('addresses a SET may be pushed to (SECURITY.md "Grant events")', () => {
  it.each([
    // [address, blocked by default, blocked with VAULT_EVENTS_ALLOW_PRIVATE_ADDRESSES=1]
    ['93.184.215.14', false, false],
    ['2606:4700::1111', false, false],
    ['169.254.169.254', true, true],
    ['::ffff:169.254.169.254', true, true],
    ['::ffff:a9fe:a9fe', true, true],
    ['fe80::1', true, true],
    ['0.0.0.0', true, true],
    ['::', true, true],
    ['224.0.0.1', true, true],
    ['255.255.255.255', true, true],
    ['64:ff9b::a9fe:a9fe', true, true],
    ['2002:a9fe:a9fe::1', true, true],
    ['127.0.0.1', true, false],
    ['127.8.9.10', true, false],
    ['::1', true, false],
    ['::ffff:127.0.0.1', true, false],
    ['10.1.2.3', true, false],
    ['172.16.0.1', true, false],
    ['172.31.255.255', true, false],
    ['192.168.1.1', true, false],
    ['100.64.0.1', true, false],
    ['fd00::1', true, false],
    ['172.32.0.1', false, false],
    // IPv6 forms that wrap an IPv4 address: IPv4-compatible (RFC 4291 §2.5.5.1), SIIT (RFC 2765), NAT64 (RFC 6052).
    ['::10.0.0.1', true, true],
    ['::a00:1', true, true],
    ['::127.0.0.1', true, true],
    ['::8.8.8.8', true, true],
    ['::2', true, true],
    ['::ffff:0:10.0.0.1', true, true],
    ['0:0:0:0:ffff:0:7f00:1', true, true],
    ['::ffff:0:a9fe:a9fe', true, true],
    ['64:ff9b::10.0.0.1', true, true],
    ['64:ff9b::c0a8:101', true, true],
  ])('%s: blocked by default %s, with private addresses allowed %s', (address, byDefault, whenAllowed) => {
    expect(blockedAddress(address, false) !== undefined).toBe(byDefault);
    expect(blockedAddress(address, true) !== undefined).toBe(whenAllowed);
  });
});
