// One authorization code flow against idp, driven by panva's openid-client 6: a strict relying party we did not
// write. The library does everything a relying party decides (discovery and its issuer check, the authorization
// URL with PKCE S256 / state / nonce, the authorization response checks including RFC 9207 `iss`, the code
// exchange, the ID token's alg, claims and nonce, userinfo's `sub`, refresh, introspection); this script only plays
// the browser between the authorization URL and the redirect URI (fetch, a cookie jar, the login form).
// Two checks the library leaves out by default are turned on or added here: the ID token signatures against the
// JWKS (`enableNonRepudiationChecks`: over TLS from the token endpoint OIDC Core §3.1.3.7 (6) lets an RP skip it),
// and `at_hash` (OIDC Core §3.1.3.8 leaves it optional in the code flow; SPEC §2 says we issue it).
//
// Input (environment):
//   IDP_ISSUER, RP_CLIENT_ID, RP_CLIENT_SECRET, RP_REDIRECT_URI, RP_USERNAME, RP_PASSWORD
//   RP_TOKEN_ENDPOINT_AUTH_METHOD (client_secret_basic | client_secret_post), RP_ID_TOKEN_SIGNED_RESPONSE_ALG (RS256)
//   RP_TAMPER   empty (the real flow), "state" or "iss": alter that parameter of the authorization response
//               before handing it to the library, which must refuse it.
//   RP_DISCOVERY_URL  another URL of the same server to run discovery on (the library must refuse the issuer).
// TLS: the OP's certificate is trusted through NODE_EXTRA_CA_CERTS; verification is never turned off.
//
// Output: one JSON line on stdout: {"ok": true, "id_token_claims": ..., "userinfo": ..., ...} and exit 0, or
// {"ok": false, "step": ..., "error": ..., "code": ..., ...} and exit 1 on any error (the library's message as is).

import { createHash } from 'node:crypto';

import * as client from 'openid-client';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

// ------------------------------------------------------------------ the browser (fetch + a cookie jar)
class Browser {
  constructor(origin) {
    this.origin = origin;
    this.cookies = new Map(); // name -> value; one origin, every cookie idp sets is Path=/
  }

  async request(url, init = {}) {
    const target = new URL(url);
    if (target.origin !== this.origin) throw new Error(`the browser left the OP: ${target.href}`);
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    headers.set('user-agent', 'idp-tests/openid-client-rp');
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }

  store(setCookie) {
    const [pair, ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => {
      const [k, v = ''] = a.split('=').map((s) => s.trim());
      return (k.toLowerCase() === 'max-age' && Number(v) <= 0)
        || (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now());
    });
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeHtml = (s) => s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
  if (e[0] === '#') return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  return ENTITIES[e.toLowerCase()] ?? m;
});

