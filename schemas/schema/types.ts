// The shapes of fleetlet's schema DSL: each schema is data (a `kind` and its bounds, so that docs,
// fuzzers and generators can walk it) plus a `check` that validates a value and returns it typed.

/** A schema for values of type `T`. */
export interface Schema<T> {
  readonly kind: string;
  /**
   * Validates `value` (from a decoder, so of any shape) and returns a fresh typed copy.
   * @throws SchemaError naming `path` (or a path below it) and the broken rule
   */
  check(value: unknown, path: string): T;
  /** Never set: carries `T` for `Infer`. */
  readonly __type?: T;
}

/** The TypeScript type a schema validates. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

export interface UintSchema extends Schema<number> {
  readonly kind: 'uint';
  readonly min: number;
  readonly max: number;
}

export interface IntSchema extends Schema<number> {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
}

/** A finite number, integral or not (telemetry readings); never in signed documents. */
export interface FloatSchema extends Schema<number> {
  readonly kind: 'float';
  readonly min: number;
  readonly max: number;
}

export interface BoolSchema extends Schema<boolean> {
  readonly kind: 'bool';
}

export interface TextSchema extends Schema<string> {
  readonly kind: 'text';
  /** Bounds in UTF-8 bytes (what the text costs on the wire). */
  readonly minBytes: number;
  readonly maxBytes: number;
  /** A whole-text pattern, when the field has one. */
  readonly pattern: RegExp | undefined;
  /** A grammar beyond the pattern: returns what is wrong, or undefined when the text is fine. */
  readonly grammar: ((text: string) => string | undefined) | undefined;
  /** What the text is, for messages and docs ("a semantic version"). */
  readonly describe: string | undefined;
}

export interface BytesSchema extends Schema<Uint8Array> {
  readonly kind: 'bytes';
  readonly minLength: number;
  readonly maxLength: number;
}

export type LiteralValue = string | number | boolean;

export interface LiteralSchema<L extends LiteralValue> extends Schema<L> {
  readonly kind: 'literal';
  readonly value: L;
}

export interface OneOfSchema<L extends string> extends Schema<L> {
  readonly kind: 'oneOf';
  readonly values: readonly L[];
}

export interface ArraySchema<T> extends Schema<readonly T[]> {
  readonly kind: 'array';
  readonly item: Schema<T>;
  readonly minItems: number;
  readonly maxItems: number;
}

/** Text keys to values of one schema (per-device settings). */
export interface MapSchema<V> extends Schema<Readonly<Record<string, V>>> {
  readonly kind: 'map';
  readonly key: TextSchema;
  readonly value: Schema<V>;
  readonly maxEntries: number;
}

/** Marks an object field as optional (absent, never undefined or null). */
export interface OptionalSchema<T> {
  readonly kind: 'optional';
  readonly inner: Schema<T>;
}

export type Field = Schema<unknown> | OptionalSchema<unknown>;
export type Shape = Readonly<Record<string, Field>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type InferField<F> = F extends OptionalSchema<infer T> ? T : F extends Schema<infer T> ? T : never;

/** The object type of a shape: required fields, and optional ones marked `?`. */
export type InferShape<S extends Shape> = Simplify<
  { readonly [K in RequiredKeys<S>]: InferField<S[K]> } & { readonly [K in OptionalKeys<S>]?: InferField<S[K]> }
>;

/** A rule across fields: returns the failing field (relative, `.modules[2].name`) and what is wrong, or undefined. */
export type ObjectRule<T> = (value: T) => { readonly field: string; readonly detail: string } | undefined;

export interface ObjectSchema<S extends Shape> extends Schema<InferShape<S>> {
  readonly kind: 'object';
  readonly shape: S;
  readonly rules: readonly ObjectRule<InferShape<S>>[];
}

/** Any object schema, whatever its shape (object schemas are invariant in their shape). */
export type AnyObjectSchema = Schema<unknown> & { readonly kind: 'object'; readonly shape: Shape };

/** Objects told apart by one literal text field (`op`, `kind`, `status`). */
export interface UnionSchema<V extends AnyObjectSchema> extends Schema<Infer<V>> {
  readonly kind: 'union';
  readonly discriminant: string;
  readonly variants: readonly V[];
}
