; string literals and escapes (escapes are decoded; REPL form re-escapes)
"hello"
""
"a\nb"
"tab\there"
"quote\"inside"
"back\\slash"
(string/length "a\nb")
(string/length "\\")
(string/length "\"")
(string/length "\r\0")
(== "\u{41}\u{42}" "AB")
(print "line1\nline2")
(print "say \"hi\" \\o/")
(print "smile: \u{1F600}")
"first
second"
