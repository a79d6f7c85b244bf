//! `json/parse` on any text, and `json/stringify` of what it gives back: a value or a Slight
//! error, and a round trip that parses again to an equal value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use slight_runtime::{Value, Vm};

thread_local! {
    // One VM for every input: the two builtins keep no state between calls.
    static VM: std::cell::RefCell<Vm> = std::cell::RefCell::new(Vm::sandboxed());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    VM.with(|vm| round_trip(&mut vm.borrow_mut(), text));
});

fn round_trip(vm: &mut Vm, text: &str) {
    let Ok(parsed) = vm.call("json/parse", &[Value::str(text)]) else { return };
    let Ok(Value::Str(again)) = vm.call("json/stringify", &[parsed.clone()]) else { return };
    let reparsed = vm.call("json/parse", &[Value::Str(again)]).expect("stringify gives valid JSON");
    assert!(parsed.equals(&reparsed), "round trip changed {text:?}");
}
