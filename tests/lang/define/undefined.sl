foo
(+ 1 bar)
(undefined-fn 1 2)
(list 1 (head baz))
(def ok 1)
ok
