// PostGraphile with the connection-filter plugin on a loopback port the system picks (port 0).
// Usage: node serve.js <postgres connection string> <schema>
// Prints one line of JSON, {"port": N}, once it listens; stops on SIGTERM.
"use strict";
const http = require("http");
const { postgraphile } = require("postgraphile");
const ConnectionFilterPlugin = require("postgraphile-plugin-connection-filter");

const [connection, schema] = process.argv.slice(2);
const middleware = postgraphile(connection, schema, {
  appendPlugins: [ConnectionFilterPlugin],
  graphqlRoute: "/graphql",
  disableQueryLog: true,
  retryOnInitFail: false,
});
const server = http.createServer(middleware);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
