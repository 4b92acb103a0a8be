// The OpenAPI document says every answer a route may give, not only its success: the failures
// every route shares are added here to every operation (400 to one with input, 413 and 415 to one
// with a body, 503 to all), a route's own failures are declared on it with `ApiFailures` (from the
// same table of statuses the errors are answered with), and the path parameters get the schema
// their pipes enforce. Request bodies refuse unknown properties, as the validation pipe does.
import { applyDecorators } from '@nestjs/common';
import { ApiResponse, OpenAPIObject } from '@nestjs/swagger';
import { ParameterObject, RequestBodyObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { WALLETS } from '@ledger/domain';
import { statusOf } from './http-errors';
import { MAX_LENGTH, accountIdSchema, textSchema } from './input-limits';

const ERROR = { $ref: '#/components/schemas/Error' };
const answer = (description: string) => ({ description, content: { 'application/json': { schema: ERROR } } });

/** A route's own failures, by code (`account_not_found`, `plan_active`...): one response per status, naming its codes. */
export const ApiFailures = (...codes: string[]) => {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, named]) => ApiResponse({ status, description: named.join(', '), type: undefined, schema: ERROR })),
  );
};

/** The schema of each path parameter, by name, as its pipe checks it (`id` of a key is checked by its route). */
const PATH_PARAMETERS: Record<string, (path: string) => SchemaObject> = {
  id: (path) => (path.startsWith('/v1/accounts/') ? accountIdSchema() : textSchema(MAX_LENGTH.id)),
  wallet: () => ({ type: 'string', enum: [...WALLETS] }),
  number: () => textSchema(MAX_LENGTH.invoiceNumber),
  holdId: () => textSchema(MAX_LENGTH.id),
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export function declareAnswers(doc: OpenAPIObject): OpenAPIObject {
  const bodySchemas = new Set<string>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = operations[method];
      if (!op) continue;
      op.parameters = pathParameters(path, (op.parameters ?? []) as ParameterObject[]);
      const body = op.requestBody as RequestBodyObject | undefined;
      if (op.parameters.length > 0 || body)
        op.responses['400'] ??= answer('invalid: a field or parameter breaks its rule (details name it)');
      if (body) {
        op.responses['413'] ??= answer('payload_too_large: the body is above LEDGER_MAX_BODY_BYTES');
        op.responses['415'] ??= answer('unsupported: a content type, charset or encoding not read here');
        for (const media of Object.values(body.content ?? {})) collectRefs(media.schema, doc, bodySchemas);
      }
      op.responses['503'] ??= answer('projection_behind (the read models lag the log) or store_unavailable; try again later');
    }
  }
  for (const name of bodySchemas) {
    const schema = doc.components?.schemas?.[name] as SchemaObject | undefined;
    if (schema?.type === 'object') schema.additionalProperties = false;
  }
  return doc;
}

/** Every `{name}` of the path declared once, with the schema its pipe enforces. */
function pathParameters(path: string, parameters: ParameterObject[]): ParameterObject[] {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const others = parameters.filter((p) => p.in !== 'path');
  const declared = names.map((name) => {
    const found: ParameterObject = parameters.find((p) => p.in === 'path' && p.name === name) ?? { name, in: 'path' };
    return { ...found, required: true, schema: PATH_PARAMETERS[name]?.(path) ?? found.schema ?? { type: 'string' } };
  });
  return [...declared, ...others];
}

/** The names of the component schemas `schema` refers to, followed through their properties. */
function collectRefs(schema: unknown, doc: OpenAPIObject, into: Set<string>): void {
  if (!schema || typeof schema !== 'object') return;
  if ('$ref' in schema && typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (into.has(name)) return;
    into.add(name);
    collectRefs(doc.components?.schemas?.[name], doc, into);
    return;
  }
  for (const value of Object.values(schema)) if (value && typeof value === 'object') collectRefs(value, doc, into);
}
