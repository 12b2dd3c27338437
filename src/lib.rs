#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod check;
pub mod cli;
pub mod diag;
pub mod expr;
pub mod limits;
pub mod policy;
pub mod standalone;
pub(crate) mod syntax;
