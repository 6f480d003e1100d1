// The dev IdP's HTTP front door: /realms/{realm}/… to oidc-provider in Keycloak's layout, the login pages,
// userinfo, request counters and the /_dev control endpoints (key rotation, stats).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import { HttpError, sendJson } from './http.mjs';
import { KeyRing } from './keys.mjs';
import { createLoginHandler } from './login.mjs';
import { createProvider, KEYCLOAK_ROUTES, loginActionPath } from './provider.mjs';
import { createSharedAdapter } from './store.mjs';
import { createUserinfoHandler } from './userinfo.mjs';

/** Stats key of each counted endpoint, as named in the /_dev/stats response. */
const COUNTED_ROUTES = {
  certs: KEYCLOAK_ROUTES.jwks,
  token: KEYCLOAK_ROUTES.token,
  auth: KEYCLOAK_ROUTES.authorization,
  userinfo: KEYCLOAK_ROUTES.userinfo,
  logout: KEYCLOAK_ROUTES.end_session,
};

function zeroStats() {
  return Object.fromEntries(Object.keys(COUNTED_ROUTES).map((name) => [name, 0]));
}

/**
 * Creates the HTTP server of one realm. `ttl` holds the access- and refresh-token lifetimes in seconds.
 * Key rotation rebuilds the Provider around the same store and cookie keys, so sessions survive it.
 */
export function createIdpServer({ realm, issuer, ttl }) {
  const realmPath = new URL(issuer).pathname;
  const keyRing = new KeyRing();
  const adapter = createSharedAdapter();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  let current;
  const rebuildProvider = () => {
    const provider = createProvider({
      realm, issuer, jwks: keyRing.jwks(), cookieKeys, adapter, ttl,
    });
    current = { provider, handle: provider.callback() };
  };
  rebuildProvider();

  let stats = zeroStats();
  const countedPaths = new Map(Object.entries(COUNTED_ROUTES).map(([name, route]) => [`${realmPath}${route}`, name]));
  const loginPrefix = loginActionPath(realmPath, '');
  const handleLogin = createLoginHandler({ realm, currentProvider: () => current.provider });
  const handleUserinfo = createUserinfoHandler({ realm, keyRing, issuer });

  const keyState = () => ({ kid: keyRing.currentKid, kids: keyRing.kids });
  const devEndpoints = {
    'POST /_dev/rotate-keys': (req, res) => {
      keyRing.rotate();
      rebuildProvider();
      sendJson(res, 200, keyState());
    },
    'POST /_dev/retire-old-keys': (req, res) => {
      keyRing.retireOld();
      rebuildProvider();
      sendJson(res, 200, keyState());
    },
    'GET /_dev/stats': (req, res) => sendJson(res, 200, stats),
    'POST /_dev/stats/reset': (req, res) => {
      stats = zeroStats();
      res.writeHead(204).end();
    },
  };

  async function route(req, res) {
    const { pathname } = new URL(req.url, 'http://dev-idp.invalid');
    const counted = countedPaths.get(pathname);
    if (counted) {
      stats[counted] += 1;
    }

    if (pathname.startsWith('/_dev/')) {
      const endpoint = devEndpoints[`${req.method} ${pathname}`];
      if (endpoint) {
        endpoint(req, res);
      } else {
        sendJson(res, 404, { error: 'not_found', error_description: `no dev endpoint ${req.method} ${pathname}` });
      }
      return;
    }
    if (pathname === `${realmPath}${KEYCLOAK_ROUTES.userinfo}`) {
      handleUserinfo(req, res);
      return;
    }
    if (pathname.startsWith(loginPrefix) && /^[\w-]+$/.test(pathname.slice(loginPrefix.length))) {
      await handleLogin(req, res, pathname.slice(loginPrefix.length), pathname);
      return;
    }
    if (pathname.startsWith(`${realmPath}/`)) {
      // Mount oidc-provider below the realm path the way Express does: it reads the prefix from originalUrl.
      req.originalUrl = req.url;
      req.url = req.url.slice(realmPath.length);
      await current.handle(req, res);
      return;
    }
    sendJson(res, 404, { error: 'not_found' });
  }

  return createServer((req, res) => {
    route(req, res).catch((err) => {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof HttpError) {
        sendJson(res, err.status, { error: 'invalid_request', error_description: err.message });
      } else {
        console.error(`dev IdP: internal error on ${req.method} ${req.url.split('?')[0]}: ${err.message}`);
        sendJson(res, 500, { error: 'server_error' });
      }
    });
  });
}
