// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml).

/**
 * Sequelize requires every dialect it ships (MySQL, MSSQL, Oracle, ...) from one switch, so a bundle
 * carries all of them although only PostgreSQL ever runs: ~160 KB of minified code per function. The
 * other dialects' entry points become a module that throws if ever loaded.
 */
const UNUSED_DIALECT = /^\.\/dialects\/(mariadb|mssql|mysql|oracle|sqlite|db2|snowflake)$/;

const dropUnusedSequelizeDialects = {
  name: 'drop-unused-sequelize-dialects',
  setup(build) {
    build.onResolve({ filter: UNUSED_DIALECT }, (args) =>
      /[\\/]sequelize[\\/]lib[\\/]sequelize\.js$/.test(args.importer) ? { path: args.path, namespace: 'unused-dialect' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'unused-dialect' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`The Sequelize dialect ${args.path} is not bundled: this service runs on PostgreSQL only.`)});`,
    }));
  },
};

module.exports = [dropUnusedSequelizeDialects];
