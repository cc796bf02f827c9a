// A small JSON value type with a parser and a serializer, so that plugins need no
// JSON dependency. Numbers are f64 (as in JavaScript); objects keep key order.

export enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

export class Value {
  kind: Kind;
  private flag: bool = false;
  private num: f64 = 0;
  private text: string = "";
  // Array items, or object values in the order of `names`.
  private items: Array<Value> = [];
  private names: Array<string> = [];

  constructor(kind: Kind) {
    this.kind = kind;
  }

  static null(): Value {
    return new Value(Kind.Null);
  }

  static boolean(value: bool): Value {
    const v = new Value(Kind.Bool);
    v.flag = value;
    return v;
  }

  static number(value: f64): Value {
    const v = new Value(Kind.Number);
    v.num = value;
    return v;
  }

  static string(value: string): Value {
    const v = new Value(Kind.String);
    v.text = value;
    return v;
  }

  static array(): Value {
    return new Value(Kind.Array);
  }

  static object(): Value {
    return new Value(Kind.Object);
  }

  /** A Value from a string, bool, number, Value, array of those, or null. */
  static from<T>(value: T): Value {
    if (isBoolean<T>()) return Value.boolean(<bool>value);
    if (isInteger<T>() || isFloat<T>()) return Value.number(<f64>value);
    if (isReference<T>()) {
      if (changetype<usize>(value) == 0) return Value.null();
      if (isString<T>()) return Value.string(changetype<string>(value));
      if (value instanceof Value) return changetype<Value>(value);
      if (isArray<T>()) {
        const list = Value.array();
        // @ts-ignore: T is an array here
        for (let i = 0; i < value.length; i++) list.push(value[i]);
        return list;
      }
    }
    ERROR("Value.from takes a string, bool, number, Value, array or null");
    return Value.null();
  }

  get isNull(): bool {
    return this.kind == Kind.Null;
  }
  get isBool(): bool {
    return this.kind == Kind.Bool;
  }
  get isNumber(): bool {
    return this.kind == Kind.Number;
  }
  get isString(): bool {
    return this.kind == Kind.String;
  }
  get isArray(): bool {
    return this.kind == Kind.Array;
  }
  get isObject(): bool {
    return this.kind == Kind.Object;
  }

  /** The boolean, or false when this is not a boolean. */
  asBool(): bool {
    return this.kind == Kind.Bool && this.flag;
  }

  /** The number, or NaN when this is not a number. */
  asNumber(): f64 {
    return this.kind == Kind.Number ? this.num : NaN;
  }

  /** The string, or "" when this is not a string. */
  asString(): string {
    return this.kind == Kind.String ? this.text : "";
  }

  /** Items of an array, or values of an object; 0 for anything else. */
  get length(): i32 {
    return this.kind == Kind.Array || this.kind == Kind.Object ? this.items.length : 0;
  }

  // -- arrays ---------------------------------------------------------------------

  /** Item `index` of an array (null when out of range or not an array). */
  at(index: i32): Value | null {
    if (this.kind != Kind.Array || index < 0 || index >= this.items.length) return null;
    return this.items[index];
  }

  /** Appends to an array; returns this array for chaining. */
  push<T>(item: T): Value {
    if (this.kind == Kind.Array) this.items.push(Value.from<T>(item));
    return this;
  }

  // -- objects --------------------------------------------------------------------

  keys(): string[] {
    return this.kind == Kind.Object ? this.names.slice(0) : [];
  }

  has(key: string): bool {
    return this.kind == Kind.Object && this.names.indexOf(key) >= 0;
  }

  /** The value under `key` (null when absent or not an object). */
  get(key: string): Value | null {
    if (this.kind != Kind.Object) return null;
    const index = this.names.indexOf(key);
    return index < 0 ? null : this.items[index];
  }

