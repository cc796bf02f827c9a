/*
 * hello: the smallest useful EmDash plugin in C. On content:beforeSave it logs
 * the title with the site's name and refuses an entry whose title is empty.
 * It imports emdash.log and emdash.site_info, which every plugin may use, so its
 * manifest declares no capability.
 */
#define EMDASH_IMPLEMENTATION
#include "../emdash.h"

static int is_blank(const emdash_buf *text) {
    for (int32_t i = 0; i < text->len; i++)
        if (text->data[i] != ' ' && text->data[i] != '\t' && text->data[i] != '\n') return 0;
    return 1;
}

EMDASH_EXPORT("emdash_handle")
int64_t emdash_handle(const char *hook, int32_t hook_len, const char *input, int32_t input_len) {
    emdash_str name = {hook, hook_len};
    if (!emdash_str_eq(name, "content:beforeSave")) return EMDASH_NO_CHANGE;

    emdash_str in = {input, input_len};
    emdash_buf title = {0};
    emdash_json_string(emdash_json_get(in, "entry.data.title"), &title);

    /* A host function answers an envelope: {"ok": {"name": ...}} here. */
    emdash_str site = emdash_unpack(emdash_site_info("{}", 2));
    emdash_buf site_name = {0};
    if (!emdash_json_string(emdash_json_get(site, "ok.name"), &site_name))
        emdash_buf_cstr(&site_name, "this site");

    emdash_buf line = {0};
    emdash_buf_cstr(&line, "hello from C on ");
    emdash_buf_add(&line, site_name.data, site_name.len);
    emdash_buf_cstr(&line, ": saving ");
    emdash_buf_json_string(&line, title.data, title.len);
    emdash_log(EMDASH_LOG_INFO, line.data, line.len);

    if (is_blank(&title)) return emdash_reject("TITLE_REQUIRED", "A post needs a title.");
    return EMDASH_NO_CHANGE;
}
