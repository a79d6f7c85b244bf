//! The reader on any text: every form is a `Sexp` or a positioned `ReadError`, never a panic or
//! a stack overflow (nesting is limited).
#![no_main]
use libfuzzer_sys::fuzz_target;
use slight_core::Reader;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut reader = Reader::new(text, 0);
    while let Some(form) = reader.next_form() {
        if form.is_err() {
            break;
        }
    }
});
