`x
`5
`(a b c)
(def x 5)
`(x ,x)
`,x
`(1 ,(+ 1 1) 3)
`("s" :k ,x)
`(a (b ,x) c)
`(a (b (c ,(* x 2))))
(defun wrap (v) `(wrapped ,v))
(wrap "it")
(wrap (list 1 2))
