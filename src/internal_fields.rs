//! `internal_fields!`: a struct whose fields are crate-private, except with the `unstable`
//! feature, where they are public so this repository's own tests can check the evaluator's data
//! directly. Embedders never see them; the facade gives accessors instead.

/// Declares `$name` twice: with `pub` fields under `unstable`, `pub(crate)` fields otherwise.
macro_rules! internal_fields {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(<$lt:lifetime>)? {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        #[cfg(feature = "unstable")]
        $(#[$meta])*
        pub struct $name $(<$lt>)? {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        #[cfg(not(feature = "unstable"))]
        $(#[$meta])*
        pub struct $name $(<$lt>)? {
            $( $(#[$fmeta])* pub(crate) $field: $ty, )*
        }
    };
}

pub(crate) use internal_fields;
