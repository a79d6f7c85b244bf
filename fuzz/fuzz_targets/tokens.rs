//! The token front end of `slight!` (`slight-macros/src/tokens.rs`): any Rust token stream
//! becomes Slight text or a token error, never a panic, and the text reads (or gives a
//! positioned read error).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::str::FromStr;

#[allow(dead_code)]
#[path = "../../slight-macros/src/tokens.rs"]
mod tokens;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(stream) = proc_macro2::TokenStream::from_str(text) else { return };
    if let Ok((source, _map)) = tokens::to_source(stream) {
        let _ = slight_core::Reader::read_all(&source, 0);
    }
});
