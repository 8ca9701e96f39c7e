/**
 * _json_schema_check.ts — a small JSON Schema validator for the keywords
 * TOP_SNAPSHOT_SCHEMA uses, so tests can check `top --json` output against the
 * documented schema.
 *
 * PostgreSQL counterpart: none.
 *
 * NOTES
 * Test support only. Supports `type` (one or several), `const`, `enum`,
 * `minimum`, `maximum`, `pattern`, `format: "date-time"`, `properties`,
 * `required`, `additionalProperties: false`, `items`, `minItems`, `maxItems`
 * and `anyOf`; any other keyword is reported as unsupported rather than
 * silently ignored, so the schema cannot outgrow its check.
 *
 * @module
 */

const _KNOWN = new Set([
  "$schema",
  "title",
  "type",
  "const",
  "enum",
  "minimum",
  "maximum",
  "pattern",
  "format",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "anyOf",
]);

type _Schema = Record<string, unknown>;

/**
 * Validates `value` against `schema`.
 *
 * @param schema a JSON Schema using the supported keywords
 * @param value the parsed JSON
 * @returns one message per violation (`$.processes[3].pid: …`); empty when valid
 */
export function checkJsonSchema(schema: unknown, value: unknown): string[] {
  const errors: string[] = [];
  _check(schema as _Schema, value, "$", errors);
  return errors;
}

function _check(s: _Schema, v: unknown, path: string, errors: string[]): void {
  for (const k of Object.keys(s)) if (!_KNOWN.has(k)) errors.push(`${path}: unsupported schema keyword "${k}"`);
  if ("anyOf" in s) {
    const branches = s.anyOf as _Schema[];
    if (!branches.some((b) => checkJsonSchema(b, v).length === 0)) errors.push(`${path}: matches no anyOf branch`);
  }
  if ("const" in s && v !== s.const) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if ("enum" in s && !(s.enum as unknown[]).includes(v)) errors.push(`${path}: ${JSON.stringify(v)} not in enum`);
  if ("type" in s) {
    const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string];
    if (!types.some((t) => _isType(t, v))) {
      errors.push(`${path}: expected ${types.join(" or ")}, got ${JSON.stringify(v)}`);
      return;
    }
  }
  if (typeof v === "number") {
    if (typeof s.minimum === "number" && v < s.minimum) errors.push(`${path}: ${v} < ${s.minimum}`);
    if (typeof s.maximum === "number" && v > s.maximum) errors.push(`${path}: ${v} > ${s.maximum}`);
  }
  if (typeof v === "string") {
    if (typeof s.pattern === "string" && !new RegExp(s.pattern).test(v)) errors.push(`${path}: "${v}" !~ ${s.pattern}`);
    if (s.format === "date-time" && !_isDateTime(v)) errors.push(`${path}: "${v}" is not a date-time`);
  }
  if (Array.isArray(v)) _checkArray(s, v, path, errors);
  else if (typeof v === "object" && v !== null) _checkObject(s, v as Record<string, unknown>, path, errors);
}

function _checkArray(s: _Schema, v: unknown[], path: string, errors: string[]): void {
  if (typeof s.minItems === "number" && v.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
  if (typeof s.maxItems === "number" && v.length > s.maxItems) errors.push(`${path}: more than ${s.maxItems} items`);
  if (s.items !== undefined) v.forEach((item, i) => _check(s.items as _Schema, item, `${path}[${i}]`, errors));
}

function _checkObject(s: _Schema, v: Record<string, unknown>, path: string, errors: string[]): void {
  const props = (s.properties ?? {}) as Record<string, _Schema>;
  for (const r of (s.required ?? []) as string[]) if (!(r in v)) errors.push(`${path}: missing "${r}"`);
  for (const [k, value] of Object.entries(v)) {
    if (k in props) _check(props[k], value, `${path}.${k}`, errors);
    else if (s.additionalProperties === false) errors.push(`${path}: unexpected property "${k}"`);
  }
}

function _isType(t: string, v: unknown): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
  }
  return false;
}

function _isDateTime(v: string): boolean {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v));
}
