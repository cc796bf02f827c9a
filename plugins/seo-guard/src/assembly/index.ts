// seo-guard: refuses to save an entry without a title, and fills a missing SEO
// description from the start of the body. Needs no capability at all.
import { Event, Result, Value, noChange, ok, on, reject } from "@emdash/plugin-sdk";

export { emdash_alloc, emdash_handle } from "@emdash/plugin-sdk";

// Search engines show about this many characters of a description.
const DESCRIPTION_LENGTH = 155;

on("content:beforeSave", (event: Event): Result => {
  const entry = event.entry;
  const found = entry.getObject("data");
  const data = found != null ? found : Value.object();
  const title = data.getString("title");
  if (title == null || title.trim().length == 0) {
    return reject("TITLE_REQUIRED", "A post needs a title.");
  }

  const seo = entry.getObject("seo");
  const description = seo != null ? seo.getString("description") : null;
  if (description != null && description.trim().length > 0) return noChange();

  const body = data.getString("body");
  if (body == null) return noChange();
  const summary = summarize(plainText(body), DESCRIPTION_LENGTH);
  if (summary.length == 0) return noChange();

  // The returned seo replaces the entry's, so it carries the other keys along.
  const filled = seo != null ? seo.clone() : Value.object();
  filled.set("description", summary);
  return ok(Value.object().set("seo", filled));
});

/** Markdown reduced to its words: no markers, links keep their text, code blocks,
 * images and HTML tags go, whitespace collapses to single spaces. */
function plainText(markdown: string): string {
  const lines = markdown.split("\n");
  const words = new Array<string>();
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.startsWith("```") || line.startsWith("~~~")) {
      inFence = !inFence;
      continue;
    }
    if (inFence || isRule(line)) continue;
    const text = inline(blockMarkers(line)).trim();
    if (text.length > 0) words.push(text);
  }
  return collapseSpaces(words.join(" "));
}

/** At most `limit` characters, cut at a word and ended with an ellipsis. */
function summarize(text: string, limit: i32): string {
  if (text.length <= limit) return text;
  let cut = text.lastIndexOf(" ", limit - 1);
  if (cut < limit / 2) cut = limit - 1;
  // Never split a surrogate pair.
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  let head = text.substring(0, cut).trimEnd();
  while (head.length > 0 && ",;:-–—".includes(head.charAt(head.length - 1))) {
    head = head.substring(0, head.length - 1).trimEnd();
  }
  return head + "…";
}

// ---, ***, ___ (three or more, spaces allowed) and table separator rows.
function isRule(line: string): bool {
  if (line.length < 3) return false;
  for (let i = 0; i < line.length; i++) {
    if (!"-*_=| :".includes(line.charAt(i))) return false;
  }
  return true;
}

// Drops heading hashes, quote marks and list bullets at the start of a line.
function blockMarkers(line: string): string {
  let text = line;
  let before = "";
  while (text != before) {
    before = text;
    if (text.startsWith("#")) {
      let i = 0;
      while (i < text.length && text.charAt(i) == "#") i++;
      text = text.substring(i);
    } else if (text.startsWith(">")) {
      text = text.substring(1);
    } else if (text.startsWith("- ") || text.startsWith("* ") || text.startsWith("+ ")) {
      text = text.substring(2);
    } else {
      let i = 0;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
      const marker = i > 0 && i + 1 < text.length ? text.charAt(i) : "";
      if ((marker == "." || marker == ")") && text.charAt(i + 1) == " ") {
        text = text.substring(i + 2);
      }
    }
    text = text.trimStart();
  }
  return text;
}

// Inline markup: images and tags go; links and code keep their text; emphasis
// markers go (an underscore only next to a non-word character, so snake_case stays).
function inline(line: string): string {
  const out = new Array<string>();
  let i = 0;
  while (i < line.length) {
    const c = line.charAt(i);
    if (c == "!" && i + 1 < line.length && line.charAt(i + 1) == "[") {
      const end = linkEnd(line, i + 1);
      if (end > 0) {
        i = end;
        continue;
      }
    }
    if (c == "[") {
      const close = line.indexOf("]", i + 1);
      const end = linkEnd(line, i);
      if (end > 0) {
        out.push(line.substring(i + 1, close));
        i = end;
        continue;
      }
    }
    if (c == "<") {
      const close = line.indexOf(">", i + 1);
      if (close > i) {
        const inside = line.substring(i + 1, close);
        if (inside.startsWith("http://") || inside.startsWith("https://")) out.push(inside);
        i = close + 1;
        continue;
      }
    }
    if (c == "*" || c == "`" || c == "~") {
      i++;
      continue;
    }
    if (c == "_") {
      const before = i > 0 ? line.charCodeAt(i - 1) : 0x20;
      const after = i + 1 < line.length ? line.charCodeAt(i + 1) : 0x20;
      if (!isWord(before) || !isWord(after)) {
        i++;
        continue;
      }
    }
    out.push(c);
    i++;
  }
  return out.join("");
}

// For "[text](url)" or "[text][ref]" starting at `open`: the index just past it, or -1.
function linkEnd(line: string, open: i32): i32 {
  const close = line.indexOf("]", open + 1);
  if (close < 0 || close + 1 >= line.length) return -1;
  const next = line.charAt(close + 1);
  if (next != "(" && next != "[") return -1;
  const end = line.indexOf(next == "(" ? ")" : "]", close + 2);
  return end < 0 ? -1 : end + 1;
}

function collapseSpaces(text: string): string {
  const parts = text.replaceAll("\t", " ").split(" ");
  const kept = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim();
    if (part.length > 0) kept.push(part);
  }
  return kept.join(" ");
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function isWord(c: i32): bool {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0x80;
}
