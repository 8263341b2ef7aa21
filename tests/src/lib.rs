//! Integration tests live under `tests/tests/`; this crate has no library code.
