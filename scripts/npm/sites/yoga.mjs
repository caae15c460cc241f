// graphql-yoga on 127.0.0.1 at a port the system picks, serving the seeded members with one of
// the schemas here. Usage: node yoga.mjs tutorial|hasura
// The tutorial site also publishes its members' renames (feed.graphql) with yoga's pub/sub, over
// WebSocket (graphql-transport-ws) as yoga's documentation wires it: graphql-ws on a ws server.
import { createServer } from "node:http";
import { useServer } from "graphql-ws/use/ws";
import { createPubSub, createSchema, createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { MEMBERS, announce, byId, schemaText, tutorialResolvers } from "./users.mjs";

function matches(member, where) {
  if (!where) return true;
  const { id, _and, _or, _not } = where;
  if (id) {
    if (id._eq != null && member.id !== id._eq) return false;
    if (id._in != null && !id._in.includes(member.id)) return false;
    if (id._nin != null && id._nin.includes(member.id)) return false;
  }
  if (_and && !_and.every((part) => matches(member, part))) return false;
  if (_or && !_or.some((part) => matches(member, part))) return false;
  if (_not && matches(member, _not)) return false;
  return true;
}

// As Hasura answers: rows in table order (not the order of `_in`), `limit` and `offset` applied.
const hasuraResolvers = {
  query_root: {
    users: (_, { where, limit, offset }) => {
      const rows = MEMBERS.filter((m) => matches(m, where)).slice(offset ?? 0);
      return limit == null ? rows : rows.slice(0, limit);
    },
    users_by_pk: (_, { id }) => byId(id),
  },
  users: { display_name: (m) => m.name, avatar_url: (m) => m.avatar },
};

const pubSub = createPubSub();
// A test site: anyone may rename anyone.
const feedResolvers = {
  ...tutorialResolvers,
  Mutation: {
    ...tutorialResolvers.Mutation,
    renameUser: (_, { id, name }) => {
      const member = byId(id);
      if (member) {
        member.name = name;
        pubSub.publish("userChanged", member);
      }
      return member;
    },
  },
  Subscription: {
    userChanged: { subscribe: () => pubSub.subscribe("userChanged"), resolve: (member) => member },
  },
};

const family = process.argv[2];
const resolvers = { tutorial: feedResolvers, hasura: hasuraResolvers }[family];
if (!resolvers) throw new Error(`usage: node yoga.mjs tutorial|hasura (got ${family})`);
const typeDefs = family === "tutorial" ? [schemaText(family), schemaText("feed")] : schemaText(family);

const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers }),
  graphqlEndpoint: "/graphql",
  logging: false,
  // Over WebSocket the request is node's (headers a plain object), over HTTP a Fetch Request.
  context: ({ request }) => ({
    authorization: request.headers.get?.("authorization") ?? request.headers.authorization,
  }),
});
const server = createServer(yoga);
useServer(
  {
    execute: (args) => args.rootValue.execute(args),
    subscribe: (args) => args.rootValue.subscribe(args),
    onSubscribe: async (ctx, _id, params) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        request: ctx.extra.request,
        socket: ctx.extra.socket,
        params,
      });
      const args = {
        schema,
        operationName: params.operationName,
        document: parse(params.query),
        variableValues: params.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      const errors = validate(args.schema, args.document);
      return errors.length ? errors : args;
    },
  },
  new WebSocketServer({ server, path: yoga.graphqlEndpoint }),
);
server.listen(0, "127.0.0.1", () => announce(`http://127.0.0.1:${server.address().port}/graphql`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
