import { type ArgumentMetadata, Body, type PipeTransform, Query } from '@nestjs/common';
import { z } from 'zod';
import { OAuthError } from '../oauth/errors/oauth-error.js';

/**
 * Reads a JSON body or a query through its zod schema: every bad, missing and unknown
 * member is named in one 400 invalid_request, and nothing is dropped or coerced. A
 * `form` is a hosted page's form, already turned into the body the schema reads.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: 'body' | 'query' | 'form'): z.output<S> {
  // Fastify's query parser builds prototype-less objects of its own class; a body must be plain JSON.
  if (what === 'query' ? typeof value !== 'object' || value === null || Array.isArray(value) : !isPlainObject(value)) {
    throw OAuthError.invalidRequest(what === 'body' ? 'the body must be a JSON object (Content-Type: application/json)' : 'malformed query');
  }
  // Postgres text cannot hold U+0000: refused here, once for every schema, not as a 500 at the insert.
  const withNul = Object.entries(value as object).filter(([name, member]) => holdsNul(name) || holdsNul(member)).map(([name]) => name);
  const result = schema.safeParse(value);
  if (result.success && withNul.length === 0) return result.data;
  throw OAuthError.invalidRequest(`invalid ${what}: ${describeIssues(result.success ? [] : result.error.issues, value as object, withNul).join('; ')}`);
}

/** The same schema documents the parameter: @nestjs/swagger reads the `schema` of @Body and @Query. */
class SchemaInputPipe implements PipeTransform {
  /** `bodyOptional`: a request without a body reads as `{}` (every member optional). */
  constructor(private readonly bodyOptional = false) {}

  transform(value: unknown, { schema, type }: ArgumentMetadata): unknown {
    if (!(schema instanceof z.ZodType)) throw new Error('a schema input needs a zod schema');
    if (type === 'query') return parseInput(schema, value, 'query');
    return parseInput(schema, value === undefined && this.bodyOptional ? {} : value, 'body');
  }
}

const schemaInput = new SchemaInputPipe();
const optionalBodyInput = new SchemaInputPipe(true);

/** A JSON body read through its schema: `@JsonBody(NewUser) input: NewUser`. */
export const JsonBody = (schema: z.ZodType, options: { optional?: boolean } = {}): ParameterDecorator =>
  Body({ schema, pipes: [options.optional ? optionalBodyInput : schemaInput] });

/** The query members read through their schema; each becomes a documented query parameter. */
export const JsonQuery = (schema: z.ZodType): ParameterDecorator => Query({ schema, pipes: [schemaInput] });

/** "name: reason" once per member, unknown members first, the others in the schema's order, then those holding a NUL. */
function describeIssues(issues: readonly z.core.$ZodIssue[], input: object, withNul: readonly string[]): string[] {
  const unknown: string[] = [];
  const reasons = new Map<string, string>();
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      unknown.push(...issue.keys);
      continue;
    }
    const member = String(issue.path[0] ?? '');
    if (!reasons.has(member)) reasons.set(member, Object.hasOwn(input, member) ? issue.message : 'required');
  }
  for (const member of withNul) if (!unknown.includes(member)) reasons.set(member, 'may not contain a NUL character');
  return [...unknown.map((name) => `${name}: unknown field`), ...[...reasons].map(([member, reason]) => `${member}: ${reason}`)];
}

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([name, member]) => name.includes('\u0000') || holdsNul(member));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
