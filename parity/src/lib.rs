//! The language suite compiled to Rust: `build.rs` compiles every `tests/lang/**/*.sl` program
//! with the compiled path's driver (`slight_runtime::native::driver`) into one module each, and
//! [`programs`] lists them with their entry points (or the compile error, for programs that
//! do not compile). `tests/parity.rs` runs them against the VM.

/// How a program came out of the compiled path.
pub enum Compiled {
    /// The compiled module's `run_each`.
    Ok(fn(&mut slight::Vm, &mut slight::__rt::EachForm)),
    /// The program does not compile: the message and `file:line:col`.
    Err { message: &'static str, location: &'static str },
}

/// One program of the language suite.
pub struct Program {
    /// As the VM suite names it: `tests/lang/<area>/<name>.sl`.
    pub path: &'static str,
    pub compiled: Compiled,
}

include!(concat!(env!("OUT_DIR"), "/programs.rs"));
