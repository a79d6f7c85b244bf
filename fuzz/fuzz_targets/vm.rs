//! Compile and run any text on a sandboxed VM under tight limits (spawned processes and timers
//! included): the host only ever sees `Ok` or a Slight error, and the VM stays usable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use slight_runtime::{Value, Vm};

mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut vm = Vm::sandboxed();
    vm.set_limits(common::fuzz_limits());
    vm.use_virtual_clock();
    let _out = vm.capture_output();
    let _ = vm.eval(text);
    let _ = vm.run_slices(50);
    // Whatever happened, the VM still evaluates (a literal: the script may have redefined any
    // global, `+` included).
    assert_eq!(vm.eval("3").ok(), Some(Value::Int(3)), "the VM is unusable after: {text:?}");
});
