import { type Router as ExpressRouter, type RequestHandler, Router } from 'express';

/**
 * Each route module declares its routes once, in a table: method, path and OpenAPI operation, and
 * no handlers, so the table needs nothing from the composition root. The module's router is built
 * from its table (`routerFor`) and the OpenAPI document from all the tables (`openApiPaths`), so a
 * route cannot be served undocumented, or documented and not served.
 */

/** An OpenAPI 3.1 operation object. */
export type Operation = { summary: string; [field: string]: unknown };

export type RouteSpec = {
  method: 'get' | 'post' | 'delete';
  /** In Express's syntax (`/documents/:id`); the OpenAPI document writes it `/documents/{id}`. */
  path: string;
  operation: Operation;
};

export type RouteTable = Readonly<Record<string, RouteSpec>>;

/** A router serving exactly the routes of `table`, each with its handlers (middleware first). */
export function routerFor<Table extends RouteTable>(
  table: Table,
  handlers: { readonly [Name in keyof Table]: readonly [RequestHandler, ...RequestHandler[]] },
): ExpressRouter {
  const router = Router();
  for (const [name, spec] of Object.entries(table))
    router[spec.method](spec.path, ...(handlers[name] as readonly RequestHandler[]));
  return router;
}

/** `/documents/:id` → `/documents/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]\w*)/g, '{$1}');

/** The OpenAPI `paths` object of these tables, in their order. */
export function openApiPaths(tables: readonly RouteTable[]): Record<string, Record<string, Operation>> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const spec of tables.flatMap((table) => Object.values(table))) {
    const path = openApiPath(spec.path);
    paths[path] = { ...paths[path], [spec.method]: spec.operation };
  }
  return paths;
}
