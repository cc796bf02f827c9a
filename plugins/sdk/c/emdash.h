/*
 * emdash.h: write EmDash plugins (ABI emdash/0) in C. Header only.
 *
 * One .c file defines EMDASH_IMPLEMENTATION before including this header; it gets
 * the exported emdash_alloc. The plugin exports emdash_handle itself:
 *
 *     #define EMDASH_IMPLEMENTATION
 *     #include "emdash.h"
 *
 *     EMDASH_EXPORT("emdash_handle")
 *     int64_t emdash_handle(const char *hook, int32_t hook_len,
 *                           const char *input, int32_t input_len) { ... }
 *
 * Build without any libc (Debian: apt-get install clang lld):
 *
 *     clang --target=wasm32 -mbulk-memory -O2 -nostdlib \
 *           -Wl,--no-entry -Wl,--strip-all -o plugin.wasm plugin.c
 *
 * The module then imports only the emdash.* functions it calls: clang emits an
 * import for a declared host function only when the code uses it.
 */
#ifndef EMDASH_H
#define EMDASH_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm32__)
#error "emdash.h targets wasm32: build with clang --target=wasm32"
#endif
#if !defined(__wasi__) && !defined(__wasm_bulk_memory__)
/* Without a libc, copies must compile to memory.copy instead of memcpy calls. */
#error "build with -mbulk-memory (or against a wasi-libc sysroot)"
#endif

#define EMDASH_IMPORT(name) __attribute__((import_module("emdash"), import_name(name)))
#define EMDASH_EXPORT(name) __attribute__((export_name(name)))

/* -- host functions (import module "emdash") --------------------------------------
 * Each takes a JSON request as (ptr, len) and answers a packed (ptr << 32 | len)
 * JSON envelope, {"ok": value} or {"error": {"code", "message"}}, written into
 * this module's memory through emdash_alloc. The request shapes are in README.md.
 */

/* Always available. */
EMDASH_IMPORT("log") void emdash_log(int32_t level, const char *ptr, int32_t len);
EMDASH_IMPORT("site_info") int64_t emdash_site_info(const char *ptr, int32_t len);
EMDASH_IMPORT("kv_get") int64_t emdash_kv_get(const char *ptr, int32_t len);
EMDASH_IMPORT("kv_set") int64_t emdash_kv_set(const char *ptr, int32_t len);
EMDASH_IMPORT("kv_delete") int64_t emdash_kv_delete(const char *ptr, int32_t len);
EMDASH_IMPORT("kv_list") int64_t emdash_kv_list(const char *ptr, int32_t len);
EMDASH_IMPORT("storage_get") int64_t emdash_storage_get(const char *ptr, int32_t len);
EMDASH_IMPORT("storage_put") int64_t emdash_storage_put(const char *ptr, int32_t len);
EMDASH_IMPORT("storage_delete") int64_t emdash_storage_delete(const char *ptr, int32_t len);
EMDASH_IMPORT("storage_query") int64_t emdash_storage_query(const char *ptr, int32_t len);
/* content:read */
EMDASH_IMPORT("content_get") int64_t emdash_content_get(const char *ptr, int32_t len);
EMDASH_IMPORT("content_list") int64_t emdash_content_list(const char *ptr, int32_t len);
/* content:write */
EMDASH_IMPORT("content_create") int64_t emdash_content_create(const char *ptr, int32_t len);
EMDASH_IMPORT("content_update") int64_t emdash_content_update(const char *ptr, int32_t len);
EMDASH_IMPORT("content_delete") int64_t emdash_content_delete(const char *ptr, int32_t len);
/* taxonomies:read */
EMDASH_IMPORT("taxonomy_list") int64_t emdash_taxonomy_list(const char *ptr, int32_t len);
/* media:read */
EMDASH_IMPORT("media_get") int64_t emdash_media_get(const char *ptr, int32_t len);
EMDASH_IMPORT("media_list") int64_t emdash_media_list(const char *ptr, int32_t len);
/* media:write */
EMDASH_IMPORT("media_upload") int64_t emdash_media_upload(const char *ptr, int32_t len);
EMDASH_IMPORT("media_delete") int64_t emdash_media_delete(const char *ptr, int32_t len);
/* users:read */
EMDASH_IMPORT("user_get") int64_t emdash_user_get(const char *ptr, int32_t len);
EMDASH_IMPORT("user_list") int64_t emdash_user_list(const char *ptr, int32_t len);
/* email:send */
EMDASH_IMPORT("email_send") int64_t emdash_email_send(const char *ptr, int32_t len);
/* network:request */
EMDASH_IMPORT("http_fetch") int64_t emdash_http_fetch(const char *ptr, int32_t len);

