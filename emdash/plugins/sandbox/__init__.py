"""The WebAssembly sandbox that runs plugins (ABI ``emdash/0``), with no database.

- ``engine``: the process's wasmtime Engine, its epoch ticker, the module cache.
- ``imports``: the import and export checks (a module's imports are its capabilities).
- ``host``: ``LoadedPlugin``, which runs one hook call in a fresh, limited instance.
- ``calls`` and ``errors``: the values and errors of a call; they import no wasmtime,
  so code that only names them stays light (importing wasmtime costs ~100 ms).
"""
