/**
 * The rules an image URL must meet before we fetch it, and a DNS lookup that
 * refuses non-public addresses at connect time (so a host cannot pass the check
 * and then resolve elsewhere).
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { KlingError } from '../errors.js';
import { isPublicAddress } from './address-policy.js';

export interface UrlPolicy {
  allowPrivate: boolean;
}

const PRIVATE_HINT =
  'RunComfy fetches image URLs from the public internet, so a URL must be a public https:// one. For an image on this computer, give its ' +
  'absolute path or a file:// URL instead (the server reads it and sends it inline; on unless KLING_MCP_LOCAL_IMAGES=0). For a local test ' +
  'server such as the simulator, set KLING_MCP_ALLOW_PRIVATE_URLS=1. Otherwise upload the image somewhere public, or use a pre-signed URL.';

export function parseImageUrl(label: string, raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KlingError('invalid_input', `${label}: "${raw.slice(0, 200)}" is not a URL. Give a full https:// URL of the image.`);
  }
  const schemes = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    const allowed = policy.allowPrivate ? 'https:// or http://' : 'https://';
    throw new KlingError('invalid_input', `${label}: the URL must start with ${allowed} (got ${url.protocol}//…). ${PRIVATE_HINT}`);
  }
  if (url.username || url.password) {
    throw new KlingError('invalid_input', `${label}: the URL must not carry a user name or password; RunComfy fetches it without logging in. ${PRIVATE_HINT}`);
  }
  // "[::1]" → "::1", and "localhost." is "localhost".
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (!policy.allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && !isPublicAddress(host)))) {
    throw new KlingError('invalid_input', `${label}: ${url.hostname} is a local or private address. ${PRIVATE_HINT}`);
  }
  return url;
}

/** DNS lookup for image fetches: resolves, then refuses any non-public address. */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => !policy.allowPrivate && !isPublicAddress(a.address));
      if (bad) {
        const e = Object.assign(new Error(`${hostname} resolves to ${bad.address}, a local or private address. ${PRIVATE_HINT}`), {
          code: 'EPRIVATEADDRESS',
        });
        return callback(e, '', 0);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}