enum { EMDASH_LOG_DEBUG = 0, EMDASH_LOG_INFO = 1, EMDASH_LOG_WARN = 2, EMDASH_LOG_ERROR = 3 };

/* The answer of emdash_handle that leaves the input as it was. */
#define EMDASH_NO_CHANGE ((int64_t)0)

/* -- memory ------------------------------------------------------------------------ */

/* Exported: the host writes the hook name, the input and host answers here. */
EMDASH_EXPORT("emdash_alloc") void *emdash_alloc(int32_t len);

/* A run of bytes in this module's memory (not NUL-terminated). */
typedef struct {
    const char *ptr;
    int32_t len;
} emdash_str;

static inline int64_t emdash_pack(const void *ptr, int32_t len) {
    return (int64_t)(((uint64_t)(uintptr_t)ptr << 32) | (uint32_t)len);
}

static inline emdash_str emdash_unpack(int64_t packed) {
    emdash_str s = {(const char *)(uintptr_t)((uint64_t)packed >> 32),
                    (int32_t)(uint32_t)((uint64_t)packed & 0xffffffffu)};
    return s;
}

static inline int32_t emdash_strlen(const char *s) {
    int32_t n = 0;
    while (s[n]) n++;
    return n;
}

static inline emdash_str emdash_cstr(const char *s) {
    emdash_str out = {s, emdash_strlen(s)};
    return out;
}

static inline int emdash_str_eq(emdash_str a, const char *b) {
    int32_t n = emdash_strlen(b);
    if (a.len != n) return 0;
    for (int32_t i = 0; i < n; i++)
        if (a.ptr[i] != b[i]) return 0;
    return 1;
}

/* -- building JSON ----------------------------------------------------------------- */

/* A growable byte buffer; zero-initialise it: emdash_buf b = {0}. */
typedef struct {
    char *data;
    int32_t len;
    int32_t cap;
} emdash_buf;

static inline void emdash_buf_add(emdash_buf *b, const char *s, int32_t n) {
    if (b->len + n > b->cap) {
        int32_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n) cap *= 2;
        char *grown = (char *)emdash_alloc(cap);
        if (b->len) __builtin_memcpy(grown, b->data, (size_t)b->len);
        b->data = grown;
        b->cap = cap;
    }
    if (n) __builtin_memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
}

static inline void emdash_buf_cstr(emdash_buf *b, const char *s) {
    emdash_buf_add(b, s, emdash_strlen(s));
}

static inline void emdash_buf_int(emdash_buf *b, int64_t v) {
    char digits[24];
    int32_t i = (int32_t)sizeof digits;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) digits[--i] = '-';
    emdash_buf_add(b, digits + i, (int32_t)sizeof digits - i);
}

/* Appends s (UTF-8) as a quoted JSON string. */
static inline void emdash_buf_json_string(emdash_buf *b, const char *s, int32_t n) {
    static const char hex[] = "0123456789abcdef";
    emdash_buf_add(b, "\"", 1);
    for (int32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            emdash_buf_add(b, esc, 2);
        } else if (c == '\n') {
            emdash_buf_add(b, "\\n", 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            emdash_buf_add(b, esc, 6);
        } else {
            emdash_buf_add(b, s + i, 1);
        }
    }
    emdash_buf_add(b, "\"", 1);
}

