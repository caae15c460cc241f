// Creates Keystone's tables in a fresh SQLite file ($KEYSTONE_DB) with the SQL that Prisma's
// `db push` would run for schema.prisma: Prisma's schema engine, which `db push` needs, would be
// downloaded from Prisma's own host, which these machines cannot reach.
import Database from "better-sqlite3";

const db = new Database(process.env.KEYSTONE_DB);
db.exec(`
CREATE TABLE "User" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "name" TEXT NOT NULL DEFAULT '',
  "email" TEXT NOT NULL DEFAULT '',
  "password" TEXT
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`);
db.close();
