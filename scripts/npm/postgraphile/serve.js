// PostGraphile with the connection-filter plugin on a loopback port the system picks (port 0).
// Usage: node serve.js <postgres connection string> <schema> [subscriptions]
// `subscriptions`: also its simple subscriptions (`listen(topic:)`, fed by pg_notify through
// @graphile/pg-pubsub) over WebSocket, in both graphql-transport-ws and graphql-ws, as
// `postgraphile --plugins @graphile/pg-pubsub --subscriptions --simple-subscriptions` serves them.
// Prints one line of JSON, {"port": N}, once it listens; stops on SIGTERM.
"use strict";
const http = require("http");
const { enhanceHttpServerWithSubscriptions, makePluginHook, postgraphile } = require("postgraphile");
const ConnectionFilterPlugin = require("postgraphile-plugin-connection-filter");
const { default: PgPubsub } = require("@graphile/pg-pubsub");

const [connection, schema, mode] = process.argv.slice(2);
const subscriptions = mode === "subscriptions";
const middleware = postgraphile(connection, schema, {
  appendPlugins: [ConnectionFilterPlugin],
  graphqlRoute: "/graphql",
  disableQueryLog: true,
  retryOnInitFail: false,
  ...(subscriptions && {
    pluginHook: makePluginHook([PgPubsub]),
    subscriptions: true,
    simpleSubscriptions: true,
  }),
});
const server = http.createServer(middleware);
// Listening only once WebSocket upgrades are taken (before that they are answered 405).
const ready = subscriptions ? enhanceHttpServerWithSubscriptions(server, middleware) : null;
Promise.resolve(ready).then(() =>
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
  }),
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
