//! Parsing allocates and frees millions of small tree nodes; the C library's
//! default allocator spends a tenth of the indexing time on them. Binaries that
//! use mimalloc as their global allocator call [`use_mimalloc_for_parsers`] so
//! that tree-sitter's allocations go there too.

/// Routes tree-sitter's allocations to mimalloc.
///
/// Call it first thing in `main`, before any parser, tree or query exists:
/// memory allocated before the switch would be freed by the wrong allocator.
pub fn use_mimalloc_for_parsers() {
    use libmimalloc_sys as mi;
    let allocator = tree_sitter::Allocator {
        malloc: mi::mi_malloc,
        calloc: mi::mi_calloc,
        realloc: mi::mi_realloc,
        free: mi::mi_free,
    };
    // SAFETY: the four functions are one allocator family, and callers install
    // it before any tree-sitter object exists.
    unsafe { tree_sitter::set_allocator(Some(allocator)) };
}
