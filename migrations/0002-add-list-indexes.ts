import { createIndexesConcurrently, dropIndexesConcurrently, type IndexDefinition, type Migration } from './types';

/**
 * Indexes for the keyset lists of docs/api.md#lists-and-pagination.
 *
 * Users sort by lastName (NULLs last), firstName, userId. A NULL inside a row comparison makes the whole
 * comparison NULL, so the sort key is `("lastName" IS NULL, COALESCE("lastName", ''), "firstName",
 * "userId")`: a total order with no NULL in it, that one btree serves for both ORDER BY and the cursor's
 * row comparison. The `?q=` prefix search uses `lower(...) LIKE 'prefix%'`, which only a
 * `text_pattern_ops` index serves under a non-C collation (RDS defaults to en_US.UTF-8). Those three are
 * not partial: the planner reads an expression index's statistics only when the index is not partial,
 * and without them it guesses 0.5% of rows match any prefix and walks the whole sort order to find
 * eleven rows (143 ms against 0.1 ms on 40,000 users). The sort-order indexes are partial on live rows,
 * as the lists are.
 *
 * CONCURRENTLY, one statement each (it cannot run inside a transaction): the migrate function runs beside
 * the live service, and a plain CREATE INDEX would block writes to users for the whole build.
 */
const INDEXES: IndexDefinition[] = [
  [
    'users_list_order_idx',
    `users ((("lastName" IS NULL)), (COALESCE("lastName", '')), "firstName", "userId") WHERE "deletedAt" IS NULL`,
  ],
  ['users_first_name_prefix_idx', `users (lower("firstName") text_pattern_ops)`],
  ['users_last_name_prefix_idx', `users (lower("lastName") text_pattern_ops)`],
  ['users_email_prefix_idx', `users (lower("email") text_pattern_ops)`],
  ['schools_list_order_idx', `schools ("name", "schoolId") WHERE "deletedAt" IS NULL`],
];

export const addListIndexes: Migration = {
  name: '0002-add-list-indexes',
  async up({ context: sequelize }) {
    await createIndexesConcurrently(sequelize, INDEXES);
  },
  async down({ context: sequelize }) {
    await dropIndexesConcurrently(sequelize, INDEXES);
  },
};
