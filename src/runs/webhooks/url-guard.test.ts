import { describe, expect, it } from 'vitest';
import { addressProblem, callbackUrlProblem, guardedLookup, parseAllowHosts, RefusedAddressError } from './url-guard.js';

const none = parseAllowHosts([]);

describe('callback URL guard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'rfc6052'],
  ])('refuses %s (%s)', (ip, range) => {
    expect(addressProblem(ip)).toContain(range);
  });

  it('refuses localhost by name, fully qualified (trailing dot) or not', () => {
    for (const url of ['https://localhost/h', 'https://localhost./h', 'https://api.localhost../h', 'https://127.0.0.1./h']) {
      expect(callbackUrlProblem(url, none)).toMatch(/loopback/);
    }
  });

  it('accepts public unicast addresses and https URLs naming public hosts', () => {
    expect(addressProblem('8.8.8.8')).toBeNull();
    expect(addressProblem('2606:4700::1111')).toBeNull();
    expect(callbackUrlProblem('https://example.com/hook?token=1', none)).toBeNull();
    expect(callbackUrlProblem('https://93.184.216.34/hook', none)).toBeNull();
  });

  it('lets an allow-listed host or host:port through, and only that port when one is given', () => {
    expect(callbackUrlProblem('https://10.0.0.5/hook', parseAllowHosts(['10.0.0.5']))).toBeNull();
    expect(callbackUrlProblem('https://internal.svc:8443/hook', parseAllowHosts(['INTERNAL.svc:8443']))).toBeNull();
    expect(callbackUrlProblem('https://127.0.0.1:9000/hook', parseAllowHosts(['127.0.0.1:9001']))).toContain('loopback');
    expect(callbackUrlProblem('http://10.0.0.5/hook', parseAllowHosts(['10.0.0.5']))).toContain('https');
  });

  it('refuses at connection time a name that resolves to a private address (DNS rebinding)', async () => {
    const err = await new Promise<unknown>((resolve) => guardedLookup('localhost', { all: true }, (e) => resolve(e)));
    expect(err).toBeInstanceOf(RefusedAddressError);
    expect((err as Error).message).toMatch(/localhost.*loopback/);
  });
});
