//! Read, expand (macros run on the VM), resolve, compile to bytecode and verify every form of
//! any text, without running it: errors are positioned errors, never panics. Forms that define
//! macros are run, so later forms can use them (under tight limits).
#![no_main]
use libfuzzer_sys::fuzz_target;
use slight_core::Reader;
use slight_runtime::Vm;

mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut vm = Vm::sandboxed();
    vm.set_limits(common::fuzz_limits());
    let _out = vm.capture_output();
    let mut reader = Reader::new(text, 0);
    while let Some(form) = reader.next_form() {
        let Ok(form) = form else { break };
        if form.head_sym() == Some("defmacro") {
            let _ = vm.eval_form(&form);
        } else if let Ok(proto) = vm.compile_form(&form) {
            assert!(proto.verify().is_ok(), "the compiler made bytecode the verifier rejects");
        }
    }
});
