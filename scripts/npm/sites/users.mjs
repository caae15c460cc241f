// The seeded site every light matrix server serves: 20 members, a password sign-in that hands
// out an opaque session token, and the member a request's `Authorization: Bearer <token>` names.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
  "Dennis", "Radia", "Ken", "Hedy", "Tim", "Karen", "Niklaus", "Sophie", "Linus", "Shafi", "Guido"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy",
  "Hamilton", "Ritchie", "Perlman", "Thompson", "Lamarr", "Berners-Lee", "Spärck Jones", "Wirth",
  "Wilson", "Torvalds", "Goldwasser", "van Rossum"];

export const PASSWORD = "demo";

export const MEMBERS = FIRST.map((first, index) => ({
  id: index + 1,
  name: `${first} ${LAST[index]}`,
  email: `user${index + 1}@example.org`,
  avatar: index % 3 === 0 ? null : `https://img.example.org/u/${index + 1}.png`,
}));

const sessions = new Map();

export function signIn(email, password) {
  const member = MEMBERS.find((m) => m.email === email);
  if (!member || password !== PASSWORD) throw new Error("wrong email or password");
  const token = randomBytes(24).toString("hex");
  sessions.set(token, member.id);
  return { token, member };
}

export function memberOf(authorization) {
  const match = /^Bearer (\S+)$/.exec(authorization ?? "");
  const id = match ? sessions.get(match[1]) : undefined;
  return id === undefined ? null : MEMBERS[id - 1];
}

export function byId(id) {
  const number = Number(id);
  return Number.isInteger(number) && number >= 1 && number <= MEMBERS.length
    ? MEMBERS[number - 1]
    : null;
}

export function schemaText(name) {
  return readFileSync(new URL(`./${name}.graphql`, import.meta.url), "utf8");
}

// The tutorial schema's resolvers (tutorial.graphql), for any server that passes
// `{ authorization }` as its context.
export const tutorialResolvers = {
  Query: {
    user: (_, { id }) => byId(id),
    users: () => MEMBERS,
    me: (_, __, { authorization }) => memberOf(authorization),
  },
  Mutation: {
    login: (_, { email, password }) => {
      const { token, member } = signIn(email, password);
      return { token, user: member };
    },
  },
  User: { id: (member) => String(member.id) },
};

// Prints one line of JSON, {"url": ...}, once the server listens; the test reads it.
export function announce(url) {
  process.stdout.write(`${JSON.stringify({ url })}\n`);
}
