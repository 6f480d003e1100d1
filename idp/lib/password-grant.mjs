// Keycloak's "direct access grant" (grant_type=password) as an oidc-provider custom grant, checked against the realm file.
import { errors } from 'oidc-provider';

export const PASSWORD_GRANT = 'password';

export const PASSWORD_GRANT_PARAMETERS = ['username', 'password', 'scope'];

/**
 * Builds the grant handler. `resourceFor(clientId)` names the resource indicator of the client's access
 * tokens and `resourceServerInfo` describes it, exactly as the authorization-code flow resolves them.
 */
export function passwordGrantHandler({ realm, supportedScopes, resourceFor, resourceServerInfo }) {
  return async function passwordGrant(ctx) {
    const { client, params, provider } = ctx.oidc;

    if (!params.username || !params.password) {
      throw new errors.InvalidRequest('username and password are required');
    }
    const user = realm.authenticate(params.username, params.password);
    if (!user) {
      throw new errors.InvalidGrant('Invalid user credentials');
    }

    const requested = [...new Set((params.scope ?? '').split(' ').filter(Boolean))];
    const unknown = requested.filter((scope) => !supportedScopes.includes(scope));
    if (unknown.length > 0) {
      throw new errors.InvalidScope('Invalid scopes', unknown.join(' '));
    }
    const scope = requested.join(' ');

    const resource = resourceFor(client.clientId);
    const resourceServer = new provider.ResourceServer(resource, resourceServerInfo(client.clientId));
    const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
    if (scope) {
      grant.addOIDCScope(scope);
    }
    grant.addResourceScope(resource, requested.filter((s) => resourceServer.scopes.has(s)).join(' '));
    const grantId = await grant.save();
    ctx.oidc.entity('Grant', grant);

    const common = {
      accountId: user.id, client, grantId, gty: PASSWORD_GRANT, scope, expiresWithSession: false,
    };
    const accessToken = new provider.AccessToken({ ...common, resourceServer });
    ctx.oidc.entity('AccessToken', accessToken);
    const accessTokenValue = await accessToken.save();

    let refreshTokenValue;
    if (client.grantTypeAllowed('refresh_token')) {
      const refreshToken = new provider.RefreshToken({ ...common, resource, rotations: 0 });
      ctx.oidc.entity('RefreshToken', refreshToken);
      refreshTokenValue = await refreshToken.save();
    }

    let idTokenValue;
    if (requested.includes('openid')) {
      const idToken = new provider.IdToken({ ...realm.userClaims(user, client.clientId, 'id_token'), sub: user.id }, { ctx });
      idToken.scope = scope;
      idTokenValue = await idToken.issue({ use: 'idtoken' });
    }

    ctx.body = Object.fromEntries(Object.entries({
      access_token: accessTokenValue,
      expires_in: accessToken.expiration,
      refresh_token: refreshTokenValue,
      id_token: idTokenValue,
      scope: scope || undefined,
      token_type: accessToken.tokenType,
    }).filter(([, value]) => value !== undefined));
  };
}
