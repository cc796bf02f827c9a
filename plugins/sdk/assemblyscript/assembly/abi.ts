// The guest side of ABI emdash/0: the two exports the host calls, hook handler
// registration and the result envelopes.
import { JSON, Value } from "./json";

/** Pointer and length packed as the host expects them: `ptr << 32 | len`. */
export function pack(ptr: usize, len: i32): i64 {
  return (<i64>ptr << 32) | <i64>(<u32>len);
}

/** The UTF-8 bytes of a string (lone surrogates become U+FFFD). */
export function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text, false, String.UTF8.ErrorMode.REPLACE);
}

/** A string, packed as a pointer and length into memory the host can read. */
export function packString(text: string): i64 {
  const bytes = utf8(text);
  return pack(changetype<usize>(bytes), bytes.byteLength);
}

/** The string behind a packed pointer and length (0 gives ""). */
export function unpackString(packed: i64): string {
  const len = <i32>(packed & 0xffffffff);
  if (len == 0) return "";
  return String.UTF8.decodeUnsafe(<usize>(<u64>packed >>> 32), <usize>len);
}

/**
 * Export this from the plugin: the host writes the hook name and the input into
 * memory it gets from here. The stub runtime never frees; every hook call runs
 * in a fresh instance.
 */
export function emdash_alloc(len: i32): usize {
  return heap.alloc(<usize>(len < 0 ? 0 : len));
}

// -- results ------------------------------------------------------------------------

enum Outcome {
  NoChange,
  Ok,
  Reject,
  Error,
}

/** What a hook handler answers; build it with ok(), reject(), fail() or noChange(). */
export class Result {
  constructor(
    readonly outcome: i32,
    readonly value: Value,
  ) {}

  /** The envelope's JSON text, or null for "no change". */
  toJSON(): string | null {
    if (this.outcome == Outcome.NoChange) return null;
    const key =
      this.outcome == Outcome.Ok ? "ok" : this.outcome == Outcome.Reject ? "reject" : "error";
    return Value.object().set(key, this.value).toString();
  }
}

/** Success. A before-hook's value replaces the entry's `data`, `seo` or `slug` it names. */
export function ok<T>(value: T): Result {
  return new Result(Outcome.Ok, Value.from<T>(value));
}

/** A deliberate refusal: the save is refused with this code and message. */
export function reject(code: string, message: string): Result {
  return new Result(Outcome.Reject, problem(code, message));
}

/** The plugin could not do its work (the hook's `on_error` decides what happens). */
export function fail(code: string, message: string): Result {
  return new Result(Outcome.Error, problem(code, message));
}

/** Nothing to change: the host goes on with the input as it was. */
export function noChange(): Result {
  return new Result(Outcome.NoChange, Value.null());
}

function problem(code: string, message: string): Value {
  return Value.object().set("code", code).set("message", message);
}

// -- hook events --------------------------------------------------------------------

/** One hook call: its name and its JSON input. */
export class Event {
  constructor(
    readonly hook: string,
    readonly input: Value,
  ) {}

  /** The content entry of a content hook: `input.entry`, or the input itself when
   * the host sends the entry's fields at the top level. */
  get entry(): Value {
    const entry = this.input.getObject("entry");
    return entry != null ? entry : this.input;
  }

  /** The collection of a content hook ("" when there is none). */
  get collection(): string {
    const direct = this.input.getString("collection");
    if (direct != null) return direct;
    const nested = this.entry.getString("collection");
    return nested != null ? nested : "";
  }

  /** The plugin's settings as the site administrator filled them in. */
  get settings(): Value {
    const settings = this.input.getObject("settings");
    return settings != null ? settings : Value.object();
  }

  /** One setting as a string, or null when it is not set. */
  setting(name: string): string | null {
    return this.settings.getString(name);
  }
}

export type Handler = (event: Event) => Result;

const hookNames = new Array<string>();
const hookHandlers = new Array<Handler>();

/** Registers the handler of a hook; call it at the top level of the plugin. */
export function on(hook: string, handler: Handler): void {
  const index = hookNames.indexOf(hook);
  if (index >= 0) {
    hookHandlers[index] = handler;
  } else {
    hookNames.push(hook);
    hookHandlers.push(handler);
  }
}

/** Export this from the plugin: the host calls it once per hook. */
export function emdash_handle(hookPtr: usize, hookLen: i32, inputPtr: usize, inputLen: i32): i64 {
  const hook = String.UTF8.decodeUnsafe(hookPtr, <usize>hookLen);
  const index = hookNames.indexOf(hook);
  if (index < 0) {
    return answer(fail("NO_HANDLER", "This plugin has no handler for " + hook + "."));
  }
  const input = JSON.parse(String.UTF8.decodeUnsafe(inputPtr, <usize>inputLen));
  if (input == null) {
    return answer(fail("BAD_INPUT", "The input of " + hook + " is not valid JSON."));
  }
  return answer(hookHandlers[index](new Event(hook, input)));
}

function answer(result: Result): i64 {
  const text = result.toJSON();
  return text == null ? 0 : packString(text);
}
