// Reads a Keycloak realm export (the file `kc.sh import` takes) and answers what the dev IdP asks of it:
// users and credentials, roles, clients, protocol mappers, redirect URIs and web origins.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Claims that Keycloak's built-in `profile` and `email` client scopes add to tokens and userinfo. */
export const SCOPE_CLAIMS = {
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

/** Token flags of a protocol mapper, keyed by where a claim is being put. */
const MAPPER_FLAGS = {
  access_token: 'access.token.claim',
  id_token: 'id.token.claim',
  userinfo: 'userinfo.token.claim',
};

/**
 * Keycloak's redirect URI rule: a registered value ending in `*` matches by prefix (and `…/*` also
 * matches the bare `…`); anything else must match exactly.
 */
export function keycloakUriAllowed(patterns, uri) {
  if (typeof uri !== 'string' || !URL.canParse(uri)) {
    return false;
  }
  return patterns.some((pattern) => {
    if (!pattern.endsWith('*')) {
      return uri === pattern;
    }
    const prefix = pattern.slice(0, -1);
    return uri.startsWith(prefix) || (prefix.endsWith('/') && uri === prefix.slice(0, -1));
  });
}

function splitKeycloakList(value) {
  return value ? value.split('##').filter(Boolean) : [];
}

function originOf(uri) {
  const candidate = uri.replace(/\*$/, '');
  return URL.canParse(candidate) ? new URL(candidate).origin : undefined;
}

function digest(value) {
  return createHash('sha256').update(String(value), 'utf8').digest();
}

function toUser(rep) {
  const password = (rep.credentials ?? []).find((c) => c.type === 'password' && !c.temporary)?.value;
  const attributes = Object.fromEntries(
    Object.entries(rep.attributes ?? {}).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]),
  );
  return {
    id: rep.id ?? rep.username,
    username: rep.username.toLowerCase(),
    enabled: rep.enabled !== false,
    firstName: rep.firstName,
    lastName: rep.lastName,
    email: rep.email,
    emailVerified: rep.emailVerified === true,
    attributes,
    realmRoles: rep.realmRoles ?? [],
    clientRoles: rep.clientRoles ?? {},
    serviceAccountClientId: rep.serviceAccountClientId,
    passwordDigest: password === undefined ? undefined : digest(password),
  };
}

function toClient(rep, extraOrigins) {
  const attributes = rep.attributes ?? {};
  const mappers = (rep.protocolMappers ?? []).filter((m) => (m.protocol ?? 'openid-connect') === 'openid-connect');
  const isBrowserClient = rep.publicClient === true && rep.standardFlowEnabled !== false;
  const extraUris = isBrowserClient ? extraOrigins.map((origin) => `${origin}/*`) : [];
  const redirectUris = [...(rep.redirectUris ?? []), ...extraUris];
  const postLogout = splitKeycloakList(attributes['post.logout.redirect.uris']);
  const audienceMapper = mappers.find(
    (m) => m.protocolMapper === 'oidc-audience-mapper' && m.config?.['access.token.claim'] !== 'false',
  );
  return {
    clientId: rep.clientId,
    name: rep.name,
    enabled: rep.enabled !== false,
    isPublic: rep.publicClient === true,
    secret: rep.secret,
    standardFlow: rep.standardFlowEnabled !== false,
    directAccessGrants: rep.directAccessGrantsEnabled === true,
    serviceAccounts: rep.serviceAccountsEnabled === true,
    pkceMethod: attributes['pkce.code.challenge.method'],
    redirectUris,
    postLogoutRedirectUris: postLogout.includes('+')
      ? [...postLogout.filter((uri) => uri !== '+'), ...redirectUris]
      : [...postLogout, ...extraUris],
    webOrigins: [...(rep.webOrigins ?? []), ...(isBrowserClient ? extraOrigins : [])],
    audience: audienceMapper?.config['included.client.audience'] ?? audienceMapper?.config['included.custom.audience'],
    attributeMappers: mappers
      .filter((m) => m.protocolMapper === 'oidc-usermodel-attribute-mapper')
      .map((m) => ({ attribute: m.config['user.attribute'], claim: m.config['claim.name'], flags: m.config })),
    tokenScopes: (rep.defaultClientScopes ?? Object.keys(SCOPE_CLAIMS)).filter((s) => s in SCOPE_CLAIMS),
  };
}

/** The parts of one Keycloak realm the dev IdP serves. */
export class Realm {
  #users;

  #clients;

