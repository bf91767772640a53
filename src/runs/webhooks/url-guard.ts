import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which callback URLs the server may POST to. A webhook is a request the server
 * makes on a caller's behalf, so without this guard a caller could make it reach
 * internal services (SSRF): only https, and only public unicast addresses —
 * loopback, private (RFC 1918), link-local (169.254.0.0/16, cloud metadata),
 * CGNAT, unique-local IPv6, IPv4-mapped/NAT64/6to4/Teredo forms and every other
 * special-purpose range (ipaddr.js's table) are refused, unless the host is in
 * the allow list (`webhooks.allow_hosts` / WEBHOOK_ALLOW_HOSTS).
 * The literal host is checked when a URL is accepted; the addresses DNS gives
 * are checked again at every delivery, on the very addresses the socket then
 * connects to (so DNS rebinding cannot swap them in between).
 */

/** Normalized `host` and `host:port` entries exempt from the address checks. */
export type AllowHosts = ReadonlySet<string>;

/** Reads `host[:port]` entries (IPv6 hosts in brackets), lower-cased. */
export function parseAllowHosts(entries: Iterable<string>): AllowHosts {
  const set = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry) set.add(entry);
  }
  return set;
}

/** The URL's host as written in it (IPv6 with brackets), lower-cased. */
const hostOf = (url: URL): string => url.hostname.toLowerCase();

/** Whether the URL's host (any port) or host:port is allow-listed. */
export function isAllowedHost(url: URL, allow: AllowHosts): boolean {
  const host = hostOf(url);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allow.has(host) || allow.has(`${host}:${port}`);
}

/** Why an IP address may not be called back, or null when it is public unicast. */
export function addressProblem(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return `'${address}' is not an IP address`;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unicast' ? null : `address ${parsed.toString()} is ${range} (not a public address)`;
}

/**
 * Why a callback URL is refused when it is given (literal checks only), or null.
 * Messages name what is wrong so the 400 can say it.
 */
export function callbackUrlProblem(value: string, allow: AllowHosts): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'https:') return `must use https (got ${url.protocol.replace(':', '')})`;
  if (isAllowedHost(url, allow)) return null;
  const host = hostOf(url);
  if (isIP(host.replace(/^\[|\]$/g, ''))) return addressProblem(host);
  // A fully qualified name may end with dots (`localhost.`): the same host to DNS.
  const name = host.replace(/\.+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return `host '${host}' is loopback`;
  return null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A refused address, as the error a socket's lookup reports (code ECALLBACKREFUSED). */
export class RefusedAddressError extends Error {
  readonly code = 'ECALLBACKREFUSED';
  constructor(host: string, problem: string) {
    super(`callback host '${host}' refused: ${problem}`);
    this.name = 'RefusedAddressError';
  }
}

/**
 * A `lookup` for net/tls.connect that resolves like the system resolver and
 * refuses the connection when ANY resolved address is not public, so the
 * address that was checked is the address connected to. (Allow-listed hosts
 * and literal IPs never reach it: the deliverer checks those itself.)
 */
export function guardedLookup(hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const a of addresses) {
      const problem = addressProblem(a.address);
      if (problem) return callback(new RefusedAddressError(hostname, problem), []);
    }
    if ((options as LookupAllOptions).all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}
