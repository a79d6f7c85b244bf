; a line comment produces nothing
(+ 1 2) ; a trailing comment
#| a block comment
   spanning several lines
   (+ 100 100) |#
(+ 3 4)
(+ 1 #| inline block comment |# 2)
(list 1 ; comment inside a form
      2)
"a;b"
(string/length "; not a comment")
(string/length "#| not a comment |#")
