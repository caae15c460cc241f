// Hive Gateway's configuration for the adapter's federation test: DEPLOYING.md's recipe as it
// stands there (`chat` is the adapter's subgraph name in the supergraph).
import { defineConfig } from "@graphql-hive/gateway";

const FORWARDED = ["authorization", "cookie", "x-forwarded-for"];

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs({ request, subgraphName }) {
      if (subgraphName !== "chat") return {};
      return Object.fromEntries(
        FORWARDED.flatMap((name) => {
          const value = request.headers.get(name);
          return value === null ? [] : [[name, value]];
        }),
      );
    },
  },
});
