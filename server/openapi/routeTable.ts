import { type Router as ExpressRouter, type RequestHandler, Router } from 'express';

/**
 * Each route module declares its routes once, in a table: method, path and OpenAPI operation, and
 * no handlers, so the table needs nothing from the composition root. The module's router is built
 * from its table (`routerFor`) and the OpenAPI document from all the tables (`openApiPaths`), so a
 * route cannot be served undocumented, or documented and not served.
 */

/**
 * An OpenAPI 3.1 operation object. `operationId` names the function a generated client calls, so it
 * never changes once published (a verb and the resource, camelCase: `uploadDocument`).
 */
export type Operation = { operationId: string; summary: string; [field: string]: unknown };

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

/** A route table and the tag its operations are listed under in the document. */
export type TaggedRouteTable = { tag: string; description: string; table: RouteTable };

/** The OpenAPI `paths` object of these tables, in their order, each operation tagged with its table's tag. */
export function openApiPaths(sections: readonly TaggedRouteTable[]): Record<string, Record<string, Operation>> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const { tag, table } of sections)
    for (const spec of Object.values(table)) {
      const path = openApiPath(spec.path);
      paths[path] = { ...paths[path], [spec.method]: { tags: [tag], ...spec.operation } };
    }
  return paths;
}
