; an inner quasiquote raises the level: only unquotes at level 0 are evaluated
(def x 5)
(def xs (list 2 3))
(== `(1 `(2 ,x)) '(1 (quasiquote (2 (unquote x)))))
(head (head (tail `(1 `(2 ,x)))))
(== `(1 `(2 ,(3 ,x))) '(1 (quasiquote (2 (unquote (3 5))))))
(== `(a `(b ,(c ,@xs))) '(a (quasiquote (b (unquote (c 2 3))))))
