// graphql-yoga on 127.0.0.1 at a port the system picks, serving the seeded members with one of
// the schemas here. Usage: node yoga.mjs tutorial|hasura
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";
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

const family = process.argv[2];
const resolvers = { tutorial: tutorialResolvers, hasura: hasuraResolvers }[family];
if (!resolvers) throw new Error(`usage: node yoga.mjs tutorial|hasura (got ${family})`);

const yoga = createYoga({
  schema: createSchema({ typeDefs: schemaText(family), resolvers }),
  graphqlEndpoint: "/graphql",
  logging: false,
  context: ({ request }) => ({ authorization: request.headers.get("authorization") }),
});
const server = createServer(yoga);
server.listen(0, "127.0.0.1", () => announce(`http://127.0.0.1:${server.address().port}/graphql`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
