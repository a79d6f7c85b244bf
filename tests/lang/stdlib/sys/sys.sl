; sys/ builtins. Results that depend on the machine are checked by type or property.

; env
(sys/env "SLIGHT_LANG_TEST_SURELY_UNSET")
(sys/env "SLIGHT_LANG_TEST_SURELY_UNSET" "fallback")
(sys/env "SLIGHT_LANG_TEST_SURELY_UNSET" 42)
(get-env "SLIGHT_LANG_TEST_SURELY_UNSET")
(get-env "SLIGHT_LANG_TEST_SURELY_UNSET" :d)
(type/of (sys/env "PATH"))
(== (sys/env "PATH") (get-env "PATH" "x"))
; names that cannot exist give the default
(sys/env "")
(sys/env "A=B" "none")
(sys/env "a\0b" "none")
(sys/env 42)
(get-env nil)
(sys/env)
(sys/env "a" "b" "c")

; exit ends the program (exit.sl, exit-from-process.sl); wrong codes are ordinary errors
(sys/exit 2147483648)
(sys/exit -2147483649)
(sys/exit 1.5)
(sys/exit "1")
(sys/exit 1 2)

; args: the program's arguments (none here)
(sys/args)
(sys/args 1)

; cwd and chdir! (the directory is restored whatever happens)
(type/of (sys/cwd))
(== (sys/cwd) (fs/resolve "."))
(let ((old (sys/cwd)))
  (try
    (sys/chdir! (sys/tmpdir))
    (== (sys/cwd) (fs/resolve (sys/tmpdir)))
    (finally (sys/chdir! old))))
(== (sys/cwd) (fs/resolve "."))
(sys/chdir! ".")
(sys/chdir! "/no/such/dir/for/slight")
(sys/chdir! "")
(sys/chdir! 1)
(sys/cwd 1)

; platform facts
(type/of (sys/platform))
(> (string/length (sys/platform)) 0)
(type/of (sys/arch))
(> (string/length (sys/arch)) 0)
(type/of (sys/homedir))
(fs/exists? (sys/tmpdir))
(map/get (fs/stat (sys/tmpdir)) :dir?)
(sys/platform "x")
(sys/tmpdir 1)
