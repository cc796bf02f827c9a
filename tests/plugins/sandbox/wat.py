"""WAT fixtures for the sandbox tests, compiled in-process with wasmtime.wat2wasm.

``plugin()`` wraps a handler body in the ``emdash/0`` glue every fixture shares: an
exported ``memory``, a bump allocator as ``emdash_alloc`` (it grows memory and hits
``unreachable`` when growing fails, as AssemblyScript's stub runtime does), and
helpers. In the handler, ``$hp $hl $ip $il`` are the hook and input (ptr, len).

Helpers inside a fixture:
- ``(call $pack ptr len)`` -> i64, the packed answer;
- ``(call $wrap_ok ptr len)`` -> i64, the answer ``{"ok": <the JSON at ptr>}``;
- ``(call $unpacked_ok packed)`` -> i64, ``{"ok": ...}`` around a host answer.
"""

from wasmtime import wat2wasm

# The allocator starts above the constants fixtures place below this address.
HEAP_START = 8192
CONSTANTS_AT = 1024


def data(text: str | bytes) -> str:
    """A WAT string literal holding exactly these bytes."""
    raw = text.encode() if isinstance(text, str) else text
    return '"' + "".join(f"\\{byte:02x}" for byte in raw) + '"'


def plugin(
    body: str,
    *,
    imports: str = "",
    extra: str = "",
    memory: str = "1",
    locals_: str = "",
    heap_start: int = HEAP_START,
) -> bytes:
    return wat2wasm(
        f"""
(module
  {imports}
  (memory (export "memory") {memory})
  (global $heap (mut i32) (i32.const {heap_start}))
  (data (i32.const 16) {data('{"ok":')})
  (func $alloc (export "emdash_alloc") (param $n i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.add
                  (i32.div_u (i32.sub (local.get $end) (local.get $have))
                             (i32.const 65536))
                  (i32.const 1)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $p))
  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
            (i64.extend_i32_u (local.get $len))))
  (func $wrap_ok (param $ptr i32) (param $len i32) (result i64)
    (local $out i32) (local $n i32)
    (local.set $n (i32.add (local.get $len) (i32.const 7)))
    (local.set $out (call $alloc (local.get $n)))
    (memory.copy (local.get $out) (i32.const 16) (i32.const 6))
    (memory.copy (i32.add (local.get $out) (i32.const 6))
                 (local.get $ptr) (local.get $len))
    (i32.store8 (i32.add (local.get $out) (i32.add (local.get $len) (i32.const 6)))
                (i32.const 125))
    (call $pack (local.get $out) (local.get $n)))
  (func $unpacked_ok (param $packed i64) (result i64)
    (call $wrap_ok
      (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32)))
      (i32.wrap_i64 (local.get $packed))))
  {extra}
  (func (export "emdash_handle")
    (param $hp i32) (param $hl i32) (param $ip i32) (param $il i32) (result i64)
    {locals_}
    {body})
)"""
    )


def answering(answer: str | bytes, *, before: str = "", memory: str = "1") -> bytes:
    """A plugin that runs ``before``, then answers these exact bytes."""
    raw = answer.encode() if isinstance(answer, str) else answer
    return plugin(
        f"{before} (call $pack (i32.const {CONSTANTS_AT}) (i32.const {len(raw)}))",
        extra=f"(data (i32.const {CONSTANTS_AT}) {data(raw)})",
        memory=memory,
        heap_start=max(HEAP_START, CONSTANTS_AT + len(raw)),
    )


ECHO = plugin("(call $wrap_ok (local.get $ip) (local.get $il))")
UNCHANGED = plugin("(i64.const 0)")
INFINITE_LOOP = plugin("(loop $forever (br $forever)) (i64.const 0)")
DEEP_RECURSION = plugin(
    "(call $recurse (i32.const 0)) (i64.const 0)",
    extra="""(func $recurse (param $depth i32)
      (call $recurse (i32.add (local.get $depth) (i32.const 1))))""",
)
# Grows one page at a time until memory.grow answers -1, then traps.
GROW_UNTIL_REFUSED = plugin(
    """(loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable"""
)
# Grows until refused, then answers normally: memory.grow failing is not a trap.
GROW_THEN_ANSWER = answering(
    '{"ok":"refused"}',
    before="""(loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))""",
)


def host_call(function: str, request: str) -> bytes:
    """A plugin that sends ``request`` to ``emdash.<function>`` and answers
    ``{"ok": <the host's answer envelope>}``."""
    raw = request.encode()
    return plugin(
        f"(call $unpacked_ok (call $host (i32.const {CONSTANTS_AT}) "
        f"(i32.const {len(raw)})))",
        imports=f'(import "emdash" "{function}" '
        "(func $host (param i32 i32) (result i64)))",
        extra=f"(data (i32.const {CONSTANTS_AT}) {data(raw)})",
    )


def relay(function: str) -> bytes:
    """A plugin that forwards its input to ``emdash.<function>`` and answers
    ``{"ok": <the host's answer envelope>}``."""
    return plugin(
        "(call $unpacked_ok (call $host (local.get $ip) (local.get $il)))",
        imports=f'(import "emdash" "{function}" '
        "(func $host (param i32 i32) (result i64)))",
    )
