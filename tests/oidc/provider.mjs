// A real OpenID Connect provider (panva's certified oidc-provider) on 127.0.0.1 for end-to-end login tests.
//
//   node provider.mjs config.json        (or OIDC_PROVIDER_CONFIG=config.json node provider.mjs)
//
// config.json:
//   {"port": 0,                                   // 0 or absent: any free port (the READY line names it)
//    "consent": "auto",                           // "auto" (default): no consent page; "form": the dev consent form
//    "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["..."],
//                 "post_logout_redirect_uris": ["..."]}],   // absent: the redirect_uris
//    "accounts": {"<login>": {"email": "...", "name": "...", "groups": ["..."], "<any claim>": ...}}}
//   The accounts are read again when the file changes, so a test can add accounts or change groups mid-run.
//
// Why each choice:
// - oidc-provider 8.8.1 (package.json pins it): the last release line that supports Node.js 18 and 20. Debian
//   bookworm's nodejs (what .ci/run installs where Node is missing) is 18; the 9.x line wants Node 22 LTS and
//   uses APIs that Node 18 lacks (URL.parse, crypto.hash).
// - Streamlit's st.login reads the user from the ID token (Authlib parses it), never from /userinfo, so
//   conformIdTokenClaims is off: every claim of a granted scope goes into the ID token.
// - Sign-in uses the built-in dev interactions (any login name, any password). findAccount maps the typed
//   login to its account in the config; an unknown login still signs in, with just sub and email = the login,
//   so tests can cover "an account not in our access file".
// - Consent is granted without a page (loadExistingGrant, the documented way to skip consent for first-party
//   clients) unless "consent": "form"; then the dev consent form ("Continue") appears.
// - Streamlit always sends prompt=select_account unless told otherwise; real IdPs accept it, oidc-provider only
//   knows prompts from its interaction policy. A select_account prompt without checks makes the value legal;
//   the login page still appears whenever there is no session, which is what an account picker amounts to here.
// - RP-initiated logout (Streamlit redirects to end_session_endpoint) confirms automatically: the logout page
//   submits its own form with logout=yes, then redirects to the registered post_logout_redirect_uri.
// - No network beyond 127.0.0.1: the server binds to 127.0.0.1 only, signing keys are made locally, and a
//   Content-Security-Policy keeps browsers from loading the Google font the built-in pages @import.
// - Prints "READY <issuer>" once listening; exits 0 on SIGTERM/SIGINT.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import process from 'node:process';

import Provider, { interactionPolicy } from 'oidc-provider';

const configPath = process.argv[2] || process.env.OIDC_PROVIDER_CONFIG;
if (!configPath) {
  console.error('usage: node provider.mjs <config.json>  (or set OIDC_PROVIDER_CONFIG)');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
let accounts = config.accounts ?? {};
const stampOf = (path) => { const st = statSync(path); return `${st.ino}:${st.mtimeMs}:${st.size}`; };
let accountsStamp = stampOf(configPath);

// Tests may rewrite the config file's accounts while the provider runs (new accounts, changed groups); the next
// sign-in sees them. Claim names beyond email/profile/groups must already be named at start (see extraClaims).
function currentAccounts() {
  const stamp = stampOf(configPath);
  if (stamp !== accountsStamp) {
    accounts = JSON.parse(readFileSync(configPath, 'utf8')).accounts ?? {};
    accountsStamp = stamp;
  }
  return accounts;
}

const EMAIL_CLAIMS = ['email', 'email_verified'];
const PROFILE_CLAIMS = ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
  'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'];
const known = new Set(['sub', 'groups', ...EMAIL_CLAIMS, ...PROFILE_CLAIMS]);
// any other claim named for an account rides on the openid scope, which every OIDC request carries
const extraClaims = [...new Set(Object.values(accounts).flatMap((a) => Object.keys(a)))].filter((c) => !known.has(c));

const clients = (config.clients ?? []).map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  ...c,
  post_logout_redirect_uris: c.post_logout_redirect_uris ?? c.redirect_uris,
}));

const policy = interactionPolicy.base();
const selectAccount = new interactionPolicy.Prompt({ name: 'select_account', requestable: true });
selectAccount.checks.clear();
policy.add(selectAccount);

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'test-rs256', alg: 'RS256', use: 'sig',
};

function providerConfiguration() {
  return {
    clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub', ...extraClaims],
      email: EMAIL_CLAIMS,
      profile: PROFILE_CLAIMS,
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    interactions: { policy },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: autoConfirmLogout },
    },
    async findAccount(ctx, id) {
      const { sub: _ignored, ...claims } = currentAccounts()[id] ?? { email: id };
      return { accountId: id, async claims() { return { ...claims, sub: id }; } };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      if (config.consent === 'form') {
        return undefined;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
  };
}

async function autoConfirmLogout(ctx, form) {
  ctx.body = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Logout Request</title></head>
<body>
  <h1>Signing out</h1>
  ${form}
  <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
  <script>
    const f = document.forms[0];
    const yes = document.createElement('input');
    yes.type = 'hidden'; yes.name = 'logout'; yes.value = 'yes';
    f.appendChild(yes);
    f.submit();
  </script>
</body></html>`;
}

const server = createServer();
server.on('error', (err) => {
  console.error(`oidc test provider: ${err.message}`);
  process.exit(1);
});
server.listen(Number(config.port ?? 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, providerConfiguration());
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.response.is('html')) {
      ctx.set('Content-Security-Policy',
        "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:");
    }
  });
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
    'introspection.error', 'revocation.error', 'userinfo.error', 'jwks.error', 'discovery.error']) {
    provider.on(event, (...args) => {
      const err = args.find((a) => a instanceof Error);
      console.error(`oidc test provider ${event}: ${err?.message ?? ''} ${err?.error_description ?? ''}`);
    });
  }
  server.on('request', provider.callback());
  console.log(`READY ${issuer}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
