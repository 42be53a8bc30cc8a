// A real OpenID Provider for the tests (panva's oidc-provider): its own login and consent pages
// (devInteractions: the login is the account's id, any password), the clients and accounts the test passes
// as JSON in PORTICO_TEST_OP, a `groups` claim. Prints "ready <issuer>" once it listens.
import { Provider } from 'oidc-provider';

const setup = JSON.parse(process.env.PORTICO_TEST_OP);
const accounts = setup.accounts;  // id -> claims (email, email_verified, name, groups, ...)

const provider = new Provider(setup.issuer, {
  clients: setup.clients,
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
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
  await next();
  if (typeof ctx.body === 'string' && ctx.type === 'text/html') {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);/g, '');
  }
});
const server = provider.listen(setup.port, '127.0.0.1', () => console.log(`ready ${setup.issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
