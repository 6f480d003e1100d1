//! Where the bundle splits: the parts of the app a first visit does not need (the pages behind
//! sign-in, the return from the IdP, the token refresh, the account's role), each in a .wasm of
//! its own that the browser fetches on first use.
//!
//! With the `split` feature (the build Trunk makes, index.html) each part is a split point of
//! `wasm_split` (Leptos's `#[lazy]` machinery; `scripts/split-wasm` cuts the module after cargo);
//! without it (the browser tests, clippy) a part is a plain call, so both builds run the same code.

/// `part! { fn name(args) -> T { body } }` defines `async fn name(args) -> Result<T, Error>`.
///
/// With `split`, the first call fetches the part's module, then runs `body` in it; a module that
/// cannot be fetched is [`Error::PartNotLoaded`](crate::error::Error::PartNotLoaded), and the
/// next call tries again. Without `split`, `body` runs at once. A part's arguments and result
/// cross into the other module by value: pass owned values, and for async work return a boxed
/// future (`LocalFuture<'static, _>`) for the caller to await.
macro_rules! part {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::error::Error> {
            #[cfg_attr(
                feature = "split",
                ::leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)
            )]
            fn $name($($arg: $ty),*) -> Result<$ret, $crate::error::Error> {
                Ok($body)
            }
            #[cfg(feature = "split")]
            {
                $name($($arg),*).await
            }
            #[cfg(not(feature = "split"))]
            {
                $name($($arg),*)
            }
        }
    };
}

pub(crate) use part;

impl From<leptos::wasm_split::SplitLoaderError> for crate::error::Error {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self::PartNotLoaded
    }
}
