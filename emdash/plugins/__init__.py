"""Plugins: capability-manifested WebAssembly modules that run in a sandbox."""