  constructor(rep, { extraOrigins = [] } = {}) {
    if (typeof rep?.realm !== 'string' || !rep.realm) {
      throw new TypeError('realm file: "realm" (the realm name) is required');
    }
    this.name = rep.realm;
    this.accessTokenLifespan = rep.accessTokenLifespan ?? 300;
    this.ssoSessionIdleTimeout = rep.ssoSessionIdleTimeout ?? 1800;
    this.ssoSessionMaxLifespan = rep.ssoSessionMaxLifespan ?? 36000;
    this.revokeRefreshToken = rep.revokeRefreshToken === true;
    this.#users = (rep.users ?? []).map(toUser);
    this.#clients = new Map(
      (rep.clients ?? []).map((c) => toClient(c, extraOrigins)).filter((c) => c.enabled).map((c) => [c.clientId, c]),
    );
  }

  static load(file, options) {
    return new Realm(JSON.parse(readFileSync(file, 'utf8')), options);
  }

  get clients() {
    return [...this.#clients.values()];
  }

  client(clientId) {
    return this.#clients.get(clientId);
  }

  userById(id) {
    return this.#users.find((u) => u.id === id && u.enabled);
  }

  serviceAccount(clientId) {
    return this.#users.find((u) => u.serviceAccountClientId === clientId && u.enabled);
  }

  /** The enabled user with this username and password (compared in constant time), if any. */
  authenticate(username, password) {
    const wanted = digest(password ?? '');
    const user = this.#users.find((u) => u.username === String(username ?? '').toLowerCase());
    const matches = user?.passwordDigest !== undefined && timingSafeEqual(user.passwordDigest, wanted);
    return matches && user.enabled && !user.serviceAccountClientId ? user : undefined;
  }

  /** Whether a browser origin may call the realm's endpoints on behalf of this client (Keycloak "Web origins"). */
  webOriginAllowed(clientId, origin) {
    const client = this.client(clientId);
    if (!client || !origin) {
      return false;
    }
    return client.webOrigins.some((allowed) => allowed === '*'
      || allowed === origin
      || (allowed === '+' && client.redirectUris.some((uri) => originOf(uri) === origin)));
  }

  /** Every claim name an ID token or userinfo response can carry, for the provider's claims configuration. */
  oidcClaimNames() {
    const names = new Set();
    for (const client of this.clients) {
      client.tokenScopes.forEach((scope) => SCOPE_CLAIMS[scope].forEach((claim) => names.add(claim)));
      client.attributeMappers.forEach((m) => names.add(m.claim));
    }
    return [...names];
  }

  /**
   * User claims as Keycloak puts them into a token for this client: the client's default `profile`/`email`
   * scopes plus its user-attribute mappers enabled for `use` (access_token, id_token or userinfo).
   */
  userClaims(user, clientId, use) {
    const client = this.client(clientId);
    const scopes = new Set(client?.tokenScopes ?? Object.keys(SCOPE_CLAIMS));
    const claims = {};
    if (scopes.has('profile')) {
      const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
      Object.assign(claims, {
        name: name || undefined,
        given_name: user.firstName,
        family_name: user.lastName,
        preferred_username: user.username,
      });
    }
    if (scopes.has('email')) {
      Object.assign(claims, { email: user.email, email_verified: user.emailVerified });
    }
    for (const mapper of client?.attributeMappers ?? []) {
      if (mapper.flags[MAPPER_FLAGS[use]] === 'true' && user.attributes[mapper.attribute] !== undefined) {
        claims[mapper.claim] = user.attributes[mapper.attribute];
      }
    }
    return claims;
  }

  /** Keycloak's extra access-token claims: typ, azp, roles and the user's claims (service-account user for client credentials). */
  accessTokenClaims(clientId, user) {
    const claims = { typ: 'Bearer', azp: clientId };
    if (!user) {
      return claims;
    }
    const clientRoles = Object.entries(user.clientRoles).filter(([, roles]) => roles.length > 0);
    return {
      ...claims,
      ...this.userClaims(user, clientId, 'access_token'),
      realm_access: { roles: [...user.realmRoles] },
      ...(clientRoles.length > 0
        ? { resource_access: Object.fromEntries(clientRoles.map(([id, roles]) => [id, { roles: [...roles] }])) }
        : {}),
    };
  }

  /** The `scope` Keycloak reports: the granted scopes plus the client's default scopes that show in tokens. */
  tokenScope(clientId, granted) {
    const scopes = new Set((granted ?? '').split(' ').filter(Boolean));
    this.client(clientId)?.tokenScopes.forEach((scope) => scopes.add(scope));
    return [...scopes].join(' ');
  }
}
