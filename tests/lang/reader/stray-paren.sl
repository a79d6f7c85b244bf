; one close paren too many on the last line
(+ 1 2)
(* 2 3))
