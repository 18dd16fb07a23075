import { createPool, type DatabasePool, type Interceptor, SchemaValidationError } from 'slonik';

/**
 * Validates every row of a query built with `sql.type(schema)` / `sql.prepared(name, schema)`.
 * slonik only carries the schema; without this interceptor nothing checks it.
 */
const resultParserInterceptor: Interceptor = {
  name: 'filot-result-parser',
  transformRow: (context, query, row) => {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser['~standard'].validate(row);
    if (result instanceof Promise) throw new TypeError('Result parsers must be synchronous');
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as typeof row;
  },
};

export type DatabaseOptions = { databaseUrl: string; poolSize: number; applicationName?: string };

export async function createDatabasePool(options: DatabaseOptions): Promise<DatabasePool> {
  const url = new URL(options.databaseUrl);
  url.searchParams.set('application_name', options.applicationName ?? 'filot');
  return createPool(url.toString(), {
    interceptors: [resultParserInterceptor],
    maxPoolSize: options.poolSize,
    // Stack capture costs a few microseconds per query on the hot transition path; errors carry
    // the SQL and the document id instead.
    captureStackTrace: false,
    connectionTimeout: 5000,
    statementTimeout: 30_000,
    idleInTransactionSessionTimeout: 30_000,
    // slonik's default reset runs DISCARD ALL on every release: one more round trip per query, and it
    // deallocates the named prepared statements of the hot path. Nothing here changes session state
    // (no SET, temporary tables or LISTEN), so there is nothing to reset.
    resetConnection: async () => {},
  });
}
