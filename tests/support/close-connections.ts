// Whatever a test file invoked, the container's pool is closed when the file ends, so no idle
// connection or pool timer keeps the jest worker alive. Required lazily: the service's config reads
// the environment at load, and some test files set it before they load the service.
afterAll(async () => {
  const { closeConnections } = require('../../shared/db/sequelize') as typeof import('../../shared/db/sequelize');
  await closeConnections();
});
