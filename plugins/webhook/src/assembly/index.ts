// webhook: POSTs a small JSON event to the URL in the `url` setting after every
// save. Needs network:request, and the URL's host must be in allowed_hosts.
import { Event, Result, Value, fail, httpFetch, noChange, on } from "@emdash/plugin-sdk";

export { emdash_alloc, emdash_handle } from "@emdash/plugin-sdk";

// The manifest's default for the `url` setting, for hosts that send no defaults.
const DEFAULT_URL = "https://hooks.example.com/emdash";

on("content:afterSave", (event: Event): Result => {
  const setting = event.setting("url");
  const url = setting != null && setting.trim().length > 0 ? setting.trim() : DEFAULT_URL;
  const entry = event.entry;
  const body = Value.object()
    .set("event", event.hook)
    .set("collection", event.collection)
    .set("id", entry.get("id"))
    .set("slug", entry.get("slug"))
    .set("status", entry.get("status"));
  const headers = Value.object().set("content-type", "application/json");

  const answer = httpFetch(url, "POST", headers, body.toString());
  if (!answer.ok) return fail(answer.code, "The webhook to " + url + " failed: " + answer.message);
  const status = answer.value.getNumber("status", 0);
  if (status < 200 || status >= 300) {
    return fail("WEBHOOK_STATUS", "The webhook at " + url + " answered " + (<i32>status).toString() + ".");
  }
  return noChange();
});