  /** Follows dot-separated keys: `input.path("entry.data.title")`. */
  path(dotted: string): Value | null {
    const parts = dotted.split(".");
    let current: Value | null = this;
    for (let i = 0; i < parts.length && current != null; i++) {
      current = current.get(parts[i]);
    }
    return current;
  }

  /** The string under `key`, or null when absent or not a string. */
  getString(key: string): string | null {
    const found = this.get(key);
    return found != null && found.kind == Kind.String ? found.text : null;
  }

  /** The number under `key`, or `fallback` when absent or not a number. */
  getNumber(key: string, fallback: f64 = NaN): f64 {
    const found = this.get(key);
    return found != null && found.kind == Kind.Number ? found.num : fallback;
  }

  /** The boolean under `key`, or `fallback` when absent or not a boolean. */
  getBool(key: string, fallback: bool = false): bool {
    const found = this.get(key);
    return found != null && found.kind == Kind.Bool ? found.flag : fallback;
  }

  /** The object under `key`, or null when absent or not an object. */
  getObject(key: string): Value | null {
    const found = this.get(key);
    return found != null && found.kind == Kind.Object ? found : null;
  }

  /** The array under `key`, or null when absent or not an array. */
  getArray(key: string): Value | null {
    const found = this.get(key);
    return found != null && found.kind == Kind.Array ? found : null;
  }

  /** Sets `key` on an object (replacing its value in place); returns this object. */
  set<T>(key: string, value: T): Value {
    if (this.kind != Kind.Object) return this;
    const item = Value.from<T>(value);
    const index = this.names.indexOf(key);
    if (index < 0) {
      this.names.push(key);
      this.items.push(item);
    } else {
      this.items[index] = item;
    }
    return this;
  }

  /** Removes `key` from an object; true when it was there. */
  remove(key: string): bool {
    if (this.kind != Kind.Object) return false;
    const index = this.names.indexOf(key);
    if (index < 0) return false;
    this.names.splice(index, 1);
    this.items.splice(index, 1);
    return true;
  }

  /** A deep copy. */
  clone(): Value {
    const copy = new Value(this.kind);
    copy.flag = this.flag;
    copy.num = this.num;
    copy.text = this.text;
    copy.names = this.names.slice(0);
    for (let i = 0; i < this.items.length; i++) copy.items.push(this.items[i].clone());
    return copy;
  }

  /** The JSON text of this value. */
  toString(): string {
    const out = new Array<string>();
    this.write(out);
    return out.join("");
  }

  private write(out: Array<string>): void {
    switch (this.kind) {
      case Kind.Null:
        out.push("null");
        break;
      case Kind.Bool:
        out.push(this.flag ? "true" : "false");
        break;
      case Kind.Number:
        out.push(formatNumber(this.num));
        break;
      case Kind.String:
        writeString(out, this.text);
        break;
      case Kind.Array:
        out.push("[");
        for (let i = 0; i < this.items.length; i++) {
          if (i > 0) out.push(",");
          this.items[i].write(out);
        }
        out.push("]");
        break;
      default:
        out.push("{");
        for (let i = 0; i < this.items.length; i++) {
          if (i > 0) out.push(",");
          writeString(out, this.names[i]);
          out.push(":");
          this.items[i].write(out);
        }
        out.push("}");
    }
  }
}

// Integers print without a fraction; NaN and infinities, which JSON lacks, as null.
function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (n == Math.trunc(n) && Math.abs(n) < 9007199254740992) return (<i64>n).toString();
  return n.toString();
}

const HEX = "0123456789abcdef";

function writeString(out: Array<string>, s: string): void {
  out.push('"');
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    if (i > start) out.push(s.substring(start, i));
    if (c == 0x22) out.push('\\"');
    else if (c == 0x5c) out.push("\\\\");
    else if (c == 0x0a) out.push("\\n");
    else if (c == 0x0d) out.push("\\r");
    else if (c == 0x09) out.push("\\t");
    else out.push("\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
    start = i + 1;
  }
  if (start < s.length) out.push(s.substring(start));
  out.push('"');
}

