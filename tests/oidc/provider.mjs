// A real OpenID Provider for the tests (panva's oidc-provider): its own login and consent pages
// (devInteractions: the login is the account's id, any password), the clients the test passes as JSON in
// PORTICO_TEST_OP, the accounts from the JSON file it names (read again at every sign-in, so that a test can
// change a person's groups between two sign-ins), a `groups` claim, Back-Channel Logout to the clients that
// register a backchannel_logout_uri. Prints "ready <issuer>" once it listens.
//
// For the attack tests only: `tamper` re-signs the ID token of every token response with the claims it names
// (e.g. another audience) and the private key it names (e.g. one the provider never published); `published_jwks`
// is served at /jwks instead of the keys the provider signs with.
import { readFileSync } from 'node:fs';
import { Provider } from 'oidc-provider';
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';  // oidc-provider's own dependency

const setup = JSON.parse(process.env.PORTICO_TEST_OP);
const accounts = () => JSON.parse(readFileSync(setup.accounts_file, 'utf8'));  // id -> claims

const provider = new Provider(setup.issuer, {
  clients: setup.clients,
  async findAccount(ctx, id) {
    const claims = accounts()[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts()[id] }; } };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified', 'xms_edov'],  // xms_edov: as Microsoft Entra ID releases it
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true } },
  cookies: { keys: ['portico-test-op-cookie-key'] },
  jwks: setup.jwks,
  ttl: { Session: 600, Interaction: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
});
provider.proxy = true;
// the development login and consent pages import a web font from Google; nothing on loopback may load one
provider.use(async (ctx, next) => {
  if (ctx.path === '/favicon.ico') {  // a browser asks; a 404 would be an error in its console
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/jwks' && setup.published_jwks) {
    ctx.body = setup.published_jwks;
    ctx.type = 'application/jwk-set+json';
    return;
  }
  await next();
  if (typeof ctx.body === 'string' && ctx.type === 'text/html') {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);/g, '');
  }
  if (ctx.path === '/token' && setup.tamper && ctx.body && ctx.body.id_token) {
    const claims = { ...decodeJwt(ctx.body.id_token), ...setup.tamper.claims };
    const { kid } = decodeProtectedHeader(ctx.body.id_token);
    const key = setup.tamper.key || setup.jwks.keys.find((candidate) => candidate.kid === kid);
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(await importJWK(key, 'RS256')) };
  }
});
const server = provider.listen(setup.port, '127.0.0.1', () => console.log(`ready ${setup.issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
