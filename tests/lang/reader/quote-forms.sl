'x
(quote x)
'(1 "a" b)
(quote (1 (2 (3))))
'()
'5
'"s"
':k
'(nil true false)
(head ''x)
(== ''x (list 'quote 'x))
(== '`x (list 'quasiquote 'x))
(== '(a ,b) (list 'a (list 'unquote 'b)))
(== '(a ,@b) (list 'a (list 'unquote-splicing 'b)))
(list/length '(a b c d))
(head '((+ 1 2) 3))