// -- parsing ------------------------------------------------------------------------

class Parser {
  pos: i32 = 0;
  failed: bool = false;
  depth: i32 = 0;

  constructor(public text: string) {}

  fail(): Value {
    this.failed = true;
    return Value.null();
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  literal(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(): Value {
    this.skipSpace();
    const c = this.peek();
    if (c == 0x7b) return this.object();
    if (c == 0x5b) return this.array();
    if (c == 0x22) {
      const s = this.string();
      return s == null ? this.fail() : Value.string(s);
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal("true")) return Value.boolean(true);
    if (this.literal("false")) return Value.boolean(false);
    if (this.literal("null")) return Value.null();
    return this.fail();
  }

  object(): Value {
    // Deep nesting would exhaust the wasm stack; refuse it as invalid instead.
    if (++this.depth > 512) return this.fail();
    const result = Value.object();
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x7d) {
      this.pos++;
      this.depth--;
      return result;
    }
    while (!this.failed) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail();
      const key = this.string();
      if (key == null) return this.fail();
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail();
      this.pos++;
      const item = this.value();
      if (this.failed) return item;
      result.set(key, item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) break;
      if (c != 0x2c) return this.fail();
    }
    this.depth--;
    return result;
  }

  array(): Value {
    if (++this.depth > 512) return this.fail();
    const result = Value.array();
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x5d) {
      this.pos++;
      this.depth--;
      return result;
    }
    while (!this.failed) {
      const item = this.value();
      if (this.failed) return item;
      result.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) break;
      if (c != 0x2c) return this.fail();
    }
    this.depth--;
    return result;
  }

  string(): string | null {
    this.pos++; // the opening quote
    const text = this.text;
    let start = this.pos;
    let parts: Array<string> | null = null;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c == 0x22) {
        const tail = text.substring(start, this.pos);
        this.pos++;
        if (parts == null) return tail;
        parts.push(tail);
        return parts.join("");
      }
      if (c < 0x20) return null;
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      if (parts == null) parts = new Array<string>();
      parts.push(text.substring(start, this.pos));
      const escaped = this.escape();
      if (escaped == null) return null;
      parts.push(escaped);
      start = this.pos;
    }
    return null;
  }

  // At a backslash: the character it stands for, moving past the escape.
  escape(): string | null {
    const text = this.text;
    const c = this.pos + 1 < text.length ? text.charCodeAt(this.pos + 1) : -1;
    this.pos += 2;
    switch (c) {
      case 0x22:
        return '"';
      case 0x5c:
        return "\\";
      case 0x2f:
        return "/";
      case 0x62:
        return "\b";
      case 0x66:
        return "\f";
      case 0x6e:
        return "\n";
      case 0x72:
        return "\r";
      case 0x74:
        return "\t";
      case 0x75: {
        if (this.pos + 4 > text.length) return null;
        let code = 0;
        for (let i = 0; i < 4; i++) {
          const digit = hexDigit(text.charCodeAt(this.pos + i));
          if (digit < 0) return null;
          code = (code << 4) | digit;
        }
        this.pos += 4;
        // A surrogate pair arrives as two escapes; UTF-16 strings take them as they come.
        return String.fromCharCode(code);
      }
    }
    return null;
  }

  number(): Value {
    const text = this.text;
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) {
      this.pos++;
    } else if (!this.digits()) {
      return this.fail();
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!this.digits()) return this.fail();
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (!this.digits()) return this.fail();
    }
    return Value.number(parseFloat(text.substring(start, this.pos)));
  }

  digits(): bool {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos > start;
  }
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

export namespace JSON {
  /** Parses JSON text; null when the text is not valid JSON. */
  export function parse(text: string): Value | null {
    const parser = new Parser(text);
    const result = parser.value();
    parser.skipSpace();
    if (parser.failed || parser.pos != text.length) return null;
    return result;
  }

  /** The JSON text of a value. */
  export function stringify(value: Value): string {
    return value.toString();
  }
}
