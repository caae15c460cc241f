// Apollo Server (standalone) on 127.0.0.1 at a port the system picks, serving the tutorial schema
// over the seeded members. Run it with NODE_ENV=production, as sites deploy it: introspection is
// then off (Apollo Server's production default), so `init` needs the schema from a file.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { announce, schemaText, tutorialResolvers } from "./users.mjs";

const server = new ApolloServer({ typeDefs: schemaText("tutorial"), resolvers: tutorialResolvers });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: 0 },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
announce(new URL("/graphql", url).href);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.stop().finally(() => process.exit(0)));
}
