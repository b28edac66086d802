// A real OpenID Connect provider for the sign-in test: the certified `oidc-provider`
// package on localhost, with one client (swipeset) and any user name accepted by its
// built-in development login page. Each user belongs to the organisation `swipe-org`, given
// the way Hugging Face gives it: an `orgs` claim of objects.
//
//   node oidc-provider.mjs PROVIDER_PORT APP_PORT
import Provider from 'oidc-provider';

const [providerPort, appPort] = process.argv.slice(2).map(Number);
if (!providerPort || !appPort) {
  console.error('usage: node oidc-provider.mjs PROVIDER_PORT APP_PORT');
  process.exit(2);
}

const provider = new Provider(`http://127.0.0.1:${providerPort}`, {
  clients: [
    {
      client_id: 'swipeset-e2e',
      client_secret: 'e2e-client-secret-that-is-long-enough',
      redirect_uris: [`http://127.0.0.1:${appPort}/login/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  // Every client must use PKCE (S256), as swipeset does.
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'orgs'],
  },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    async claims() {
      return {
        sub: id,
        preferred_username: id,
        name: id,
        orgs: [{ sub: 'org-1', name: 'Swipe Org', preferred_username: 'swipe-org' }],
      };
    },
  }),
  features: { devInteractions: { enabled: true } },
});

provider.listen(providerPort, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${providerPort}`);
});
