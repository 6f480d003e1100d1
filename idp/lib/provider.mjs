// Builds the oidc-provider instance that behaves like one Keycloak realm: routes, clients, claims, lifetimes, PKCE, CORS.
import Provider, { errors } from 'oidc-provider';

import { errorPage, loggedOutPage, logoutPage } from './pages.mjs';
import { PASSWORD_GRANT, PASSWORD_GRANT_PARAMETERS, passwordGrantHandler } from './password-grant.mjs';
import { SCOPE_CLAIMS, keycloakUriAllowed } from './realm.mjs';

const OIDC = '/protocol/openid-connect';

/** Keycloak's endpoint layout below /realms/{realm}. */
export const KEYCLOAK_ROUTES = {
  authorization: `${OIDC}/auth`,
  token: `${OIDC}/token`,
  jwks: `${OIDC}/certs`,
  userinfo: `${OIDC}/userinfo`,
  end_session: `${OIDC}/logout`,
  revocation: `${OIDC}/revoke`,
  introspection: `${OIDC}/token/introspect`,
  pushed_authorization_request: `${OIDC}/ext/par/request`,
};

const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

const INTERACTION_TTL_SECONDS = 1800;

/** The login page of an interaction, under the realm path like Keycloak's /login-actions. */
export function loginActionPath(realmPath, uid) {
  return `${realmPath}/login-actions/${uid}`;
}

function clientMetadata(client) {
  const grantTypes = [
    ...(client.standardFlow ? ['authorization_code'] : []),
    ...(client.directAccessGrants ? [PASSWORD_GRANT] : []),
    ...(client.standardFlow || client.directAccessGrants ? ['refresh_token'] : []),
    ...(client.serviceAccounts ? ['client_credentials'] : []),
  ];
  return {
    client_id: client.clientId,
    ...(client.name ? { client_name: client.name } : {}),
    ...(client.isPublic
      ? { token_endpoint_auth_method: 'none' }
      : { token_endpoint_auth_method: 'client_secret_basic', client_secret: client.secret }),
    grant_types: grantTypes,
    response_types: client.standardFlow ? ['code'] : [],
    redirect_uris: client.standardFlow ? client.redirectUris : [],
    post_logout_redirect_uris: client.postLogoutRedirectUris,
  };
}

/**
 * First-party realm clients never show a consent screen (Keycloak's consentRequired=false): the grant of
 * the signed-in account is created or widened to whatever the authorization request asks for.
 */
async function loadFirstPartyGrant(ctx) {
  const { oidc } = ctx;
  const { Grant } = oidc.provider;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  const existing = grantId ? await Grant.find(grantId) : undefined;
  const grant = existing?.accountId === oidc.session.accountId
    ? existing
    : new Grant({ accountId: oidc.session.accountId, clientId: oidc.client.clientId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  if (oidc.requestParamClaims.size > 0) {
    grant.addOIDCClaims([...oidc.requestParamClaims]);
  }
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers)) {
    const scopes = [...oidc.requestParamScopes].filter((scope) => resourceServer.scopes.has(scope));
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await grant.save();
  return grant;
}

/** Adds Keycloak's token-response members (Keycloak-style scope, refresh_expires_in, not-before-policy). */
function keycloakTokenResponse(realm) {
  return async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || !ctx.body?.access_token) {
      return;
    }
    const refreshToken = ctx.body.refresh_token ? ctx.oidc.entities.RefreshToken : undefined;
    ctx.body = {
      ...ctx.body,
      scope: realm.tokenScope(ctx.oidc.client.clientId, ctx.body.scope),
      refresh_expires_in: refreshToken ? Math.max(refreshToken.remainingTTL, 0) : 0,
      'not-before-policy': 0,
    };
  };
}

/**
 * Creates a Provider for the realm signing with `jwks` (newest key first). Everything stateful lives in
 * `adapter` and is protected by `cookieKeys`, so a Provider rebuilt after a key rotation carries on.
 */