function attributes(tag) {
  const out = {};
  for (const m of tag.matchAll(/([^\s=<>/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    out[m[1].toLowerCase()] = unescapeHtml(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** The form of the page that has a password field: its action, method and the inputs' names and values. */
function loginForm(html) {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const inputs = [...m[2].matchAll(/<input\b[^>]*>/gi)].map((i) => attributes(i[0].slice(6)));
    if (inputs.some((i) => (i.type || '').toLowerCase() === 'password')) {
      const form = attributes(m[1]);
      return { action: form.action ?? '', method: (form.method || 'get').toLowerCase(), inputs };
    }
  }
  return undefined;
}

const isRedirect = (status) => [301, 302, 303, 307, 308].includes(status);
/** The redirect URI with the response in its query (exact origin and path, not a mere prefix). */
const isRedirectUri = (url, redirectUri) => {
  const [a, b] = [new URL(url), new URL(redirectUri)];
  return a.origin === b.origin && a.pathname === b.pathname;
};

/** GET the authorization URL, log in on idp's page, stop at the redirect URI (never fetched): its URL. */
async function playBrowser(authorizationUrl, redirectUri, username, password) {
  const browser = new Browser(authorizationUrl.origin);
  let url = authorizationUrl.href;
  let response = await browser.request(url);
  let loggedIn = false;
  for (let hop = 0; hop < 20; hop += 1) {
    if (isRedirect(response.status)) {
      const location = response.headers.get('location');
      if (!location) throw new Error(`HTTP ${response.status} without Location at ${url}`);
      url = new URL(location, url).href;
      if (isRedirectUri(url, redirectUri)) return url;
      response = await browser.request(url);
      continue;
    }
    const body = await response.text();
    const form = response.status === 200 ? loginForm(body) : undefined;
    if (!form || loggedIn) {
      throw new Error(`the OP answered HTTP ${response.status} at ${url} instead of a login page or a redirect: `
        + body.replace(/\s+/g, ' ').slice(0, 300));
    }
    const data = new URLSearchParams();
    let userDone = false;
    for (const input of form.inputs) {
      if (!input.name) continue;
      const type = (input.type || 'text').toLowerCase();
      if (type === 'password') data.set(input.name, password);
      else if (type === 'hidden') data.set(input.name, input.value ?? ''); // csrf_token, uid
      else if (['text', 'email'].includes(type) && !userDone) { data.set(input.name, username); userDone = true; }
    }
    if (!data.has('csrf_token') || !data.has('uid')) throw new Error(`login form without csrf_token/uid: ${[...data.keys()]}`);
    url = new URL(form.action || url, url).href;
    response = await browser.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: data.toString(),
    });
    loggedIn = true;
  }
  throw new Error('too many redirects');
}

// ------------------------------------------------------------------ the relying party
/** OIDC Core §3.1.3.8: at_hash is the left half of the SHA-256 of the access token (RS256 and ES256 alike). */
function checkAtHash(claims, accessToken) {
  const expected = createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
  if (claims.at_hash !== expected) {
    throw Object.assign(new Error(`ID token at_hash ${claims.at_hash} is not ${expected} (OIDC Core §3.1.3.8)`),
      { code: 'AT_HASH_MISMATCH' });
  }
}

let step = 'configuration';
const result = { ok: false };

async function main() {
  const issuer = env('IDP_ISSUER');
  const clientId = env('RP_CLIENT_ID');
  const redirectUri = env('RP_REDIRECT_URI');
  const tamper = process.env.RP_TAMPER || '';

  step = 'discovery';
  // RP_DISCOVERY_URL (tests only): ask another URL of the same server; the library must refuse its issuer.
  const discoveryUrl = new URL(process.env.RP_DISCOVERY_URL || issuer);
  // The client authenticates as it registered (the library's default would be client_secret_post), and expects
  // its ID tokens signed with the registered algorithm (the library's default would be RS256).
  const authMethods = { client_secret_basic: client.ClientSecretBasic, client_secret_post: client.ClientSecretPost };
  const authMethod = env('RP_TOKEN_ENDPOINT_AUTH_METHOD', 'client_secret_basic');
  if (!authMethods[authMethod]) throw new Error(`unsupported RP_TOKEN_ENDPOINT_AUTH_METHOD ${authMethod}`);
  const config = await client.discovery(
    discoveryUrl,
    clientId,
    { id_token_signed_response_alg: env('RP_ID_TOKEN_SIGNED_RESPONSE_ALG', 'RS256') },
    authMethods[authMethod](env('RP_CLIENT_SECRET')),
    { execute: [client.enableNonRepudiationChecks] }, // verify every ID token's signature with the JWKS
  );
  const server = config.serverMetadata();
  result.issuer = server.issuer;

  step = 'authorization request';
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
  });

  step = 'browser';
  const callback = new URL(await playBrowser(authorizationUrl, redirectUri, env('RP_USERNAME'), env('RP_PASSWORD')));
  result.authorization_response_parameters = [...callback.searchParams.keys()].sort();
  if (tamper === 'state') callback.searchParams.set('state', client.randomState());
  else if (tamper === 'iss') callback.searchParams.set('iss', `${issuer}/not-the-issuer`);
  else if (tamper) throw new Error(`unknown RP_TAMPER ${tamper}`);

  step = 'authorization code grant';
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier, expectedState, expectedNonce, idTokenExpected: true,
  });
  const claims = tokens.claims();
  checkAtHash(claims, tokens.access_token);
  result.token_response = { token_type: tokens.token_type, expires_in: tokens.expires_in, scope: tokens.scope,
    refresh_token: tokens.refresh_token !== undefined };
  result.id_token_claims = claims;

  step = 'userinfo';
  result.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  let accessToken = tokens.access_token;

  if (tokens.refresh_token) {
    step = 'refresh token grant';
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    result.refresh = { token_type: refreshed.token_type, rotated: refreshed.refresh_token !== undefined
      && refreshed.refresh_token !== tokens.refresh_token, id_token_claims: refreshed.claims() ?? null };
    if (refreshed.claims()) checkAtHash(refreshed.claims(), refreshed.access_token);
    step = 'userinfo after refresh';
    await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
    accessToken = refreshed.access_token;
  }

  if (server.introspection_endpoint) {
    step = 'introspection';
    result.introspection = await client.tokenIntrospection(config, accessToken);
  }
  result.ok = true;
}

try {
  await main();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  // openid-client wraps the check that failed (oauth4webapi's error, e.g. 'unexpected "state" response parameter
  // value') as the cause of a generic one ('invalid response encountered'): report both.
  const { cause } = error;
  Object.assign(result, {
    step,
    error: error.message,
    code: error.code ?? null,
    name: error.name,
    cause: cause instanceof Error ? cause.message : null,
    cause_code: cause instanceof Error ? (cause.code ?? null) : null,
    // AuthorizationResponseError / ResponseBodyError: the OAuth error the OP sent
    oauth_error: error.error ?? null,
    oauth_error_description: error.error_description ?? null,
    status: error.status ?? null,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stderr.write(`openid-client flow failed at ${step}: ${error.message}`
    + `${result.cause ? ` (${result.cause})` : ''}${result.oauth_error ? ` [${result.oauth_error}: ${result.oauth_error_description}]` : ''}\n`);
  process.exitCode = 1;
}
