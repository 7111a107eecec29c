"""Personal data through its life: what we hold (registry), finding it for one address (records),
subject access (export), erasure now (erasure) and removal after the retention period (purge).
See docs/privacy.md. Core code: it never imports a room; the staff screens call it."""
