42
-3
2.5
5.0
-0.5
"str"
"say \"hi\""
"two\nlines"
true
false
nil
:kw
'sym
(list 1 "two" 'three :four 5.5 nil true false)
(list)
(list (list) (list 1 (list 2 (list 3))))
(list "a\nb" "c\"d")
(list 1.0 2.50 -3.0)
(error "bad thing")
