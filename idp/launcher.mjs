// Entry point of the dev IdP: reads the environment and the realm file, serves the realm Keycloak-style, prints the ready line.
//
// DEVELOPMENT AND TEST TOOL ONLY. It serves realm/mo-realm.json (the realm a real Keycloak imports)
// with npm's oidc-provider, keeps everything in memory and publishes well-known test passwords.
// Never expose it to a network or use it in production: run Keycloak (compose.yaml) there.
//
// Environment:
//   IDP_PORT               port on 127.0.0.1 (default 8081)
//   IDP_PUBLIC_URL         base URL clients use (default http://127.0.0.1:{IDP_PORT}/);
//                          the issuer is {IDP_PUBLIC_URL}realms/{realm}
//   IDP_REALM_FILE         Keycloak realm export (default ../realm/mo-realm.json next to this file)
//   IDP_ACCESS_TOKEN_TTL   access/ID token lifetime in seconds (default: the realm's accessTokenLifespan)
//   IDP_REFRESH_TOKEN_TTL  refresh token and SSO session lifetime in seconds (default: ssoSessionIdleTimeout)
//   IDP_EXTRA_ORIGINS      comma-separated origins added to the public clients' redirect URIs
//                          (origin + "/*"), post-logout redirect URIs and web origins
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Realm } from './lib/realm.mjs';
import { createIdpServer } from './lib/server.mjs';

const LISTEN_HOST = '127.0.0.1';

function fail(message) {
  console.error(`dev IdP: ${message}`);
  process.exit(2);
}

function positiveInteger(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    fail(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

function extraOrigins() {
  return (process.env.IDP_EXTRA_ORIGINS ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean)
    .map((value) => {
      if (!URL.canParse(value) || new URL(value).origin !== value.replace(/\/$/, '')) {
        fail(`IDP_EXTRA_ORIGINS entries must be origins like http://127.0.0.1:43123, got "${value}"`);
      }
      return new URL(value).origin;
    });
}

const port = positiveInteger('IDP_PORT', 8081);
if (port > 65535) {
  fail(`IDP_PORT must be at most 65535, got ${port}`);
}
const publicUrl = process.env.IDP_PUBLIC_URL || `http://${LISTEN_HOST}:${port}/`;
if (!URL.canParse(publicUrl)) {
  fail(`IDP_PUBLIC_URL must be an absolute URL, got "${publicUrl}"`);
}
const realmFile = process.env.IDP_REALM_FILE
  ? resolve(process.env.IDP_REALM_FILE)
  : join(dirname(fileURLToPath(import.meta.url)), '..', 'realm', 'mo-realm.json');

let realm;
try {
  realm = Realm.load(realmFile, { extraOrigins: extraOrigins() });
} catch (err) {
  fail(`cannot load realm file ${realmFile}: ${err.message}`);
}

const issuer = new URL(`realms/${encodeURIComponent(realm.name)}`, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).href;
const ttl = {
  accessToken: positiveInteger('IDP_ACCESS_TOKEN_TTL', realm.accessTokenLifespan),
  refreshToken: positiveInteger('IDP_REFRESH_TOKEN_TTL', realm.ssoSessionIdleTimeout),
};

const server = createIdpServer({ realm, issuer, ttl });
server.on('error', (err) => fail(`cannot listen on ${LISTEN_HOST}:${port}: ${err.message}`));
server.listen(port, LISTEN_HOST, () => {
  console.log(`dev IdP ready: ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
