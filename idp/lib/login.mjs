// The login step of oidc-provider interactions: serves the form, checks credentials against the realm file, finishes the interaction.
import { errors } from 'oidc-provider';

import { readForm, sendHtml, sendJson } from './http.mjs';
import { errorPage, loginPage } from './pages.mjs';

const EXPIRED = {
  error: 'login_expired',
  error_description: 'This sign-in request has expired or was already used. Start again from the application.',
};

/**
 * First-party clients get consent without a screen; this covers the cases oidc-provider still asks for
 * it (for example prompt=consent) by granting exactly what the interaction reports as missing.
 */
async function grantConsent(provider, req, res, details) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope) {
    grant.addOIDCScope(missingOIDCScope.join(' '));
  }
  if (missingOIDCClaims) {
    grant.addOIDCClaims(missingOIDCClaims);
  }
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** Handles GET (show the form) and POST (check the credentials) on one interaction's login page. */
export function createLoginHandler({ realm, currentProvider }) {
  return async function handleLogin(req, res, uid, action) {
    const provider = currentProvider();
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        sendHtml(res, 400, errorPage('Sign-in expired', EXPIRED));
        return;
      }
      throw err;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage('Sign-in expired', EXPIRED));
      return;
    }
    if (details.prompt.name === 'consent') {
      await grantConsent(provider, req, res, details);
      return;
    }

    const page = {
      realmName: realm.name,
      clientName: realm.client(details.params.client_id)?.name ?? details.params.client_id,
      action,
    };
    if (req.method === 'GET') {
      sendHtml(res, 200, loginPage({ ...page, username: details.params.login_hint ?? '' }));
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'GET, POST' });
      return;
    }

    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const user = realm.authenticate(username, form.get('password'));
    if (!user) {
      sendHtml(res, 200, loginPage({ ...page, username, error: 'Invalid username or password.' }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  };
}