/* Appends "key": with a comma before it unless it follows "{". */
static inline void emdash_buf_key(emdash_buf *b, const char *key) {
    if (b->len && b->data[b->len - 1] != '{') emdash_buf_add(b, ",", 1);
    emdash_buf_json_string(b, key, emdash_strlen(key));
    emdash_buf_add(b, ":", 1);
}

/* -- reading JSON ------------------------------------------------------------------ */

static inline int32_t emdash__space(emdash_str s, int32_t i) {
    while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\n' || s.ptr[i] == '\r' || s.ptr[i] == '\t'))
        i++;
    return i;
}

/* The index just past the JSON value starting at i (after spaces), or -1. */
static inline int32_t emdash__skip(emdash_str s, int32_t i) {
    int32_t depth = 0;
    i = emdash__space(s, i);
    if (i >= s.len || s.ptr[i] == ',' || s.ptr[i] == ':' || s.ptr[i] == '}' || s.ptr[i] == ']')
        return -1;
    do {
        if (i >= s.len) return -1;
        char c = s.ptr[i];
        if (c == '"') {
            for (i++; i < s.len && s.ptr[i] != '"'; i++)
                if (s.ptr[i] == '\\') i++;
            if (i >= s.len) return -1;
            i++;
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            depth--;
            i++;
        } else if (c == ',' || c == ':' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            i++;
        } else {
            while (i < s.len && s.ptr[i] != ',' && s.ptr[i] != '}' && s.ptr[i] != ']' &&
                   s.ptr[i] != ' ' && s.ptr[i] != '\n' && s.ptr[i] != '\r' && s.ptr[i] != '\t')
                i++;
        }
    } while (depth > 0);
    return depth == 0 ? i : -1;
}

/*
 * The raw JSON value at a dotted path of object keys ("entry.data.title"), or
 * {NULL, 0} when a key is missing. Keys are compared as written (unescaped).
 */
static inline emdash_str emdash_json_get(emdash_str json, const char *path) {
    emdash_str none = {NULL, 0};
    int32_t i = emdash__space(json, 0);
    while (*path) {
        const char *key = path;
        int32_t key_len = 0;
        while (key[key_len] && key[key_len] != '.') key_len++;
        path += key_len + (key[key_len] == '.');
        if (i >= json.len || json.ptr[i] != '{') return none;
        i = emdash__space(json, i + 1);
        int found = 0;
        while (!found) {
            if (i >= json.len || json.ptr[i] != '"') return none;
            int32_t start = i + 1;
            int32_t end = emdash__skip(json, i);
            if (end < 0) return none;
            int32_t name_len = end - 1 - start;
            found = name_len == key_len;
            for (int32_t k = 0; found && k < key_len; k++) found = json.ptr[start + k] == key[k];
            i = emdash__space(json, end);
            if (i >= json.len || json.ptr[i] != ':') return none;
            i = emdash__space(json, i + 1);
            if (found) break;
            i = emdash__skip(json, i);
            if (i < 0) return none;
            i = emdash__space(json, i);
            if (i >= json.len || json.ptr[i] != ',') return none;
            i = emdash__space(json, i + 1);
        }
    }
    int32_t end = emdash__skip(json, i);
    if (end < 0) return none;
    emdash_str value = {json.ptr + i, end - i};
    return value;
}

static inline int emdash__hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static inline int32_t emdash__hex4(emdash_str s, int32_t i) {
    int32_t code = 0;
    if (i + 4 > s.len) return -1;
    for (int32_t k = 0; k < 4; k++) {
        int d = emdash__hex(s.ptr[i + k]);
        if (d < 0) return -1;
        code = code << 4 | d;
    }
    return code;
}

