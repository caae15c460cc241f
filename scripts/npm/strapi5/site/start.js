// A Strapi site for the interop matrix (tests/interop), Strapi 4 or 5 by what is installed.
// Usage: node start.js INSTALLED APP_DIR PORT
//   INSTALLED: the folder `scripts/ensure-npm strapi5` (or strapi4) printed.
// Makes APP_DIR a Strapi project over INSTALLED's node_modules (SQLite in APP_DIR, no admin
// panel; users get firstName, lastName and an avatar), starts it on 127.0.0.1:PORT, seeds 20
// users (some without a first or a last name, some with an avatar), and writes APP_DIR/seed.json:
// { "apiToken", "viewer": {"id", "jwt"}, "users": [{"id", "documentId", "username",
//   "firstName", "lastName", "avatar"}] } once it answers. Stopped by a signal to its pid.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [installed, appDir, port] = process.argv.slice(2);
if (!installed || !appDir || !port) {
  console.error('usage: node start.js INSTALLED APP_DIR PORT');
  process.exit(2);
}
const need = createRequire(path.join(installed, 'package.json'));
const major = Number(need('@strapi/strapi/package.json').version.split('.')[0]);

function write(relative, text) {
  const file = path.join(appDir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const installedPackage = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
write('package.json', JSON.stringify({
  name: 'imbachat-interop-strapi',
  private: true,
  version: '0.0.0',
  dependencies: installedPackage.dependencies,
}));
if (!fs.existsSync(path.join(appDir, 'node_modules'))) {
  fs.symlinkSync(path.join(installed, 'node_modules'), path.join(appDir, 'node_modules'), 'dir');
}
write('config/database.js', `module.exports = () => ({
  connection: {
    client: 'sqlite',
    connection: { filename: ${JSON.stringify(path.join(appDir, 'data.db'))} },
    useNullAsDefault: true,
  },
});
`);
write('config/server.js', `module.exports = () => ({
  host: '127.0.0.1',
  port: ${Number(port)},
  app: { keys: ['interop-key-one', 'interop-key-two'] },
});
`);
write('config/admin.js', `module.exports = () => ({
  auth: { secret: 'interop-admin-secret' },
  apiToken: { salt: 'interop-api-token-salt' },
  transfer: { token: { salt: 'interop-transfer-salt' } },
  secrets: { encryptionKey: 'interop-encryption-key-0123456789' },
  serveAdminPanel: false,
});
`);
write('config/plugins.js', `module.exports = () => ({
  'users-permissions': { config: { jwtSecret: 'interop-jwt-secret' } },
});
`);
write('config/middlewares.js', `module.exports = [
  'strapi::logger', 'strapi::errors', 'strapi::security', 'strapi::cors', 'strapi::poweredBy',
  'strapi::query', 'strapi::body', 'strapi::session', 'strapi::favicon', 'strapi::public',
];
`);
write('src/index.js', 'module.exports = { register() {}, bootstrap() {} };\n');
write('src/extensions/users-permissions/strapi-server.js', `module.exports = (plugin) => {
  const attributes = plugin.contentTypes.user.schema.attributes;
  attributes.firstName = { type: 'string' };
  attributes.lastName = { type: 'string' };
  attributes.avatar = { type: 'media', multiple: false, allowedTypes: ['images'] };
  return plugin;
};
`);
fs.mkdirSync(path.join(appDir, 'public', 'uploads'), { recursive: true });
// A 1x1 PNG: the favicon middleware Strapi insists on serves it.
write('favicon.png', Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
));

const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia',
  'Tony', 'Margaret', 'Dennis', 'Hedy', 'John', 'Karen', 'Niklaus', 'Sophie', 'Linus', 'Joan',
  'Guido'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson',
  'Perlman', 'Hoare', 'Hamilton', 'Ritchie', 'Lamarr', 'Backus', 'Jones', 'Wirth', 'Wilson',
  'Torvalds', 'Clarke', 'Rossum'];

async function seed(strapi) {
  const role = await strapi.db.query('plugin::users-permissions.role')
    .findOne({ where: { type: 'authenticated' } });
  const users = [];
  for (let n = 1; n <= 20; n += 1) {
    let avatar = null;
    if (n % 3 === 0) {
      avatar = await strapi.db.query('plugin::upload.file').create({
        data: {
          name: `avatar-${n}.png`, hash: `avatar_${n}`, ext: '.png', mime: 'image/png', size: 1,
          url: `/uploads/avatar_${n}.png`, provider: 'local', folderPath: '/',
        },
      });
    }
    const firstName = n % 5 === 4 ? null : FIRST[n - 1];
    const lastName = n % 7 === 6 ? null : LAST[n - 1];
    const user = await strapi.plugin('users-permissions').service('user').add({
      username: `member${n}`, email: `member${n}@example.com`, password: 'Interop-Passw0rd',
      provider: 'local', confirmed: true, blocked: false, role: role.id,
      firstName, lastName, avatar: avatar ? avatar.id : null,
    });
    users.push({
      id: user.id, documentId: user.documentId || null, username: `member${n}`,
      firstName, lastName, avatar: avatar ? avatar.url : null,
    });
  }
  const token = await strapi.service('admin::api-token').create({
    name: 'chat adapter', description: 'the interop matrix', type: 'full-access', lifespan: null,
  });
  const viewer = users[6];
  const jwt = strapi.plugin('users-permissions').service('jwt').issue({ id: viewer.id });
  return { apiToken: token.accessKey, viewer: { id: viewer.id, jwt }, users };
}

async function main() {
  process.chdir(appDir);
  let app;
  if (major >= 5) {
    const { createStrapi } = need('@strapi/strapi');
    app = createStrapi({ appDir, distDir: appDir });
  } else {
    app = need('@strapi/strapi')({ appDir, distDir: appDir });
  }
  await app.start();
  const seeded = await seed(app);
  const out = path.join(appDir, 'seed.json');
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(seeded, null, 2));
  fs.renameSync(`${out}.tmp`, out);
  console.log(`strapi ${major} ready on 127.0.0.1:${port}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
