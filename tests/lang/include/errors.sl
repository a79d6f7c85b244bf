; not found: the message names every place looked at
(include "_nope.sl")
; a cycle names the chain
(include "_cycle_a.sl")
; an error inside the included file points into that file
(include "_broken.sl")
(ok)
; include is a top-level form with one string
(defun f () (include "_math.sl"))
(include 5)