static inline void emdash__utf8(emdash_buf *out, uint32_t cp) {
    char b[4];
    int32_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 63));
        b[2] = (char)(0x80 | (cp & 63)), n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 63));
        b[2] = (char)(0x80 | (cp >> 6 & 63)), b[3] = (char)(0x80 | (cp & 63)), n = 4;
    }
    emdash_buf_add(out, b, n);
}

/* Appends the text of a JSON string token to out; 0 when the token is no string. */
static inline int emdash_json_string(emdash_str token, emdash_buf *out) {
    if (token.len < 2 || token.ptr[0] != '"' || token.ptr[token.len - 1] != '"') return 0;
    for (int32_t i = 1; i < token.len - 1; i++) {
        char c = token.ptr[i];
        if (c != '\\') {
            emdash_buf_add(out, &c, 1);
            continue;
        }
        c = token.ptr[++i];
        if (c == 'u') {
            int32_t cp = emdash__hex4(token, i + 1);
            if (cp < 0) return 0;
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < token.len - 1 && token.ptr[i + 1] == '\\' &&
                token.ptr[i + 2] == 'u') {
                int32_t low = emdash__hex4(token, i + 3);
                if (low >= 0xdc00 && low < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    i += 6;
                }
            }
            emdash__utf8(out, (uint32_t)cp);
        } else {
            char plain = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
            emdash_buf_add(out, &plain, 1);
        }
    }
    return 1;
}

/* -- answers ----------------------------------------------------------------------- */

/* {"ok": <json>} from a JSON text. */
static inline int64_t emdash_ok(const char *json, int32_t len) {
    emdash_buf b = {0};
    emdash_buf_add(&b, "{\"ok\":", 6);
    emdash_buf_add(&b, json, len);
    emdash_buf_add(&b, "}", 1);
    return emdash_pack(b.data, b.len);
}

static inline int64_t emdash__problem(const char *kind, const char *code, const char *message) {
    emdash_buf b = {0};
    emdash_buf_cstr(&b, "{");
    emdash_buf_key(&b, kind);
    emdash_buf_cstr(&b, "{");
    emdash_buf_key(&b, "code");
    emdash_buf_json_string(&b, code, emdash_strlen(code));
    emdash_buf_key(&b, "message");
    emdash_buf_json_string(&b, message, emdash_strlen(message));
    emdash_buf_cstr(&b, "}}");
    return emdash_pack(b.data, b.len);
}

/* {"reject": {"code", "message"}}: a deliberate refusal. */
static inline int64_t emdash_reject(const char *code, const char *message) {
    return emdash__problem("reject", code, message);
}

/* {"error": {"code", "message"}}: the plugin could not do its work. */
static inline int64_t emdash_fail(const char *code, const char *message) {
    return emdash__problem("error", code, message);
}

/* -- the allocator ----------------------------------------------------------------- */

#ifdef EMDASH_IMPLEMENTATION
#if defined(__wasi__)
#include <stdlib.h>

void *emdash_alloc(int32_t len) {
    void *p = malloc(len > 0 ? (size_t)len : 1);
    if (!p) __builtin_trap();
    return p;
}
#else
/* A bump allocator that never frees: every hook call runs in a fresh instance. */
extern unsigned char __heap_base;
static uintptr_t emdash__heap_top;

void *emdash_alloc(int32_t len) {
    if (len < 0) __builtin_trap();
    if (!emdash__heap_top) emdash__heap_top = (uintptr_t)&__heap_base;
    uintptr_t start = (emdash__heap_top + 7) & ~(uintptr_t)7;
    uintptr_t end = start + (uint32_t)len;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
    if (end < start) __builtin_trap();
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1)
        __builtin_trap();
    emdash__heap_top = end;
    return (void *)start;
}
#endif
#endif /* EMDASH_IMPLEMENTATION */

#endif /* EMDASH_H */
