// A plugin that exercises the whole SDK: the tests build it, link a stub for every
// host function and check the imports, the JSON code and the envelopes.
import {
  Event,
  HostResult,
  JSON,
  Level,
  Result,
  Value,
  contentCreate,
  contentDelete,
  contentGet,
  contentList,
  contentUpdate,
  emailSend,
  fail,
  httpFetch,
  kvDelete,
  kvGet,
  kvList,
  kvSet,
  log,
  mediaDelete,
  mediaGet,
  mediaList,
  mediaUpload,
  noChange,
  ok,
  on,
  reject,
  siteInfo,
  storageDelete,
  storageGet,
  storagePut,
  storageQuery,
  taxonomyList,
  userGet,
  userList,
} from "../index";

export { emdash_alloc, emdash_handle } from "../index";

function entry(result: HostResult): Value {
  return Value.object()
    .set("ok", result.ok)
    .set("value", result.value)
    .set("code", result.code)
    .set("message", result.message);
}

on("json:echo", (event: Event): Result => ok(event.input));

on("json:parse", (event: Event): Result => {
  const text = event.input.getString("text");
  const parsed = JSON.parse(text != null ? text : "");
  return ok(Value.object().set("valid", parsed != null).set("value", parsed));
});

on("json:build", (event: Event): Result => {
  const value = Value.object()
    .set("string", "é \"q\" \\ \n\t\u0001 😀")
    .set("int", 42)
    .set("negative", -7)
    .set("float", 0.1)
    .set("big", 1e21)
    .set("nan", NaN)
    .set("yes", true)
    .set("nothing", Value.null())
    .set("list", [1, 2, 3])
    .set("words", ["a", "b"]);
  value.set("int", 43);
  value.set("gone", 1);
  value.remove("gone");
  return ok(
    Value.object()
      .set("value", value)
      .set("title", event.input.path("entry.data.title"))
      .set("missing", event.input.path("entry.data.nope") == null)
      .set("keys", value.keys())
      .set("clone_equal", value.clone().toString() == value.toString()),
  );
});

on("result:reject", (event: Event): Result => reject("NOPE", "Refused: " + event.hook));
on("result:fail", (event: Event): Result => fail("BROKEN", "It broke."));
on("result:none", (event: Event): Result => noChange());

on("event:fields", (event: Event): Result =>
  ok(
    Value.object()
      .set("hook", event.hook)
      .set("collection", event.collection)
      .set("entry", event.entry)
      .set("recipient", event.setting("recipient")),
  ),
);

on("host:all", (event: Event): Result => {
  log(Level.Info, "calling every binding");
  const data = Value.object().set("title", "T");
  const options = Value.object().set("limit", 5);
  const answers = Value.array()
    .push(entry(siteInfo()))
    .push(entry(kvGet("k")))
    .push(entry(kvSet("k", 1)))
    .push(entry(kvDelete("k")))
    .push(entry(kvList("pre")))
    .push(entry(storageGet("docs", "1")))
    .push(entry(storagePut("docs", "1", data)))
    .push(entry(storageDelete("docs", "1")))
    .push(entry(storageQuery("docs", options)))
    .push(entry(contentGet("posts", "e1")))
    .push(entry(contentList("posts", options)))
    .push(entry(contentCreate("posts", data)))
    .push(entry(contentUpdate("posts", "e1", data)))
    .push(entry(contentDelete("posts", "e1")))
    .push(entry(taxonomyList("tags")))
    .push(entry(mediaGet("m1")))
    .push(entry(mediaList()))
    .push(entry(mediaUpload("a.txt", "text/plain", "aGk=")))
    .push(entry(mediaDelete("m1")))
    .push(entry(userGet("u1")))
    .push(entry(userList()))
    .push(entry(emailSend("a@example.com", "S", "T")))
    .push(entry(httpFetch("https://hooks.example.com/x", "POST", null, "{}")));
  return ok(answers);
});
