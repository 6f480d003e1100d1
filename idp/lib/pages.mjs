// HTML of the dev IdP's pages (login form, errors, logout): one plain layout, every dynamic value escaped.
import { escapeHtml } from './http.mjs';

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; align-items: center;
         justify-content: center; background: #eef1f5; color: #1f2933; }
  main { width: min(22rem, 90vw); background: #fff; border-radius: 8px; padding: 2rem;
         box-shadow: 0 2px 10px rgba(15, 23, 42, .12); }
  h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
  p.sub { margin: 0 0 1.5rem; color: #52606d; }
  label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
  input[type=text], input[type=password] { box-sizing: border-box; width: 100%; padding: .6rem .7rem;
         border: 1px solid #9aa5b1; border-radius: 4px; font-size: 1rem; }
  input:focus, button:focus { outline: 3px solid #93c5fd; outline-offset: 1px; }
  button { margin-top: 1.5rem; width: 100%; padding: .7rem; border: 0; border-radius: 4px;
           background: #1d4ed8; color: #fff; font-size: 1rem; font-weight: 600; cursor: pointer; }
  button:hover { background: #1e40af; }
  .error { margin: 0 0 1rem; padding: .6rem .75rem; border-radius: 4px; background: #fde8e8; color: #9b1c1c; }
  footer { margin-top: 1.25rem; font-size: .8rem; color: #52606d; text-align: center; max-width: 26rem; }
`;

function layout(title, body, head = '') {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${head}</head>
<body>
<main>
${body}
</main>
<footer>Development identity provider for local development and tests only. Never use it in production.</footer>
</body>
</html>
`;
}

/** The username/password form of an interaction; `error` is shown above the fields when set. */
export function loginPage({ realmName, clientName, action, username = '', error }) {
  return layout(`Sign in to ${realmName}`, `
<h1>Sign in</h1>
<p class="sub">to ${escapeHtml(clientName)} (realm ${escapeHtml(realmName)})</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" value="${escapeHtml(username)}" required autofocus autocapitalize="none" spellcheck="false">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>
  <button type="submit">Sign in</button>
</form>`);
}

export function errorPage(title, details) {
  return layout(title, `
<h1>${escapeHtml(title)}</h1>
${Object.entries(details).map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`).join('\n')}`);
}

/**
 * The RP-initiated logout step. Keycloak logs out without asking when the request is valid, so the
 * provider's confirmation form (which carries its CSRF token) is submitted at once with logout=yes;
 * without JavaScript the button does the same.
 */
export function logoutPage(providerForm) {
  const form = providerForm.replace(
    '</form>',
    '<input type="hidden" name="logout" value="yes"/><noscript><button type="submit">Sign out</button></noscript></form>',
  );
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Signing out</title></head>
<body>
${form}
<script>document.forms[0].submit();</script>
</body>
</html>
`;
}

export function loggedOutPage() {
  return layout('Signed out', '<h1>Signed out</h1>\n<p class="sub">You are signed out of the development identity provider.</p>');
}
