// Keycloak-style userinfo endpoint for the realm's JWT access tokens (oidc-provider serves userinfo only for opaque tokens).
import { verify } from 'node:crypto';

import { sendJson } from './http.mjs';

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** The payload of an RS256 access token this realm signed and that is still valid, or undefined. */
function verifyAccessToken(token, { keyRing, issuer }) {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  try {
    const header = decodeSegment(parts[0]);
    const key = header.alg === 'RS256' ? keyRing.publicKey(header.kid) : undefined;
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
    if (!key || !verify('sha256', signed, key, Buffer.from(parts[2], 'base64url'))) {
      return undefined;
    }
    const payload = decodeSegment(parts[1]);
    const now = Math.floor(Date.now() / 1000);
    const valid = payload.iss === issuer
      && payload.typ === 'Bearer'
      && typeof payload.exp === 'number'
      && payload.exp > now;
    return valid ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Handles GET/POST/OPTIONS on the userinfo route: a bearer access token in, the user's claims for the
 * token's client (its `userinfo` mappers) out. Browser origins are checked against the client's web origins.
 */
export function createUserinfoHandler({ realm, keyRing, issuer }) {
  return function handleUserinfo(req, res) {
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Origin': origin ?? '*',
        'Access-Control-Allow-Methods': 'GET,POST',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Authorization',
        'Access-Control-Max-Age': '3600',
        Vary: 'Origin',
      });
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendJson(res, 405, { error: 'invalid_request', error_description: 'use GET or POST' }, { Allow: 'GET, POST, OPTIONS' });
      return;
    }

    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    const payload = scheme?.toLowerCase() === 'bearer' && token ? verifyAccessToken(token, { keyRing, issuer }) : undefined;
    const user = payload && realm.userById(payload.sub);
    const cors = origin && payload && realm.webOriginAllowed(payload.azp, origin)
      ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'WWW-Authenticate', Vary: 'Origin' }
      : { Vary: 'Origin' };
    if (!user) {
      sendJson(res, 401, { error: 'invalid_token', error_description: 'Token verification failed' }, {
        ...cors,
        'WWW-Authenticate': `Bearer realm="${realm.name}", error="invalid_token", error_description="Token verification failed"`,
      });
      return;
    }
    sendJson(res, 200, { sub: payload.sub, ...realm.userClaims(user, payload.azp, 'userinfo') }, cors);
  };
}
