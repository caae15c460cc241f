// The Strapi 4 site of the interop matrix: the same project and seed as Strapi 5's (that script
// tells Strapi 4 from 5 by the installed @strapi/strapi).
// Usage: node start.js INSTALLED APP_DIR PORT   (INSTALLED: `scripts/ensure-npm strapi4`)
'use strict';

require('../../strapi5/site/start.js');
