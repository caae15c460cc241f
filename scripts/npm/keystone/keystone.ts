// KeystoneJS 6 for the interop matrix: a User list (name, email, password) over SQLite, password
// sign-in by @keystone-6/auth, stateless sessions (the sealed `keystonejs-session` cookie).
// Ids are integers (autoincrement), as the chat wants them. The database file is $KEYSTONE_DB
// (tables by tables.mjs), the port $PORT, the session secret $SESSION_SECRET.
import { config, list } from "@keystone-6/core";
import { allowAll } from "@keystone-6/core/access";
import { password, text } from "@keystone-6/core/fields";
import { statelessSessions } from "@keystone-6/core/session";
import { createAuth } from "@keystone-6/auth";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";

const { withAuth } = createAuth({
  listKey: "User",
  identityField: "email",
  secretField: "password",
  sessionData: "id name",
});

export default withAuth(
  config({
    db: {
      provider: "sqlite",
      idField: { kind: "autoincrement" },
      prismaClientOptions: () => ({
        adapter: new PrismaBetterSqlite3({ url: `file:${process.env.KEYSTONE_DB ?? "keystone.db"}` }),
      }),
    },
    server: { options: { host: "127.0.0.1", port: Number(process.env.PORT ?? 3000) } },
    graphql: { playground: false },
    ui: { isDisabled: true },
    telemetry: false,
    lists: {
      User: list({
        access: allowAll,
        fields: {
          name: text({ validation: { isRequired: true } }),
          email: text({ isIndexed: "unique", validation: { isRequired: true } }),
          password: password(),
        },
      }),
    },
    session: statelessSessions({ secret: process.env.SESSION_SECRET ?? "a-build-time-secret-of-32-characters-at-least" }),
  }),
);
