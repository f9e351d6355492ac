import type { Model, ModelStatic } from 'sequelize';

/*
 * SQL for the hot single-row routes, written once per container from the models (table, column names,
 * primary key, paranoid deletedAt), so the models stay the single source of truth while a request skips
 * Sequelize's query generator, instance building and validators: the statement is sent as it is with
 * bind parameters. Each text is built on first use and cached.
 */

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The column of `attribute` (its `field` when the model renames it). */
function column(model: ModelStatic<Model>, attribute: string): string {
  const definition = (model.getAttributes() as Record<string, { field?: string } | undefined>)[attribute];
  if (!definition) throw new Error(`${model.name} has no attribute ${attribute}`);
  return quote(definition.field ?? attribute);
}

const tableOf = (model: ModelStatic<Model>) => quote(model.getTableName() as string);

/** `"column" AS "attribute", ...`: rows come back keyed by attribute name. */
function selectList(model: ModelStatic<Model>, attributes: readonly string[]): string {
  return attributes.map((attribute) => `${column(model, attribute)} AS ${quote(attribute)}`).join(', ');
}

const cache = new WeakMap<ModelStatic<Model>, Map<string, string>>();

function cached(model: ModelStatic<Model>, key: string, build: () => string): string {
  let texts = cache.get(model);
  if (!texts) {
    texts = new Map();
    cache.set(model, texts);
  }
  let text = texts.get(key);
  if (text === undefined) {
    text = build();
    texts.set(key, text);
  }
  return text;
}

/**
 * The row's version, selected as "version": its `xmin` (the transaction that wrote this version of the
 * row, which every write changes, whoever makes it) and its updatedAt in microseconds, which together
 * never repeat, even after transaction ids wrap around (docs/lifecycle.md, "ETags").
 */
function versionSql(model: ModelStatic<Model>): string {
  return `xmin::text || '.' || floor(extract(epoch FROM ${column(model, 'updatedAt')}) * 1000000)::bigint::text AS "version"`;
}

export interface SelectOptions {
  /** Also the rows a paranoid model soft-deleted (erasure reaches them). */
  withDeleted?: boolean;
  /** FOR UPDATE: the row stays as read until the transaction ends. */
  forUpdate?: boolean;
}

/**
 * SELECT `attributes` and the version of the row whose primary key is $1: the live row only, for a
 * paranoid model, unless `withDeleted`.
 */
export function selectByPrimaryKeySql(model: ModelStatic<Model>, attributes: readonly string[], options: SelectOptions = {}): string {
  return cached(model, `select:${attributes.join(',')}:${options.withDeleted}:${options.forUpdate}`, () => {
    const live = model.options.paranoid && !options.withDeleted ? ` AND ${column(model, 'deletedAt')} IS NULL` : '';
    const lock = options.forUpdate ? ' FOR UPDATE' : '';
    return `SELECT ${selectList(model, attributes)}, ${versionSql(model)} FROM ${tableOf(model)} WHERE ${column(model, model.primaryKeyAttribute)} = $1${live}${lock}`;
  });
}

/**
 * UPDATE of `columns` (bound as $2..$n+1 in that order) and updatedAt of the row whose primary key is $1,
 * RETURNING `attributes` and the new version.
 */
export function updateSql(model: ModelStatic<Model>, columns: readonly string[], attributes: readonly string[]): string {
  return cached(model, `update:${columns.join(',')}:${attributes.join(',')}`, () => {
    const sets = columns.map((name, index) => `${column(model, name)} = $${index + 2}`);
    return `UPDATE ${tableOf(model)} SET ${[...sets, `${column(model, 'updatedAt')} = now()`].join(', ')}
      WHERE ${column(model, model.primaryKeyAttribute)} = $1 RETURNING ${selectList(model, attributes)}, ${versionSql(model)}`;
  });
}

/**
 * INSERT of `columns` (bound as $1..$n in that order) with the primary key, createdAt and updatedAt left
 * to the table's defaults (gen_random_uuid(), now()), RETURNING `attributes` and the version.
 */
export function insertSql(model: ModelStatic<Model>, columns: readonly string[], attributes: readonly string[]): string {
  return cached(model, `insert:${columns.join(',')}:${attributes.join(',')}`, () => {
    const values = columns.map((_, index) => `$${index + 1}`).join(', ');
    return `INSERT INTO ${tableOf(model)} (${columns.map((name) => column(model, name)).join(', ')}) VALUES (${values}) RETURNING ${selectList(model, attributes)}, ${versionSql(model)}`;
  });
}
