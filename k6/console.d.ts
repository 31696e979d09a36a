// k6 has a `console` global (its log lines go to k6's logger), but @types/k6 does not
// declare it and k6/tsconfig.json keeps the DOM and Node libraries out on purpose.
declare const console: {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};