export function createProvider({
  realm, issuer, jwks, cookieKeys, adapter, ttl,
}) {
  const realmPath = new URL(issuer).pathname;
  const audienceOf = (clientId) => realm.client(clientId)?.audience ?? clientId;
  const resourceFor = (clientId) => `urn:keycloak:audience:${encodeURIComponent(audienceOf(clientId))}`;
  const resourceServerInfo = (clientId) => ({
    scope: SUPPORTED_SCOPES.join(' '),
    audience: audienceOf(clientId),
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  });

  const provider = new Provider(issuer, {
    adapter,
    jwks,
    clients: realm.clients.map(clientMetadata),
    cookies: { keys: cookieKeys },
    routes: KEYCLOAK_ROUTES,
    scopes: SUPPORTED_SCOPES,
    responseTypes: ['code'],
    // Keycloak applies a client's default scopes and mappers to every token, so these ride on `openid`.
    claims: {
      openid: ['sub', ...realm.oidcClaimNames()],
      profile: SCOPE_CLAIMS.profile,
      email: SCOPE_CLAIMS.email,
    },
    async findAccount(ctx, sub) {
      const user = realm.userById(sub);
      if (!user) {
        return undefined;
      }
      const clientId = ctx?.oidc?.client?.clientId;
      return {
        accountId: sub,
        async claims(use) {
          return { sub, ...realm.userClaims(user, clientId, use === 'userinfo' ? 'userinfo' : 'id_token') };
        },
      };
    },
    async extraTokenClaims(ctx, token) {
      const user = token.accountId ? realm.userById(token.accountId) : realm.serviceAccount(token.clientId);
      return realm.accessTokenClaims(token.clientId, user);
    },
    formats: {
      customizers: {
        // Keycloak signs access tokens with typ "JWT" (oidc-provider's default is "at+jwt"), uses the
        // service-account user's id as sub for client credentials and reports its default scopes.
        jwt(ctx, token, jwt) {
          jwt.header = { typ: 'JWT' };
          const serviceAccount = token.accountId ? undefined : realm.serviceAccount(token.clientId);
          if (serviceAccount) {
            jwt.payload.sub = serviceAccount.id;
          }
          jwt.payload.scope = realm.tokenScope(token.clientId, jwt.payload.scope);
        },
      },
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client) => resourceFor(client.clientId),
        useGrantedResource: async () => true,
        async getResourceServerInfo(ctx, indicator, client) {
          if (indicator !== resourceFor(client.clientId)) {
            throw new errors.InvalidTarget();
          }
          return resourceServerInfo(client.clientId);
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = loggedOutPage();
        },
      },
    },
    pkce: {
      required: (ctx, client) => client.clientAuthMethod === 'none' || realm.client(client.clientId)?.pkceMethod === 'S256',
    },
    clientBasedCORS: (ctx, origin, client) => realm.webOriginAllowed(client.clientId, origin),
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => realm.revokeRefreshToken,
    loadExistingGrant: loadFirstPartyGrant,
    interactions: {
      url: async (ctx, interaction) => loginActionPath(realmPath, interaction.uid),
    },
    ttl: {
      AccessToken: ttl.accessToken,
      ClientCredentials: ttl.accessToken,
      IdToken: ttl.accessToken,
      RefreshToken: ttl.refreshToken,
      Session: ttl.refreshToken,
      Grant: Math.max(ttl.refreshToken, realm.ssoSessionMaxLifespan),
      Interaction: INTERACTION_TTL_SECONDS,
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in failed', out);
    },
  });

  // Realm redirect URIs use Keycloak's trailing-"*" wildcards, which oidc-provider would compare verbatim.
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri) {
    return keycloakUriAllowed(this.redirectUris, uri);
  };
  provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(uri) {
    return keycloakUriAllowed(this.postLogoutRedirectUris, uri);
  };

  provider.registerGrantType(
    PASSWORD_GRANT,
    passwordGrantHandler({
      realm, supportedScopes: SUPPORTED_SCOPES, resourceFor, resourceServerInfo,
    }),
    PASSWORD_GRANT_PARAMETERS,
  );
  provider.use(keycloakTokenResponse(realm));
  provider.on('server_error', (ctx, err) => {
    console.error(`dev IdP: internal error on ${ctx.method} ${ctx.path}: ${err.message}`);
  });
  return provider;
}
