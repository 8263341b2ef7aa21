//! Ops as types: each names its op, its params and its result, so that a
//! client and the daemon cannot disagree on a field without the compiler
//! saying so (as `lsp-types` does with `Request::METHOD`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::*;

/// One op of the wire.
pub trait Call {
    /// The `op` of the request.
    const OP: &'static str;
    type Params: Serialize + DeserializeOwned + Send + Sync;
    type Result: Serialize + DeserializeOwned + Send;
}

macro_rules! calls {
    ($($(#[$doc:meta])* $name:ident = $op:literal ($params:ty) -> $result:ty;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Call for $name {
                const OP: &'static str = $op;
                type Params = $params;
                type Result = $result;
            }
        )*
        /// The ops that have a [`Call`] type.
        pub const TYPED: &[&str] = &[$($op),*];
    };
}

calls! {
    /// The first request of every connection.
    Hello = "hello" (HelloParams) -> HelloResult;
    /// The daemon's state: phase, progress, watcher, requests in flight.
    Status = "status" (()) -> StatusResult;
    /// What the index holds.
    Stats = "stats" (()) -> StatsResult;
    /// Re-read the tree or one path.
    Reindex = "reindex" (ReindexParams) -> ReindexResult;
    /// Give up on a running request of the same connection.
    Cancel = "cancel" (CancelParams) -> CancelResult;
    /// A directory's entries with file counts.
    Dir = "dir" (DirParams) -> Page<DirEntry>;
    /// The indexed files under a directory.
    Files = "files" (FilesParams) -> Page<FileEntry>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typed_op_is_an_op_and_parses_its_default_params() {
        fn check<C: Call>()
        where
            C::Params: Default,
        {
            let params = serde_json::to_value(C::Params::default()).unwrap();
            let op = Op::parse(C::OP, params).unwrap_or_else(|e| panic!("{}: {e}", C::OP));
            assert_eq!(op.name(), C::OP);
        }
        check::<Hello>();
        check::<Status>();
        check::<Stats>();
        check::<Reindex>();
        check::<Cancel>();
        check::<Dir>();
        check::<Files>();
        for op in TYPED {
            assert!(OPS.contains(op), "{op}");
        }
    }
}
