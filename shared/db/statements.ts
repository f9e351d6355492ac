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

/** SELECT `attributes` of the live row whose primary key is $1 (soft-deleted rows of a paranoid model excluded). */
export function selectByPrimaryKeySql(model: ModelStatic<Model>, attributes: readonly string[]): string {
  return cached(model, `select:${attributes.join(',')}`, () => {
    const live = model.options.paranoid ? ` AND ${column(model, 'deletedAt')} IS NULL` : '';
    return `SELECT ${selectList(model, attributes)} FROM ${tableOf(model)} WHERE ${column(model, model.primaryKeyAttribute)} = $1${live}`;
  });
}

/**
 * INSERT of `columns` (bound as $1..$n in that order) with the primary key, createdAt and updatedAt left
 * to the table's defaults (gen_random_uuid(), now()), RETURNING `attributes`.
 */
export function insertSql(model: ModelStatic<Model>, columns: readonly string[], attributes: readonly string[]): string {
  return cached(model, `insert:${columns.join(',')}:${attributes.join(',')}`, () => {
    const values = columns.map((_, index) => `$${index + 1}`).join(', ');
    return `INSERT INTO ${tableOf(model)} (${columns.map((name) => column(model, name)).join(', ')}) VALUES (${values}) RETURNING ${selectList(model, attributes)}`;
  });
}
