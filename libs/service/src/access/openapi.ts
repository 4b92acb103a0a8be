// The OpenAPI document says what access each route wants, from the same table the guard reads:
// the bearer scheme, and each route's 401, 403 and (for a route about one account) 404.
import { OpenAPIObject } from '@nestjs/swagger';
import { PUBLIC, ROUTE_RULES } from './route-rules';

const ERROR = { $ref: '#/components/schemas/Error' };
const answer = (description: string) => ({ description, content: { 'application/json': { schema: ERROR } } });

/** `/v1/accounts/{id}` as Express names it: `/v1/accounts/:id`. */
export const expressPath = (openApiPath: string): string => openApiPath.replace(/\{([^}]+)\}/g, ':$1');

export function declareAccess(doc: OpenAPIObject): OpenAPIObject {
  doc.components ??= {};
  doc.components.securitySchemes = {
    ...doc.components.securitySchemes,
    bearer: { type: 'http', scheme: 'bearer', description: 'an API key: Authorization: Bearer lk_<role>_...' },
  };
  doc.components.schemas = {
    ...doc.components.schemas,
    Error: {
      type: 'object',
      required: ['error', 'message', 'details'],
      properties: { error: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: {} } },
    },
  };
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations) as [string, any][]) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      const rule = ROUTE_RULES[`${method.toUpperCase()} ${expressPath(path)}`];
      if (rule === PUBLIC) {
        op.security = [];
        continue;
      }
      op.security = [{ bearer: [] }];
      const roles = rule ? ['admin', ...rule.roles].join(', ') : 'no one (the route has no rule)';
      op.description = [op.description, `Access: ${roles}.`].filter(Boolean).join('\n\n');
      op.responses['401'] ??= answer('unauthenticated: no key, or an unknown, revoked or expired one');
      op.responses['403'] ??= answer("forbidden: the key's role may not call this route");
      if (rule && rule.scope !== 'none')
        op.responses['404'] ??= answer('unknown (or, for a key bound to another account, hidden) account or record');
      if (rule?.note?.includes('rate limited'))
        op.responses['429'] ??= answer('rate_limited: too many requests of this key; see Retry-After');
    }
  }
  return doc;
}
