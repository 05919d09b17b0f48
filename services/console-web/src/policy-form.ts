import type { FieldError, Policy } from './api';

/**
 * The policy as form fields, built from the policy the API answered (so the console carries no
 * copy of the schema): booleans are check boxes, numbers number inputs, strings text inputs, and
 * lists or objects JSON text. The API validates on save, and its field errors are shown by field.
 */
export type FieldKind = 'boolean' | 'number' | 'text' | 'json';

export interface PolicyField {
  /** "section.name", as the API's error details name it. */
  path: string;
  section: string;
  name: string;
  kind: FieldKind;
  /** The input's value: "true"/"false", the number, the text, or JSON. */
  value: string;
}

export function kindOf(value: unknown): FieldKind {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'text';
  return 'json';
}

export function policyFields(policy: Policy): PolicyField[] {
  return Object.entries(policy).flatMap(([section, settings]) =>
    Object.entries(settings).map(([name, value]) => {
      const kind = kindOf(value);
      return {
        path: `${section}.${name}`,
        section,
        name,
        kind,
        value: kind === 'json' ? JSON.stringify(value) : String(value),
      };
    }),
  );
}

/**
 * The fields back as a policy document. What cannot even be parsed (a number box left with "abc",
 * broken JSON) is an error of that field here; everything else is sent as typed, and judged by
 * the API. A number box's text goes as a number when it is one (so "0.5" is 0.5, "" stays a string
 * the API refuses with its own message).
 */
export function policyFromFields(fields: PolicyField[]): { policy: Policy; errors: FieldError[] } {
  const policy: Policy = {};
  const errors: FieldError[] = [];
  for (const field of fields) {
    let value: unknown = field.value;
    if (field.kind === 'boolean') value = field.value === 'true';
    else if (field.kind === 'number')
      value =
        field.value.trim() !== '' && Number.isFinite(Number(field.value)) ? Number(field.value) : field.value;
    else if (field.kind === 'json') {
      try {
        value = JSON.parse(field.value) as unknown;
      } catch {
        errors.push({ field: field.path, message: 'is not valid JSON' });
        continue;
      }
    }
    (policy[field.section] ??= {})[field.name] = value;
  }
  return { policy, errors };
}
