// notify-on-publish: emails the address in the `recipient` setting when an entry
// is published. Needs content:read (to read the entry) and email:send.
import {
  Event,
  Level,
  Result,
  Value,
  contentGet,
  emailSend,
  fail,
  log,
  noChange,
  on,
} from "@emdash/plugin-sdk";

export { emdash_alloc, emdash_handle } from "@emdash/plugin-sdk";

on("content:afterPublish", (event: Event): Result => {
  const recipient = event.setting("recipient");
  if (recipient == null || recipient.trim().length == 0) {
    return fail("NO_RECIPIENT", "Set the recipient in the plugin's settings.");
  }
  const id = event.entry.getString("id");
  if (id == null) return fail("NO_ENTRY", "The hook input names no entry id.");
  const collection = event.collection;

  // The hook input may carry only ids; the entry's current title comes from the site.
  const found = contentGet(collection, id);
  if (!found.ok) {
    return fail(found.code, "Could not read entry " + id + ": " + found.message);
  }
  const entry = found.value.isObject ? found.value : event.entry;
  const title = titleOf(entry, id);

  const lines = [
    "A new entry was published on your site.",
    "",
    "Title: " + title,
    "Collection: " + collection,
  ];
  const slug = entry.getString("slug");
  if (slug != null) lines.push("Slug: " + slug);
  const url = entry.getString("url");
  if (url != null) lines.push("Link: " + url);

  const sent = emailSend(recipient, "Published: " + title, lines.join("\n") + "\n");
  if (!sent.ok) return fail(sent.code, "Could not send the email: " + sent.message);
  log(Level.Info, "Told " + recipient + " about " + collection + "/" + id + ".");
  return noChange();
});

function titleOf(entry: Value, id: string): string {
  const data = entry.getObject("data");
  const fromData = data != null ? data.getString("title") : null;
  if (fromData != null && fromData.trim().length > 0) return fromData.trim();
  const title = entry.getString("title");
  if (title != null && title.trim().length > 0) return title.trim();
  const slug = entry.getString("slug");
  return slug != null ? slug : id;
}
