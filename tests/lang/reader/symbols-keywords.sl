'foo
'foo-bar?
'set!
'list/map
'*count*
'<=>
'x%
'_under
'a1
:name
:a
'(:a 1 :b 2)
(== :a :a)
(== :a :b)
(== 'foo 'foo)
(== 'foo 'bar)
(type/of 'foo)
(def foo-bar? 1)
foo-bar?
(def *count* 2)
(+ *count* foo-bar?)
