// One function per host binding of import module "emdash". Each sends a JSON
// request and answers the host's envelope as a HostResult. AssemblyScript emits an
// import only for the bindings a plugin calls, so a plugin's import section lists
// exactly what it uses, and the host checks that list against its manifest.
import { unpackString, utf8 } from "./abi";
import { JSON, Value } from "./json";

/** The host's answer: `value` when `ok`, otherwise `code` and `message`. */
export class HostResult {
  constructor(
    readonly ok: bool,
    readonly value: Value,
    readonly code: string,
    readonly message: string,
  ) {}
}

function answer(packed: i64): HostResult {
  if (packed == 0) return new HostResult(true, Value.null(), "", "");
  const envelope = JSON.parse(unpackString(packed));
  if (envelope == null || !envelope.isObject) {
    return new HostResult(false, Value.null(), "BAD_ANSWER", "The host answered with invalid JSON.");
  }
  const problem = envelope.getObject("error");
  if (problem != null) {
    const code = problem.getString("code");
    const message = problem.getString("message");
    return new HostResult(false, problem, code != null ? code : "ERROR", message != null ? message : "");
  }
  const value = envelope.get("ok");
  return new HostResult(true, value != null ? value : Value.null(), "", "");
}

// The request's bytes stay alive for the call: the stub runtime never frees.
function send(request: Value): ArrayBuffer {
  return utf8(request.toString());
}

// Copies the keys of `options` (when it is an object) into `request`.
function merged(request: Value, options: Value | null): Value {
  if (options != null) {
    const keys = options.keys();
    for (let i = 0; i < keys.length; i++) request.set(keys[i], options.get(keys[i]));
  }
  return request;
}

function object(): Value {
  return Value.object();
}

// -- always available ---------------------------------------------------------------

