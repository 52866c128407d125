// The reference authorization server for `npm run bench`: node-oidc-provider with its in-memory
// adapter, one client with client_credentials and introspection (client_secret_basic). It answers
// from memory, so its figures are the floor the vault's token endpoint is measured against.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.PEER_CLIENT_ID ?? 'bench-client',
      client_secret: process.env.PEER_CLIENT_SECRET ?? 'bench-secret-0123456789abcdef0123456789abcdef',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'grant_management',
    },
  ],
  scopes: ['grant_management'],
  ttl: { ClientCredentials: 600 },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
});
provider.on('server_error', (_ctx, err) => console.error(err));
const server = createServer(provider.callback());
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
