// InfluxQL quoting, one owner for every query the project writes (the dashboards, the sample
// reader, the tests), so a tag or value with a quote or backslash cannot break out of its quotes.
// InfluxQL's grammar: identifiers in double quotes, strings in single quotes, regular expressions
// between slashes, each escaping its own delimiter and the backslash.

/** An identifier (measurement, tag or field key): `"name"`, with `\` and `"` escaped. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A string literal (a tag value): `'value'`, with `\` and `'` escaped. */
export function quoteString(value: string): string {
  return `'${value.replace(/['\\]/g, (c) => `\\${c}`)}'`;
}

/** A value matched literally inside a `/.../` regular expression: its metacharacters and `/` escaped. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
