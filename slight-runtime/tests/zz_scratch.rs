use slight_runtime::Vm;

#[test]
fn show() {
    let src = std::fs::read_to_string("/tmp/vm.sl").unwrap();
    let mut vm = Vm::new();
    vm.eval_each("t.sl", &src, &mut |_, r| {
        match r {
            Ok(v) => println!("=> {}", v.repr()),
            Err(e) => println!("=> ERR {} | {} | {:?} | {:?}", e.kind, e.message, e.location, e.trace),
        }
        true
    });
}
