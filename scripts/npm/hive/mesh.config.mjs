// Mesh Compose's configuration for the adapter's federation test: the subgraphs named in
// $IMBACHAT_SUBGRAPHS (JSON, {"name": "url", ...}), each read from `_service { sdl }`.
import { defineConfig, loadGraphQLHTTPSubgraph } from "@graphql-mesh/compose-cli";

const subgraphs = JSON.parse(process.env.IMBACHAT_SUBGRAPHS ?? "{}");

export const composeConfig = defineConfig({
  subgraphs: Object.entries(subgraphs).map(([name, endpoint]) => ({
    sourceHandler: loadGraphQLHTTPSubgraph(name, { endpoint, federation: true }),
  })),
});
