// A federation gateway for the adapter's tests: Apollo Gateway composing the subgraphs named on
// the command line (name=url ...) with IntrospectAndCompose, served by Apollo Server on
// 127.0.0.1 at a port the system picks. It prints {"url": ...} once it listens.
//
// It forwards to every subgraph exactly the headers DEPLOYING.md says a gateway must forward:
// Authorization and Cookie (the viewer's credentials) and X-Forwarded-For (the client address).
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const FORWARDED = ["authorization", "cookie"];

const subgraphs = process.argv.slice(2).map((argument) => {
  const [name, url] = argument.split("=", 2);
  if (!name || !url) throw new Error(`expected name=url, got ${argument}`);
  return { name, url };
});

class ForwardingDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    for (const [name, value] of Object.entries(context.forward ?? {})) {
      request.http.headers.set(name, value);
    }
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({ subgraphs }),
  buildService: ({ url }) => new ForwardingDataSource({ url }),
});
const server = new ApolloServer({ gateway, introspection: false });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: 0 },
  context: async ({ req }) => {
    const forward = {};
    for (const name of FORWARDED) {
      if (typeof req.headers[name] === "string") forward[name] = req.headers[name];
    }
    const address = req.socket.remoteAddress;
    const chain = req.headers["x-forwarded-for"];
    forward["x-forwarded-for"] = chain ? `${chain}, ${address}` : address;
    return { forward };
  },
});
process.stdout.write(`${JSON.stringify({ url })}\n`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.stop().finally(() => process.exit(0)));
}
