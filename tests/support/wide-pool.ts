// Imported first by tests that race requests: one warm container serves one request at a time, so the
// service's pool holds 2 connections; 50 concurrent Lambdas would hold 50. A pool of 20 lets the races
// reach the database at once instead of queueing in front of two connections.
process.env.DB_POOL_MAX = '20';