export enum Level {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

// @ts-ignore: decorator
@external("emdash", "log")
declare function _log(level: i32, ptr: usize, len: i32): void;

/** Writes a line to the plugin's log on the site. */
export function log(level: Level, message: string): void {
  const bytes = utf8(message);
  _log(level, changetype<usize>(bytes), bytes.byteLength);
}

// @ts-ignore: decorator
@external("emdash", "site_info")
declare function _site_info(ptr: usize, len: i32): i64;

/** The site's name, url and locale. Request `{}`. */
export function siteInfo(): HostResult {
  const b = send(object());
  return answer(_site_info(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "kv_get")
declare function _kv_get(ptr: usize, len: i32): i64;

/** The plugin's stored value under `key` (null when unset). Request `{"key"}`. */
export function kvGet(key: string): HostResult {
  const b = send(object().set("key", key));
  return answer(_kv_get(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "kv_set")
declare function _kv_set(ptr: usize, len: i32): i64;

/** Stores a JSON value under `key`. Request `{"key", "value"}`. */
export function kvSet<T>(key: string, value: T): HostResult {
  const b = send(object().set("key", key).set("value", value));
  return answer(_kv_set(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "kv_delete")
declare function _kv_delete(ptr: usize, len: i32): i64;

/** Forgets `key`. Request `{"key"}`. */
export function kvDelete(key: string): HostResult {
  const b = send(object().set("key", key));
  return answer(_kv_delete(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "kv_list")
declare function _kv_list(ptr: usize, len: i32): i64;

/** The plugin's keys and values whose key starts with `prefix`. Request `{"prefix"}`. */
export function kvList(prefix: string = ""): HostResult {
  const b = send(object().set("prefix", prefix));
  return answer(_kv_list(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "storage_get")
declare function _storage_get(ptr: usize, len: i32): i64;

/** A document of one of the plugin's storage collections. Request `{"collection", "id"}`. */
export function storageGet(collection: string, id: string): HostResult {
  const b = send(object().set("collection", collection).set("id", id));
  return answer(_storage_get(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "storage_put")
declare function _storage_put(ptr: usize, len: i32): i64;

/** Creates or replaces a document. Request `{"collection", "id", "data"}`. */
export function storagePut<T>(collection: string, id: string, data: T): HostResult {
  const b = send(object().set("collection", collection).set("id", id).set("data", data));
  return answer(_storage_put(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "storage_delete")
declare function _storage_delete(ptr: usize, len: i32): i64;

/** Deletes a document. Request `{"collection", "id"}`. */
export function storageDelete(collection: string, id: string): HostResult {
  const b = send(object().set("collection", collection).set("id", id));
  return answer(_storage_delete(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "storage_query")
declare function _storage_query(ptr: usize, len: i32): i64;

/** Documents matching `options` (`where` on declared indexes, `limit`, `cursor`).
 * Request `{"collection", ...options}`. */
export function storageQuery(collection: string, options: Value | null = null): HostResult {
  const b = send(merged(object().set("collection", collection), options));
  return answer(_storage_query(changetype<usize>(b), b.byteLength));
}

// -- content:read / content:write -----------------------------------------------------

// @ts-ignore: decorator
@external("emdash", "content_get")
declare function _content_get(ptr: usize, len: i32): i64;

/** One entry with its data and seo. Needs `content:read`. Request `{"collection", "id"}`. */
export function contentGet(collection: string, id: string): HostResult {
  const b = send(object().set("collection", collection).set("id", id));
  return answer(_content_get(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "content_list")
declare function _content_list(ptr: usize, len: i32): i64;

/** Entries of a collection (`status`, `limit`, `cursor` in `options`). Needs
 * `content:read`. Request `{"collection", ...options}`. */
export function contentList(collection: string, options: Value | null = null): HostResult {
  const b = send(merged(object().set("collection", collection), options));
  return answer(_content_list(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "content_create")
declare function _content_create(ptr: usize, len: i32): i64;

/** Creates an entry (`slug`, `status`, `seo` in `options`). Needs `content:write`.
 * Request `{"collection", "data", ...options}`. */
export function contentCreate(collection: string, data: Value, options: Value | null = null): HostResult {
  const b = send(merged(object().set("collection", collection).set("data", data), options));
  return answer(_content_create(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "content_update")
declare function _content_update(ptr: usize, len: i32): i64;

/** Merges `data` into an entry (`slug`, `seo` in `options`). Needs `content:write`.
 * Request `{"collection", "id", "data", ...options}`. */
export function contentUpdate(
  collection: string,
  id: string,
  data: Value,
  options: Value | null = null,
): HostResult {
  const request = object().set("collection", collection).set("id", id).set("data", data);
  const b = send(merged(request, options));
  return answer(_content_update(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "content_delete")
declare function _content_delete(ptr: usize, len: i32): i64;

/** Moves an entry to the trash. Needs `content:write`. Request `{"collection", "id"}`. */
export function contentDelete(collection: string, id: string): HostResult {
  const b = send(object().set("collection", collection).set("id", id));
  return answer(_content_delete(changetype<usize>(b), b.byteLength));
}

// -- taxonomies:read ----------------------------------------------------------------

// @ts-ignore: decorator
@external("emdash", "taxonomy_list")
declare function _taxonomy_list(ptr: usize, len: i32): i64;

/** The taxonomies, or the terms of one. Needs `taxonomies:read`. Request `{"taxonomy"?}`. */
export function taxonomyList(taxonomy: string = ""): HostResult {
  const request = object();
  if (taxonomy.length > 0) request.set("taxonomy", taxonomy);
  const b = send(request);
  return answer(_taxonomy_list(changetype<usize>(b), b.byteLength));
}

// -- media:read / media:write ---------------------------------------------------------

// @ts-ignore: decorator
@external("emdash", "media_get")
declare function _media_get(ptr: usize, len: i32): i64;

/** One media item. Needs `media:read`. Request `{"id"}`. */
export function mediaGet(id: string): HostResult {
  const b = send(object().set("id", id));
  return answer(_media_get(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "media_list")
declare function _media_list(ptr: usize, len: i32): i64;

/** Media items (`limit`, `cursor`, `mime_type` in `options`). Needs `media:read`.
 * Request `{...options}`. */
export function mediaList(options: Value | null = null): HostResult {
  const b = send(merged(object(), options));
  return answer(_media_list(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "media_upload")
declare function _media_upload(ptr: usize, len: i32): i64;

/** Uploads a file given as base64. Needs `media:write`.
 * Request `{"filename", "content_type", "data_base64"}`. */
export function mediaUpload(filename: string, contentType: string, dataBase64: string): HostResult {
  const request = object()
    .set("filename", filename)
    .set("content_type", contentType)
    .set("data_base64", dataBase64);
  const b = send(request);
  return answer(_media_upload(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "media_delete")
declare function _media_delete(ptr: usize, len: i32): i64;

/** Deletes a media item. Needs `media:write`. Request `{"id"}`. */
export function mediaDelete(id: string): HostResult {
  const b = send(object().set("id", id));
  return answer(_media_delete(changetype<usize>(b), b.byteLength));
}

// -- users:read ---------------------------------------------------------------------

// @ts-ignore: decorator
@external("emdash", "user_get")
declare function _user_get(ptr: usize, len: i32): i64;

/** A user's name, email and role. Needs `users:read`. Request `{"id"}`. */
export function userGet(id: string): HostResult {
  const b = send(object().set("id", id));
  return answer(_user_get(changetype<usize>(b), b.byteLength));
}

// @ts-ignore: decorator
@external("emdash", "user_list")
declare function _user_list(ptr: usize, len: i32): i64;

/** Users (`role`, `limit`, `cursor` in `options`). Needs `users:read`. Request `{...options}`. */
export function userList(options: Value | null = null): HostResult {
  const b = send(merged(object(), options));
  return answer(_user_list(changetype<usize>(b), b.byteLength));
}

// -- email:send ---------------------------------------------------------------------

// @ts-ignore: decorator
@external("emdash", "email_send")
declare function _email_send(ptr: usize, len: i32): i64;

/** Sends an email through the site. Needs `email:send`.
 * Request `{"to", "subject", "text", "html"?}`. */
export function emailSend(to: string, subject: string, text: string, html: string | null = null): HostResult {
  const request = object().set("to", to).set("subject", subject).set("text", text);
  if (html != null) request.set("html", html);
  const b = send(request);
  return answer(_email_send(changetype<usize>(b), b.byteLength));
}

// -- network:request ----------------------------------------------------------------

// @ts-ignore: decorator
@external("emdash", "http_fetch")
declare function _http_fetch(ptr: usize, len: i32): i64;

/** An HTTP request to one of the manifest's `allowed_hosts`; answers
 * `{"status", "headers", "body"}`. Needs `network:request`.
 * Request `{"url", "method", "headers"?, "body"?}`. */
export function httpFetch(
  url: string,
  method: string = "GET",
  headers: Value | null = null,
  body: string | null = null,
): HostResult {
  const request = object().set("url", url).set("method", method);
  if (headers != null) request.set("headers", headers);
  if (body != null) request.set("body", body);
  const b = send(request);
  return answer(_http_fetch(changetype<usize>(b), b.byteLength));
}
